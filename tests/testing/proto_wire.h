// Hand-made protobuf wire bytes, for tests of encodings the generated
// classes never write: repeated singular fields, fields out of number
// order, over-long varints, unknown fields.
//
//   std::string span = Len(2, std::string(8, 'a')) + Key(6, 0) + Varint(300);
#ifndef ANDANTE_TESTS_TESTING_PROTO_WIRE_H_
#define ANDANTE_TESTS_TESTING_PROTO_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace andante::testing {

// `v` as a base-128 varint.
inline std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// The tag of field `field` with wire type `wire_type`.
inline std::string Key(uint32_t field, uint32_t wire_type) {
  return Varint(static_cast<uint64_t>(field) << 3 | wire_type);
}

// A length-delimited field: tag, length, payload.
inline std::string Len(uint32_t field, std::string_view payload) {
  return Key(field, 2) + Varint(payload.size()) + std::string(payload);
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_PROTO_WIRE_H_
