#include "storage/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace moai::storage {

file_lock::file_lock(const std::string& path, store_access access) {
  const int flags = (access == store_access::read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC;
  fd_ = ::open(path.c_str(), flags, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open SQLite database " + path + ": " + std::strerror(errno));
  if (::flock(fd_, (access == store_access::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    ::close(fd_);
    throw std::runtime_error(
        access == store_access::exclusive
            ? "the database " + path + " is open in another moai process (a running server?); stop it first"
            : "the database " + path + " is held by a moai command that changes it (check --repair, import, restore)");
  }
}

file_lock::~file_lock() {
  ::close(fd_);
}

}  // namespace moai::storage
