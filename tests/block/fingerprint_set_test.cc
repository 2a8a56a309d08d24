// GCS1 trace-ID filter shards (lib/block/fingerprint_set.h) against
// docs/block-format.md and probability theory, not against the code:
//
// * an encoded shard is byte for byte what the spec's formulas give,
//   computed here with the spec's hashing and a bit-by-bit coder of its own;
// * every added key is found; absent keys are "maybe" at the 2^-b the spec
//   promises, and the coded size is the b + ~1.6 bits per key of a Rice code
//   of geometric gaps;
// * damaged objects are DATA_LOSS, never a crash or a wrong "no";
// * TraceIdShard reads all three kinds of shard (BLF1, BLF2, GCS1).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "andante/ids.h"
#include "block/block_format.h"
#include "block/bloom_filter.h"
#include "block/fingerprint_set.h"
#include "block/trace_id_filter.h"
#include "gtest/gtest.h"
#include "tests/testing/spec_mix.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

using ::andante::testing::NextId;
using ::andante::testing::SpecMix64;

std::vector<TraceId> Ids(size_t n, uint64_t seed) {
  std::vector<TraceId> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(NextId(seed));
  return ids;
}

// ---- the spec, written out again -------------------------------------------

uint64_t SpecHash(const TraceId& id) {
  return SpecMix64(id.low() ^ SpecMix64(id.high() ^ 0x452821e638d01377ull));
}

// The shard object the spec describes for `ids` at `b` bits.
std::string SpecShard(const std::vector<TraceId>& ids, uint32_t b) {
  const uint64_t n = ids.size();
  std::vector<uint64_t> values;
  for (const TraceId& id : ids) {
    values.push_back(absl::Uint128High64(absl::uint128(SpecHash(id)) * (n << b)));
  }
  std::sort(values.begin(), values.end());
  std::vector<bool> bits;
  uint64_t previous = 0;
  for (uint64_t v : values) {
    const uint64_t d = v - previous;
    previous = v;
    for (uint64_t q = d >> b; q > 0; --q) bits.push_back(false);
    bits.push_back(true);
    for (uint32_t i = 0; i < b; ++i) bits.push_back((d >> i) & 1);
  }
  std::string out;
  PutFixed32(&out, 0x31534347);  // "GCS1"
  PutFixed32(&out, static_cast<uint32_t>(n));
  PutFixed32(&out, b);
  std::string codes((bits.size() + 7) / 8, '\0');
  for (size_t p = 0; p < bits.size(); ++p) {
    if (bits[p]) codes[p / 8] = static_cast<char>(codes[p / 8] | (1 << (p % 8)));
  }
  out += codes;
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

std::string Encode(const std::vector<TraceId>& ids, uint32_t bits) {
  std::vector<uint64_t> hashes;
  for (const TraceId& id : ids) hashes.push_back(FingerprintSet::HashOf(id));
  return FingerprintSet::Encode(hashes, bits);
}

// ---- tests -----------------------------------------------------------------

TEST(FingerprintSetTest, EncodingIsTheSpecs) {
  for (uint32_t b : {1u, 4u, 13u, 28u, 32u}) {
    for (size_t n : {0u, 1u, 2u, 20u, 1000u}) {
      const std::vector<TraceId> ids = Ids(n, 7 * b + n);
      EXPECT_EQ(Encode(ids, b), SpecShard(ids, b)) << n << " keys, b " << b;
    }
  }
  // 64-bit IDs widened to 128 (hi == 0) spread like any others.
  std::vector<TraceId> narrow;
  for (uint64_t i = 1; i <= 100; ++i) narrow.push_back(TraceId::FromHighLow(0, i));
  EXPECT_EQ(Encode(narrow, 20), SpecShard(narrow, 20));
}

TEST(FingerprintSetTest, FindsEveryKeyAndNothingFromAnEmptySet) {
  for (size_t n : {1u, 31u, 32u, 33u, 5000u}) {
    const std::vector<TraceId> ids = Ids(n, n);
    absl::StatusOr<FingerprintSet> set = FingerprintSet::Decode(Encode(ids, 28));
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->key_count(), n);
    for (const TraceId& id : ids) EXPECT_TRUE(set->MayContain(id)) << id.ToHex();
  }
  absl::StatusOr<FingerprintSet> empty = FingerprintSet::Decode(Encode({}, 28));
  ASSERT_TRUE(empty.ok()) << empty.status();
  uint64_t state = 5;
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(empty->MayContain(NextId(state)));
}

// A key collides with the n stored values, each uniform over n * 2^b
// values: probability 1 - (1 - 2^-b / n)^n, within 2^-b (1 - 2^-b / 2).
TEST(FingerprintSetTest, FalsePositivesAreTwoToTheMinusB) {
  constexpr size_t kKeys = 20'000;
  constexpr int kProbes = 4'000'000;
  for (uint32_t b : {8u, 12u}) {
    absl::StatusOr<FingerprintSet> set =
        FingerprintSet::Decode(Encode(Ids(kKeys, b), b));
    ASSERT_TRUE(set.ok()) << set.status();
    uint64_t state = 1000 + b;
    int hits = 0;
    for (int i = 0; i < kProbes; ++i) hits += set->MayContain(NextId(state));
    const double expected = kProbes * std::ldexp(1.0, -static_cast<int>(b));
    std::printf("b=%u: %d false positives in %d, expected %.0f\n", b, hits,
                kProbes, expected);
    // Five standard deviations of a Poisson count.
    EXPECT_NEAR(hits, expected, 5 * std::sqrt(expected));
  }
}

// A Rice code of geometric gaps of mean 2^b: b bits plus a unary part of
// 1 / (1 - e^-1) = 1.582 bits on average.
TEST(FingerprintSetTest, TakesBPlusAboutOnePointSixBitsPerKey) {
  constexpr size_t kKeys = 100'000;
  for (uint32_t b : {10u, 28u}) {
    const std::string shard = Encode(Ids(kKeys, b), b);
    const double per_key =
        (shard.size() - kFingerprintHeaderSize - 4) * 8.0 / kKeys;
    EXPECT_NEAR(per_key, b + 1.582, 0.03) << "b " << b;
  }
}

TEST(FingerprintSetTest, DamageIsDataLoss) {
  const std::string good = Encode(Ids(300, 3), 20);
  ASSERT_TRUE(FingerprintSet::Decode(good).ok());
  // Any flipped bit fails the checksum; any truncation too.
  for (size_t i = 0; i < good.size(); i += 7) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_EQ(FingerprintSet::Decode(bad).status().code(),
              absl::StatusCode::kDataLoss) << i;
  }
  for (size_t n = 0; n < good.size(); n += 13) {
    EXPECT_EQ(FingerprintSet::Decode(good.substr(0, n)).status().code(),
              absl::StatusCode::kDataLoss) << n;
  }
  // Consistent checksums over inconsistent contents.
  auto resealed = [](std::string body) {
    PutFixed32(&body, MaskCrc(Crc32c(body)));
    return body;
  };
  const std::string body = good.substr(0, good.size() - 4);
  std::string more_keys = body;
  EncodeFixed32(more_keys.data() + 4, 301);
  std::string fewer_keys = body;
  EncodeFixed32(fewer_keys.data() + 4, 299);
  std::string zero_bits = body;
  EncodeFixed32(zero_bits.data() + 8, 0);
  std::string wide_bits = body;
  EncodeFixed32(wide_bits.data() + 8, 33);
  std::string huge_count = body;
  EncodeFixed32(huge_count.data() + 4, 0xffffffff);
  std::string trailing = body + std::string(1, '\0');
  std::string all_zero = body.substr(0, kFingerprintHeaderSize) +
                         std::string(body.size() - kFingerprintHeaderSize, '\0');
  for (const std::string& bad : {more_keys, fewer_keys, zero_bits, wide_bits,
                                 huge_count, trailing, all_zero}) {
    EXPECT_EQ(FingerprintSet::Decode(resealed(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

// Blocks written before GCS1 keep their bloom shards: TraceIdShard reads
// each kind by its magic and answers as the filter that was written.
TEST(TraceIdShardTest, ReadsEveryKindOfShard) {
  const std::vector<TraceId> ids = Ids(500, 11);
  BloomFilter blf1(8192, 10, BloomProbes::kDoubleHashing);
  BloomFilter blf2(8192, 10, BloomProbes::kMixed);
  for (const TraceId& id : ids) {
    blf1.Add(id);
    blf2.Add(id);
  }
  const std::vector<std::pair<std::string, const BloomFilter*>> kinds = {
      {blf1.Encode(), &blf1}, {blf2.Encode(), &blf2}, {Encode(ids, 20), nullptr}};
  std::vector<TraceId> absent = Ids(20'000, 1234);
  for (const auto& [bytes, bloom] : kinds) {
    absl::StatusOr<TraceIdShard> shard = TraceIdShard::Decode(bytes);
    ASSERT_TRUE(shard.ok()) << shard.status();
    EXPECT_EQ(shard->is_fingerprints(), bloom == nullptr);
    for (const TraceId& id : ids) EXPECT_TRUE(shard->MayContain(id));
    for (const TraceId& id : absent) {
      if (bloom != nullptr) {
        ASSERT_EQ(shard->MayContain(id), bloom->MayContain(id));
      }
    }
  }
  EXPECT_FALSE(TraceIdShard::Decode("not a shard").ok());
}

// The builder's shards: one per ShardOf bucket, each holding its keys.
TEST(ShardedTraceIdFilterTest, ShardsHoldTheirKeysAtTheConfiguredRate) {
  const std::vector<TraceId> ids = Ids(30'000, 21);
  // 4e-9 -> 28 bits: ~30k * 29.6 bits = 111 KB in 2 KiB shards -> 55.
  ShardedTraceIdFilter filter(ids.size(), 4e-9, 2048);
  EXPECT_EQ(filter.fingerprint_bits(), 28u);
  EXPECT_EQ(filter.shard_count(), 55u);
  for (const TraceId& id : ids) filter.Add(id);
  std::vector<TraceIdShard> shards;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < filter.shard_count(); ++i) {
    const std::string encoded = filter.EncodeShard(i);
    bytes += encoded.size();
    absl::StatusOr<TraceIdShard> shard = TraceIdShard::Decode(encoded);
    ASSERT_TRUE(shard.ok()) << shard.status();
    shards.push_back(*std::move(shard));
  }
  // Codes only: each shard adds a 12-byte header and a 4-byte CRC.
  const uint64_t framing = uint64_t{filter.shard_count()} * 16;
  EXPECT_NEAR((bytes - framing) * 8.0 / ids.size(), 28 + 1.582, 0.1);
  const TraceIdFilterShape shape =
      ComputeTraceIdFilterShape(ids.size(), 4e-9, 2048);
  EXPECT_NEAR(static_cast<double>(shape.estimated_bytes), bytes, bytes * 0.01);
  for (const TraceId& id : ids) {
    EXPECT_TRUE(shards[TraceIdShardOf(id, filter.shard_count())].MayContain(id));
  }
  // 1e-5 -> 17 bits; Tempo's 0.01 -> 7.
  EXPECT_EQ(ComputeTraceIdFilterShape(10, 1e-5, 1024).fingerprint_bits, 17u);
  EXPECT_EQ(ComputeTraceIdFilterShape(10, 0.01, 1024).fingerprint_bits, 7u);
  EXPECT_EQ(ComputeTraceIdFilterShape(10, 0x1p-28, 1024).fingerprint_bits, 28u);
  EXPECT_EQ(ComputeTraceIdFilterShape(10, 1e-30, 1024).fingerprint_bits, 32u);
}

}  // namespace
}  // namespace andante::internal
