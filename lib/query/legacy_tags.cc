// Tempo's pre-TraceQL search (`tags=` logfmt, minDuration, maxDuration)
// expressed as TraceQL.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "andante/search.h"
#include "re2/re2.h"
#include "util/strings.h"

namespace andante {
namespace {

absl::Status TagsError(absl::string_view msg, size_t pos) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid tags: ", msg, " at pos ", pos));
}

// One logfmt token (a bare word or a double-quoted string) at *pos.
absl::Status Token(std::string_view s, size_t* pos, std::string* out) {
  out->clear();
  if (*pos < s.size() && s[*pos] == '"') {
    ++*pos;
    while (*pos < s.size() && s[*pos] != '"') {
      char c = s[*pos];
      if (c == '\\' && *pos + 1 < s.size()) {
        ++*pos;
        c = s[*pos];
        if (c == 'n') c = '\n';
        if (c == 't') c = '\t';
      }
      out->push_back(c);
      ++*pos;
    }
    if (*pos >= s.size()) return TagsError("unterminated quoted value", *pos);
    ++*pos;
    return absl::OkStatus();
  }
  while (*pos < s.size() && s[*pos] != ' ' && s[*pos] != '=' &&
         s[*pos] != '"' && s[*pos] != '\t') {
    out->push_back(s[*pos]);
    ++*pos;
  }
  return absl::OkStatus();
}

// A TraceQL string literal holding `text`.
std::string Literal(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Case-insensitive substring match of `value`.
std::string Contains(std::string_view value) {
  return Literal(absl::StrCat(
      "(?i).*", RE2::QuoteMeta(re2::StringPiece(value.data(), value.size())),
      ".*"));
}

}  // namespace

absl::StatusOr<std::string> LegacyTagsToTraceQL(std::string_view tags,
                                                uint32_t min_duration_ms,
                                                uint32_t max_duration_ms) {
  std::vector<std::string> filters;
  absl::flat_hash_set<std::string> keys;
  size_t pos = 0;
  std::string key, value;
  while (true) {
    while (pos < tags.size() && (tags[pos] == ' ' || tags[pos] == '\t')) ++pos;
    if (pos >= tags.size()) break;
    size_t key_pos = pos;
    absl::Status s = Token(tags, &pos, &key);
    if (!s.ok()) return s;
    if (key.empty()) return TagsError("unexpected character", key_pos);
    if (pos >= tags.size() || tags[pos] != '=') {
      return TagsError("expected '=' after key", pos);
    }
    ++pos;
    s = Token(tags, &pos, &value);
    if (!s.ok()) return s;
    if (!keys.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid tags: tag ", key, " has been set twice"));
    }
    std::string lower = absl::AsciiStrToLower(value);
    std::string f;
    if (key == "status.code") {
      if (lower == "error" || lower == "ok" || lower == "unset") {
        f = absl::StrCat("status = ", lower);
      } else {
        f = "false";
      }
    } else if (key == "error") {
      f = lower == "true" ? "status = error" : "status != error";
    } else if (key == "name") {
      f = absl::StrCat("name =~ ", Contains(value));
    } else if (key == "root.service.name") {
      f = absl::StrCat("rootServiceName =~ ", Contains(value));
    } else if (key == "root.name") {
      f = absl::StrCat("rootName =~ ", Contains(value));
    } else {
      // Attribute names may hold characters identifiers cannot: quote them.
      std::string attr = absl::StrCat(".", Literal(key));
      f = absl::StrCat(attr, " =~ ", Contains(value));
      int64_t i;
      double d;
      if (absl::SimpleAtoi(value, &i)) {
        f = absl::StrCat(attr, " = ", i, " || ", f);
      } else if (absl::SimpleAtod(value, &d) &&
                 value.find_first_of(".eE") != std::string::npos) {
        f = absl::StrCat(attr, " = ", value, " || ", f);
      } else if (lower == "true" || lower == "false") {
        f = absl::StrCat(attr, " = ", lower, " || ", f);
      }
    }
    filters.push_back(absl::StrCat("{ ", f, " }"));
  }
  if (min_duration_ms != 0) {
    filters.push_back(
        absl::StrCat("{ traceDuration >= ", min_duration_ms, "ms }"));
  }
  if (max_duration_ms != 0) {
    filters.push_back(
        absl::StrCat("{ traceDuration <= ", max_duration_ms, "ms }"));
  }
  if (filters.empty()) return std::string("{ }");
  return absl::StrJoin(filters, " && ");
}

}  // namespace andante
