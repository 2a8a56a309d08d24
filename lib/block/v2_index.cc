#include "block/v2_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

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

void PutKeyStats(std::string* out, const std::vector<std::string>& keys,
                 const std::vector<V2KeyStats>& stats) {
  PutVarint64(out, stats.size());
  for (const V2KeyStats& k : stats) {
    PutVarint64(out, static_cast<uint64_t>(
                         std::lower_bound(keys.begin(), keys.end(), k.key) -
                         keys.begin()));
    PutVarint64(out, k.dict);
    PutVarint64(out, k.types);
    if (k.types & (1u << kV2Int)) {
      PutVarint64(out, ZigZag64(k.min_int));
      PutVarint64(out, ZigZag64(k.max_int));
      PutVarint64(out, k.ints.size());
      for (int64_t v : k.ints) PutVarint64(out, ZigZag64(v));
    }
  }
}

bool GetZigZag(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *v = UnZigZag64(u);
  return true;
}

bool GetKeyStats(std::string_view* in, const std::vector<std::string>& keys,
                 std::vector<V2KeyStats>* stats) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size() / 3) return false;
  stats->resize(n);
  uint64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    V2KeyStats& k = (*stats)[i];
    uint64_t key, dict, types;
    if (!GetVarint64(in, &key) || key >= keys.size() ||
        (i > 0 && key <= prev) || !GetVarint64(in, &dict) ||
        dict > UINT32_MAX || !GetVarint64(in, &types) || types == 0 ||
        types >= (1u << (kV2NoValue + 1))) {
      return false;
    }
    prev = key;
    k.key = keys[key];
    k.dict = static_cast<uint32_t>(dict);
    k.types = static_cast<uint32_t>(types);
    if (!(types & (1u << kV2Int))) continue;
    uint64_t count;
    if (!GetZigZag(in, &k.min_int) || !GetZigZag(in, &k.max_int) ||
        k.min_int > k.max_int || !GetVarint64(in, &count) ||
        count > kV2MaxIntValuesListed || count > in->size()) {
      return false;
    }
    k.ints.resize(count);
    for (uint64_t j = 0; j < count; ++j) {
      // Ascending, within the bounds, the first and last on them.
      if (!GetZigZag(in, &k.ints[j]) || (j > 0 && k.ints[j] <= k.ints[j - 1])) {
        return false;
      }
    }
    if (count > 0 &&
        (k.ints.front() != k.min_int || k.ints.back() != k.max_int)) {
      return false;
    }
  }
  return true;
}

// The pages' key statistics merged into the block's.
std::vector<V2KeyStats> MergeKeyStats(const std::vector<V2PageEntry>& pages) {
  std::vector<V2KeyStats> merged;
  for (const V2PageEntry& p : pages) {
    for (const V2KeyStats& k : p.span_keys) {
      auto it = std::lower_bound(
          merged.begin(), merged.end(), k.key,
          [](const V2KeyStats& a, const std::string& b) { return a.key < b; });
      if (it == merged.end() || it->key != k.key) {
        it = merged.insert(it, k);
        it->dict = 0;
        continue;
      }
      const bool had_ints = it->types & (1u << kV2Int);
      const bool has_ints = k.types & (1u << kV2Int);
      it->types |= k.types;
      if (!has_ints) continue;
      if (!had_ints) {
        it->min_int = k.min_int;
        it->max_int = k.max_int;
        it->ints = k.ints;
        continue;
      }
      it->min_int = std::min(it->min_int, k.min_int);
      it->max_int = std::max(it->max_int, k.max_int);
      if (it->ints.empty() || k.ints.empty()) {
        it->ints.clear();
        continue;
      }
      std::vector<int64_t> all;
      std::set_union(it->ints.begin(), it->ints.end(), k.ints.begin(),
                     k.ints.end(), std::back_inserter(all));
      if (all.size() > kV2MaxIntValuesListed) all.clear();
      it->ints = std::move(all);
    }
  }
  return merged;
}

}  // namespace

const V2KeyStats* FindKeyStats(const std::vector<V2KeyStats>& stats,
                               std::string_view key) {
  auto it = std::lower_bound(
      stats.begin(), stats.end(), key,
      [](const V2KeyStats& a, std::string_view b) { return a.key < b; });
  return it != stats.end() && it->key == key ? &*it : nullptr;
}

TraceId V2StringKey(std::string_view s) {
  const uint64_t h = Fnv1a64(s);
  return TraceId::FromHighLow(Mix64(h ^ kV2StringSeedHi),
                              Mix64(h ^ kV2StringSeedLo));
}

BloomFilter NewV2StringBloom(uint64_t n) {
  // ~2% false positives: 8 bits and 5 hashes per key. Plain double hashing
  // (BLF1) as when v2 indexes were first written: its floor in small
  // filters is far below 2%, and BLF2 here would make every new index
  // unreadable to an older binary.
  uint64_t bits = std::max<uint64_t>(64, n * 8);
  bits = std::min<uint64_t>((bits + 7) / 8 * 8, uint64_t{1} << 31);
  return BloomFilter(static_cast<uint32_t>(bits), 5,
                     BloomProbes::kDoubleHashing);
}

std::string V2Index::Encode() const {
  // Reserved at about its final size: an index of a large block is tens of
  // MB, and growing by doubling would hold up to twice that.
  size_t estimate = 64 + strings.EncodedSize();
  for (const V2PageEntry& p : pages) {
    estimate += kPageFixedBytes + 12 * p.chunk_count() + 4 +
                p.strings.EncodedSize() + 4;
    for (const V2KeyStats& k : p.span_keys) estimate += 16 + 10 * k.ints.size();
  }
  std::string out;
  out.reserve(estimate);
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
    PutFixed32(&out, static_cast<uint32_t>(p.chunk_count()));
    for (size_t i = 0; i < p.chunk_count(); ++i) {
      const V2Chunk& c = p.chunk(i);
      PutFixed32(&out, c.length);
      PutFixed32(&out, c.raw_length);
      PutFixed32(&out, c.crc);
    }
    PutBloom(&out, p.strings);
  }
  PutBloom(&out, strings);
  PutFixed32(&out, (services_complete ? kV2IndexServicesComplete : 0u) |
                       (span_names_complete ? kV2IndexSpanNamesComplete : 0u) |
                       (attribute_stats ? kV2IndexAttributeStats : 0u));
  PutList(&out, services);
  PutList(&out, span_names);
  if (attribute_stats) {
    std::vector<std::string> keys;
    for (const V2PageEntry& p : pages) {
      for (const V2KeyStats& k : p.span_keys) keys.push_back(k.key);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    PutList(&out, keys);
    for (const V2PageEntry& p : pages) PutKeyStats(&out, keys, p.span_keys);
  }
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

namespace {

// The checked header of an index object: its body (checksum and magic
// stripped) positioned at the first page, and the page count.
absl::Status OpenIndex(std::string_view encoded, std::string_view* body,
                       uint32_t* count) {
  if (encoded.size() < 12) return Bad("truncated");
  *body = encoded.substr(0, encoded.size() - 4);
  if (Crc32c(*body) !=
      UnmaskCrc(DecodeFixed32(encoded.data() + body->size()))) {
    return Bad("checksum mismatch");
  }
  if (DecodeFixed32(body->data()) != kV2IndexMagic) return Bad("bad magic");
  *count = DecodeFixed32(body->data() + 4);
  body->remove_prefix(8);
  if (*count == 0 || *count > body->size() / kPageFixedBytes) {
    return Bad("bad page count");
  }
  return absl::OkStatus();
}

// Parses one page entry up to (not including) its bloom: the fixed fields
// into *p and *bounds (min_start, max_end, min_duration, max_duration), the
// chunks through add_chunk(i, chunk). Checks the chunk sizes, that they sum
// to the page length, and that the page follows `prev_last_id` (null for
// the first page) at `offset`.
template <typename AddChunk>
absl::Status GetPageHead(std::string_view* body, uint64_t offset,
                         const TraceId* prev_last_id, V2PageLocation* p,
                         std::array<int64_t, 4>* bounds, AddChunk add_chunk) {
  if (body->size() < kPageFixedBytes) return Bad("truncated page entry");
  const char* d = body->data();
  p->first_id = IdAt(d);
  p->last_id = IdAt(d + 16);
  p->offset = DecodeFixed64(d + 32);
  p->length = DecodeFixed32(d + 40);
  p->trace_count = DecodeFixed32(d + 44);
  p->span_count = DecodeFixed32(d + 48);
  for (size_t i = 0; i < 4; ++i) {
    (*bounds)[i] = static_cast<int64_t>(DecodeFixed64(d + 52 + 8 * i));
  }
  const uint32_t columns = DecodeFixed32(d + 84);
  body->remove_prefix(kPageFixedBytes);
  // 16 columns, or (keyed) 16 + the marker + one chunk per key.
  if ((columns != kV2ColumnCount && columns < kV2KeyedFirstChunk) ||
      body->size() / 12 < columns) {
    return Bad("bad column count");
  }
  p->chunk_count = columns;
  uint64_t sum = 0;
  for (size_t i = 0; i < columns; ++i) {
    V2Chunk c;
    c.length = DecodeFixed32(body->data());
    c.raw_length = DecodeFixed32(body->data() + 4);
    c.crc = DecodeFixed32(body->data() + 8);
    body->remove_prefix(12);
    if (c.length < kPageTrailerSize + 1 || c.raw_length > kMaxPageRawBytes) {
      return Bad("bad chunk size");
    }
    sum += c.length;
    add_chunk(i, c);
  }
  if (sum != p->length || p->offset != offset || p->trace_count == 0 ||
      p->last_id < p->first_id) {
    return Bad("page entry inconsistent");
  }
  if (prev_last_id != nullptr && !(*prev_last_id < p->first_id)) {
    return Bad("pages out of order");
  }
  return absl::OkStatus();
}

// Skips a length-prefixed bloom without decoding it.
bool SkipBloom(std::string_view* in) {
  if (in->size() < 4) return false;
  uint32_t n = DecodeFixed32(in->data());
  in->remove_prefix(4);
  if (n > in->size()) return false;
  in->remove_prefix(n);
  return true;
}

template <typename Pages>
std::optional<size_t> FindPageIn(const Pages& pages, const TraceId& id) {
  auto it = std::lower_bound(
      pages.begin(), pages.end(), id,
      [](const auto& p, const TraceId& x) { return p.last_id < x; });
  if (it == pages.end() || id < it->first_id) return std::nullopt;
  return static_cast<size_t>(it - pages.begin());
}

}  // namespace

absl::StatusOr<V2Index> V2Index::Decode(std::string_view encoded) {
  std::string_view body;
  uint32_t count;
  if (absl::Status s = OpenIndex(encoded, &body, &count); !s.ok()) return s;
  V2Index index;
  index.pages.resize(count);
  uint64_t offset = 0;
  for (V2PageEntry& p : index.pages) {
    V2PageLocation head;
    std::array<int64_t, 4> bounds{};
    const TraceId* prev =
        &p == &index.pages.front() ? nullptr : &(&p - 1)->last_id;
    absl::Status s = GetPageHead(
        &body, offset, prev, &head, &bounds, [&](size_t i, const V2Chunk& c) {
          if (i == kV2ColumnCount) {
            p.keyed = true;
            p.key_chunks.resize(head.chunk_count - kV2KeyedFirstChunk);
          }
          p.chunk(i) = c;
        });
    if (!s.ok()) return s;
    p.first_id = head.first_id;
    p.last_id = head.last_id;
    p.offset = head.offset;
    p.length = head.length;
    p.trace_count = head.trace_count;
    p.span_count = head.span_count;
    p.min_start = bounds[0];
    p.max_end = bounds[1];
    p.min_duration = bounds[2];
    p.max_duration = bounds[3];
    if (!GetBloom(&body, &p.strings)) return Bad("bad page bloom");
    offset += p.length;
  }
  if (!GetBloom(&body, &index.strings) || body.size() < 4) {
    return Bad("bad block bloom");
  }
  uint32_t flags = DecodeFixed32(body.data());
  body.remove_prefix(4);
  index.services_complete = flags & kV2IndexServicesComplete;
  index.span_names_complete = flags & kV2IndexSpanNamesComplete;
  index.attribute_stats = flags & kV2IndexAttributeStats;
  if (!GetList(&body, &index.services) || !GetList(&body, &index.span_names)) {
    return Bad("bad name lists");
  }
  if (index.attribute_stats) {
    std::vector<std::string> keys;
    if (!GetList(&body, &keys) || !std::is_sorted(keys.begin(), keys.end())) {
      return Bad("bad attribute key list");
    }
    for (V2PageEntry& p : index.pages) {
      if (!GetKeyStats(&body, keys, &p.span_keys)) {
        return Bad("bad attribute key statistics");
      }
      if (p.keyed && p.key_chunks.size() != p.span_keys.size()) {
        return Bad("key chunks disagree with the key statistics");
      }
    }
    index.span_keys = MergeKeyStats(index.pages);
  }
  if (!body.empty()) return Bad("trailing bytes");
  if (!index.attribute_stats) {
    for (const V2PageEntry& p : index.pages) {
      if (p.keyed) return Bad("keyed page without key statistics");
    }
  }
  return index;
}

uint64_t V2Index::MemoryBytes() const {
  auto keys_bytes = [](const std::vector<V2KeyStats>& keys) {
    uint64_t b = keys.capacity() * sizeof(V2KeyStats);
    for (const V2KeyStats& k : keys) {
      b += k.ints.capacity() * sizeof(int64_t);
      if (k.key.capacity() > 15) b += k.key.capacity() + 1;  // not inline
    }
    return b;
  };
  auto list_bytes = [](const std::vector<std::string>& list) {
    uint64_t b = list.capacity() * sizeof(std::string);
    for (const std::string& s : list) {
      if (s.capacity() > 15) b += s.capacity() + 1;
    }
    return b;
  };
  uint64_t b = sizeof(V2Index) + pages.capacity() * sizeof(V2PageEntry) +
               strings.EncodedSize() + list_bytes(services) +
               list_bytes(span_names) + keys_bytes(span_keys);
  for (const V2PageEntry& p : pages) {
    b += p.key_chunks.capacity() * sizeof(V2Chunk) + p.strings.EncodedSize() +
         keys_bytes(p.span_keys);
  }
  return b;
}

absl::StatusOr<V2PageTable> V2PageTable::Decode(std::string_view encoded) {
  std::string_view body;
  uint32_t count;
  if (absl::Status s = OpenIndex(encoded, &body, &count); !s.ok()) return s;
  V2PageTable table;
  table.pages.resize(count);
  uint64_t offset = 0;
  bool keyed = false;
  for (V2PageLocation& p : table.pages) {
    const TraceId* prev =
        &p == &table.pages.front() ? nullptr : &(&p - 1)->last_id;
    p.first_chunk = table.chunks.size();
    std::array<int64_t, 4> bounds{};
    absl::Status s =
        GetPageHead(&body, offset, prev, &p, &bounds,
                    [&](size_t, const V2Chunk& c) { table.chunks.push_back(c); });
    if (!s.ok()) return s;
    if (!SkipBloom(&body)) return Bad("bad page bloom");
    keyed |= p.keyed();
    offset += p.length;
  }
  if (!SkipBloom(&body) || body.size() < 4) return Bad("bad block bloom");
  if (keyed && !(DecodeFixed32(body.data()) & kV2IndexAttributeStats)) {
    return Bad("keyed page without key statistics");
  }
  table.chunks.shrink_to_fit();
  return table;
}

V2PageTable V2PageTable::Of(const V2Index& index) {
  V2PageTable table;
  table.pages.reserve(index.pages.size());
  size_t chunks = 0;
  for (const V2PageEntry& p : index.pages) chunks += p.chunk_count();
  table.chunks.reserve(chunks);
  for (const V2PageEntry& p : index.pages) {
    V2PageLocation& l = table.pages.emplace_back();
    l.first_id = p.first_id;
    l.last_id = p.last_id;
    l.offset = p.offset;
    l.length = p.length;
    l.trace_count = p.trace_count;
    l.span_count = p.span_count;
    l.chunk_count = static_cast<uint32_t>(p.chunk_count());
    l.first_chunk = table.chunks.size();
    for (size_t i = 0; i < p.chunk_count(); ++i) {
      table.chunks.push_back(p.chunk(i));
    }
  }
  return table;
}

std::optional<size_t> V2PageTable::FindPage(const TraceId& id) const {
  return FindPageIn(pages, id);
}

uint64_t V2PageTable::data_bytes() const {
  return pages.empty() ? 0 : pages.back().offset + pages.back().length;
}

std::optional<size_t> V2Index::FindPage(const TraceId& id) const {
  return FindPageIn(pages, id);
}

uint64_t V2Index::data_bytes() const {
  return pages.empty() ? 0 : pages.back().offset + pages.back().length;
}

}  // namespace andante::internal
