// FastVarint: the varint decoder of the scan's per-span loops, over a
// pointer pair rather than a string_view, with the one-byte case first.
#ifndef ANDANTE_LIB_BLOCK_SCAN_VARINT_H_
#define ANDANTE_LIB_BLOCK_SCAN_VARINT_H_

#include <bit>
#include <cstdint>
#include <cstring>

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

// The word-at-a-time varint read: LoadVarintWord loads the 8 bytes at p
// (REQUIRES: 8 bytes there) and returns the length of the varint they start
// with (1 to 8), or 0 if it is longer; PackVarintWord then gives its value.
inline int LoadVarintWord(const char* p, uint64_t* w) {
  std::memcpy(w, p, 8);
  if constexpr (std::endian::native == std::endian::big) {
    *w = __builtin_bswap64(*w);
  }
  const uint64_t stops = ~*w & 0x8080808080808080ull;
  return stops == 0 ? 0 : (std::countr_zero(stops) >> 3) + 1;
}
inline uint64_t PackVarintWord(uint64_t w, int bytes) {
  uint64_t x = bytes == 8 ? w : w & ((uint64_t{1} << (bytes * 8)) - 1);
  x = ((x & 0x7f007f007f007f00ull) >> 1) | (x & 0x007f007f007f007full);
  x = ((x & 0x3fff00003fff0000ull) >> 2) | (x & 0x00003fff00003fffull);
  return ((x & 0x0fffffff00000000ull) >> 4) | (x & 0x000000000fffffffull);
}

// FastVarint for columns of multi-byte varints (durations, start deltas):
// with 8 bytes left, a varint of up to 8 bytes is read with one load and
// its 7-bit groups packed by shifts, without a branch per byte.
inline bool WordVarint(const char** p, const char* end, uint64_t* v) {
  if (end - *p >= 8) {
    uint64_t w;
    if (const int bytes = LoadVarintWord(*p, &w); bytes != 0) {
      *v = PackVarintWord(w, bytes);
      *p += bytes;
      return true;
    }
  }
  return FastVarint(p, end, v);
}

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_VARINT_H_
