// Builds the block-wide string bloom of a v2 index (V2Index::strings: every
// distinct string of the block, about 1% false positives, BLF1) in memory
// bounded by a constant, however many distinct strings the block holds.
//
//   StringBloomBuilder keys;
//   for each page: for each string s: keys.Add(V2StringKey(s));
//   BloomFilter bloom = std::move(keys).Finish();
//
// The bloom is sized from the number of distinct keys, known only at the
// end. Up to kExactKeys keys are kept in a set and the bloom is sized
// exactly as NewV2StringBloom(n) sizes it. Past that, the keys go into an
// accumulator of kAccumulatorBits bits instead, and Finish folds it to the
// smallest of its sizes' divisors (a multiple of 8) with at least 8 bits per
// key, the count estimated from the bits set. Folding is exact for BLF1
// (bit_j = x_j mod num_bits, block_format.h): OR-ing the accumulator's
// m-bit slices gives, bit for bit, the filter the same keys would have set
// in m bits when m divides its size. kAccumulatorBits = 2^20 * 63 has
// divisors at most 4/3 apart, so the bloom gets 8 to 10.7 bits per distinct
// string (at most NewV2StringBloom's ~2% false positives, 1.1x its bytes on
// average) and the builder holds at most kAccumulatorBits / 8 bytes (8.3 MB)
// — where a set of every key took 30-40 bytes per distinct string, which is
// what grew with a compaction's output (issue 14: the load generator's traces
// carry about one distinct string per span, so a job of 3.2M spans held a
// 107 MB set). Beyond kAccumulatorBits / 8 distinct strings (8.3M) the
// bloom stays at kAccumulatorBits and its false-positive rate rises (still
// only false positives).
#ifndef ANDANTE_BLOCK_STRING_BLOOM_BUILDER_H_
#define ANDANTE_BLOCK_STRING_BLOOM_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/flat_hash_set.h"
#include "andante/ids.h"
#include "block/bloom_filter.h"

namespace andante::internal {

class StringBloomBuilder {
 public:
  // Keys kept exactly before switching to the accumulator.
  static constexpr uint64_t kExactKeys = uint64_t{1} << 16;
  // The accumulator's size: 2^20 * 3^2 * 7, so its divisors are dense.
  static constexpr uint32_t kAccumulatorBits = (uint32_t{1} << 20) * 63;

  StringBloomBuilder() = default;
  StringBloomBuilder(StringBloomBuilder&&) = default;
  StringBloomBuilder& operator=(StringBloomBuilder&&) = default;

  // `key` is V2StringKey of a string; adding a key again changes nothing.
  void Add(const TraceId& key);

  // Add for each of `keys`, faster once the accumulator is in use (its
  // cache misses overlap; BloomFilter::AddAll).
  void AddAll(std::span<const TraceId> keys);
  // AddAll for keys hashed by BloomHashOf (hashed once for several filters).
  void AddAllHashed(std::span<const BloomKeyHash> hashes);

  // Distinct keys added so far: exact up to kExactKeys, estimated after.
  uint64_t KeyCount() const;

  // The bloom of every key added (NewV2StringBloom's shape up to kExactKeys
  // keys). Leaves the builder empty.
  BloomFilter Finish() &&;

 private:
  // Keys by their bloom hashes: h1 is a mix of the whole key, used as is
  // as the set's hash.
  struct H1 {
    size_t operator()(const BloomKeyHash& h) const { return h.h1; }
  };
  void AddHashed(const BloomKeyHash& h);

  absl::flat_hash_set<BloomKeyHash, H1> exact_;
  // Set once exact_ would pass kExactKeys; exact_ is then emptied.
  std::optional<BloomFilter> accumulator_;
  uint64_t set_bits_ = 0;  // of accumulator_
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_STRING_BLOOM_BUILDER_H_
