#include "block/trace_id_filter.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "block/block_format.h"

namespace andante::internal {

uint32_t TraceIdShardOf(const TraceId& id, uint32_t shard_count) {
  // Bloom and fingerprint shards split IDs alike.
  assert(shard_count > 0);
  return static_cast<uint32_t>(
      Mix64(id.high() ^ Mix64(id.low() ^ kBloomShardSeed)) % shard_count);
}

absl::StatusOr<TraceIdShard> TraceIdShard::Decode(std::string_view encoded) {
  if (encoded.size() >= 4 &&
      DecodeFixed32(encoded.data()) == kFingerprintMagic) {
    absl::StatusOr<FingerprintSet> set = FingerprintSet::Decode(encoded);
    if (!set.ok()) return set.status();
    return TraceIdShard(*std::move(set));
  }
  absl::StatusOr<BloomFilter> bloom = BloomFilter::Decode(encoded);
  if (!bloom.ok()) return bloom.status();
  return TraceIdShard(*std::move(bloom));
}

bool TraceIdShard::MayContain(const TraceId& id) const {
  return std::visit([&](const auto& f) { return f.MayContain(id); }, filter_);
}

size_t TraceIdShard::MemoryBytes() const {
  if (const auto* set = std::get_if<FingerprintSet>(&filter_)) {
    return set->MemoryBytes();
  }
  return sizeof(*this) + std::get<BloomFilter>(filter_).num_bits() / 8;
}

TraceIdFilterShape ComputeTraceIdFilterShape(uint64_t expected_keys,
                                             double false_positive,
                                             uint64_t shard_size_bytes) {
  assert(false_positive > 0 && false_positive < 1);
  TraceIdFilterShape shape;
  shape.fingerprint_bits = static_cast<uint32_t>(std::clamp<double>(
      std::ceil(-std::log2(false_positive) - 1e-9), 1, kMaxFingerprintBits));
  // A Rice code with parameter b spends b bits plus 1.58 on average for
  // the unary part (gaps are geometric with mean 2^b).
  const double n = static_cast<double>(std::max<uint64_t>(expected_keys, 1));
  const double bits = n * (shape.fingerprint_bits + 1.6);
  const double shard_bits =
      static_cast<double>(std::max<uint64_t>(shard_size_bytes, 8)) * 8;
  shape.shard_count = static_cast<uint32_t>(
      std::clamp<double>(std::ceil(bits / shard_bits), 1, kMaxBloomShards));
  shape.estimated_bytes = static_cast<uint64_t>(std::ceil(bits / 8)) +
                          uint64_t{shape.shard_count} *
                              (kFingerprintHeaderSize + kBloomTrailerSize + 1);
  return shape;
}

ShardedTraceIdFilter::ShardedTraceIdFilter(uint64_t expected_keys,
                                           double false_positive,
                                           uint64_t shard_size_bytes) {
  TraceIdFilterShape shape = ComputeTraceIdFilterShape(
      expected_keys, false_positive, shard_size_bytes);
  bits_ = shape.fingerprint_bits;
  hashes_.resize(shape.shard_count);
}

void ShardedTraceIdFilter::Add(const TraceId& id) {
  hashes_[TraceIdShardOf(id, shard_count())].push_back(
      FingerprintSet::HashOf(id));
}

void ShardedTraceIdFilter::AddAll(absl::Span<const TraceId> ids) {
  std::vector<uint64_t> counts(hashes_.size());
  for (const TraceId& id : ids) ++counts[TraceIdShardOf(id, shard_count())];
  for (size_t i = 0; i < hashes_.size(); ++i) {
    hashes_[i].reserve(hashes_[i].size() + counts[i]);
  }
  for (const TraceId& id : ids) Add(id);
}

std::string ShardedTraceIdFilter::EncodeShard(uint32_t i) const {
  return FingerprintSet::Encode(hashes_[i], bits_);
}

}  // namespace andante::internal
