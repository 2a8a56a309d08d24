// A trace-ID filter shard of kind "GCS1" (block_format.h): the sorted
// fingerprints of the shard's trace IDs, Golomb-Rice coded (a Golomb-coded
// set). At a false-positive rate of 2^-b it takes about b + 1.6 bits per
// trace where a bloom filter takes 1.44 b, so a much lower rate fits in the
// bytes a bloom used: at the default b = 28 (3.7e-9), 29.6 bits per trace
// against the 1e-5 bloom's 24.
//
// In memory it stays coded (about what it takes on disk) with one sample
// every kSampleEvery keys, so a query decodes at most that many codes.
//
//   std::string shard = FingerprintSet::Encode(hashes, bits);  // building
//   absl::StatusOr<FingerprintSet> set = FingerprintSet::Decode(shard);
//   set->MayContain(id);
#ifndef ANDANTE_BLOCK_FINGERPRINT_SET_H_
#define ANDANTE_BLOCK_FINGERPRINT_SET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"

namespace andante::internal {

class FingerprintSet {
 public:
  // The 64-bit hash of `id` a fingerprint is cut from (block_format.h).
  static uint64_t HashOf(const TraceId& id);

  // The shard object holding the keys whose HashOf values are `hashes`
  // (any order; consumed), at 2^-bits false positives.
  // REQUIRES: 1 <= bits <= kMaxFingerprintBits; hashes.size() < 2^32.
  static std::string Encode(std::vector<uint64_t> hashes, uint32_t bits);

  // Parses a GCS1 shard object. DATA_LOSS if it is truncated, fails its
  // checksum, has another magic or a header or code stream that disagree.
  static absl::StatusOr<FingerprintSet> Decode(std::string_view encoded);

  // False only if `id` was not among the keys.
  bool MayContain(const TraceId& id) const;

  uint32_t key_count() const { return count_; }
  uint32_t fingerprint_bits() const { return bits_; }
  // Heap bytes held (what a cache should charge for it).
  size_t MemoryBytes() const;

  static constexpr uint32_t kSampleEvery = 32;

 private:
  struct Sample {
    uint64_t value;  // fingerprint of key i * kSampleEvery
    uint64_t next;   // bit position of the next key's code
  };

  FingerprintSet() = default;

  uint32_t count_ = 0;
  uint32_t bits_ = 0;
  uint64_t range_ = 0;   // fingerprints are in [0, range_)
  uint64_t end_bit_ = 0; // bits of codes
  std::string stream_;   // the codes, then 8 zero bytes for word loads
  std::vector<Sample> samples_;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_FINGERPRINT_SET_H_
