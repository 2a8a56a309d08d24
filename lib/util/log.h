// Minimal structured logging to stderr in logfmt, like Tempo's default
// (`level=info ts=... msg="..." key=value`). Thread-safe; one line per call.
//
//   ANDANTE_LOG(kInfo, "block flushed", {{"tenant", t}, {"bytes", n}});
#ifndef ANDANTE_UTIL_LOG_H_
#define ANDANTE_UTIL_LOG_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

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

}  // namespace andante::internal

#define ANDANTE_LOG(level, ...)                                           \
  do {                                                                    \
    if (::andante::internal::LogEnabled(::andante::internal::LogLevel::level)) \
      ::andante::internal::LogLine(::andante::internal::LogLevel::level,  \
                                   __VA_ARGS__);                          \
  } while (0)

#endif  // ANDANTE_UTIL_LOG_H_
