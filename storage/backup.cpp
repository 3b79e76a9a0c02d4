#include "storage/backup.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>

#include "storage/file_lock.hpp"

namespace moai::storage {
namespace {

struct close_db {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using connection = std::unique_ptr<sqlite3, close_db>;

connection open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  connection c(db);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open SQLite database " + path + ": " +
                             (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db, 5000);
  return c;
}

// The first column of the first row of `sql`, as text.
std::string scalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("SQLite: ") + sqlite3_errmsg(db) + " (" + sql + ")");
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  const int rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE) return {};
    throw std::runtime_error(std::string("SQLite: ") + sqlite3_errmsg(db) + " (" + sql + ")");
  }
  const auto* text = sqlite3_column_text(raw, 0);
  return text ? reinterpret_cast<const char*>(text) : "";
}

std::uint64_t count(sqlite3* db, const char* table) {
  return std::stoull(scalar(db, std::string("SELECT count(*) FROM ") + table));
}

// What a copy holds, and whether SQLite finds it sound. Throws if it lacks cojson's tables.
void describe(sqlite3* db, sqlite_copy_report& report) {
  report.integrity = scalar(db, "PRAGMA quick_check");
  report.rows.covalues = count(db, "coValues");
  report.rows.sessions = count(db, "sessions");
  report.rows.transactions = count(db, "transactions");
}

// Every page of `from` into `to`, in one step (one read transaction of `from`). A
// source that is busy for a moment (a checkpoint) is tried again.
void copy_pages(sqlite3* from, sqlite3* to, sqlite_copy_report& report) {
  const auto started = std::chrono::steady_clock::now();
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (!backup) throw std::runtime_error(std::string("SQLite backup: ") + sqlite3_errmsg(to));
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 200; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  report.pages = static_cast<std::uint64_t>(sqlite3_backup_pagecount(backup));
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) throw std::runtime_error(std::string("SQLite backup: ") + sqlite3_errstr(rc));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.bytes = report.pages * std::stoull(scalar(to, "PRAGMA page_size"));
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace

sqlite_copy_report backup_sqlite(const std::string& source, const std::string& dest) {
  if (!exists(source)) throw std::runtime_error("no SQLite database at " + source);
  if (exists(dest)) throw std::runtime_error(dest + " exists; a backup goes to a new file");
  const std::string partial = dest + ".partial";
  std::remove(partial.c_str());
  sqlite_copy_report report;
  try {
    auto from = open_db(source, SQLITE_OPEN_READWRITE);  // never written; WAL needs the shared memory file
    auto to = open_db(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    copy_pages(from.get(), to.get(), report);
    from.reset();
    scalar(to.get(), "PRAGMA journal_mode = DELETE");  // one self-contained file
    describe(to.get(), report);
    if (report.integrity != "ok") throw std::runtime_error("the copy failed its integrity check: " + report.integrity);
  } catch (...) {
    std::remove(partial.c_str());
    throw;
  }
  if (std::rename(partial.c_str(), dest.c_str()) != 0) {
    std::remove(partial.c_str());
    throw std::runtime_error("cannot rename the copy to " + dest);
  }
  return report;
}

sqlite_copy_report restore_sqlite(const std::string& backup, const std::string& dest, bool replace) {
  if (!exists(backup)) throw std::runtime_error("no backup at " + backup);
  auto from = open_db(backup, SQLITE_OPEN_READONLY);
  sqlite_copy_report checked;
  try {
    describe(from.get(), checked);
  } catch (const std::exception& e) {
    throw std::runtime_error(backup + " is not a moai database: " + e.what());
  }
  if (checked.integrity != "ok") throw std::runtime_error(backup + " fails its integrity check: " + checked.integrity);

  file_lock lock(dest, store_access::exclusive);  // before the connection, released after it
  sqlite_copy_report report;
  {
    auto to = open_db(dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!replace && scalar(to.get(), "SELECT name FROM sqlite_master WHERE name = 'coValues'") == "coValues") {
      const auto held = count(to.get(), "coValues");
      if (held > 0) {
        throw std::runtime_error(dest + " holds " + std::to_string(held) +
                                 " CoValues; moai restore --force replaces them with the backup");
      }
    }
    copy_pages(from.get(), to.get(), report);
    scalar(to.get(), "PRAGMA journal_mode = WAL");  // as the server keeps it
    describe(to.get(), report);
  }
  if (report.integrity != "ok") throw std::runtime_error("the restored database fails its integrity check: " + report.integrity);
  return report;
}

}  // namespace moai::storage
