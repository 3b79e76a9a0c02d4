// The key table in PostgreSQL: moai_api_keys beside the original moai's tables (which
// it leaves alone, and which schema_version does not record). One connection of its
// own, reset when it breaks.
#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "storage/api_key_store.hpp"

namespace moai::storage {
namespace {

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result = std::unique_ptr<PGresult, result_deleter>;

class postgres_api_key_store final : public api_key_store {
 public:
  explicit postgres_api_key_store(const std::string& url) {
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"10", "moai-keys", url.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
      while (!message.empty() && message.back() == '\n') message.pop_back();
      PQfinish(conn_);
      throw std::runtime_error("cannot connect to PostgreSQL: " + message);
    }
    run("SET client_min_messages = warning", {});
    // Under the schema's migration lock, so nodes that start together create it once.
    run("BEGIN", {});
    run("SELECT pg_advisory_xact_lock(hashtext('moai-migrate:' || current_schema()))", {});
    run("CREATE TABLE IF NOT EXISTS moai_api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', "
        "secret_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, revoked_at BIGINT, "
        "max_connections BIGINT NOT NULL DEFAULT 0, tx_per_second BIGINT NOT NULL DEFAULT 0, "
        "max_stored_bytes BIGINT NOT NULL DEFAULT 0, stored_bytes BIGINT NOT NULL DEFAULT 0)",
        {});
    run("COMMIT", {});
  }
  ~postgres_api_key_store() override { PQfinish(conn_); }

  const char* kind() const override { return "postgres"; }
  bool persistent() const override { return true; }

  void insert(const api_key_record& key) override {
    run("INSERT INTO moai_api_keys (id, name, secret_hash, created_at, max_connections, tx_per_second, "
        "max_stored_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {key.id, key.name, key.secret_hash, std::to_string(key.created_at_ms),
         std::to_string(key.limits.max_connections), std::to_string(key.limits.tx_per_second),
         std::to_string(key.limits.max_stored_bytes)});
  }

  std::vector<api_key_record> list() override {
    auto r = run("SELECT id, name, secret_hash, created_at, revoked_at, max_connections, tx_per_second, "
                 "max_stored_bytes, stored_bytes FROM moai_api_keys ORDER BY created_at, id",
                 {});
    std::vector<api_key_record> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto text = [&](int column) { return std::string(PQgetvalue(r.get(), i, column)); };
      api_key_record k;
      k.id = text(0);
      k.name = text(1);
      k.secret_hash = text(2);
      k.created_at_ms = std::stoll(text(3));
      if (!PQgetisnull(r.get(), i, 4)) k.revoked_at_ms = std::stoll(text(4));
      k.limits.max_connections = static_cast<std::uint32_t>(std::stoull(text(5)));
      k.limits.tx_per_second = static_cast<std::uint32_t>(std::stoull(text(6)));
      k.limits.max_stored_bytes = std::stoull(text(7));
      k.stored_bytes = std::stoull(text(8));
      out.push_back(std::move(k));
    }
    return out;
  }

  bool revoke(const std::string& id, std::int64_t at_ms) override {
    auto r = run("UPDATE moai_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                 {id, std::to_string(at_ms)});
    return std::string(PQcmdTuples(r.get())) != "0";
  }

  void add_stored_bytes(const std::map<std::string, std::uint64_t>& bytes_by_id) override {
    if (bytes_by_id.empty()) return;
    run("BEGIN", {});
    try {
      for (const auto& [id, bytes] : bytes_by_id) {
        run("UPDATE moai_api_keys SET stored_bytes = stored_bytes + $2 WHERE id = $1", {id, std::to_string(bytes)});
      }
      run("COMMIT", {});
    } catch (...) {
      result(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }

 private:
  result run(const char* sql, const std::vector<std::string>& params) {
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    result r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string message = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      throw std::runtime_error("PostgreSQL (keys): " + message);
    }
    return r;
  }

  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<api_key_store> open_postgres_api_key_store(const std::string& url) {
  return std::make_unique<postgres_api_key_store>(url);
}

}  // namespace moai::storage
