// TEST HOOK: named points where a test can make the process die as under
// kill -9, to check what survives a crash at exactly that step.
//
//   ANDANTE_TEST_CRASH_POINT=block.after_meta ./andante -config.file=...
//   ANDANTE_TEST_CRASH_POINT=push.after_wal_append@3 ...  (the 3rd time)
//
//   CrashPoint("block.after_meta");  // SIGKILLs the process if named above
//
// Used only by tests/integration/hardening.test.mjs (the crash matrix). With
// the variable unset — always, in production — a CrashPoint costs one
// predictable branch. The points are listed in docs/ingest-pipeline.md.
#ifndef ANDANTE_UTIL_CRASH_POINT_H_
#define ANDANTE_UTIL_CRASH_POINT_H_

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace andante::internal {

inline void CrashPoint(std::string_view name) {
  static const char* const armed = std::getenv("ANDANTE_TEST_CRASH_POINT");
  if (armed == nullptr) return;
  std::string_view spec = armed;
  int64_t nth = 1;
  if (size_t at = spec.find('@'); at != std::string_view::npos) {
    nth = 0;
    for (char c : spec.substr(at + 1)) {
      if (c < '0' || c > '9') break;
      nth = nth * 10 + (c - '0');
    }
    spec = spec.substr(0, at);
  }
  if (name != spec) return;
  static std::atomic<int64_t> hits{0};
  if (hits.fetch_add(1) + 1 == nth) std::raise(SIGKILL);
}

}  // namespace andante::internal

#endif  // ANDANTE_UTIL_CRASH_POINT_H_
