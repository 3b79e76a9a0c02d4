#include "storage/open_store.hpp"

namespace moai::storage {

std::unique_ptr<covalue_store> open_configured_store(const config& cfg) {
  if (cfg.storage == "memory") return open_memory_store();
  if (cfg.storage == "postgres") return open_postgres_store(cfg.postgres_url);
  return open_sqlite_store(cfg.db_path, cfg.sqlite_synchronous);
}

}  // namespace moai::storage
