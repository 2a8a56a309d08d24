#include "block/string_bloom_builder.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "block/v2_index.h"

namespace andante::internal {

static_assert(StringBloomBuilder::kAccumulatorBits % 8 == 0);
static_assert(StringBloomBuilder::kAccumulatorBits >=
              16 * StringBloomBuilder::kExactKeys);

void StringBloomBuilder::Add(const TraceId& key) {
  AddHashed(BloomHashOf(key));
}

void StringBloomBuilder::AddHashed(const BloomKeyHash& h) {
  if (accumulator_.has_value()) {
    set_bits_ += accumulator_->AddAllHashed(std::span(&h, 1));
    return;
  }
  exact_.insert(h);
  if (exact_.size() <= kExactKeys) return;
  // NewV2StringBloom's shape (8 bits per key, its hash count) at the
  // accumulator's size.
  accumulator_ = NewV2StringBloom(kAccumulatorBits / 8);
  // In batches, so the accumulator's cache misses overlap (AddAll).
  std::vector<BloomKeyHash> batch;
  batch.reserve(1024);
  for (const BloomKeyHash& k : exact_) {
    batch.push_back(k);
    if (batch.size() == batch.capacity()) {
      set_bits_ += accumulator_->AddAllHashed(batch);
      batch.clear();
    }
  }
  set_bits_ += accumulator_->AddAllHashed(batch);
  absl::flat_hash_set<BloomKeyHash, H1>().swap(exact_);
}

void StringBloomBuilder::AddAll(std::span<const TraceId> keys) {
  constexpr size_t kBatch = 256;
  BloomKeyHash batch[kBatch];
  while (!keys.empty()) {
    const size_t n = std::min(keys.size(), kBatch);
    for (size_t i = 0; i < n; ++i) batch[i] = BloomHashOf(keys[i]);
    AddAllHashed(std::span<const BloomKeyHash>(batch, n));
    keys = keys.subspan(n);
  }
}

void StringBloomBuilder::AddAllHashed(std::span<const BloomKeyHash> hashes) {
  // One at a time until the accumulator exists (AddHashed switches to it).
  while (!hashes.empty() && !accumulator_.has_value()) {
    AddHashed(hashes.front());
    hashes = hashes.subspan(1);
  }
  if (!hashes.empty()) set_bits_ += accumulator_->AddAllHashed(hashes);
}

uint64_t StringBloomBuilder::KeyCount() const {
  if (!accumulator_.has_value()) return exact_.size();
  // Swamidass & Baldi: n = -(m / k) ln(1 - X / m) for X of m bits set by
  // k probes per key.
  const double m = accumulator_->num_bits();
  const double x = static_cast<double>(set_bits_);
  if (x >= m) return kAccumulatorBits;  // saturated: at least this many
  return static_cast<uint64_t>(
      std::llround(-m / accumulator_->num_hashes() * std::log1p(-x / m)));
}

BloomFilter StringBloomBuilder::Finish() && {
  if (!accumulator_.has_value()) {
    BloomFilter bloom = NewV2StringBloom(exact_.size());
    const std::vector<BloomKeyHash> keys(exact_.begin(), exact_.end());
    bloom.AddAllHashed(keys);
    absl::flat_hash_set<BloomKeyHash, H1>().swap(exact_);
    return bloom;
  }
  // The smallest divisor of the accumulator's size (a multiple of 8) with
  // at least 8 bits per key: the largest q dividing it with size / q >= 8n.
  const uint64_t wanted = std::max<uint64_t>(8 * KeyCount(), 64);
  uint32_t bits = kAccumulatorBits;
  for (uint64_t q = kAccumulatorBits / wanted; q > 1; --q) {
    if (kAccumulatorBits % q == 0 && (kAccumulatorBits / q) % 8 == 0) {
      bits = static_cast<uint32_t>(kAccumulatorBits / q);
      break;
    }
  }
  BloomFilter bloom = accumulator_->Fold(bits);
  accumulator_.reset();
  set_bits_ = 0;
  return bloom;
}

}  // namespace andante::internal
