#include "util/go_yaml_scalars.h"

#include <charconv>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"

namespace andante::internal {

// go-yaml v2 booleans (YAML 1.1).
std::optional<bool> ParseYamlBool(std::string_view s) {
  static const char* const kTrue[] = {
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const char* const kFalse[] = {"n",   "N",     "no",    "No",
                                       "NO",  "false", "False", "FALSE",
                                       "off", "Off",   "OFF"};
  for (const char* t : kTrue) {
    if (s == t) return true;
  }
  for (const char* f : kFalse) {
    if (s == f) return false;
  }
  return std::nullopt;
}

std::optional<YamlInt> ParseYamlInt(std::string_view in) {
  std::string s;
  for (char c : in) {
    if (c != '_') s += c;
  }
  std::string_view v = s;
  YamlInt r;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    r.negative = v[0] == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16;
    v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
    base = 8;
    v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B')) {
    base = 2;
    v.remove_prefix(2);
  } else if (v.size() > 1 && v[0] == '0') {
    base = 8;
    v.remove_prefix(1);
  }
  if (v.empty()) return std::nullopt;
  auto [p, ec] =
      std::from_chars(v.data(), v.data() + v.size(), r.magnitude, base);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return r;
}

namespace {

// One float after the underscores are gone.
std::optional<double> ParsePlainFloat(std::string_view in) {
  static const char* const kInf[] = {".inf", ".Inf", ".INF"};
  std::string_view s = in;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  for (const char* inf : kInf) {
    if (s == inf) {
      return neg ? -std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::infinity();
    }
  }
  if (in == ".nan" || in == ".NaN" || in == ".NAN") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  size_t i = 0;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  } else if (int_digits == 0) {
    return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t e = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++e;
    if (e == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(in.data() + (in.size() - s.size()),
                                 in.data() + in.size(), d);
  if (ec != std::errc() || p != in.data() + in.size()) return std::nullopt;
  return neg ? -d : d;
}

}  // namespace

// go-yaml v2 drops '_' from a plain scalar before it tries an int and a
// float alike.
std::optional<double> ParseYamlFloat(std::string_view in) {
  std::string s;
  for (char c : in) {
    if (c != '_') s += c;
  }
  return ParsePlainFloat(s);
}

}  // namespace andante::internal
