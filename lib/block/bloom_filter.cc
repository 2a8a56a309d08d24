#include "block/bloom_filter.h"

#include <algorithm>
#include <cassert>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

// The two hashes of double hashing (Kirsch & Mitzenmacher): k probes from
// two 64-bit values cost two mixes instead of k.
struct BloomHashes {
  uint64_t h1;
  uint64_t h2;
};

BloomHashes HashesOf(const TraceId& id) {
  uint64_t hi = id.high();
  uint64_t lo = id.low();
  return {Mix64(hi ^ Mix64(lo ^ kBloomHashSeed1)),
          Mix64(lo ^ Mix64(hi ^ kBloomHashSeed2)) | 1};
}

// Probe j of `h` in a filter of `num_bits` bits (block_format.h).
uint64_t ProbeBit(BloomProbes probes, const BloomHashes& h, uint32_t j,
                  uint32_t num_bits) {
  const uint64_t x = h.h1 + j * h.h2;
  if (probes == BloomProbes::kDoubleHashing) return x % num_bits;
  // Multiply-shift maps the remixed 64 bits onto [0, num_bits) by their
  // high bits, without a division.
  return absl::Uint128High64(absl::uint128(Mix64(x)) * num_bits);
}

uint32_t MagicOf(BloomProbes probes) {
  return probes == BloomProbes::kDoubleHashing ? kBloomMagic : kBloomMagicMixed;
}

}  // namespace

BloomFilter::BloomFilter(uint32_t num_bits, uint32_t num_hashes,
                         BloomProbes probes)
    : num_bits_(num_bits),
      num_hashes_(num_hashes),
      probes_(probes),
      bits_(num_bits / 8) {
  assert(num_bits > 0 && num_bits % 8 == 0 && num_hashes > 0);
}

uint32_t BloomFilter::Add(const TraceId& id) {
  BloomHashes h = HashesOf(id);
  uint32_t added = 0;
  for (uint32_t j = 0; j < num_hashes_; ++j) {
    uint64_t bit = ProbeBit(probes_, h, j, num_bits_);
    const uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
    added += (bits_[bit / 8] & mask) == 0;
    bits_[bit / 8] |= mask;
  }
  return added;
}

BloomFilter BloomFilter::Fold(uint32_t num_bits) const {
  assert(probes_ == BloomProbes::kDoubleHashing);
  assert(num_bits > 0 && num_bits % 8 == 0 && num_bits_ % num_bits == 0);
  BloomFilter folded(num_bits, num_hashes_, probes_);
  const size_t bytes = num_bits / 8;
  for (size_t start = 0; start < bits_.size(); start += bytes) {
    for (size_t i = 0; i < bytes; ++i) folded.bits_[i] |= bits_[start + i];
  }
  return folded;
}

bool BloomFilter::MayContain(const TraceId& id) const {
  BloomHashes h = HashesOf(id);
  for (uint32_t j = 0; j < num_hashes_; ++j) {
    uint64_t bit = ProbeBit(probes_, h, j, num_bits_);
    if ((bits_[bit / 8] & (1u << (bit % 8))) == 0) return false;
  }
  return true;
}

size_t BloomFilter::EncodedSize() const {
  return kBloomHeaderSize + bits_.size() + kBloomTrailerSize;
}

std::string BloomFilter::Encode() const {
  std::string out;
  out.reserve(EncodedSize());
  PutFixed32(&out, MagicOf(probes_));
  PutFixed32(&out, num_hashes_);
  PutFixed32(&out, num_bits_);
  out.append(reinterpret_cast<const char*>(bits_.data()), bits_.size());
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

absl::StatusOr<BloomFilter> BloomFilter::Decode(std::string_view encoded) {
  if (encoded.size() < kBloomHeaderSize + kBloomTrailerSize) {
    return absl::DataLossError(
        absl::StrCat("bloom shard truncated: ", encoded.size(), " bytes"));
  }
  std::string_view body = encoded.substr(0, encoded.size() - kBloomTrailerSize);
  uint32_t stored = UnmaskCrc(DecodeFixed32(encoded.data() + body.size()));
  if (Crc32c(body) != stored) {
    return absl::DataLossError("bloom shard checksum mismatch");
  }
  const uint32_t magic = DecodeFixed32(body.data());
  if (magic != kBloomMagic && magic != kBloomMagicMixed) {
    return absl::DataLossError("bloom shard has a bad magic number");
  }
  const BloomProbes probes =
      magic == kBloomMagic ? BloomProbes::kDoubleHashing : BloomProbes::kMixed;
  uint32_t num_hashes = DecodeFixed32(body.data() + 4);
  uint32_t num_bits = DecodeFixed32(body.data() + 8);
  if (num_hashes == 0 || num_hashes > 64 || num_bits == 0 ||
      num_bits % 8 != 0 || body.size() - kBloomHeaderSize != num_bits / 8) {
    return absl::DataLossError(absl::StrCat(
        "bloom shard header inconsistent: ", num_hashes, " hashes, ", num_bits,
        " bits in ", encoded.size(), " bytes"));
  }
  BloomFilter filter(num_bits, num_hashes, probes);
  std::copy(body.begin() + kBloomHeaderSize, body.end(),
            reinterpret_cast<char*>(filter.bits_.data()));
  return filter;
}

}  // namespace andante::internal
