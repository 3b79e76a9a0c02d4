// A schema version and the statements that reach it from the one before: cojson's
// SQLite migrations (sqlite_store) and the JavaScript moai's PostgreSQL port of them
// (postgres_store) are lists of these, applied in order above the recorded version.
#pragma once

#include <vector>

namespace moai::storage {

struct migration {
  int version;
  std::vector<const char*> statements;
};

}  // namespace moai::storage
