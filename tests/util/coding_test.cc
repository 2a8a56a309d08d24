#include "util/coding.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace andante::internal {
namespace {

// Reference values computed byte by byte here, independent of the header's
// memcpy fast path.
std::string LittleEndian(uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  return out;
}

// LEB128 written from its definition: 7 bits at a time, low group first.
std::string Leb128(uint64_t v) {
  std::string out;
  do {
    uint8_t group = v & 0x7f;
    v >>= 7;
    if (v != 0) group |= 0x80;
    out.push_back(static_cast<char>(group));
  } while (v != 0);
  return out;
}

std::vector<uint64_t> Interesting64() {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 256, 16383, 16384,
                                  0xdeadbeef, 0x0123456789abcdefULL,
                                  std::numeric_limits<uint64_t>::max()};
  for (int shift = 0; shift < 64; ++shift) {
    values.push_back(uint64_t{1} << shift);
    values.push_back((uint64_t{1} << shift) - 1);
  }
  return values;
}

TEST(CodingTest, Fixed32IsLittleEndian) {
  for (uint32_t v : {0u, 1u, 0x01020304u, 0xfffffffeu, 0x80000000u}) {
    std::string out;
    PutFixed32(&out, v);
    EXPECT_EQ(out, LittleEndian(v, 4)) << v;
    char buf[4];
    EncodeFixed32(buf, v);
    EXPECT_EQ(std::string(buf, 4), out);
    EXPECT_EQ(DecodeFixed32(out.data()), v);
  }
}

TEST(CodingTest, Fixed64IsLittleEndian) {
  for (uint64_t v : Interesting64()) {
    std::string out;
    PutFixed64(&out, v);
    EXPECT_EQ(out, LittleEndian(v, 8)) << v;
    char buf[8];
    EncodeFixed64(buf, v);
    EXPECT_EQ(std::string(buf, 8), out);
    EXPECT_EQ(DecodeFixed64(out.data()), v);
  }
}

TEST(CodingTest, GetFixedConsumesAndRefusesShortInput) {
  std::string data;
  PutFixed32(&data, 0xa1b2c3d4);
  PutFixed64(&data, 0x1122334455667788ULL);
  data.push_back('x');
  std::string_view in = data;
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0xa1b2c3d4u);
  EXPECT_EQ(b, 0x1122334455667788ULL);
  EXPECT_EQ(in, "x");
  EXPECT_FALSE(GetFixed32(&in, &a));
  EXPECT_FALSE(GetFixed64(&in, &b));
  EXPECT_EQ(in, "x");  // unchanged on failure
}

TEST(CodingTest, Varint64MatchesLeb128) {
  for (uint64_t v : Interesting64()) {
    std::string out;
    PutVarint64(&out, v);
    EXPECT_EQ(out, Leb128(v)) << v;
    EXPECT_EQ(VarintLength(v), static_cast<int>(out.size())) << v;
    char buf[kMaxVarint64Length];
    EXPECT_EQ(std::string(buf, EncodeVarint64(buf, v)), out);

    std::string_view in = out;
    uint64_t got = ~v;
    ASSERT_TRUE(GetVarint64(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
  EXPECT_EQ(VarintLength(std::numeric_limits<uint64_t>::max()),
            kMaxVarint64Length);
}

TEST(CodingTest, Varint32RoundTripsAndRefusesWideValues) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 300u, 0x0fffffffu, 0xffffffffu}) {
    std::string out;
    PutVarint32(&out, v);
    EXPECT_EQ(out, Leb128(v));
    std::string_view in = out;
    uint32_t got = ~v;
    ASSERT_TRUE(GetVarint32(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
  EXPECT_EQ(VarintLength(0xffffffffu), kMaxVarint32Length);

  // 2^32 needs 5 bytes but does not fit 32 bits.
  std::string wide = Leb128(uint64_t{1} << 32);
  std::string_view in = wide;
  uint32_t v32;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  EXPECT_EQ(in.size(), wide.size());
  // A 6-byte encoding of a small value (redundant continuation bytes).
  std::string padded = "\x81\x80\x80\x80\x80\x00";
  padded.resize(6);
  in = padded;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  uint64_t v64;
  ASSERT_TRUE(GetVarint64(&in, &v64));
  EXPECT_EQ(v64, 1u);
}

TEST(CodingTest, TruncatedAndOverlongVarintsFail) {
  std::string max;
  PutVarint64(&max, std::numeric_limits<uint64_t>::max());
  for (size_t n = 0; n < max.size(); ++n) {
    std::string_view in(max.data(), n);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << n;
    EXPECT_EQ(in.size(), n);
  }
  // Eleven bytes, every one with its continuation bit: never ends in 10.
  std::string overlong(11, '\x80');
  std::string_view in = overlong;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
}

TEST(CodingTest, DecodeVarintStopsAtLimit) {
  // The first varint ends inside the limit; the second is cut by it even
  // though more bytes follow in memory.
  const std::string data = "\x96\x01\xac\x02";
  const char* p = data.data();
  uint64_t v = 0;
  const char* next = DecodeVarint64(p, p + 4, &v);
  ASSERT_EQ(next, p + 2);
  EXPECT_EQ(v, 150u);
  EXPECT_EQ(DecodeVarint64(next, next + 1, &v), nullptr);
  ASSERT_EQ(DecodeVarint64(next, next + 2, &v), p + 4);
  EXPECT_EQ(v, 300u);
}

TEST(CodingTest, ZigZagMapsSmallMagnitudesToSmallValues) {
  EXPECT_EQ(ZigZag64(0), 0u);
  EXPECT_EQ(ZigZag64(-1), 1u);
  EXPECT_EQ(ZigZag64(1), 2u);
  EXPECT_EQ(ZigZag64(-2), 3u);
  EXPECT_EQ(ZigZag64(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(ZigZag64(std::numeric_limits<int64_t>::min()),
            std::numeric_limits<uint64_t>::max());
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{42}, int64_t{-123456789},
                    std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(UnZigZag64(ZigZag64(v)), v);
  }
}

}  // namespace
}  // namespace andante::internal
