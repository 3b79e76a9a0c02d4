/* Fault injection for ops/storage_read_failure.mjs, loaded with LD_PRELOAD: while the
 * file named by MOAI_FAIL_READS_FLAG exists, every pread64 fails with EIO, as a failing
 * disk would make SQLite's reads fail. Nothing else changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pread64_fn)(int, void*, size_t, off_t);

ssize_t pread64(int fd, void* buf, size_t count, off_t offset) {
  static pread64_fn real = NULL;
  if (!real) real = (pread64_fn)dlsym(RTLD_NEXT, "pread64");
  const char* flag = getenv("MOAI_FAIL_READS_FLAG");
  if (flag && access(flag, F_OK) == 0) {
    errno = EIO;
    return -1;
  }
  return real(fd, buf, count, offset);
}
