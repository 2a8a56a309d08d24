#include "block/fingerprint_set.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

constexpr size_t kPadBytes = 8;

uint64_t ValueOf(uint64_t hash, uint64_t range) {
  return absl::Uint128High64(absl::uint128(hash) * range);
}

uint64_t RangeOf(uint32_t count, uint32_t bits) {
  return uint64_t{count} << bits;
}

// Appends codes bit by bit (least significant first) into bytes.
class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  // Appends the low `n` bits of `v`, n <= 57.
  void Put(uint64_t v, uint32_t n) {
    acc_ |= (n == 64 ? v : v & ((uint64_t{1} << n) - 1)) << fill_;
    fill_ += n;
    while (fill_ >= 8) {
      out_->push_back(static_cast<char>(acc_ & 0xff));
      acc_ >>= 8;
      fill_ -= 8;
    }
  }
  void Zeros(uint64_t n) {
    for (; n >= 32; n -= 32) Put(0, 32);
    Put(0, static_cast<uint32_t>(n));
  }
  void Flush() {
    if (fill_ > 0) out_->push_back(static_cast<char>(acc_ & 0xff));
    acc_ = 0;
    fill_ = 0;
  }

 private:
  std::string* out_;
  uint64_t acc_ = 0;
  uint32_t fill_ = 0;
};

// The 64 bits from bit position `bit` of a padded stream, shifted so bit
// `bit` is bit 0 (at least 57 valid bits).
uint64_t Load(const std::string& stream, uint64_t bit) {
  uint64_t w;
  std::memcpy(&w, stream.data() + bit / 8, sizeof w);
  if constexpr (std::endian::native == std::endian::big) {
    w = __builtin_bswap64(w);
  }
  return w >> (bit % 8);
}

// Decodes the code at *bit (advancing it) into *gap; false if the unary
// part runs past `end` or exceeds `max_q`.
bool NextGap(const std::string& stream, uint64_t end, uint32_t bits,
             uint64_t max_q, uint64_t* bit, uint64_t* gap) {
  uint64_t q = 0;
  uint64_t p = *bit;
  for (;;) {
    if (p >= end) return false;
    const uint64_t w = Load(stream, p);
    const uint64_t valid = 64 - p % 8;
    if (w == 0) {
      q += valid;
      p += valid;
    } else {
      const uint64_t zeros = static_cast<uint64_t>(std::countr_zero(w));
      q += zeros;
      p += zeros + 1;
      break;
    }
    if (q > max_q) return false;
  }
  if (q > max_q || p > end || end - p < bits) return false;
  const uint64_t low =
      bits == 0 ? 0 : Load(stream, p) & ((uint64_t{1} << bits) - 1);
  *bit = p + bits;
  *gap = (q << bits) | low;
  return true;
}

}  // namespace

uint64_t FingerprintSet::HashOf(const TraceId& id) {
  return Mix64(id.low() ^ Mix64(id.high() ^ kFingerprintSeed));
}

std::string FingerprintSet::Encode(std::vector<uint64_t> hashes,
                                   uint32_t bits) {
  assert(bits >= 1 && bits <= kMaxFingerprintBits);
  assert(hashes.size() < (uint64_t{1} << 32));
  const uint32_t count = static_cast<uint32_t>(hashes.size());
  const uint64_t range = RangeOf(count, bits);
  for (uint64_t& h : hashes) h = ValueOf(h, range);
  std::sort(hashes.begin(), hashes.end());

  std::string out;
  out.reserve(kFingerprintHeaderSize + count * (bits + 2) / 8 + 8);
  PutFixed32(&out, kFingerprintMagic);
  PutFixed32(&out, count);
  PutFixed32(&out, bits);
  BitWriter writer(&out);
  uint64_t previous = 0;
  for (uint64_t v : hashes) {
    const uint64_t gap = v - previous;
    previous = v;
    writer.Zeros(gap >> bits);
    writer.Put(1, 1);
    writer.Put(gap, bits);
  }
  writer.Flush();
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

absl::StatusOr<FingerprintSet> FingerprintSet::Decode(
    std::string_view encoded) {
  if (encoded.size() < kFingerprintHeaderSize + 4) {
    return absl::DataLossError(absl::StrCat(
        "fingerprint shard truncated: ", encoded.size(), " bytes"));
  }
  std::string_view body = encoded.substr(0, encoded.size() - 4);
  if (Crc32c(body) != UnmaskCrc(DecodeFixed32(encoded.data() + body.size()))) {
    return absl::DataLossError("fingerprint shard checksum mismatch");
  }
  if (DecodeFixed32(body.data()) != kFingerprintMagic) {
    return absl::DataLossError("fingerprint shard has a bad magic number");
  }
  FingerprintSet set;
  set.count_ = DecodeFixed32(body.data() + 4);
  set.bits_ = DecodeFixed32(body.data() + 8);
  const std::string_view codes = body.substr(kFingerprintHeaderSize);
  auto bad = [&](const char* what) {
    return absl::DataLossError(absl::StrCat(
        "fingerprint shard of ", set.count_, " keys at ", set.bits_,
        " bits in ", encoded.size(), " bytes: ", what));
  };
  // Every code takes at least bits + 1 bits.
  if (set.bits_ < 1 || set.bits_ > kMaxFingerprintBits ||
      codes.size() < (uint64_t{set.count_} * (set.bits_ + 1) + 7) / 8) {
    return bad("header inconsistent");
  }
  set.range_ = RangeOf(set.count_, set.bits_);
  set.stream_.reserve(codes.size() + kPadBytes);
  set.stream_.append(codes);
  set.stream_.append(kPadBytes, '\0');
  const uint64_t end = uint64_t{codes.size()} * 8;
  set.samples_.reserve(set.count_ / kSampleEvery + 1);
  uint64_t bit = 0;
  uint64_t value = 0;
  const uint64_t max_q = set.range_ >> set.bits_;
  for (uint32_t i = 0; i < set.count_; ++i) {
    uint64_t gap;
    if (!NextGap(set.stream_, end, set.bits_, max_q, &bit, &gap)) {
      return bad("code stream truncated");
    }
    if (gap >= set.range_ - value) return bad("a fingerprint out of range");
    value += gap;
    if (i % kSampleEvery == 0) set.samples_.push_back({value, bit});
  }
  // Canonical: the codes fill the bytes but the last, whose rest is zero.
  if ((bit + 7) / 8 != codes.size() ||
      (bit % 8 != 0 && (Load(set.stream_, bit) & 0xff) != 0)) {
    return bad("trailing bytes after the codes");
  }
  set.end_bit_ = bit;
  return set;
}

bool FingerprintSet::MayContain(const TraceId& id) const {
  if (count_ == 0) return false;
  const uint64_t v = ValueOf(HashOf(id), range_);
  // The last sample at or below v.
  auto it = std::upper_bound(
      samples_.begin(), samples_.end(), v,
      [](uint64_t x, const Sample& s) { return x < s.value; });
  if (it == samples_.begin()) return false;
  --it;
  uint64_t value = it->value;
  uint64_t bit = it->next;
  const uint32_t first = static_cast<uint32_t>(it - samples_.begin()) *
                         kSampleEvery;
  const uint32_t last = std::min(count_, first + kSampleEvery);
  const uint64_t max_q = range_ >> bits_;
  for (uint32_t i = first + 1; value < v && i < last; ++i) {
    uint64_t gap;
    // Decode validated the whole stream.
    if (!NextGap(stream_, end_bit_, bits_, max_q, &bit, &gap)) return true;
    value += gap;
  }
  return value == v;
}

size_t FingerprintSet::MemoryBytes() const {
  return sizeof(*this) + stream_.capacity() +
         samples_.capacity() * sizeof(Sample);
}

}  // namespace andante::internal
