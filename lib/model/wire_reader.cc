#include "model/wire_reader.h"

#include "google/protobuf/stubs/common.h"

namespace andante::internal {

bool IsValidProtobufUtf8(std::string_view s) {
  // Attribute keys and values are nearly always ASCII: check 8 bytes at a
  // time and only hand anything else to protobuf's validator.
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ull) goto slow;
  }
  for (; i < n; ++i) {
    if (static_cast<uint8_t>(p[i]) & 0x80) goto slow;
  }
  return true;
slow:
  return google::protobuf::internal::IsStructurallyValidUTF8(
      p, static_cast<int>(n));
}

}  // namespace andante::internal
