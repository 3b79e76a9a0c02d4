// moai keys create|list|revoke: the API keys of /sync in the configured store's key table
// (storage/api_key_store.hpp). A running server picks changes up within
// access.key_refresh_ms.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <string>

#include "actors/operations/command_line.hpp"
#include "actors/operations/operation_commands.hpp"
#include "protocol/access/api_key.hpp"
#include "protocol/crypto/crypto.hpp"
#include "storage/api_key_store.hpp"

namespace moai::actors {
namespace {

constexpr const char* kUsage =
    "moai: usage: moai keys create [--name NAME] [--max-connections N] [--tx-per-second N] "
    "[--max-stored-bytes N] [flags]\n"
    "             moai keys list [flags]\n"
    "             moai keys revoke ID [flags]\n";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::string limit_text(std::uint64_t n) {
  return n == 0 ? "unlimited" : std::to_string(n);
}

// A limit option: absent is 0 (unlimited); false (and `why`) when it is not a number.
template <typename T>
bool limit_option(const command_args& args, const char* name, T& out, std::string& why) {
  auto it = args.values.find(name);
  if (it == args.values.end()) return true;
  const auto& v = it->second;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty() || n > std::numeric_limits<T>::max()) {
    why = std::string(name) + " needs a non-negative integer (0 = unlimited), got \"" + v + "\"";
    return false;
  }
  out = static_cast<T>(n);
  return true;
}

int create(storage::api_key_store& store, const command_args& args) {
  storage::api_key_record record;
  std::string why;
  if (!limit_option(args, "--max-connections", record.limits.max_connections, why) ||
      !limit_option(args, "--tx-per-second", record.limits.tx_per_second, why) ||
      !limit_option(args, "--max-stored-bytes", record.limits.max_stored_bytes, why)) {
    std::fprintf(stderr, "moai keys create: %s\n", why.c_str());
    return 2;
  }
  if (auto it = args.values.find("--name"); it != args.values.end()) record.name = it->second;
  const auto key = protocol::generate_api_key();
  record.id = key.id;
  record.secret_hash = protocol::api_key_hash(key.text);
  record.created_at_ms = now_ms();
  store.insert(record);
  // The key alone on stdout (KEY=$(moai keys create)); what was made on stderr.
  std::printf("%s\n", key.text.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "moai keys create: key %s \"%s\" in %s (connections %s, transactions/s %s, stored bytes %s); "
               "it is shown only this once. Clients add ?key=<key> to the sync URL.\n",
               record.id.c_str(), record.name.c_str(), store_description(args.cfg).c_str(),
               limit_text(record.limits.max_connections).c_str(), limit_text(record.limits.tx_per_second).c_str(),
               limit_text(record.limits.max_stored_bytes).c_str());
  return 0;
}

int list(storage::api_key_store& store, const command_args& args) {
  const auto keys = store.list();
  std::printf("%-8s  %-20s  %-20s  %-20s  %9s  %9s  %16s  %16s\n", "ID", "NAME", "CREATED", "REVOKED",
              "MAX_CONN", "TX/S", "MAX_STORED_BYTES", "STORED_BYTES");
  std::size_t active = 0;
  for (const auto& k : keys) {
    if (!k.revoked_at_ms) active++;
    std::printf("%-8s  %-20s  %-20s  %-20s  %9s  %9s  %16s  %16llu\n", k.id.c_str(), k.name.c_str(),
                utc(k.created_at_ms).c_str(), k.revoked_at_ms ? utc(*k.revoked_at_ms).c_str() : "-",
                limit_text(k.limits.max_connections).c_str(), limit_text(k.limits.tx_per_second).c_str(),
                limit_text(k.limits.max_stored_bytes).c_str(), static_cast<unsigned long long>(k.stored_bytes));
  }
  std::printf("%zu keys (%zu active) in %s\n", keys.size(), active, store_description(args.cfg).c_str());
  return 0;
}

int revoke(storage::api_key_store& store, const command_args& args) {
  if (args.positional.size() != 2) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const auto& id = args.positional[1];
  if (!store.revoke(id, now_ms())) {
    std::fprintf(stderr, "moai keys revoke: no key %s that is not revoked already (see moai keys list)\n", id.c_str());
    return 1;
  }
  std::printf("revoked key %s; running servers refuse it and close its connections (4401) within "
              "access.key_refresh_ms (%u ms)\n",
              id.c_str(), args.cfg.key_refresh_ms);
  return 0;
}

}  // namespace

int run_keys(const command_args& args) {
  const std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (sub != "create" && sub != "list" && sub != "revoke") {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  if (sub != "revoke" && args.positional.size() != 1) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  if (args.cfg.storage == "memory") {
    std::fprintf(stderr,
                 "moai keys: storage.kind = memory keeps no key table, so there is nothing to manage; API keys live "
                 "in sqlite or postgres storage\n");
    return 2;
  }
  // Listing or revoking reads a database that exists; only `create` may start a new one
  // (a typo in DB_PATH would otherwise leave an empty database behind).
  std::error_code ec;
  if (sub != "create" && args.cfg.storage == "sqlite" && !std::filesystem::exists(args.cfg.db_path, ec)) {
    std::fprintf(stderr, "moai keys %s: no database at %s (DB_PATH)\n", sub.c_str(), args.cfg.db_path.c_str());
    return 2;
  }
  protocol::crypto_init();
  std::unique_ptr<storage::api_key_store> store;
  try {
    store = storage::open_api_key_store(args.cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moai keys: %s\n", e.what());
    return 2;
  }
  try {
    if (sub == "create") return create(*store, args);
    if (sub == "list") return list(*store, args);
    return revoke(*store, args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moai keys %s: %s\n", sub.c_str(), e.what());
    return 1;
  }
}

}  // namespace moai::actors
