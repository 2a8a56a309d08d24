// Bloom filters over 16-byte keys. Two uses:
//  * the trace-ID shards "bloom-<i>" of blocks written before GCS1
//    fingerprint shards (trace_id_filter.h reads every kind; builders now
//    write GCS1 only; tests/testing/sharded_bloom_filter.h builds the older
//    kinds as they were built, so tests can write such blocks);
//  * the v2 index's string blooms (BLF1), built and read here.
// The bits a key sets are fixed by block_format.h.
//
// Building:   BloomFilter f(num_bits, num_hashes, probes); f.Add(id) ...;
//             f.Encode()
// Looking up: BloomFilter::Decode(bytes)->MayContain(id)
#ifndef ANDANTE_BLOCK_BLOOM_FILTER_H_
#define ANDANTE_BLOCK_BLOOM_FILTER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"

namespace andante::internal {

// How a key's k bit positions are derived from its two hashes h1, h2 (the
// shard's magic number says which; block_format.h has the formulas).
enum class BloomProbes {
  // "BLF1": bit_j = (h1 + j*h2) mod m. Plain double hashing: in small
  // filters (hundreds of bits, ~17 probes) keys whose sequences are shifts
  // of each other share most bits, so the false-positive rate has a floor
  // (~8e-4 at 512 bits, 20 keys, 17 probes for a 1e-5 target). Trace-ID
  // shards written before BLF2, and the v2 index's string blooms (~2%).
  kDoubleHashing,
  // "BLF2": bit_j = Mix64(h1 + j*h2) scaled to m. Each probe is remixed, so
  // the positions behave as independent and the rate is the textbook one
  // at any size. Trace-ID shards written between BLF1 and GCS1.
  kMixed,
};

// One shard: a plain bloom filter over trace IDs.
// The two 64-bit hashes a key's probes derive from (block_format.h: h1 and
// h2 of its big-endian halves), the same for every filter: a key added to
// several filters (a v2 page's string bloom and the block's) is hashed once.
struct BloomKeyHash {
  uint64_t h1 = 0;
  uint64_t h2 = 0;
  friend bool operator==(const BloomKeyHash& a, const BloomKeyHash& b) {
    return a.h1 == b.h1 && a.h2 == b.h2;
  }
};
BloomKeyHash BloomHashOf(const TraceId& key);

class BloomFilter {
 public:
  // REQUIRES: num_bits > 0 and a multiple of 8; num_hashes > 0.
  BloomFilter(uint32_t num_bits, uint32_t num_hashes, BloomProbes probes);

  // Parses a shard object (either magic). DATA_LOSS if it is truncated, has
  // an unknown magic or fails its checksum.
  static absl::StatusOr<BloomFilter> Decode(std::string_view encoded);

  // Returns how many of the key's bits were not set before (0 when it was
  // added already, or its bits were all set by other keys).
  uint32_t Add(const TraceId& id);
  // Add for each of `ids` in order, with the same result; the bits of the
  // next few keys are prefetched while a key's are set, so a filter far
  // larger than the caches (the string bloom's 8.3 MB accumulator) waits
  // for several keys' cache misses at once rather than one after another.
  uint32_t AddAll(std::span<const TraceId> ids);
  // AddAll for keys hashed by BloomHashOf.
  uint32_t AddAllHashed(std::span<const BloomKeyHash> hashes);
  // False only if `id` was never added.
  bool MayContain(const TraceId& id) const;

  // The same keys in a filter of `num_bits` bits: bit i is the OR of the
  // bits congruent to i mod num_bits. For kDoubleHashing (bit_j = x_j mod
  // num_bits) this is exactly the filter those keys would have set at that
  // size. REQUIRES: probes() == kDoubleHashing; num_bits a multiple of 8
  // that divides this->num_bits().
  BloomFilter Fold(uint32_t num_bits) const;

  // The shard object's bytes.
  std::string Encode() const;
  // Size of Encode()'s result without building it.
  size_t EncodedSize() const;

  uint32_t num_bits() const { return num_bits_; }
  uint32_t num_hashes() const { return num_hashes_; }
  BloomProbes probes() const { return probes_; }

 private:
  uint32_t num_bits_;
  uint32_t num_hashes_;
  BloomProbes probes_;
  std::vector<uint8_t> bits_;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOOM_FILTER_H_
