// CRC-32C (Castagnoli), the checksum on every WAL record and block page.
// Uses the SSE4.2 instruction when the CPU has it, a table otherwise; both
// produce identical values (tests/util/crc32c_test.cc pins known vectors).
#ifndef ANDANTE_UTIL_CRC32C_H_
#define ANDANTE_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace andante::internal {

// CRC-32C of `data` continuing from `crc` (0 for a fresh checksum).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32c(std::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

// A CRC stored next to the data it covers is masked, as leveldb does, so that
// a CRC of bytes that themselves contain CRCs stays well distributed.
inline uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
inline uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace andante::internal

#endif  // ANDANTE_UTIL_CRC32C_H_
