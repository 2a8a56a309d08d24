// HttpRequest's accessors (include/andante/request.h).
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "andante/request.h"
#include "util/strings.h"

namespace andante {
namespace {

using internal::ToAbsl;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape, lenient: a malformed escape is kept literally.
std::string QueryUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 &&
               HexDigit(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(
    std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(k), ToAbsl(name))) return v;
  }
  return std::nullopt;
}

int HttpRequest::HeaderCount(std::string_view name) const {
  int n = 0;
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(k), ToAbsl(name))) ++n;
  }
  return n;
}

std::optional<std::string> HttpRequest::QueryParam(
    std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (QueryUnescape(key) == name) return QueryUnescape(value);
  }
  return std::nullopt;
}

}  // namespace andante
