// The key table in memory and in SQLite (postgres_api_key_store.cpp: PostgreSQL), and the
// one the configuration names.
#include "storage/api_key_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <stdexcept>

#include "storage/open_store.hpp"

namespace moai::storage {
namespace {

class memory_api_key_store final : public api_key_store {
 public:
  const char* kind() const override { return "memory"; }
  bool persistent() const override { return false; }

  void insert(const api_key_record& key) override {
    for (const auto& k : keys_) {
      if (k.id == key.id || k.secret_hash == key.secret_hash) throw std::runtime_error("key id already taken");
    }
    keys_.push_back(key);
  }
  std::vector<api_key_record> list() override { return keys_; }
  bool revoke(const std::string& id, std::int64_t at_ms) override {
    for (auto& k : keys_) {
      if (k.id == id && !k.revoked_at_ms) {
        k.revoked_at_ms = at_ms;
        return true;
      }
    }
    return false;
  }
  void add_stored_bytes(const std::map<std::string, std::uint64_t>& bytes_by_id) override {
    for (auto& k : keys_) {
      auto it = bytes_by_id.find(k.id);
      if (it != bytes_by_id.end()) k.stored_bytes += it->second;
    }
  }

 private:
  std::vector<api_key_record> keys_;
};

// Its own connection to the database file, beside the covalue store's: the server reads
// keys from a thread of its own. cojson's schema version (user_version) is not touched.
class sqlite_api_key_store final : public api_key_store {
 public:
  explicit sqlite_api_key_store(const std::string& path)
      : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {
    db_.setBusyTimeout(5000);
    db_.exec(
        "CREATE TABLE IF NOT EXISTS moai_api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', "
        "secret_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER, "
        "max_connections INTEGER NOT NULL DEFAULT 0, tx_per_second INTEGER NOT NULL DEFAULT 0, "
        "max_stored_bytes INTEGER NOT NULL DEFAULT 0, stored_bytes INTEGER NOT NULL DEFAULT 0)");
  }

  const char* kind() const override { return "sqlite"; }
  bool persistent() const override { return true; }

  void insert(const api_key_record& key) override {
    SQLite::Statement q(db_,
                        "INSERT INTO moai_api_keys (id, name, secret_hash, created_at, max_connections, "
                        "tx_per_second, max_stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, key.id);
    q.bind(2, key.name);
    q.bind(3, key.secret_hash);
    q.bind(4, static_cast<std::int64_t>(key.created_at_ms));
    q.bind(5, static_cast<std::int64_t>(key.limits.max_connections));
    q.bind(6, static_cast<std::int64_t>(key.limits.tx_per_second));
    q.bind(7, static_cast<std::int64_t>(key.limits.max_stored_bytes));
    q.exec();
  }

  std::vector<api_key_record> list() override {
    SQLite::Statement q(db_,
                        "SELECT id, name, secret_hash, created_at, revoked_at, max_connections, tx_per_second, "
                        "max_stored_bytes, stored_bytes FROM moai_api_keys ORDER BY created_at, id");
    std::vector<api_key_record> out;
    while (q.executeStep()) {
      api_key_record k;
      k.id = q.getColumn(0).getString();
      k.name = q.getColumn(1).getString();
      k.secret_hash = q.getColumn(2).getString();
      k.created_at_ms = q.getColumn(3).getInt64();
      if (!q.getColumn(4).isNull()) k.revoked_at_ms = q.getColumn(4).getInt64();
      k.limits.max_connections = static_cast<std::uint32_t>(q.getColumn(5).getInt64());
      k.limits.tx_per_second = static_cast<std::uint32_t>(q.getColumn(6).getInt64());
      k.limits.max_stored_bytes = static_cast<std::uint64_t>(q.getColumn(7).getInt64());
      k.stored_bytes = static_cast<std::uint64_t>(q.getColumn(8).getInt64());
      out.push_back(std::move(k));
    }
    return out;
  }

  bool revoke(const std::string& id, std::int64_t at_ms) override {
    SQLite::Statement q(db_, "UPDATE moai_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    q.bind(1, static_cast<std::int64_t>(at_ms));
    q.bind(2, id);
    return q.exec() > 0;
  }

  void add_stored_bytes(const std::map<std::string, std::uint64_t>& bytes_by_id) override {
    if (bytes_by_id.empty()) return;
    SQLite::Transaction tx(db_);
    SQLite::Statement q(db_, "UPDATE moai_api_keys SET stored_bytes = stored_bytes + ? WHERE id = ?");
    for (const auto& [id, bytes] : bytes_by_id) {
      q.reset();
      q.bind(1, static_cast<std::int64_t>(bytes));
      q.bind(2, id);
      q.exec();
    }
    tx.commit();
  }

 private:
  SQLite::Database db_;
};

}  // namespace

std::unique_ptr<api_key_store> open_memory_api_key_store() {
  return std::make_unique<memory_api_key_store>();
}

std::unique_ptr<api_key_store> open_sqlite_api_key_store(const std::string& path) {
  try {
    return std::make_unique<sqlite_api_key_store>(path);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error("cannot open the key table in SQLite database " + path + ": " + e.what());
  }
}

std::unique_ptr<api_key_store> open_api_key_store(const config& cfg) {
  if (cfg.storage == "memory") return open_memory_api_key_store();
  if (cfg.storage == "postgres") return open_postgres_api_key_store(cfg.postgres_url);
  if (is_pglite_directory(cfg.db_path)) {
    throw std::runtime_error("DB_PATH " + cfg.db_path + " is a PGlite data directory; moai keeps its keys in its "
                             "SQLite file (see README, Replacing the JavaScript moai)");
  }
  return open_sqlite_api_key_store(cfg.db_path);
}

}  // namespace moai::storage
