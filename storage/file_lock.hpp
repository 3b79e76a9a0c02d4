// Who has a SQLite database open, across processes: a flock(2) on the file, shared by
// servers and readers, exclusive for commands that change rows under a server's feet
// (check --repair, import, restore). flock locks are apart from SQLite's own POSIX
// locks, but closing any descriptor of the file drops those of the whole process: hold
// the lock for as long as the process has a SQLite connection to the file open.
#pragma once

#include <string>

#include "storage/covalue_store.hpp"

namespace moai::storage {

class file_lock {
 public:
  // Throws std::runtime_error when the file cannot be opened (read_only: when it does
  // not exist; otherwise it is created) or the lock is held the other way.
  file_lock(const std::string& path, store_access access);
  ~file_lock();
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace moai::storage
