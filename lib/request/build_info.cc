// CurrentBuildInfo (include/andante/request.h), from the defines
// lib/request/meson.build passes.
#include "andante/request.h"

#ifndef ANDANTE_VERSION
#define ANDANTE_VERSION "unknown"
#endif
#ifndef ANDANTE_REVISION
#define ANDANTE_REVISION ""
#endif
#ifndef ANDANTE_BRANCH
#define ANDANTE_BRANCH ""
#endif

namespace andante {

BuildInfo CurrentBuildInfo() {
  BuildInfo b;
  b.version = ANDANTE_VERSION;
  b.revision = ANDANTE_REVISION;
  b.branch = ANDANTE_BRANCH;
  return b;
}

}  // namespace andante
