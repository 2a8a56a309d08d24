// StrCat over std::string_view arguments (Debian's abseil has its own
// absl::string_view; see util/strings.h).
#ifndef ANDANTE_LIB_TRACEQL_STRCAT_H_
#define ANDANTE_LIB_TRACEQL_STRCAT_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "util/strings.h"

namespace andante::traceql::internal {

template <typename T>
const T& AdaptArg(const T& v) {
  return v;
}
inline absl::string_view AdaptArg(std::string_view v) {
  return andante::internal::ToAbsl(v);
}

template <typename... T>
std::string Cat(const T&... args) {
  return absl::StrCat(AdaptArg(args)...);
}

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_STRCAT_H_
