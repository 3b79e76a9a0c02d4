#include "actors/configured_store.hpp"

namespace moai::actors {

std::unique_ptr<storage::covalue_store> open_configured_store(const config& cfg) {
  if (cfg.storage == "memory") return storage::open_memory_store();
  if (cfg.storage == "postgres") return storage::open_postgres_store(cfg.postgres_url);
  return storage::open_sqlite_store(cfg.db_path, cfg.sqlite_synchronous);
}

}  // namespace moai::actors
