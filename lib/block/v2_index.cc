#include "block/v2_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/crc32c.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

constexpr size_t kPageFixedBytes = 16 + 16 + 8 + 4 + 4 + 4 + 8 * 4 + 4;

absl::Status Bad(std::string_view what) {
  return absl::DataLossError(absl::StrCat("v2 index: ", ToAbsl(what)));
}

void PutBloom(std::string* out, const BloomFilter& b) {
  std::string enc = b.Encode();
  PutFixed32(out, static_cast<uint32_t>(enc.size()));
  out->append(enc);
}

bool GetBloom(std::string_view* in, BloomFilter* out) {
  if (in->size() < 4) return false;
  uint32_t n = DecodeFixed32(in->data());
  in->remove_prefix(4);
  if (n > in->size()) return false;
  absl::StatusOr<BloomFilter> b = BloomFilter::Decode(in->substr(0, n));
  if (!b.ok()) return false;
  *out = *std::move(b);
  in->remove_prefix(n);
  return true;
}

void PutList(std::string* out, const std::vector<std::string>& list) {
  PutVarint64(out, list.size());
  for (const std::string& s : list) {
    PutVarint64(out, s.size());
    out->append(s);
  }
}

bool GetList(std::string_view* in, std::vector<std::string>* list) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  list->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len;
    if (!GetVarint64(in, &len) || len > in->size()) return false;
    list->emplace_back(in->substr(0, len));
    in->remove_prefix(len);
  }
  return true;
}

TraceId IdAt(const char* p) {
  std::array<uint8_t, TraceId::kSize> id;
  std::memcpy(id.data(), p, id.size());
  return TraceId(id);
}

}  // namespace

TraceId V2StringKey(std::string_view s) {
  const uint64_t h = Fnv1a64(s);
  return TraceId::FromHighLow(Mix64(h ^ kV2StringSeedHi),
                              Mix64(h ^ kV2StringSeedLo));
}

BloomFilter NewV2StringBloom(uint64_t n) {
  // ~2% false positives: 8 bits and 5 hashes per key.
  uint64_t bits = std::max<uint64_t>(64, n * 8);
  bits = std::min<uint64_t>((bits + 7) / 8 * 8, uint64_t{1} << 31);
  return BloomFilter(static_cast<uint32_t>(bits), 5);
}

std::string V2Index::Encode() const {
  std::string out;
  PutFixed32(&out, kV2IndexMagic);
  PutFixed32(&out, static_cast<uint32_t>(pages.size()));
  for (const V2PageEntry& p : pages) {
    out.append(p.first_id.bytes());
    out.append(p.last_id.bytes());
    PutFixed64(&out, p.offset);
    PutFixed32(&out, p.length);
    PutFixed32(&out, p.trace_count);
    PutFixed32(&out, p.span_count);
    PutFixed64(&out, static_cast<uint64_t>(p.min_start));
    PutFixed64(&out, static_cast<uint64_t>(p.max_end));
    PutFixed64(&out, static_cast<uint64_t>(p.min_duration));
    PutFixed64(&out, static_cast<uint64_t>(p.max_duration));
    PutFixed32(&out, kV2ColumnCount);
    for (const V2Chunk& c : p.chunks) {
      PutFixed32(&out, c.length);
      PutFixed32(&out, c.raw_length);
      PutFixed32(&out, c.crc);
    }
    PutBloom(&out, p.strings);
  }
  PutBloom(&out, strings);
  PutFixed32(&out,
             (services_complete ? 1u : 0u) | (span_names_complete ? 2u : 0u));
  PutList(&out, services);
  PutList(&out, span_names);
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

absl::StatusOr<V2Index> V2Index::Decode(std::string_view encoded) {
  if (encoded.size() < 12) return Bad("truncated");
  std::string_view body = encoded.substr(0, encoded.size() - 4);
  if (Crc32c(body) != UnmaskCrc(DecodeFixed32(encoded.data() + body.size()))) {
    return Bad("checksum mismatch");
  }
  if (DecodeFixed32(body.data()) != kV2IndexMagic) return Bad("bad magic");
  uint32_t count = DecodeFixed32(body.data() + 4);
  body.remove_prefix(8);
  if (count == 0 || count > body.size() / kPageFixedBytes) {
    return Bad("bad page count");
  }
  V2Index index;
  index.pages.resize(count);
  uint64_t offset = 0;
  for (V2PageEntry& p : index.pages) {
    if (body.size() < kPageFixedBytes) return Bad("truncated page entry");
    const char* d = body.data();
    p.first_id = IdAt(d);
    p.last_id = IdAt(d + 16);
    p.offset = DecodeFixed64(d + 32);
    p.length = DecodeFixed32(d + 40);
    p.trace_count = DecodeFixed32(d + 44);
    p.span_count = DecodeFixed32(d + 48);
    p.min_start = static_cast<int64_t>(DecodeFixed64(d + 52));
    p.max_end = static_cast<int64_t>(DecodeFixed64(d + 60));
    p.min_duration = static_cast<int64_t>(DecodeFixed64(d + 68));
    p.max_duration = static_cast<int64_t>(DecodeFixed64(d + 76));
    uint32_t columns = DecodeFixed32(d + 84);
    body.remove_prefix(kPageFixedBytes);
    if (columns != kV2ColumnCount || body.size() < 12 * columns) {
      return Bad("bad column count");
    }
    uint64_t sum = 0;
    for (V2Chunk& c : p.chunks) {
      c.length = DecodeFixed32(body.data());
      c.raw_length = DecodeFixed32(body.data() + 4);
      c.crc = DecodeFixed32(body.data() + 8);
      body.remove_prefix(12);
      if (c.length < kPageTrailerSize + 1 || c.raw_length > kMaxPageRawBytes) {
        return Bad("bad chunk size");
      }
      sum += c.length;
    }
    if (!GetBloom(&body, &p.strings)) return Bad("bad page bloom");
    if (sum != p.length || p.offset != offset || p.trace_count == 0 ||
        p.last_id < p.first_id) {
      return Bad("page entry inconsistent");
    }
    if (&p != &index.pages.front() && !((&p - 1)->last_id < p.first_id)) {
      return Bad("pages out of order");
    }
    offset += p.length;
  }
  if (!GetBloom(&body, &index.strings) || body.size() < 4) {
    return Bad("bad block bloom");
  }
  uint32_t flags = DecodeFixed32(body.data());
  body.remove_prefix(4);
  index.services_complete = flags & 1;
  index.span_names_complete = flags & 2;
  if (!GetList(&body, &index.services) || !GetList(&body, &index.span_names) ||
      !body.empty()) {
    return Bad("bad name lists");
  }
  return index;
}

std::optional<size_t> V2Index::FindPage(const TraceId& id) const {
  auto it = std::lower_bound(
      pages.begin(), pages.end(), id,
      [](const V2PageEntry& p, const TraceId& x) { return p.last_id < x; });
  if (it == pages.end() || id < it->first_id) return std::nullopt;
  return static_cast<size_t>(it - pages.begin());
}

uint64_t V2Index::data_bytes() const {
  return pages.empty() ? 0 : pages.back().offset + pages.back().length;
}

}  // namespace andante::internal
