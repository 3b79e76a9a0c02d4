/* Counts a process's heap allocations, loaded with LD_PRELOAD (lib/allocations.mjs):
 * every malloc, calloc, realloc and aligned allocation (C++'s operator new comes through
 * malloc) adds to counters in the file named by MOAI_ALLOC_COUNTS, mapped shared, so the
 * benchmark reads them while the server runs. The allocations themselves are glibc's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);

struct counts {
  uint64_t allocations;
  uint64_t bytes;
};

static struct counts before_start;  /* allocations before the file is mapped */
static struct counts* counts = &before_start;

__attribute__((constructor)) static void map_counts(void) {
  const char* path = getenv("MOAI_ALLOC_COUNTS");
  if (!path) return;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, sizeof(struct counts)) != 0) return;
  void* mapped = mmap(NULL, sizeof(struct counts), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (mapped != MAP_FAILED) counts = mapped;
}

static void count(size_t bytes) {
  __atomic_fetch_add(&counts->allocations, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&counts->bytes, bytes, __ATOMIC_RELAXED);
}

void* malloc(size_t size) {
  count(size);
  return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) {
  count(size);
  return __libc_realloc(p, size);
}

void* memalign(size_t alignment, size_t size) {
  count(size);
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  return memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  void* p = memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
