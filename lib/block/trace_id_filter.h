// The trace-ID filter of a block: shard objects "bloom-<i>" so that a lookup
// reads exactly one shard. Blocks written now hold GCS1 shards (sorted
// fingerprints, fingerprint_set.h); blocks written before hold bloom shards
// (BLF1 or BLF2, bloom_filter.h). The shard of an ID is the same for all
// kinds; the layouts are in block_format.h.
//
// Building:   ShardedTraceIdFilter f(n, options.bloom_filter_false_positive,
//                                    options.bloom_filter_shard_size_bytes);
//             f.Add(id) ...;  f.EncodeShard(i) for i < f.shard_count()
// Looking up: TraceIdShard::Decode(bytes of bloom-<TraceIdShardOf(id, n)>)
//             ->MayContain(id)
#ifndef ANDANTE_BLOCK_TRACE_ID_FILTER_H_
#define ANDANTE_BLOCK_TRACE_ID_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "andante/ids.h"
#include "block/bloom_filter.h"
#include "block/fingerprint_set.h"

namespace andante::internal {

// The shard holding `id` in a filter of `shard_count` shards.
// REQUIRES: shard_count > 0.
uint32_t TraceIdShardOf(const TraceId& id, uint32_t shard_count);

// One shard as read: whichever kind its magic names.
class TraceIdShard {
 public:
  // DATA_LOSS if the object is no valid shard of any kind.
  static absl::StatusOr<TraceIdShard> Decode(std::string_view encoded);

  // False only if `id` was not added to the shard.
  bool MayContain(const TraceId& id) const;
  // Heap bytes held (what a cache should charge for it).
  size_t MemoryBytes() const;
  // True for a GCS1 shard, false for a bloom (BLF1, BLF2).
  bool is_fingerprints() const {
    return std::holds_alternative<FingerprintSet>(filter_);
  }

 private:
  explicit TraceIdShard(std::variant<BloomFilter, FingerprintSet> filter)
      : filter_(std::move(filter)) {}
  std::variant<BloomFilter, FingerprintSet> filter_;
};

// Shape of a GCS1 filter for `expected_keys` at false-positive rate `p`:
// b = clamp(ceil(log2(1 / p)), 1, kMaxFingerprintBits) bits per
// fingerprint, about b + 1.6 coded bits per key, split into
// clamp(ceil(bits / (8 * shard_size_bytes)), 1, kMaxBloomShards) shards.
struct TraceIdFilterShape {
  uint32_t shard_count = 1;
  uint32_t fingerprint_bits = 1;
  uint64_t estimated_bytes = 0;  // all shards, headers included
};
// REQUIRES: 0 < false_positive < 1.
TraceIdFilterShape ComputeTraceIdFilterShape(uint64_t expected_keys,
                                             double false_positive,
                                             uint64_t shard_size_bytes);

class ShardedTraceIdFilter {
 public:
  // REQUIRES: 0 < false_positive < 1.
  ShardedTraceIdFilter(uint64_t expected_keys, double false_positive,
                       uint64_t shard_size_bytes);

  void Add(const TraceId& id);
  // Adds every ID of `ids`, each shard's fingerprints allocated once at
  // their exact size (8 bytes per ID, where growing by Add may hold up to
  // twice that while a shard's vector doubles).
  void AddAll(absl::Span<const TraceId> ids);

  uint32_t shard_count() const {
    return static_cast<uint32_t>(hashes_.size());
  }
  uint32_t fingerprint_bits() const { return bits_; }
  // Shard i's object. REQUIRES: i < shard_count().
  std::string EncodeShard(uint32_t i) const;

 private:
  uint32_t bits_;
  std::vector<std::vector<uint64_t>> hashes_;  // FingerprintSet::HashOf
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_TRACE_ID_FILTER_H_
