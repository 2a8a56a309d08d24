// Minimal structured logging to stderr in logfmt, like Tempo's default
// (`level=info ts=... msg="..." key=value`). Thread-safe; one line per call.
//
//   ANDANTE_LOG(kInfo, "block flushed", {{"tenant", t}, {"bytes", n}});
#ifndef ANDANTE_UTIL_LOG_H_
#define ANDANTE_UTIL_LOG_H_

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace andante::internal {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are discarded. Default kInfo.
void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn", "error"; false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);
bool LogEnabled(LogLevel level);

using LogField = std::pair<std::string_view, std::string>;
void LogLine(LogLevel level, std::string_view msg,
             std::initializer_list<LogField> fields = {});

// Lets one log line through per interval and counts the calls it held back,
// for warnings a client can trigger at packet rate (a refused UDP datagram).
// Thread-safe.
//
//   LogThrottle throttle_{absl::Seconds(10)};
//   uint64_t suppressed;
//   if (throttle_.Allow(&suppressed)) {
//     ANDANTE_LOG(kWarn, "...", {{"suppressed", std::to_string(suppressed)}});
//   }
class LogThrottle {
 public:
  explicit LogThrottle(absl::Duration interval)
      : interval_ns_(absl::ToInt64Nanoseconds(interval)) {}
  // True for the first call of each interval; `*suppressed` is then the
  // number of calls refused since the last one allowed.
  bool Allow(uint64_t* suppressed);

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> next_ns_{INT64_MIN};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace andante::internal

#define ANDANTE_LOG(level, ...)                                           \
  do {                                                                    \
    if (::andante::internal::LogEnabled(::andante::internal::LogLevel::level)) \
      ::andante::internal::LogLine(::andante::internal::LogLevel::level,  \
                                   __VA_ARGS__);                          \
  } while (0)

#endif  // ANDANTE_UTIL_LOG_H_
