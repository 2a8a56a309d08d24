// Fixed-width and variable-length integer encodings shared by every Andante
// format: the WAL, the ingest record, block pages and indexes, the tenant
// index and the protobuf wire reader.
//
// * Fixed-width integers are little-endian, independent of the host's byte
//   order.
// * Varints are LEB128 as in protobuf: 7 bits per byte, least significant
//   group first, the high bit set on every byte but the last. A varint32
//   takes at most 5 bytes, a varint64 at most 10.
//
//   std::string out;
//   PutFixed32(&out, kMagic);
//   PutVarint64(&out, span_count);
//
//   std::string_view in = out;
//   uint32_t magic;
//   uint64_t count;
//   if (!GetFixed32(&in, &magic) || !GetVarint64(&in, &count)) {
//     return absl::DataLossError("truncated record");
//   }
//
// The Get* functions consume what they parse from the front of `*in`; on
// failure (truncated or over-long input) they return false and leave `*in`
// unchanged. None of them reads past the end of its input.
//
// Internal to Andante.
#ifndef ANDANTE_UTIL_CODING_H_
#define ANDANTE_UTIL_CODING_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace andante::internal {

inline constexpr int kMaxVarint32Length = 5;
inline constexpr int kMaxVarint64Length = 10;

// ---- fixed-width, to and from raw memory ----------------------------------

// REQUIRES: `dst` has room for 4 (EncodeFixed32) or 8 (EncodeFixed64) bytes.
inline void EncodeFixed32(char* dst, uint32_t value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, &value, sizeof(value));
  } else {
    for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(value >> (8 * i));
  }
}
inline void EncodeFixed64(char* dst, uint64_t value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, &value, sizeof(value));
  } else {
    for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(value >> (8 * i));
  }
}

// REQUIRES: `p` points at 4 (DecodeFixed32) or 8 (DecodeFixed64) readable
// bytes.
inline uint32_t DecodeFixed32(const char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  } else {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
    }
    return v;
  }
}
inline uint64_t DecodeFixed64(const char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  } else {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
    }
    return v;
  }
}

// ---- fixed-width, appended to and parsed from strings ---------------------

inline void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}
inline void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

inline bool GetFixed32(std::string_view* in, uint32_t* value) {
  if (in->size() < 4) return false;
  *value = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}
inline bool GetFixed64(std::string_view* in, uint64_t* value) {
  if (in->size() < 8) return false;
  *value = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

// ---- varints ----------------------------------------------------------------

// The number of bytes PutVarint64 writes for `value` (1 to 10).
inline int VarintLength(uint64_t value) {
  int len = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++len;
  }
  return len;
}

// Writes `value` at `dst` and returns the byte after it.
// REQUIRES: `dst` has room for VarintLength(value) bytes.
inline char* EncodeVarint64(char* dst, uint64_t value) {
  while (value >= 0x80) {
    *dst++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *dst++ = static_cast<char>(value);
  return dst;
}
inline char* EncodeVarint32(char* dst, uint32_t value) {
  return EncodeVarint64(dst, value);
}

inline void PutVarint64(std::string* dst, uint64_t value) {
  char buf[kMaxVarint64Length];
  dst->append(buf, EncodeVarint64(buf, value) - buf);
}
inline void PutVarint32(std::string* dst, uint32_t value) {
  PutVarint64(dst, value);
}

// Parses a varint64 from [p, limit). Returns the byte after it, or nullptr if
// the input ends first or the varint runs past 10 bytes (bits beyond the 64th
// in a 10th byte are ignored, as protobuf does).
inline const uint8_t* DecodeVarint64(const uint8_t* p, const uint8_t* limit,
                                     uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    const uint64_t byte = *p++;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *value = result;
      return p;
    }
  }
  return nullptr;
}
inline const char* DecodeVarint64(const char* p, const char* limit,
                                  uint64_t* value) {
  const uint8_t* end = DecodeVarint64(reinterpret_cast<const uint8_t*>(p),
                                      reinterpret_cast<const uint8_t*>(limit),
                                      value);
  return reinterpret_cast<const char*>(end);
}

// As DecodeVarint64, and also nullptr if the varint takes more than 5 bytes
// or its value does not fit 32 bits.
inline const uint8_t* DecodeVarint32(const uint8_t* p, const uint8_t* limit,
                                     uint32_t* value) {
  uint64_t v;
  const uint8_t* end = DecodeVarint64(p, limit, &v);
  if (end == nullptr || end - p > kMaxVarint32Length || v > UINT32_MAX) {
    return nullptr;
  }
  *value = static_cast<uint32_t>(v);
  return end;
}

inline bool GetVarint64(std::string_view* in, uint64_t* value) {
  const char* end = DecodeVarint64(in->data(), in->data() + in->size(), value);
  if (end == nullptr) return false;
  in->remove_prefix(end - in->data());
  return true;
}
inline bool GetVarint32(std::string_view* in, uint32_t* value) {
  const auto* p = reinterpret_cast<const uint8_t*>(in->data());
  const uint8_t* end = DecodeVarint32(p, p + in->size(), value);
  if (end == nullptr) return false;
  in->remove_prefix(end - p);
  return true;
}

// A varint length and that many bytes (as written by PutVarint64(n) and an
// append) into *out, a view into *in. False, *in unspecified, if *in is
// shorter than the length it claims.
inline bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// ---- signed values as varints ---------------------------------------------

// ZigZag maps small magnitudes of either sign to small unsigned values
// (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...), as protobuf's sint64.
inline uint64_t ZigZag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag64(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

}  // namespace andante::internal

#endif  // ANDANTE_UTIL_CODING_H_
