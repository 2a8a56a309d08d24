#include "block/bloom_filter.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "absl/base/internal/endian.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

// The two hashes of double hashing (Kirsch & Mitzenmacher): k probes from
// two 64-bit values cost two mixes instead of k.
using BloomHashes = BloomKeyHash;

BloomHashes HashesOf(const TraceId& id) {
  // The ID's halves read here (TraceId::high and low are out of line).
  const uint64_t hi = absl::big_endian::Load64(id.bytes().data());
  const uint64_t lo = absl::big_endian::Load64(id.bytes().data() + 8);
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

// Calls f(bit) for the k bit positions of `h` in a filter of `n` bits;
// stops early when f returns false. For kDoubleHashing, x_j = h1 + j*h2
// wraps mod 2^64 and bit_j = x_j mod n; the residues are stepped instead of
// divided for: r_{j+1} = r_j + (h2 mod n), less (2^64 mod n) when x_j + h2
// wraps. Two divisions per key instead of k, the same bits.
// `wrap`: WrapOf(n), computed once per filter by a caller probing many keys
// (a division; the compiler cannot hoist it past the filter's byte stores,
// which may alias the filter's size).
uint64_t WrapOf(uint32_t n) { return (uint64_t{0} - n) % n; }  // 2^64 mod n

template <typename F>
void ForEachProbe(BloomProbes probes, const BloomHashes& h, uint32_t k,
                  uint32_t n, uint64_t wrap, F&& f) {
  if (probes != BloomProbes::kDoubleHashing) {
    for (uint32_t j = 0; j < k; ++j) {
      if (!f(ProbeBit(probes, h, j, n))) return;
    }
    return;
  }
  const uint64_t step = h.h2 % n;
  uint64_t r = h.h1 % n;
  uint64_t x = h.h1;
  for (uint32_t j = 0;;) {
    if (!f(r)) return;
    if (++j == k) return;
    const uint64_t next = x + h.h2;
    r += step;  // < 2n: fits, as n < 2^32
    if (r >= n) r -= n;
    if (next < x) r = r >= wrap ? r - wrap : r + n - wrap;
    x = next;
  }
}

template <typename F>
void ForEachProbe(BloomProbes probes, const BloomHashes& h, uint32_t k,
                  uint32_t n, F&& f) {
  ForEachProbe(probes, h, k, n, WrapOf(n), std::forward<F>(f));
}

}  // namespace

BloomKeyHash BloomHashOf(const TraceId& key) { return HashesOf(key); }

BloomFilter::BloomFilter(uint32_t num_bits, uint32_t num_hashes,
                         BloomProbes probes)
    : num_bits_(num_bits),
      num_hashes_(num_hashes),
      probes_(probes),
      bits_(num_bits / 8) {
  assert(num_bits > 0 && num_bits % 8 == 0 && num_hashes > 0);
}

uint32_t BloomFilter::Add(const TraceId& id) {
  uint32_t added = 0;
  ForEachProbe(probes_, HashesOf(id), num_hashes_, num_bits_,
               [&](uint64_t bit) {
                 const uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
                 added += (bits_[bit / 8] & mask) == 0;
                 bits_[bit / 8] |= mask;
                 return true;
               });
  return added;
}

uint32_t BloomFilter::AddAll(std::span<const TraceId> ids) {
  // Hashed in batches on the stack, then added as AddAllHashed adds.
  constexpr size_t kBatch = 256;
  BloomKeyHash batch[kBatch];
  uint32_t added = 0;
  while (!ids.empty()) {
    const size_t n = std::min(ids.size(), kBatch);
    for (size_t i = 0; i < n; ++i) batch[i] = HashesOf(ids[i]);
    added += AddAllHashed(std::span<const BloomKeyHash>(batch, n));
    ids = ids.subspan(n);
  }
  return added;
}

uint32_t BloomFilter::AddAllHashed(std::span<const BloomKeyHash> hashes) {
  // Key i's bits are computed and prefetched kAhead keys before they are set.
  constexpr size_t kAhead = 8;
  constexpr uint32_t kMaxHashes = 64;  // Decode's bound; builders use fewer
  uint32_t added = 0;
  uint8_t* const bits = bits_.data();
  // Read once: the byte stores below may alias the members.
  const uint32_t n = num_bits_, k = num_hashes_;
  const BloomProbes probes = probes_;
  const uint64_t wrap = WrapOf(n);
  auto set = [&](uint64_t bit) {
    const uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
    added += (bits[bit / 8] & mask) == 0;
    bits[bit / 8] |= mask;
    return true;
  };
  if (k > kMaxHashes) {
    for (const BloomKeyHash& h : hashes) {
      ForEachProbe(probes, h, k, n, wrap, set);
    }
    return added;
  }
  uint32_t ring[kAhead][kMaxHashes];
  for (size_t i = 0; i < hashes.size() + kAhead; ++i) {
    uint32_t* slot = ring[i % kAhead];
    if (i >= kAhead) {  // key i - kAhead: set its bits
      for (uint32_t j = 0; j < k; ++j) set(slot[j]);
    }
    if (i < hashes.size()) {
      uint32_t j = 0;
      ForEachProbe(probes, hashes[i], k, n, wrap, [&](uint64_t bit) {
        slot[j++] = static_cast<uint32_t>(bit);
        __builtin_prefetch(bits + bit / 8, 1);
        return true;
      });
    }
  }
  return added;
}

BloomFilter BloomFilter::Fold(uint32_t num_bits) const {
  assert(probes_ == BloomProbes::kDoubleHashing);
  assert(num_bits > 0 && num_bits % 8 == 0 && num_bits_ % num_bits == 0);
  BloomFilter folded(num_bits, num_hashes_, probes_);
  const size_t bytes = num_bits / 8;
  uint8_t* const out = folded.bits_.data();
  for (size_t start = 0; start < bits_.size(); start += bytes) {
    // Eight bytes at a time (the accumulator being folded is megabytes).
    const uint8_t* in = bits_.data() + start;
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
      uint64_t a, b;
      std::memcpy(&a, out + i, 8);
      std::memcpy(&b, in + i, 8);
      a |= b;
      std::memcpy(out + i, &a, 8);
    }
    for (; i < bytes; ++i) out[i] |= in[i];
  }
  return folded;
}

bool BloomFilter::MayContain(const TraceId& id) const {
  bool all = true;
  ForEachProbe(probes_, HashesOf(id), num_hashes_, num_bits_,
               [&](uint64_t bit) {
                 all = (bits_[bit / 8] & (1u << (bit % 8))) != 0;
                 return all;
               });
  return all;
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
