#include "block/bloom_filter.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "andante/ids.h"
#include "block/block_format.h"
#include "block/trace_id_filter.h"
#include "gtest/gtest.h"
#include "tests/testing/sharded_bloom_filter.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

using ::andante::testing::BloomShape;
using ::andante::testing::ComputeBloomShape;
using ::andante::testing::ShardedBloomFilter;

TraceId RandomId(absl::BitGen& gen) {
  return TraceId::FromHighLow(absl::Uniform<uint64_t>(gen),
                              absl::Uniform<uint64_t>(gen));
}

// Measures the false-positive rate of a filter over `n` keys made by
// `make(i)` against 10^6 probes that were never added.
template <typename MakeId>
double MeasureFalsePositiveRate(double target, uint64_t n, MakeId make,
                                uint64_t shard_size_bytes = 100 * 1024) {
  ShardedBloomFilter filter(n, target, shard_size_bytes);
  for (uint64_t i = 0; i < n; ++i) filter.Add(make(i));
  for (uint64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(filter.MayContain(make(i))) << "false negative at " << i;
  }
  constexpr uint64_t kProbes = 1'000'000;
  uint64_t positives = 0;
  for (uint64_t i = n; i < n + kProbes; ++i)
    positives += filter.MayContain(make(i));
  double rate = static_cast<double>(positives) / kProbes;
  std::printf("target %.3f: measured false-positive rate %.4f over %d shards\n",
              target, rate, static_cast<int>(filter.shard_count()));
  return rate;
}

class BloomFalsePositiveTest : public ::testing::TestWithParam<double> {};

TEST_P(BloomFalsePositiveTest, RandomIdsWithin1_5xOfTarget) {
  const double target = GetParam();
  absl::BitGen gen;
  std::vector<TraceId> ids(1'100'000);
  for (TraceId& id : ids) id = RandomId(gen);
  double rate = MeasureFalsePositiveRate(target, 100'000,
                                         [&](uint64_t i) { return ids[i]; });
  EXPECT_LE(rate, target * 1.5);
  EXPECT_GE(rate, target / 1.5);  // sized sensibly, not oversized
}

// 64-bit Jaeger/Zipkin IDs: the high 8 bytes are zero and the low ones
// sequential - the worst case for a hash that looks at only part of the ID.
TEST_P(BloomFalsePositiveTest, SequentialLowOnlyIdsWithin1_5xOfTarget) {
  const double target = GetParam();
  double rate = MeasureFalsePositiveRate(target, 100'000, [](uint64_t i) {
    return TraceId::FromHighLow(0, i + 1);
  });
  EXPECT_LE(rate, target * 1.5);
  EXPECT_GE(rate, target / 1.5);
}

// Many small shards must not skew the rate either.
TEST_P(BloomFalsePositiveTest, ManyShardsWithin1_5xOfTarget) {
  const double target = GetParam();
  absl::BitGen gen;
  std::vector<TraceId> ids(1'100'000);
  for (TraceId& id : ids) id = RandomId(gen);
  double rate = MeasureFalsePositiveRate(
      target, 100'000, [&](uint64_t i) { return ids[i]; },
      /*shard_size_bytes=*/4096);
  EXPECT_LE(rate, target * 1.5);
}

INSTANTIATE_TEST_SUITE_P(Targets, BloomFalsePositiveTest,
                         ::testing::Values(0.01, 0.05));

TEST(BloomShapeTest, ShardsFollowShardSize) {
  // 10^5 keys at 1% need ~958k bits = ~120 KB.
  BloomShape shape = ComputeBloomShape(100'000, 0.01, 100 * 1024);
  EXPECT_EQ(shape.shard_count, 2u);
  EXPECT_EQ(shape.num_hashes, 7u);
  EXPECT_GE(uint64_t{shape.shard_count} * shape.bits_per_shard, 958'506u);
  EXPECT_EQ(shape.bits_per_shard % 64, 0u);

  EXPECT_EQ(ComputeBloomShape(1, 0.01, 100 * 1024).shard_count, 1u);
  EXPECT_EQ(ComputeBloomShape(0, 0.01, 100 * 1024).shard_count, 1u);
  // Capped: shards grow instead.
  BloomShape capped = ComputeBloomShape(1'000'000'000, 0.01, 1024);
  EXPECT_EQ(capped.shard_count, kMaxBloomShards);
  EXPECT_GT(capped.bits_per_shard, 1024u * 8);
}

TEST(BloomShardTest, ShardOfIsStableAndUsesAllBytes) {
  // Pinned values: shard selection is part of the on-disk format.
  TraceId id = *TraceId::FromHex("5b8efff798038103d269b633813fc700");
  EXPECT_EQ(TraceIdShardOf(id, 1000), 393u);
  EXPECT_EQ(TraceIdShardOf(TraceId::FromHighLow(0, 1), 1000),
            578u);
  // ... and so are the bits a key sets (BLF1's; bloom_probes_test checks
  // both schemes against the spec's formulas).
  BloomFilter filter(256, 3, BloomProbes::kDoubleHashing);
  filter.Add(id);
  filter.Add(TraceId::FromHighLow(0, 1));
  EXPECT_EQ(Crc32c(filter.Encode()), 0x966294f0u);
  // Low-only IDs spread over shards.
  std::vector<int> counts(16);
  for (uint64_t i = 1; i <= 16000; ++i) {
    ++counts[TraceIdShardOf(TraceId::FromHighLow(0, i), 16)];
  }
  for (int c : counts) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

TEST(BloomFilterTest, EncodeDecodeRoundTrip) {
  for (BloomProbes probes :
       {BloomProbes::kDoubleHashing, BloomProbes::kMixed}) {
    BloomFilter filter(1024, 5, probes);
    absl::BitGen gen;
    std::vector<TraceId> ids(50);
    for (TraceId& id : ids) {
      id = RandomId(gen);
      filter.Add(id);
    }
    std::string encoded = filter.Encode();
    EXPECT_EQ(encoded.size(), filter.EncodedSize());
    absl::StatusOr<BloomFilter> decoded = BloomFilter::Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->num_bits(), 1024u);
    EXPECT_EQ(decoded->num_hashes(), 5u);
    EXPECT_EQ(decoded->probes(), probes);
    for (const TraceId& id : ids) EXPECT_TRUE(decoded->MayContain(id));
    EXPECT_EQ(decoded->Encode(), encoded);
  }
}

// BloomHashOf is block_format.h's h1 and h2 of the ID's big-endian halves,
// and keys hashed once set the bits Add and AddAll set (the v2 writer feeds
// a page's and the block's string bloom from one hashing).
TEST(BloomFilterTest, HashedKeysSetTheBitsOfAdd) {
  absl::BitGen gen;
  std::vector<TraceId> ids;
  for (int i = 0; i < 3000; ++i) {
    ids.push_back(TraceId::FromHighLow(absl::Uniform<uint64_t>(gen),
                                       absl::Uniform<uint64_t>(gen)));
  }
  std::vector<BloomKeyHash> hashes;
  for (const TraceId& id : ids) {
    const BloomKeyHash h = BloomHashOf(id);
    ASSERT_EQ(h.h1, Mix64(id.high() ^ Mix64(id.low() ^ kBloomHashSeed1)));
    ASSERT_EQ(h.h2, Mix64(id.low() ^ Mix64(id.high() ^ kBloomHashSeed2)) | 1);
    hashes.push_back(h);
  }
  for (BloomProbes probes : {BloomProbes::kDoubleHashing, BloomProbes::kMixed}) {
    BloomFilter one(8 * 4096, 5, probes), all(8 * 4096, 5, probes),
        hashed(8 * 4096, 5, probes);
    uint32_t added_one = 0;
    for (const TraceId& id : ids) added_one += one.Add(id);
    const uint32_t added_all = all.AddAll(ids);
    const uint32_t added_hashed = hashed.AddAllHashed(hashes);
    EXPECT_EQ(added_all, added_one);
    EXPECT_EQ(added_hashed, added_one);
    EXPECT_EQ(all.Encode(), one.Encode());
    EXPECT_EQ(hashed.Encode(), one.Encode());
  }
}

TEST(BloomFilterTest, DecodeRejectsCorruption) {
  BloomFilter filter(512, 3, BloomProbes::kMixed);
  filter.Add(TraceId::FromHighLow(1, 2));
  std::string encoded = filter.Encode();
  for (size_t i = 0; i < encoded.size(); i += 7) {
    std::string bad = encoded;
    bad[i] ^= 0x10;
    EXPECT_TRUE(absl::IsDataLoss(BloomFilter::Decode(bad).status())) << i;
  }
  EXPECT_TRUE(absl::IsDataLoss(
      BloomFilter::Decode(encoded.substr(0, encoded.size() - 1)).status()));
  EXPECT_TRUE(absl::IsDataLoss(BloomFilter::Decode("").status()));
}

}  // namespace
}  // namespace andante::internal
