#include "util/crc32c.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace andante::internal {
namespace {

// Bit-at-a-time reference, independent of both the table and the SSE4.2
// paths of Crc32cExtend.
uint32_t ReferenceCrc32c(std::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k)
      crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
  }
  return ~crc;
}

// Vectors from RFC 3720 section B.4 and leveldb's util/crc32c_test.cc.
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);

  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc32c(ascending), 0x46dd794eu);
  EXPECT_EQ(Crc32c(descending), 0x113fdb5cu);

  // An iSCSI SCSI Read (10) command PDU.
  const unsigned char iscsi[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(Crc32cExtend(0, iscsi, sizeof(iscsi)), 0xd9963a56u);
}

TEST(Crc32cTest, MatchesReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(301);
  std::string buf(4096 + 16, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len < 300; ++len) {
      std::string_view data(buf.data() + align, len);
      ASSERT_EQ(Crc32c(data), ReferenceCrc32c(data))
          << "align " << align << " len " << len;
    }
  }
  std::string_view big(buf.data() + 3, 4096);
  EXPECT_EQ(Crc32c(big), ReferenceCrc32c(big));
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t crc = Crc32cExtend(0, data.data(), split);
    crc = Crc32cExtend(crc, data.data() + split, data.size() - split);
    ASSERT_EQ(crc, whole) << "split " << split;
  }
  EXPECT_EQ(Crc32cExtend(Crc32c("hello "), "world", 5), Crc32c("hello world"));
}

TEST(Crc32cTest, DifferentDataDifferentCrc) {
  EXPECT_NE(Crc32c("a"), Crc32c("foo"));
  EXPECT_NE(Crc32c("bar"), Crc32c("foo"));
}

TEST(Crc32cTest, MaskRoundTrip) {
  std::mt19937 rng(11);
  const uint32_t crc = Crc32c("foo");
  EXPECT_NE(crc, MaskCrc(crc));
  EXPECT_NE(crc, MaskCrc(MaskCrc(crc)));
  EXPECT_EQ(crc, UnmaskCrc(MaskCrc(crc)));
  EXPECT_EQ(crc, UnmaskCrc(UnmaskCrc(MaskCrc(MaskCrc(crc)))));
  for (int i = 0; i < 10000; ++i) {
    const uint32_t v = rng();
    ASSERT_EQ(UnmaskCrc(MaskCrc(v)), v);
  }
  EXPECT_EQ(UnmaskCrc(MaskCrc(0)), 0u);
  EXPECT_EQ(UnmaskCrc(MaskCrc(0xffffffffu)), 0xffffffffu);
}

}  // namespace
}  // namespace andante::internal
