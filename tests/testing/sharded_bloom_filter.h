// The trace-ID bloom filter as builders wrote it before GCS1 fingerprint
// shards (lib/block/trace_id_filter.h): kept for tests that write blocks of
// the older kinds (BLF1/BLF2 shards) and check their sizing, since readers
// must still answer for such blocks. Library code builds GCS1 only.
//
//   andante::testing::ShardedBloomFilter f(n, 1e-5, 100 * 1024);
//   f.Add(id) ...;  f.shard(i).Encode() for i < f.shard_count()
#ifndef ANDANTE_TESTS_TESTING_SHARDED_BLOOM_FILTER_H_
#define ANDANTE_TESTS_TESTING_SHARDED_BLOOM_FILTER_H_

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <vector>

#include "andante/ids.h"
#include "block/block_format.h"
#include "block/bloom_filter.h"
#include "block/trace_id_filter.h"

namespace andante::testing {

// Shape of a sharded filter for a given key count and target false-positive
// rate: total bits -n ln(p) / ln(2)^2 split over ceil(bits / shard bits)
// shards (at most kMaxBloomShards), ln(2) * bits/n hash functions.
struct BloomShape {
  uint32_t shard_count = 1;
  uint32_t bits_per_shard = 64;
  uint32_t num_hashes = 1;
};

// REQUIRES: 0 < false_positive < 1.
inline BloomShape ComputeBloomShape(uint64_t expected_keys,
                                    double false_positive,
                                    uint64_t shard_size_bytes) {
  assert(false_positive > 0 && false_positive < 1);
  const double n = static_cast<double>(std::max<uint64_t>(expected_keys, 1));
  const double ln2 = std::log(2.0);
  const double total_bits =
      std::ceil(-n * std::log(false_positive) / (ln2 * ln2));
  const double shard_bits =
      static_cast<double>(std::max<uint64_t>(shard_size_bytes, 8)) * 8;

  BloomShape shape;
  shape.shard_count = static_cast<uint32_t>(std::clamp<double>(
      std::ceil(total_bits / shard_bits), 1, internal::kMaxBloomShards));
  // Round each shard up to whole 64-bit words; never below one word.
  double per_shard = std::ceil(total_bits / shape.shard_count / 64) * 64;
  shape.bits_per_shard = static_cast<uint32_t>(
      std::clamp<double>(per_shard, 64, static_cast<double>(UINT32_MAX - 63)));
  shape.num_hashes = static_cast<uint32_t>(
      std::clamp<double>(std::round(total_bits / n * ln2), 1, 30));
  return shape;
}

// BLF2 (BloomProbes::kMixed) shards, as the last bloom builders wrote them.
class ShardedBloomFilter {
 public:
  // REQUIRES: 0 < false_positive < 1.
  ShardedBloomFilter(uint64_t expected_keys, double false_positive,
                     uint64_t shard_size_bytes) {
    const BloomShape shape =
        ComputeBloomShape(expected_keys, false_positive, shard_size_bytes);
    shards_.assign(shape.shard_count,
                   internal::BloomFilter(shape.bits_per_shard, shape.num_hashes,
                                         internal::BloomProbes::kMixed));
  }

  void Add(const TraceId& id) {
    shards_[internal::TraceIdShardOf(id, shard_count())].Add(id);
  }
  bool MayContain(const TraceId& id) const {
    return shards_[internal::TraceIdShardOf(id, shard_count())].MayContain(id);
  }

  uint32_t shard_count() const { return static_cast<uint32_t>(shards_.size()); }
  // REQUIRES: i < shard_count().
  const internal::BloomFilter& shard(uint32_t i) const { return shards_[i]; }

 private:
  std::vector<internal::BloomFilter> shards_;
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_SHARDED_BLOOM_FILTER_H_
