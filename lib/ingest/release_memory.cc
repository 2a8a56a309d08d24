#include "ingest/release_memory.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>

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
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

}  // namespace andante::internal
