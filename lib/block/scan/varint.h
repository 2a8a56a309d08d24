// FastVarint: the varint decoder of the scan's per-span loops, over a
// pointer pair rather than a string_view, with the one-byte case first.
#ifndef ANDANTE_LIB_BLOCK_SCAN_VARINT_H_
#define ANDANTE_LIB_BLOCK_SCAN_VARINT_H_

#include <cstdint>

namespace andante::internal::scan {

// A varint at *p (before `end`) into *v, *p moved past it; false if
// truncated or over 10 bytes.
inline bool FastVarint(const char** p, const char* end, uint64_t* v) {
  const char* q = *p;
  if (q != end && static_cast<uint8_t>(*q) < 0x80) {
    *v = static_cast<uint8_t>(*q);
    *p = q + 1;
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && q != end; shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(*q++);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      *p = q;
      return true;
    }
  }
  return false;
}

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_VARINT_H_
