#include "ingest/release_memory.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>

// Under AddressSanitizer its own allocator serves malloc: glibc's arenas hold
// nothing to trim, and malloc_trim racing a thread's exit there trips
// glibc's "a->attached_threads > 0" assertion (seen in the clang suite).
#if defined(__SANITIZE_ADDRESS__)
#define ANDANTE_MALLOC_IS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANDANTE_MALLOC_IS_ASAN 1
#endif
#endif

namespace andante::internal {
namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

Mallctl FindMallctl() {
  static const Mallctl mallctl =
      reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"));
  return mallctl;
}

}  // namespace

void ReleaseFreeMemory() {
  if (const Mallctl mallctl = FindMallctl(); mallctl != nullptr) {
    // 4096 is MALLCTL_ARENAS_ALL.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
#if defined(__GLIBC__) && !defined(ANDANTE_MALLOC_IS_ASAN)
  ::malloc_trim(0);
#endif
}

}  // namespace andante::internal
