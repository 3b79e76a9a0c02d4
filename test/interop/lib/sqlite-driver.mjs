// cojson's SQLite storage over better-sqlite3: the way Jazz's own sync server stores data.
import Database from "better-sqlite3";
import { getSqliteStorage } from "cojson";

export function betterSqliteDriver(path) {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  return {
    db,
    run(sql, params) {
      db.prepare(sql).run(params);
    },
    get(sql, params) {
      return db.prepare(sql).get(params);
    },
    query(sql, params) {
      return db.prepare(sql).all(params);
    },
    transaction(callback) {
      return db.transaction(callback)();
    },
    closeDb() {
      db.close();
    },
  };
}

export function openCojsonStorage(path) {
  const driver = betterSqliteDriver(path);
  return { storage: getSqliteStorage(driver), driver };
}
