// moai backup and moai restore for SQLite storage (PostgreSQL has pg_dump and
// pg_restore; see the README). SQLite's online backup API copies every page in one
// step, that is inside one read transaction of the source: the copy is one committed
// state of the database, and a server writing to it goes on meanwhile (WAL: a reader
// and the writer do not wait for each other). Everything committed before the backup
// began is in the copy, so everything acknowledged before then is.
#pragma once

#include <cstdint>
#include <string>

#include "storage/covalue_store.hpp"

namespace moai::storage {

struct sqlite_copy_report {
  std::uint64_t pages = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;      // the copy itself (the read transaction)
  store_stats rows;        // what the copy holds
  std::string integrity;   // PRAGMA quick_check of the copy: "ok"
};

// Copies the database at `source` into the new file `dest` (refused when it exists). The
// copy is written beside `dest` under a temporary name, checked, then renamed: `dest` is
// whole or absent. It is a single file (rollback journal, not WAL). Throws
// std::runtime_error on failure.
sqlite_copy_report backup_sqlite(const std::string& source, const std::string& dest);

// Brings `backup` (checked first: quick_check, cojson's tables) back as the database at
// `dest`, which must not be open in a server (file_lock). A `dest` that holds CoValues is
// replaced only with `replace`. Throws std::runtime_error on failure.
sqlite_copy_report restore_sqlite(const std::string& backup, const std::string& dest, bool replace);

}  // namespace moai::storage
