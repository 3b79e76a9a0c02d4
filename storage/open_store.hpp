// The store the configuration names (storage.kind): the one place that maps config to
// a storage implementation, for the server and for `moai agent` account setup.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "storage/covalue_store.hpp"

namespace moai::storage {

// A PGlite data directory (what the JavaScript moai keeps at DB_PATH).
bool is_pglite_directory(const std::string& path);

// Throws std::runtime_error if the database cannot be opened (or DB_PATH holds a PGlite
// directory, which moai never writes over).
std::unique_ptr<covalue_store> open_configured_store(const config& cfg, store_access access = store_access::serve);

}  // namespace moai::storage
