// How Go's encoding/json and strconv read the Zipkin JSON the collector
// receives, for the decoders in this directory: struct keys match
// case-insensitively, invalid UTF-8 inside strings becomes U+FFFD rather than
// an error, hex IDs go through strconv.ParseUint. Internal to the Zipkin
// receiver.
//
//   std::string fixed;
//   std::string_view json = ReplaceInvalidUtf8(body, &fixed);
//   uint64_t id;
//   std::string error;
//   if (!ParseGoHexUint64(text, &id, &error)) return Invalid(error);
#ifndef ANDANTE_RECEIVER_ZIPKIN_GO_JSON_H_
#define ANDANTE_RECEIVER_ZIPKIN_GO_JSON_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace andante::internal {

// The kinds of JSON value the SAX decoders tell apart (numbers by how they
// would convert), and Go's name for each in "cannot unmarshal <x> into ..."
// errors.
enum class GoJsonType : uint8_t {
  kNull, kBool, kNegative, kUnsigned, kFloat, kString, kObject, kArray
};
inline std::string_view GoName(GoJsonType t) {
  switch (t) {
    case GoJsonType::kNull: return "null";
    case GoJsonType::kBool: return "bool";
    case GoJsonType::kNegative:
    case GoJsonType::kUnsigned:
    case GoJsonType::kFloat: return "number";
    case GoJsonType::kString: return "string";
    case GoJsonType::kObject: return "object";
    case GoJsonType::kArray: return "array";
  }
  return "value";
}

// Nesting the Zipkin JSON decoders accept, counting every array and object
// (a Zipkin span needs 4; the rest is room for unknown fields).
inline constexpr int kMaxZipkinJsonDepth = 64;

// `in` if it is valid UTF-8; otherwise a copy in `*scratch` with every byte
// that does not start a valid UTF-8 sequence replaced by U+FFFD, which is
// what Go's JSON decoder does to such bytes inside strings (outside strings
// they stay syntax errors).
std::string_view ReplaceInvalidUtf8(std::string_view in, std::string* scratch);

// Whether `s` is valid UTF-8 (RFC 3629: no overlong forms, surrogates or
// code points above U+10FFFF). Inline for the common short ASCII string,
// which it checks a word at a time and without a branch per byte (the
// protobuf decoder checks every string field, and a byte loop showed up in
// its profile): the OR of all bytes has its high bit clear only for ASCII.
bool IsValidUtf8Slow(std::string_view s);
inline bool IsValidUtf8(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t bits = 0;
  if (n >= 8) {
    uint64_t w;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      bits |= w;
    }
    std::memcpy(&w, p + n - 8, 8);  // the tail, overlapping
    bits |= w;
  } else if (n >= 4) {
    uint32_t head, tail;  // overlapping: together all n bytes
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    bits = head | tail;
  } else if (n > 0) {
    bits = static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[n / 2]) |
           static_cast<uint8_t>(p[n - 1]);
  }
  if ((bits & 0x8080808080808080ull) != 0) return IsValidUtf8Slow(s);
  return true;
}

// ASCII case-insensitive equality; `lower` must be lower case. Go matches
// JSON keys to struct fields this way (ignoring its rare non-ASCII folds).
bool KeyIs(std::string_view key, std::string_view lower);

// strconv.ParseUint(s, 16, 64): hex digits of either case, no sign or
// prefix, leading zeros allowed, value below 2^64. On failure `*error` is
// Go's message, e.g. `strconv.ParseUint: parsing "xyz": invalid syntax`.
bool ParseGoHexUint64(std::string_view s, uint64_t* out, std::string* error);

// strconv.ParseUint(s, 10, bits) for bits <= 64, with Go's messages.
bool ParseGoDecimalUint(std::string_view s, int bits, uint64_t* out, std::string* error);

// nlohmann's parse error text without its "[json.exception.parse_error.101] "
// prefix.
std::string CleanJsonError(std::string_view what);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_GO_JSON_H_
