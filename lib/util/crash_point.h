// TEST HOOK: named points where a test can make the process die as under
// kill -9, to check what survives a crash at exactly that step.
//
//   ANDANTE_TEST_CRASH_POINT=block.after_meta ./andante -config.file=...
//   ANDANTE_TEST_CRASH_POINT=push.after_wal_append@3 ...  (the 3rd time)
//
//   CrashPoint("block.after_meta");  // SIGKILLs the process if named above
//
// A CrashPointScope names the job a thread is doing, so a step shared by
// several jobs can be aimed at in one of them: inside
// `CrashPointScope scope("compaction");`, CrashPoint("block.before_meta")
// also answers to "compaction.block.before_meta".
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

// The calling thread's scope ("" if none); see CrashPointScope.
inline thread_local std::string_view crash_point_scope;

class CrashPointScope {
 public:
  explicit CrashPointScope(std::string_view scope)
      : saved_(crash_point_scope) {
    crash_point_scope = scope;
  }
  ~CrashPointScope() { crash_point_scope = saved_; }
  CrashPointScope(const CrashPointScope&) = delete;
  CrashPointScope& operator=(const CrashPointScope&) = delete;

 private:
  const std::string_view saved_;
};

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
  const std::string_view scope = crash_point_scope;
  const bool scoped = !scope.empty() &&
                      spec.size() == scope.size() + 1 + name.size() &&
                      spec.substr(0, scope.size()) == scope &&
                      spec[scope.size()] == '.' &&
                      spec.substr(scope.size() + 1) == name;
  if (name != spec && !scoped) return;
  static std::atomic<int64_t> hits{0};
  if (hits.fetch_add(1) + 1 == nth) std::raise(SIGKILL);
}

}  // namespace andante::internal

#endif  // ANDANTE_UTIL_CRASH_POINT_H_
