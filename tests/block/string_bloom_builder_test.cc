// The v2 index's block-wide string bloom built in bounded memory: exact
// sizing for small blocks, folding for large ones. Expected shapes follow
// from the documented sizing rules (8 bits per key; when folded, a divisor
// of the accumulator's size), never from the builder's own count.
#include "block/string_bloom_builder.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "block/bloom_filter.h"
#include "block/v2_index.h"
#include "gtest/gtest.h"

namespace andante::internal {
namespace {

std::vector<TraceId> Keys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TraceId> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    keys.push_back(TraceId::FromHighLow(rng(), rng()));
  }
  return keys;
}

TEST(BloomFoldTest, FoldingEqualsBuildingAtTheSmallerSize) {
  const std::vector<TraceId> keys = Keys(5000, 1);
  BloomFilter big(1 << 18, 5, BloomProbes::kDoubleHashing);
  BloomFilter small(1 << 15, 5, BloomProbes::kDoubleHashing);
  for (const TraceId& k : keys) {
    big.Add(k);
    small.Add(k);
  }
  EXPECT_EQ(big.Fold(1 << 15).Encode(), small.Encode());
  // Any divisor that is a multiple of 8, not only powers of two.
  BloomFilter other(3 * 8 * 1000, 5, BloomProbes::kDoubleHashing);
  BloomFilter bigger(4 * 3 * 8 * 1000, 5, BloomProbes::kDoubleHashing);
  for (const TraceId& k : keys) {
    other.Add(k);
    bigger.Add(k);
  }
  EXPECT_EQ(bigger.Fold(3 * 8 * 1000).Encode(), other.Encode());
}

TEST(BloomFoldTest, AddCountsTheBitsItSets) {
  BloomFilter bloom(1 << 20, 5, BloomProbes::kDoubleHashing);
  const TraceId key = TraceId::FromHighLow(1, 2);
  // Probes are h1 + j*h2 mod 2^20 with h2 odd: five distinct bits.
  EXPECT_EQ(bloom.Add(key), 5u);
  EXPECT_EQ(bloom.Add(key), 0u);
}

TEST(StringBloomBuilderTest, SmallSetsAreSizedExactlyAsBefore) {
  const std::vector<TraceId> keys = Keys(StringBloomBuilder::kExactKeys, 2);
  StringBloomBuilder builder;
  BloomFilter expected = NewV2StringBloom(keys.size());
  for (const TraceId& k : keys) {
    builder.Add(k);
    builder.Add(k);  // repeats count once
    expected.Add(k);
  }
  EXPECT_EQ(builder.KeyCount(), keys.size());
  EXPECT_EQ(std::move(builder).Finish().Encode(), expected.Encode());
}

TEST(StringBloomBuilderTest, LargeSetsFoldToAboutEightBitsPerKey) {
  for (size_t n : {size_t{100'000}, size_t{700'000}}) {
    const std::vector<TraceId> keys = Keys(n, n);
    StringBloomBuilder builder;
    for (const TraceId& k : keys) builder.Add(k);
    for (size_t i = 0; i < keys.size(); i += 3) builder.Add(keys[i]);
    const double count = static_cast<double>(builder.KeyCount());
    EXPECT_NEAR(count, static_cast<double>(n), 0.02 * static_cast<double>(n));
    BloomFilter bloom = std::move(builder).Finish();
    const uint32_t bits = bloom.num_bits();
    // A slice of the accumulator: 8 to 10.7 bits per key.
    EXPECT_EQ(StringBloomBuilder::kAccumulatorBits % bits, 0u) << bits;
    EXPECT_GE(bits, 8 * n * 0.98);
    EXPECT_LT(bits, 8 * n * 4 / 3 * 1.02);
    // Exactly the filter these keys would set at that size.
    BloomFilter direct(bits, bloom.num_hashes(), BloomProbes::kDoubleHashing);
    for (const TraceId& k : keys) direct.Add(k);
    EXPECT_EQ(bloom.Encode(), direct.Encode());
    // At least as selective as NewV2StringBloom's ~2%.
    int hits = 0;
    const std::vector<TraceId> others = Keys(100'000, n + 1);
    for (const TraceId& k : others) hits += bloom.MayContain(k);
    EXPECT_LT(hits, 2500) << n;
  }
}

// Pages' keys added in batches, one batch crossing the switch to the
// accumulator: the same count and bloom as adding them one by one.
TEST(StringBloomBuilderTest, AddAllEqualsAddingOneByOne) {
  const std::vector<TraceId> keys = Keys(150'000, 9);
  StringBloomBuilder one, all;
  for (const TraceId& k : keys) one.Add(k);
  for (size_t i = 0; i < keys.size(); i += 1300) {
    const size_t n = std::min<size_t>(1300, keys.size() - i);
    all.AddAll(std::span<const TraceId>(keys).subspan(i, n));
  }
  all.AddAll(std::span<const TraceId>(keys).subspan(0, 1000));  // repeats
  EXPECT_EQ(all.KeyCount(), one.KeyCount());
  EXPECT_EQ(std::move(all).Finish().Encode(), std::move(one).Finish().Encode());
}

// Keys hashed once (BloomHashOf), as the v2 writer adds a page's strings:
// the same count and bloom as adding the keys, below and past the switch.
TEST(StringBloomBuilderTest, AddAllHashedEqualsAddingTheKeys) {
  for (size_t count : {size_t{5000}, size_t{150'000}}) {
    const std::vector<TraceId> keys = Keys(count, 11);
    std::vector<BloomKeyHash> hashes;
    for (const TraceId& k : keys) hashes.push_back(BloomHashOf(k));
    StringBloomBuilder one, hashed;
    for (const TraceId& k : keys) one.Add(k);
    for (size_t i = 0; i < hashes.size(); i += 1300) {
      const size_t n = std::min<size_t>(1300, hashes.size() - i);
      hashed.AddAllHashed(std::span<const BloomKeyHash>(hashes).subspan(i, n));
    }
    EXPECT_EQ(hashed.KeyCount(), one.KeyCount());
    EXPECT_EQ(std::move(hashed).Finish().Encode(),
              std::move(one).Finish().Encode());
  }
}

TEST(StringBloomBuilderTest, PastTheAccumulatorTheBloomStaysAtItsSize) {
  const size_t n = StringBloomBuilder::kAccumulatorBits / 8 + 500'000;
  StringBloomBuilder builder;
  std::mt19937_64 rng(9);
  std::vector<TraceId> sample;
  for (size_t i = 0; i < n; ++i) {
    TraceId k = TraceId::FromHighLow(rng(), rng());
    builder.Add(k);
    if (i % 1000 == 0) sample.push_back(k);
  }
  BloomFilter bloom = std::move(builder).Finish();
  EXPECT_EQ(bloom.num_bits(), StringBloomBuilder::kAccumulatorBits);
  for (const TraceId& k : sample) EXPECT_TRUE(bloom.MayContain(k));
}

}  // namespace
}  // namespace andante::internal
