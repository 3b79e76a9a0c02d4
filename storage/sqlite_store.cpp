// cojson's SQLite schema (migrations 1–7 of cojson 0.20.19's sqliteMigrations.ts),
// so a database written by Jazz's own sync server opens here and vice versa.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/covalue_store.hpp"
#include "storage/file_lock.hpp"
#include "storage/migration.hpp"

namespace moai::storage {
namespace {

const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
      {1,
       {"CREATE TABLE IF NOT EXISTS transactions (ses INTEGER, idx INTEGER, tx TEXT NOT NULL, "
        "PRIMARY KEY (ses, idx)) WITHOUT ROWID;",
        "CREATE TABLE IF NOT EXISTS sessions (rowID INTEGER PRIMARY KEY, coValue INTEGER NOT NULL, "
        "sessionID TEXT NOT NULL, lastIdx INTEGER, lastSignature TEXT, UNIQUE (sessionID, coValue));",
        "CREATE INDEX IF NOT EXISTS sessionsByCoValue ON sessions (coValue);",
        "CREATE TABLE IF NOT EXISTS coValues (rowID INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
        "header TEXT NOT NULL UNIQUE);",
        "CREATE INDEX IF NOT EXISTS coValuesByID ON coValues (id);"}},
      {3,
       {"CREATE TABLE IF NOT EXISTS signatureAfter (ses INTEGER, idx INTEGER, signature TEXT NOT NULL, "
        "PRIMARY KEY (ses, idx)) WITHOUT ROWID;",
        "ALTER TABLE sessions ADD COLUMN bytesSinceLastSignature INTEGER;"}},
      {4,
       {"CREATE TABLE IF NOT EXISTS unsynced_covalues (rowID INTEGER PRIMARY KEY, co_value_id TEXT NOT NULL, "
        "peer_id TEXT NOT NULL, UNIQUE (co_value_id, peer_id));",
        "CREATE INDEX IF NOT EXISTS idx_unsynced_covalues_co_value_id ON unsynced_covalues(co_value_id);"}},
      {5,
       {"CREATE TABLE IF NOT EXISTS deletedCoValues (coValueID TEXT PRIMARY KEY, status INTEGER NOT NULL DEFAULT 0) "
        "WITHOUT ROWID;",
        "CREATE INDEX IF NOT EXISTS deletedCoValuesByStatus ON deletedCoValues (status);"}},
      {6,
       {"CREATE TABLE IF NOT EXISTS storageReconciliationLocks (key TEXT PRIMARY KEY, holderSessionId TEXT NOT NULL, "
        "acquiredAt INTEGER NOT NULL, expiresAt INTEGER NOT NULL, lastProcessedOffset INTEGER NOT NULL DEFAULT 0, "
        "releasedAt INTEGER) WITHOUT ROWID;"}},
      {7, {"ALTER TABLE storageReconciliationLocks DROP COLUMN expiresAt;"}},
  };
  return all;
}

// A prepared statement in use: reset when taken and when left. A statement left on a row
// keeps its read snapshot open, and while any snapshot is open the WAL cannot be
// checkpointed past it: a server that never let go of one grew its WAL without bound.
class statement_use {
 public:
  explicit statement_use(SQLite::Statement& s) : s_(s) { s_.reset(); }
  ~statement_use() {
    try {
      s_.reset();
    } catch (...) {
      // a failed step already ended the statement
    }
  }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;

 private:
  SQLite::Statement& s_;
};

class sqlite_store final : public covalue_store {
 public:
  sqlite_store(const std::string& path, const std::string& synchronous, store_access access, bool check_first)
      : lock_(path, access),
        db_(path, (access == store_access::read_only ? SQLite::OPEN_READWRITE
                                                      : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) |
                      SQLite::OPEN_NOMUTEX) {
    if (access != store_access::read_only) db_.exec("PRAGMA journal_mode = WAL;");
    db_.exec("PRAGMA synchronous = " + synchronous + ";");
    // After a checkpoint the WAL file is cut back to this, so a burst does not keep its
    // size on disk for good.
    if (access != store_access::read_only) db_.exec("PRAGMA journal_size_limit = 67108864;");
    db_.exec("PRAGMA foreign_keys = OFF;");
    db_.setBusyTimeout(5000);
    // A damaged file would fail reads and writes one by one while /health said ok, and
    // writing into it can spread the damage: refuse it before anything is written.
    if (check_first) refuse_if_damaged(path);
    if (access != store_access::read_only) migrate();
    find_covalue_ = std::make_unique<SQLite::Statement>(db_, "SELECT rowID, header FROM coValues WHERE id = ?");
    insert_covalue_ = std::make_unique<SQLite::Statement>(db_, "INSERT INTO coValues (id, header) VALUES (?, ?)");
    find_sessions_ = std::make_unique<SQLite::Statement>(
        db_,
        "SELECT rowID, sessionID, lastIdx, lastSignature, bytesSinceLastSignature FROM sessions WHERE coValue = ? "
        "ORDER BY rowID");
    find_session_ = std::make_unique<SQLite::Statement>(
        db_, "SELECT rowID, lastIdx FROM sessions WHERE coValue = ? AND sessionID = ?");
    insert_session_ = std::make_unique<SQLite::Statement>(
        db_,
        "INSERT INTO sessions (coValue, sessionID, lastIdx, lastSignature, bytesSinceLastSignature) "
        "VALUES (?, ?, ?, ?, ?)");
    update_session_ = std::make_unique<SQLite::Statement>(
        db_, "UPDATE sessions SET lastIdx = ?, lastSignature = ?, bytesSinceLastSignature = ? WHERE rowID = ?");
    find_transactions_ =
        std::make_unique<SQLite::Statement>(db_, "SELECT idx, tx FROM transactions WHERE ses = ? ORDER BY idx");
    insert_transaction_ =
        std::make_unique<SQLite::Statement>(db_, "INSERT INTO transactions (ses, idx, tx) VALUES (?, ?, ?)");
    replace_transaction_ =
        std::make_unique<SQLite::Statement>(db_, "INSERT OR REPLACE INTO transactions (ses, idx, tx) VALUES (?, ?, ?)");
    find_signatures_ =
        std::make_unique<SQLite::Statement>(db_, "SELECT idx, signature FROM signatureAfter WHERE ses = ?");
    insert_signature_ = std::make_unique<SQLite::Statement>(
        db_, "INSERT OR REPLACE INTO signatureAfter (ses, idx, signature) VALUES (?, ?, ?)");
    find_deleted_ = std::make_unique<SQLite::Statement>(db_, "SELECT status FROM deletedCoValues WHERE coValueID = ?");
    if (access != store_access::read_only) erase_pending_deletes();
  }

  const char* kind() const override { return "sqlite"; }

  std::optional<stored_covalue> load(const std::string& id) override {
    auto row = find_covalue(id);
    if (!row) return std::nullopt;
    stored_covalue out;
    out.id = id;
    out.header = std::move(row->second);
    auto& s = *find_sessions_;
    const statement_use used_s(s);
    s.reset();
    s.bind(1, row->first);
    std::vector<std::int64_t> session_rows;
    while (s.executeStep()) {
      stored_session session;
      session_rows.push_back(s.getColumn(0).getInt64());
      session.session_id = s.getColumn(1).getString();
      session.recorded_count = static_cast<std::uint32_t>(s.getColumn(2).getInt64());
      session.last_signature = s.getColumn(3).getString();
      session.bytes_since_checkpoint = static_cast<std::uint32_t>(s.getColumn(4).getInt64());
      out.sessions.push_back(std::move(session));
    }
    for (std::size_t i = 0; i < out.sessions.size(); ++i) {
      auto& t = *find_transactions_;
      const statement_use used_t(t);
      t.reset();
      t.bind(1, session_rows[i]);
      auto& session = out.sessions[i];
      while (t.executeStep()) {
        const auto idx = t.getColumn(0).getInt64();
        const auto position = static_cast<std::uint32_t>(session.transactions.size());
        if (!session.gap && idx != position) session.gap = stored_session::row_gap{position, static_cast<std::uint32_t>(idx)};
        session.transactions.push_back(t.getColumn(1).getString());
      }
      auto& sig = *find_signatures_;
      const statement_use used_sig(sig);
      sig.reset();
      sig.bind(1, session_rows[i]);
      while (sig.executeStep()) {
        out.sessions[i].checkpoints[static_cast<std::uint32_t>(sig.getColumn(0).getInt64())] =
            sig.getColumn(1).getString();
      }
    }
    auto& d = *find_deleted_;
    const statement_use used_d(d);
    d.reset();
    d.bind(1, id);
    out.deleted = d.executeStep();
    return out;
  }

  std::vector<load_result> load_many(const std::vector<load_query>& queries) override {
    if (queries.size() < 2) return covalue_store::load_many(queries);
    SQLite::Transaction read(db_);
    auto out = covalue_store::load_many(queries);
    try {
      read.commit();
    } catch (const std::exception&) {
      // SQLite already ended the transaction (one load's I/O error rolls it back).
      // The loads that succeeded read a consistent state; their results stand.
    }
    return out;
  }

  std::optional<std::map<std::string, std::uint32_t>> load_known(const std::string& id) override {
    auto row = find_covalue(id);
    if (!row) return std::nullopt;
    std::map<std::string, std::uint32_t> out;
    auto& s = *find_sessions_;
    const statement_use used_s(s);
    s.reset();
    s.bind(1, row->first);
    while (s.executeStep()) out[s.getColumn(1).getString()] = static_cast<std::uint32_t>(s.getColumn(2).getInt64());
    return out;
  }

  std::vector<stored_known> list_known(const std::string& after, std::size_t limit) override {
    SQLite::Transaction read(db_);  // one consistent page
    std::vector<std::string> ids;
    {
      SQLite::Statement q(db_, "SELECT id FROM coValues WHERE id > ? ORDER BY id LIMIT ?");
      q.bind(1, after);
      q.bind(2, static_cast<std::int64_t>(limit));
      while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    }
    std::vector<stored_known> out;
    out.reserve(ids.size());
    for (auto& id : ids) {
      auto known = load_known(id);
      if (known) out.push_back({std::move(id), std::move(*known)});
    }
    read.commit();
    return out;
  }

  std::vector<std::size_t> write(const std::vector<covalue_write>& writes) override {
    std::vector<std::size_t> incomplete;
    SQLite::Transaction tx(db_);
    for (std::size_t wi = 0; wi < writes.size(); ++wi) {
      const auto& w = writes[wi];
      std::int64_t covalue_row = 0;
      if (auto row = find_covalue(w.id)) {
        covalue_row = row->first;
        if (w.replace_header && !w.header.empty()) {
          SQLite::Statement u(db_, "UPDATE coValues SET header = ? WHERE rowID = ?");
          u.bind(1, w.header);
          u.bind(2, covalue_row);
          u.exec();
        }
      } else if (!w.header.empty()) {
        auto& ins = *insert_covalue_;
        const statement_use used_ins(ins);
        ins.reset();
        ins.bind(1, w.id);
        ins.bind(2, w.header);
        ins.exec();
        covalue_row = db_.getLastInsertRowid();
      } else {
        if (!w.batches.empty()) incomplete.push_back(wi);
        continue;
      }
      bool complete = true;
      for (const auto& b : w.batches) complete = append(covalue_row, b) && complete;
      if (!complete) incomplete.push_back(wi);
      if (w.deleted) erase_keeping_tombstone(w.id, covalue_row);
    }
    tx.commit();
    return incomplete;
  }

  store_stats stats() override {
    store_stats st;
    st.covalues = static_cast<std::uint64_t>(db_.execAndGet("SELECT count(*) FROM coValues").getInt64());
    st.sessions = static_cast<std::uint64_t>(db_.execAndGet("SELECT count(*) FROM sessions").getInt64());
    st.transactions = static_cast<std::uint64_t>(db_.execAndGet("SELECT count(*) FROM transactions").getInt64());
    return st;
  }

  std::uint64_t trim_session(const std::string& id, const std::string& session_id, std::uint32_t keep,
                             const std::string& signature) override {
    SQLite::Transaction tx(db_);
    auto row = find_covalue(id);
    if (!row) return 0;
    auto& q = *find_session_;
    const statement_use used_q(q);
    q.reset();
    q.bind(1, row->first);
    q.bind(2, session_id);
    if (!q.executeStep()) return 0;
    const std::int64_t session_row = q.getColumn(0).getInt64();
    q.reset();
    auto run = [&](const char* sql, bool with_keep) {
      SQLite::Statement statement(db_, sql);
      statement.bind(1, session_row);
      if (with_keep) statement.bind(2, static_cast<std::int64_t>(keep));
      return static_cast<std::uint64_t>(statement.exec());
    };
    const auto removed = run("DELETE FROM transactions WHERE ses = ? AND idx >= ?", true);
    run("DELETE FROM signatureAfter WHERE ses = ? AND idx >= ?", true);
    if (keep == 0) {
      run("DELETE FROM sessions WHERE rowID = ?", false);
    } else {
      auto& u = *update_session_;
      const statement_use used_u(u);
      u.reset();
      u.bind(1, static_cast<std::int64_t>(keep));
      u.bind(2, signature);
      u.bind(3, std::int64_t{0});
      u.bind(4, session_row);
      u.exec();
    }
    tx.commit();
    return removed;
  }

 private:
  // A delete was accepted: everything but the delete sessions goes, as cojson's storage
  // erases it (eraseCoValueButKeepTombstone), and the tombstone is marked done (1).
  // Called inside a write transaction.
  void erase_keeping_tombstone(const std::string& id, std::int64_t covalue_row) {
    auto bound = [&](const char* sql) {
      SQLite::Statement q(db_, sql);
      q.bind(1, covalue_row);
      q.exec();
    };
    bound(
        "DELETE FROM transactions WHERE ses IN "
        "(SELECT rowID FROM sessions WHERE coValue = ? AND sessionID NOT LIKE '%$')");
    bound(
        "DELETE FROM signatureAfter WHERE ses IN "
        "(SELECT rowID FROM sessions WHERE coValue = ? AND sessionID NOT LIKE '%$')");
    bound("DELETE FROM sessions WHERE coValue = ? AND sessionID NOT LIKE '%$'");
    SQLite::Statement done(db_,
                           "INSERT INTO deletedCoValues (coValueID, status) VALUES (?, 1) "
                           "ON CONFLICT(coValueID) DO UPDATE SET status = 1");
    done.bind(1, id);
    done.exec();
  }

  // Deletes still pending (status 0: written by cojson, or by moai before it erased) are
  // carried out when the database opens.
  void erase_pending_deletes() {
    std::vector<std::string> pending;
    SQLite::Statement q(db_, "SELECT coValueID FROM deletedCoValues WHERE status = 0");
    while (q.executeStep()) pending.push_back(q.getColumn(0).getString());
    if (pending.empty()) return;
    SQLite::Transaction tx(db_);
    for (const auto& id : pending) {
      if (auto row = find_covalue(id)) erase_keeping_tombstone(id, row->first);
    }
    tx.commit();
  }

  // What PRAGMA quick_check finds wrong with the file (empty when it is sound), on a
  // connection of its own so its page cache (the whole file) goes when it closes.
  static std::vector<std::string> structural_problems(const std::string& path) {
    std::vector<std::string> lines;
    try {
      SQLite::Database reader(path, SQLite::OPEN_READONLY);
      SQLite::Statement check(reader, "PRAGMA quick_check(100)");
      while (check.executeStep()) {
        std::string row = check.getColumn(0).getString();
        if (row == "ok") return {};
        for (std::size_t start = 0, end; start < row.size(); start = end + 1) {
          end = std::min(row.find('\n', start), row.size());
          std::string line = row.substr(start, end - start);
          if (!line.empty() && line.rfind("***", 0) != 0) lines.push_back(std::move(line));
        }
      }
    } catch (const SQLite::Exception& e) {  // too damaged to be walked at all
      lines.push_back(e.what());
    }
    return lines;
  }

  static void refuse_if_damaged(const std::string& path) {
    const auto lines = structural_problems(path);
    if (lines.empty()) return;
    std::string problems;
    for (std::size_t i = 0; i < lines.size() && i < 3; ++i) problems += (i ? "; " : "") + lines[i];
    if (lines.size() > 3) problems += "; and " + std::to_string(lines.size() - 3) + " more";
    throw std::runtime_error("SQLite database " + path + " is damaged (quick_check: " + problems +
                             "). It was not changed. Restore a backup (`moai restore BACKUP`), or salvage what "
                             "verifies with `sqlite3 " + path + " .recover` into a new file and `moai check` it; "
                             "storage.check_on_start = false skips this check");
  }

  void migrate() {
    int version = db_.execAndGet("PRAGMA user_version").getInt();
    for (const auto& m : migrations()) {
      if (m.version <= version) continue;
      SQLite::Transaction tx(db_);
      for (const char* statement : m.statements) db_.exec(statement);
      db_.exec("PRAGMA user_version = " + std::to_string(m.version) + ";");
      tx.commit();
    }
  }

  std::optional<std::pair<std::int64_t, std::string>> find_covalue(const std::string& id) {
    auto& q = *find_covalue_;
    const statement_use used_q(q);
    q.reset();
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return std::make_pair(q.getColumn(0).getInt64(), q.getColumn(1).getString());
  }

  // Appends one batch; false if it would leave a gap after what is stored.
  bool append(std::int64_t covalue_row, const session_batch& b) {
    auto& q = *find_session_;
    const statement_use used_q(q);
    q.reset();
    q.bind(1, covalue_row);
    q.bind(2, b.session_id);
    std::int64_t session_row = 0;
    std::uint32_t stored = 0;
    bool exists = q.executeStep();
    if (exists) {
      session_row = q.getColumn(0).getInt64();
      stored = static_cast<std::uint32_t>(q.getColumn(1).getInt64());
    }
    if (b.after > stored) return false;
    const std::uint32_t skip = b.replace ? 0 : stored - b.after;
    if (skip >= b.transactions.size()) return true;  // nothing new
    const std::uint32_t new_count = b.after + static_cast<std::uint32_t>(b.transactions.size());
    if (exists && new_count >= stored) {
      auto& u = *update_session_;
      const statement_use used_u(u);
      u.reset();
      u.bind(1, static_cast<std::int64_t>(new_count));
      u.bind(2, b.last_signature);
      u.bind(3, static_cast<std::int64_t>(b.bytes_since_checkpoint));
      u.bind(4, session_row);
      u.exec();
    } else if (!exists) {
      auto& ins = *insert_session_;
      const statement_use used_ins(ins);
      ins.reset();
      ins.bind(1, covalue_row);
      ins.bind(2, b.session_id);
      ins.bind(3, static_cast<std::int64_t>(new_count));
      ins.bind(4, b.last_signature);
      ins.bind(5, static_cast<std::int64_t>(b.bytes_since_checkpoint));
      ins.exec();
      session_row = db_.getLastInsertRowid();
    }  // else: rows replaced inside the stored range; the session's end stays as it was
    for (std::uint32_t i = skip; i < b.transactions.size(); ++i) {
      auto& t = b.replace ? *replace_transaction_ : *insert_transaction_;
      t.reset();
      t.bind(1, session_row);
      t.bind(2, static_cast<std::int64_t>(b.after + i));
      t.bindNoCopy(3, b.transactions[i]);
      t.exec();
    }
    // Rows replaced inside the stored range end at a verified signature of their own: kept
    // as a checkpoint, so a load that cuts the session short after them still keeps them.
    if (b.checkpoint || new_count < stored) {
      auto& s = *insert_signature_;
      const statement_use used_s(s);
      s.reset();
      s.bind(1, session_row);
      s.bind(2, static_cast<std::int64_t>(new_count - 1));
      s.bind(3, b.last_signature);
      s.exec();
    }
    return true;
  }

  file_lock lock_;  // before db_: taken before the database opens, released after it closes
  SQLite::Database db_;
  std::unique_ptr<SQLite::Statement> find_covalue_, insert_covalue_, find_sessions_, find_session_, insert_session_,
      update_session_, find_transactions_, insert_transaction_, replace_transaction_, find_signatures_,
      insert_signature_, find_deleted_;
};

}  // namespace

std::unique_ptr<covalue_store> open_sqlite_store(const std::string& path, const std::string& synchronous,
                                                 store_access access, bool check_first) {
  try {
    return std::make_unique<sqlite_store>(path, synchronous, access, check_first);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error("cannot open SQLite database " + path + ": " + e.what());
  }
}

}  // namespace moai::storage
