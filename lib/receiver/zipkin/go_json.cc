#include "receiver/zipkin/go_json.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if none starts there.
size_t Utf8SequenceLength(const unsigned char* s, size_t n, size_t i) {
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i + k < n && s[i + k] >= lo && s[i + k] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Index of the first byte that does not start a valid sequence, or n.
size_t FirstInvalidUtf8(std::string_view in) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(s, n, i);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

std::string_view SyntaxOrRange(bool range) {
  return range ? "value out of range" : "invalid syntax";
}

}  // namespace

bool IsValidUtf8Slow(std::string_view s) { return FirstInvalidUtf8(s) == s.size(); }

std::string_view ReplaceInvalidUtf8(std::string_view in, std::string* scratch) {
  size_t bad = FirstInvalidUtf8(in);
  if (bad == in.size()) return in;
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  scratch->clear();
  scratch->reserve(in.size() + 16);
  scratch->append(in.data(), bad);
  size_t i = bad;
  while (i < in.size()) {
    size_t len = Utf8SequenceLength(s, in.size(), i);
    if (len == 0) {
      scratch->append("\xEF\xBF\xBD");
      ++i;
    } else {
      scratch->append(in.data() + i, len);
      i += len;
    }
  }
  return *scratch;
}

bool KeyIs(std::string_view key, std::string_view lower) {
  if (key.size() != lower.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool ParseGoHexUint64(std::string_view s, uint64_t* out, std::string* error) {
  uint64_t v = 0;
  bool range = false;
  bool ok = !s.empty();
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      ok = false;
      break;
    }
    if (v >> 60) {
      range = true;
      break;
    }
    v = v << 4 | static_cast<uint64_t>(d);
  }
  if (!ok || range) {
    *error = absl::StrCat("strconv.ParseUint: parsing \"", ToAbsl(s),
                          "\": ", ToAbsl(SyntaxOrRange(ok && range)));
    return false;
  }
  *out = v;
  return true;
}

bool ParseGoDecimalUint(std::string_view s, int bits, uint64_t* out, std::string* error) {
  const uint64_t max = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  uint64_t v = 0;
  bool range = false;
  bool ok = !s.empty();
  for (char c : s) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) {
      range = true;
      break;
    }
    v = v * 10 + d;
  }
  if (!ok || range) {
    *error = absl::StrCat("strconv.ParseUint: parsing \"", ToAbsl(s),
                          "\": ", ToAbsl(SyntaxOrRange(ok && range)));
    return false;
  }
  *out = v;
  return true;
}

std::string CleanJsonError(std::string_view what) {
  size_t pos = what.find("] ");
  if (!what.empty() && what[0] == '[' && pos != std::string_view::npos) {
    what.remove_prefix(pos + 2);
  }
  return std::string(what);
}

}  // namespace andante::internal
