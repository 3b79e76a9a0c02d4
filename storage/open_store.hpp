// The store the configuration names (storage.kind): the one place that maps config to
// a storage implementation, for the server and for `moai agent` account setup.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "storage/covalue_store.hpp"

namespace moai::storage {

// Throws std::runtime_error if the database cannot be opened.
std::unique_ptr<covalue_store> open_configured_store(const config& cfg);

}  // namespace moai::storage
