#include "andante/ids.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

TEST(TraceIdTest, FromHexExact32EitherCase) {
  auto id = TraceId::FromHex("5B8EFFF798038103d269b633813fc700");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->ToHex(), "5b8efff798038103d269b633813fc700");
  EXPECT_EQ(id->high(), 0x5b8efff798038103u);
  EXPECT_EQ(id->low(), 0xd269b633813fc700u);
  EXPECT_TRUE(id->IsValid());
}

TEST(TraceIdTest, FromHexRejectsOtherLengthsAndNonHex) {
  EXPECT_EQ(TraceId::FromHex("5b8e").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(TraceId::FromHex("").ok());
  EXPECT_FALSE(TraceId::FromHex(std::string(33, 'a')).ok());
  auto bad = TraceId::FromHex("5b8xfff798038103d269b633813fc700");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "trace IDs can only contain hex characters: invalid character 'x' at position 4");
}

TEST(TraceIdTest, FromQueryHexPadsShortIds) {
  auto id = TraceId::FromQueryHex("d6e9329d67b6146a");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToHex(), "0000000000000000d6e9329d67b6146a");

  id = TraceId::FromQueryHex("1");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToHex(), "00000000000000000000000000000001");

  id = TraceId::FromQueryHex("abc");  // odd length gets a leading 0
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToHex(), "00000000000000000000000000000abc");

  id = TraceId::FromQueryHex("5B8EFFF798038103D269B633813FC700");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToHex(), "5b8efff798038103d269b633813fc700");
}

TEST(TraceIdTest, FromQueryHexErrors) {
  auto id = TraceId::FromQueryHex(std::string(33, 'a'));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(id.status().message(), "trace IDs can't be larger than 128 bits");

  EXPECT_FALSE(TraceId::FromQueryHex("").ok());

  id = TraceId::FromQueryHex("abxd");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(),
            "trace IDs can only contain hex characters: invalid character 'x' at position 3");

  // Odd length: the position refers to the caller's text, not the padded copy.
  id = TraceId::FromQueryHex("abx");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(),
            "trace IDs can only contain hex characters: invalid character 'x' at position 3");
  id = TraceId::FromQueryHex("xab");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(),
            "trace IDs can only contain hex characters: invalid character 'x' at position 1");
  id = TraceId::FromQueryHex("g");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(),
            "trace IDs can only contain hex characters: invalid character 'g' at position 1");
}

TEST(TraceIdTest, ZeroIdIsRepresentableButInvalid) {
  auto id = TraceId::FromHex(std::string(32, '0'));
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(id->IsZero());
  EXPECT_FALSE(id->IsValid());
  EXPECT_EQ(*id, TraceId());
}

TEST(TraceIdTest, FromBytes) {
  auto id = TraceId::FromBytes(std::string(16, '\x01'));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->bytes(), std::string(16, '\x01'));
  auto bad = TraceId::FromBytes(std::string(8, '\x01'));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "trace ids must be 128 bit, received 64 bits");
}

TEST(TraceIdTest, FromHighLowAndOrderingAndHash) {
  TraceId id = TraceId::FromHighLow(0x0102030405060708u, 0x090a0b0c0d0e0f10u);
  EXPECT_EQ(id.ToHex(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(id.high(), 0x0102030405060708u);
  EXPECT_EQ(id.low(), 0x090a0b0c0d0e0f10u);
  EXPECT_EQ(TraceId::FromHighLow(0, 0xd6e9329d67b6146au),
            *TraceId::FromQueryHex("d6e9329d67b6146a"));
  EXPECT_LT(TraceId::FromHighLow(0, 5), TraceId::FromHighLow(1, 0));
  absl::flat_hash_set<TraceId> set = {id, TraceId::FromHighLow(1, 2), id};
  EXPECT_EQ(set.size(), 2u);
}

TEST(SpanIdTest, FromBytesRules) {
  auto id = SpanId::FromBytes(std::string("\x00\x00\x00\x00\x00\x00\x00\x01", 8));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->value(), 1u);
  EXPECT_EQ(id->ToBytes(), std::string("\x00\x00\x00\x00\x00\x00\x00\x01", 8));

  auto zero = SpanId::FromBytes(std::string(8, '\0'));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(),
            "span ids must be 64 bit and not all zero, received 64 bits");
  auto short_id = SpanId::FromBytes("abc");
  ASSERT_FALSE(short_id.ok());
  EXPECT_EQ(short_id.status().message(),
            "span ids must be 64 bit and not all zero, received 24 bits");
  EXPECT_FALSE(SpanId::FromBytes("").ok());
}

TEST(SpanIdTest, FromHexRules) {
  auto id = SpanId::FromHex("EEE19B7EC3C1B100");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToHex(), "eee19b7ec3c1b100");
  EXPECT_EQ(id->value(), 0xeee19b7ec3c1b100u);
  EXPECT_FALSE(SpanId::FromHex("eee19b7ec3c1b1").ok());
  EXPECT_FALSE(SpanId::FromHex("eee19b7ec3c1b1000").ok());
  EXPECT_FALSE(SpanId::FromHex("eee19b7ec3c1b10z").ok());
  EXPECT_FALSE(SpanId::FromHex(std::string(16, '0')).ok());
  EXPECT_FALSE(SpanId().IsValid());
}

}  // namespace
}  // namespace andante
