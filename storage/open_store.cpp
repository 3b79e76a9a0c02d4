#include "storage/open_store.hpp"

#include <filesystem>
#include <stdexcept>

namespace moai::storage {

bool is_pglite_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) && std::filesystem::exists(std::filesystem::path(path) / "PG_VERSION", ec);
}

std::unique_ptr<covalue_store> open_configured_store(const config& cfg, store_access access) {
  if (cfg.storage == "memory") return open_memory_store();
  if (cfg.storage == "postgres") return open_postgres_store(cfg.postgres_url, access);
  // The JavaScript moai keeps a PGlite data directory at DB_PATH: never write over it.
  if (is_pglite_directory(cfg.db_path)) {
    throw std::runtime_error("DB_PATH " + cfg.db_path +
                             " is a PGlite data directory (the JavaScript moai's store); moai keeps its data in a "
                             "SQLite file and leaves this directory untouched. Copy its CoValues into a moai store "
                             "with `scripts/migrate-pglite " + cfg.db_path + " <new file>`, then point DB_PATH at "
                             "the new file (see README, Replacing the JavaScript moai)");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(cfg.db_path, ec)) {
    throw std::runtime_error("DB_PATH " + cfg.db_path + " is a directory; moai's SQLite store needs a file path");
  }
  return open_sqlite_store(cfg.db_path, cfg.sqlite_synchronous, access,
                           access == store_access::serve && cfg.check_on_start);
}

}  // namespace moai::storage
