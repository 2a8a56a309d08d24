// Debian 12's abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so
// absl::string_view is its own type and does not convert from
// std::string_view. Andante's interfaces use std::string_view; these adapters
// are the one place the two meet.
#ifndef ANDANTE_UTIL_STRINGS_H_
#define ANDANTE_UTIL_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace andante::internal {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace andante::internal

#endif  // ANDANTE_UTIL_STRINGS_H_
