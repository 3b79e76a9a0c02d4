// The API keys of /sync (README, Access control), kept in the server's own database in
// a table of moai's own, `moai_api_keys`, beside cojson's tables (which it leaves
// alone): one row per key with the SHA-256 of its text (never the text), its limits,
// and the bytes its connections brought in. `moai keys` writes the table; servers read
// it every few seconds and add their counts of stored bytes to it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace moai::storage {

// 0 means unlimited, for each of them.
struct api_key_limits {
  std::uint32_t max_connections = 0;
  std::uint32_t tx_per_second = 0;
  std::uint64_t max_stored_bytes = 0;
};

struct api_key_record {
  std::string id;           // "3f9a2c1d", the key's public name
  std::string name;         // the operator's label
  std::string secret_hash;  // protocol::api_key_hash of the key's text
  std::int64_t created_at_ms = 0;                // Unix time
  std::optional<std::int64_t> revoked_at_ms;     // set once revoked
  api_key_limits limits;
  std::uint64_t stored_bytes = 0;  // bytes of transactions its connections sent
};

class api_key_store {
 public:
  virtual ~api_key_store() = default;
  virtual const char* kind() const = 0;
  // False for the memory store: keys there live and die with one process.
  virtual bool persistent() const = 0;
  // Throws std::runtime_error when the id or the hash is taken, or the database fails.
  virtual void insert(const api_key_record& key) = 0;
  // Every key, revoked ones included, in order of creation.
  virtual std::vector<api_key_record> list() = 0;
  // False when no such key, or it was already revoked.
  virtual bool revoke(const std::string& id, std::int64_t at_ms) = 0;
  // Adds bytes to keys' stored_bytes (id → bytes), in one transaction.
  virtual void add_stored_bytes(const std::map<std::string, std::uint64_t>& bytes_by_id) = 0;
};

// The key table of the store the configuration names (storage.kind), created when
// missing. Throws std::runtime_error when the database cannot be opened.
std::unique_ptr<api_key_store> open_api_key_store(const config& cfg);

std::unique_ptr<api_key_store> open_memory_api_key_store();
std::unique_ptr<api_key_store> open_sqlite_api_key_store(const std::string& path);
std::unique_ptr<api_key_store> open_postgres_api_key_store(const std::string& url);

}  // namespace moai::storage
