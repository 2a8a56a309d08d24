#include "block/v2_page.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "model/otlp_nesting.h"
#include "util/coding.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::InstrumentationScope;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::resource::v1::Resource;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;

// kV2Misc flag: the span had a status message (possibly empty).
constexpr uint64_t kFlagHasStatus = 4;

// PutVarint64, the one-byte case inline (most indices, counts and deltas).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PutVar(std::string* out,
                                                uint64_t v) {
  if (v < 0x80) {
    out->push_back(static_cast<char>(v));
  } else {
    PutVarint64(out, v);
  }
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PutVar(V2ByteBuffer* out,
                                                uint64_t v) {
  out->Var(v);
}

void PutBytes(V2ByteBuffer* out, std::string_view b) {
  out->Var(b.size());
  out->Append(b);
}

absl::Status Corrupt(std::string_view column, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("v2 page column ", ToAbsl(column), ": ", what));
}

// A span's events or links, stored apart from it, merged back into the span
// (at nesting 3 in a TracesData) under the nesting ingest accepts.
bool MergeSpanBytes(std::string_view b, google::protobuf::MessageLite* span) {
  return b.empty() || MergeOtlpMessage(b, span, kSpanDepth);
}

// a == b, without a call for the short strings (up to 16 bytes) that keys
// and many values are: two overlapping word loads per side.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool SameBytes(std::string_view a,
                                                   std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8 && n <= 16) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.data(), 8);
    std::memcpy(&b0, b.data(), 8);
    std::memcpy(&a1, a.data() + n - 8, 8);
    std::memcpy(&b1, b.data() + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return n == 0 || std::memcmp(a.data(), b.data(), n) == 0;
}

// An 8-byte span ID as one word (a hash key).
uint64_t SpanIdWord(std::string_view id) {
  uint64_t w;
  std::memcpy(&w, id.data(), 8);
  return w;
}

// A varint that must be below `limit`.
bool GetIndex(std::string_view* in, uint64_t limit, uint32_t* out) {
  uint64_t v;
  if (!GetVarint64(in, &v) || v >= limit) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

// ---- encoder ----------------------------------------------------------------

namespace {
constexpr size_t kArenaBlockBytes = 1 << 20;
// The dictionary's storage blocks; longer strings get a block of their own.
constexpr size_t kStringBlockBytes = 64 << 10;
// Traces of up to this many spans find a parent by a scan of their span IDs,
// larger ones through a hash map.
constexpr size_t kMaxScannedSpans = 64;
}  // namespace

void V2ByteBuffer::Grow(size_t n) {
  const size_t cap = std::max<size_t>({cap_ * 2, size_ + n, 256});
  std::unique_ptr<char[]> data(new char[cap]);
  if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  cap_ = cap;
}

V2PageEncoder::V2PageEncoder() : arena_block_(new char[kArenaBlockBytes]) {
  google::protobuf::ArenaOptions o;
  o.initial_block = arena_block_.get();
  o.initial_block_size = kArenaBlockBytes;
  o.start_block_size = 64 << 10;
  o.max_block_size = 1 << 20;
  arena_ = std::make_unique<google::protobuf::Arena>(o);
  Clear();
}

void V2PageEncoder::Clear() {
  for (V2ByteBuffer& c : cols_) c.clear();
  strings_.clear();
  if (string_blocks_.empty()) {
    string_blocks_.emplace_back(new char[kStringBlockBytes]);
  }
  string_blocks_.resize(1);
  string_free_ = string_blocks_[0].get();
  string_free_size_ = kStringBlockBytes;
  listed_name_.clear();
  string_cache_.fill(CachedString{});
  string_index_.clear();
  key_memo_.clear();
  resources_.clear();
  scopes_.clear();
  resource_index_.clear();
  scope_index_.clear();
  raw_resource_index_.clear();
  raw_scope_index_.clear();
  services_.clear();
  span_names_.clear();
  key_slot_.clear();
  key_stats_.clear();
  key_bytes_ = 0;
  sorted_ = false;
  trace_count_ = span_count_ = 0;
  strings_bytes_ = 0;
  prev_start_ = 0;
  min_start_ = min_duration_ = std::numeric_limits<int64_t>::max();
  max_end_ = max_duration_ = std::numeric_limits<int64_t>::min();
  // Index 0 is always "" (StringIndex answers it without a lookup).
  strings_.emplace_back();
  string_index_.emplace(std::string_view(), 0);
  strings_bytes_ += 2;
}

size_t V2PageEncoder::DictHash::operator()(std::string_view s) const {
  // Words multiplied and folded: a few instructions for the short strings
  // of a dictionary (std::hash's murmur took most of StringIndex's time).
  uint64_t h = s.size() * 0x9e3779b97f4a7c15ull;
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  if (n > 0) {
    // The last 1-7 bytes: two overlapping 4-byte reads, or three bytes.
    uint64_t w;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = uint64_t{lo} << 32 | hi;
    } else {
      w = uint64_t{static_cast<uint8_t>(p[0])} << 16 |
          uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
          static_cast<uint8_t>(p[n - 1]);
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  }
  h ^= h >> 29;
  return static_cast<size_t>(h * 0x94d049bb133111ebull ^ (h >> 31));
}

uint32_t V2PageEncoder::CachedStringIndex(std::string_view s) {
  // The slot: the length and the first (up to) 8 bytes, mixed.
  const size_t n = s.size();
  uint64_t w = 0;
  if (n >= 8) {
    std::memcpy(&w, s.data(), 8);
  } else if (n > 0) {
    std::memcpy(&w, s.data(), n);
  }
  const size_t slot =
      ((w ^ n) * 0x9e3779b97f4a7c15ull) >> (64 - kStringCacheBits);
  CachedString& c = string_cache_[slot];
  if (c.data != nullptr && SameBytes(std::string_view(c.data, c.size), s)) {
    return c.index;
  }
  const uint32_t index = StringIndex(s);
  c = CachedString{strings_[index].data(), static_cast<uint32_t>(n), index};
  return index;
}

std::string_view V2PageEncoder::StoreString(std::string_view s) {
  if (s.size() > string_free_size_) {
    if (s.size() > kStringBlockBytes / 4) {
      // A block of its own, kept apart so the free space stays usable.
      char* own = string_blocks_.emplace_back(new char[s.size()]).get();
      std::memcpy(own, s.data(), s.size());
      return std::string_view(own, s.size());
    }
    string_free_ = string_blocks_.emplace_back(new char[kStringBlockBytes]).get();
    string_free_size_ = kStringBlockBytes;
  }
  char* at = string_free_;
  if (!s.empty()) std::memcpy(at, s.data(), s.size());
  string_free_ += s.size();
  string_free_size_ -= s.size();
  return std::string_view(at, s.size());
}

uint32_t V2PageEncoder::StringIndex(std::string_view s) {
  if (s.empty()) return 0;  // Clear put "" first
  const size_t hash = DictHash()(s);
  if (auto it = string_index_.find(s, hash); it != string_index_.end()) {
    return it->second;
  }
  const uint32_t index = static_cast<uint32_t>(strings_.size());
  strings_.push_back(StoreString(s));
  string_index_.emplace(strings_.back(), index);
  strings_bytes_ += s.size() + 2;
  return index;
}

uint32_t V2PageEncoder::KeySlot(uint32_t key) {
  if (key >= key_slot_.size()) key_slot_.resize(key + 1, UINT32_MAX);
  if (key_slot_[key] == UINT32_MAX) {
    key_slot_[key] = static_cast<uint32_t>(key_stats_.size());
    KeyAcc& k = key_stats_.emplace_back();
    k.dict = key;
    if (keyed_) {
      PutVar(&k.column, key);
      key_bytes_ += k.column.size();
    }
  }
  return key_slot_[key];
}

void V2PageEncoder::CountSpanAttribute(uint32_t slot, V2ValueTag tag,
                                       int64_t value) {
  KeyAcc& k = key_stats_[slot];
  sorted_ = false;
  if (tag == kV2Int) {
    if (!(k.types & (1u << kV2Int))) {
      k.min_int = k.max_int = value;
    } else {
      k.min_int = std::min(k.min_int, value);
      k.max_int = std::max(k.max_int, value);
    }
    if (!k.many_ints &&
        std::find(k.ints.begin(), k.ints.end(), value) == k.ints.end()) {
      if (k.ints.size() == kV2MaxIntValuesListed) {
        k.many_ints = true;
        k.ints.clear();
      } else {
        k.ints.push_back(value);
      }
    }
  }
  k.types |= 1u << tag;
}

void V2PageEncoder::SortKeys() const {
  if (sorted_) return;
  sorted_slots_.resize(key_stats_.size());
  for (uint32_t i = 0; i < sorted_slots_.size(); ++i) sorted_slots_[i] = i;
  std::sort(sorted_slots_.begin(), sorted_slots_.end(),
            [&](uint32_t a, uint32_t b) {
              return strings_[key_stats_[a].dict] < strings_[key_stats_[b].dict];
            });
  sorted_stats_.clear();
  sorted_stats_.reserve(key_stats_.size());
  for (uint32_t slot : sorted_slots_) {
    const KeyAcc& k = key_stats_[slot];
    V2KeyStats& o = sorted_stats_.emplace_back();
    o.key = strings_[k.dict];
    o.dict = k.dict;
    o.types = k.types;
    o.min_int = k.min_int;
    o.max_int = k.max_int;
    o.ints = k.ints;
    std::sort(o.ints.begin(), o.ints.end());
  }
  sorted_ = true;
}

const std::vector<V2KeyStats>& V2PageEncoder::span_key_stats() const {
  SortKeys();
  return sorted_stats_;
}

std::string_view V2PageEncoder::key_column(size_t i) const {
  SortKeys();
  return key_stats_[sorted_slots_[i]].column.view();
}

void V2PageEncoder::PutAttributes(WireRange attrs, V2ByteBuffer* layout,
                                  bool span) {
  // Keyed span attributes: the layout gets the key's slot, the key's chunk
  // the span (as a delta) and the value.
  const bool keyed = span && keyed_;
  PutVar(layout, attrs.size());
  for (uint32_t i = attrs.begin; i < attrs.end; ++i) {
    const WireAttribute& a = wire_.attributes[i];
    uint32_t key;
    if (span) {
      // Spans tend to list the same keys in the same order: the key at this
      // position in the last span is compared before the dictionary is.
      const size_t at = i - attrs.begin;
      if (at >= key_memo_.size()) key_memo_.resize(at + 1);
      if (SameBytes(key_memo_[at].first, a.key)) {
        key = key_memo_[at].second;
      } else {
        key = CachedStringIndex(a.key);
        key_memo_[at] = {strings_[key], key};
      }
    } else {
      key = StringIndex(a.key);
    }
    uint32_t slot = 0;
    V2ByteBuffer* out = layout;
    size_t before = 0;
    if (span) {
      slot = key < key_slot_.size() && key_slot_[key] != UINT32_MAX
                 ? key_slot_[key]
                 : KeySlot(key);
    }
    if (keyed) {
      PutVar(layout, slot);
      KeyAcc& k = key_stats_[slot];
      out = &k.column;
      before = out->size();
      PutVar(out, span_count_ - k.last_span);
      k.last_span = span_count_;
    } else {
      PutVar(out, key);
    }
    const auto tag = static_cast<V2ValueTag>(a.tag);
    out->Byte(tag);
    switch (tag) {
      case kV2String:
        if (span) {
          // Many keys repeat their last value (a method, a scheme, a
          // peer): compared before the dictionary is looked up.
          KeyAcc& k = key_stats_[slot];
          if (k.last_string.data() == nullptr ||
              !SameBytes(k.last_string, a.bytes)) {
            k.last_string_index = StringIndex(a.bytes);
            k.last_string = strings_[k.last_string_index];
          }
          PutVar(out, k.last_string_index);
        } else {
          PutVar(out, StringIndex(a.bytes));
        }
        break;
      case kV2Bool:
        out->Byte(static_cast<uint8_t>(a.bits));
        break;
      case kV2Int:
        PutVar(out, ZigZag64(static_cast<int64_t>(a.bits)));
        break;
      case kV2Double:
        out->Fixed64(a.bits);
        break;
      case kV2Any:
        // Array and kvlist values are stored whole, but their strings join
        // the dictionary so that page and block summaries cover them. The
        // walk cannot fail: WireTrace::Read walked them.
        ForEachWireAnyString(a.bytes, kWireAnyDepth,
                             [this](std::string_view s) { StringIndex(s); });
        PutBytes(out, a.bytes);
        break;
      default:  // kV2NoValue
        break;
    }
    if (keyed) key_bytes_ += out->size() - before;
    if (span) {
      if (tag == kV2Int) {
        CountSpanAttribute(slot, tag, static_cast<int64_t>(a.bits));
      } else {
        key_stats_[slot].types |= 1u << tag;
        sorted_ = false;
      }
    }
  }
}

void V2PageEncoder::PutPieces(WireRange pieces, V2ByteBuffer* out,
                              const uint32_t* skip, size_t skip_count) {
  size_t n = 0;
  auto skipped = [&](uint32_t i) {
    for (size_t j = 0; j < skip_count; ++j) {
      if (skip[j] == i) return true;
    }
    return false;
  };
  for (uint32_t i = pieces.begin; i < pieces.end; ++i) {
    if (!skipped(i)) n += wire_.pieces[i].size();
  }
  PutVar(out, n);
  for (uint32_t i = pieces.begin; i < pieces.end; ++i) {
    if (!skipped(i)) out->Append(wire_.pieces[i]);
  }
}

uint32_t V2PageEncoder::ResourceIndex(const WireResourceSpans& rs) {
  if (rs.entry != UINT32_MAX) return rs.entry;
  // New to the page when ReadWire looked, but maybe met earlier in this
  // trace.
  if (auto it = raw_resource_index_.find(ToAbsl(rs.resource));
      it != raw_resource_index_.end()) {
    return it->second;
  }
  for (uint32_t i = rs.attributes.begin; i < rs.attributes.end; ++i) {
    const WireAttribute& a = wire_.attributes[i];
    if (a.key == "service.name" && a.tag == kV2String) {
      services_.emplace(std::string(a.bytes));
    }
  }
  scratch_.clear();
  PutAttributes(rs.attributes, &scratch_);
  PutPieces(rs.rest, &scratch_);
  auto [it, added] = resource_index_.try_emplace(
      std::string(scratch_.view()), static_cast<uint32_t>(resources_.size()));
  if (added) resources_.emplace_back(scratch_.view());
  raw_resource_index_.emplace(std::string(rs.resource), it->second);
  return it->second;
}

uint32_t V2PageEncoder::ScopeIndex(const WireScopeSpans& ss) {
  if (ss.entry != UINT32_MAX) return ss.entry;
  if (auto it = raw_scope_index_.find(ToAbsl(ss.scope)); it != raw_scope_index_.end()) {
    return it->second;
  }
  scratch_.clear();
  PutVar(&scratch_, StringIndex(ss.name));
  PutVar(&scratch_, StringIndex(ss.version));
  PutAttributes(ss.attributes, &scratch_);
  PutPieces(ss.rest, &scratch_);
  auto [it, added] = scope_index_.try_emplace(
      std::string(scratch_.view()), static_cast<uint32_t>(scopes_.size()));
  if (added) scopes_.emplace_back(scratch_.view());
  raw_scope_index_.emplace(std::string(ss.scope), it->second);
  return it->second;
}

bool V2PageEncoder::ReadWire(std::string_view data) {
  if (!wire_.Read(data)) return false;
  // Only resources and scopes not met before in this page are read.
  for (WireResourceSpans& rs : wire_.resource_spans) {
    if (auto it = raw_resource_index_.find(ToAbsl(rs.resource));
        it != raw_resource_index_.end()) {
      rs.entry = it->second;
    } else if (!wire_.ReadResource(&rs)) {
      return false;
    }
  }
  for (WireScopeSpans& ss : wire_.scope_spans) {
    if (auto it = raw_scope_index_.find(ToAbsl(ss.scope));
        it != raw_scope_index_.end()) {
      ss.entry = it->second;
    } else if (!wire_.ReadScope(&ss)) {
      return false;
    }
  }
  return true;
}

absl::Status V2PageEncoder::Add(const TraceId& id, std::string_view data) {
  if (!wire_walk_ || !ReadWire(data)) {
    // A shape the wire walk leaves to protobuf (a field sent twice, ...):
    // parse, and walk protobuf's serialization, which it always reads.
    arena_->Reset();
    TracesData& parsed =
        *google::protobuf::Arena::CreateMessage<TracesData>(arena_.get());
    if (!ParseOtlpMessage(data, &parsed)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trace ", id.ToHex(), ": stored data is not an OTLP TracesData"));
    }
    reserialized_.clear();
    if (!parsed.SerializeToString(&reserialized_) || !ReadWire(reserialized_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trace ", id.ToHex(), ": stored data cannot be encoded"));
    }
  }
  const std::string_view id_bytes = id.bytes();
  V2ByteBuffer& tr = cols_[kV2Traces];
  tr.Append(id_bytes);
  PutVar(&tr, wire_.resource_spans.size());
  // Positions of the trace's spans, so parents become small integers.
  span_words_.clear();
  for (const WireSpan& sp : wire_.spans) {
    span_words_.push_back(sp.span_id.size() == 8 ? SpanIdWord(sp.span_id) : 0);
  }
  if (span_words_.size() > kMaxScannedSpans) {
    span_pos_.clear();
    for (uint32_t pos = 0; pos < wire_.spans.size(); ++pos) {
      if (wire_.spans[pos].span_id.size() == 8) {
        span_pos_.try_emplace(span_words_[pos], pos);
      }
    }
  }
  for (const WireResourceSpans& rs : wire_.resource_spans) {
    PutVar(&tr, ResourceIndex(rs));
    PutVar(&tr, StringIndex(rs.schema_url));
    PutVar(&tr, rs.scopes.size());
    for (uint32_t s = rs.scopes.begin; s < rs.scopes.end; ++s) {
      const WireScopeSpans& ss = wire_.scope_spans[s];
      PutVar(&tr, ScopeIndex(ss));
      PutVar(&tr, StringIndex(ss.schema_url));
      PutVar(&tr, ss.spans.size());
      for (uint32_t i = ss.spans.begin; i < ss.spans.end; ++i) {
        PutSpan(id_bytes, wire_.spans[i]);
      }
    }
  }
  ++trace_count_;
  return absl::OkStatus();
}

int64_t V2PageEncoder::SpanPosition(uint64_t id) const {
  if (span_words_.size() > kMaxScannedSpans) {
    auto it = span_pos_.find(id);
    return it == span_pos_.end() ? -1 : it->second;
  }
  for (size_t pos = 0; pos < span_words_.size(); ++pos) {
    // A word of 0 is also an 8-byte ID of zeros: only those count.
    if (span_words_[pos] == id && wire_.spans[pos].span_id.size() == 8) {
      return static_cast<int64_t>(pos);
    }
  }
  return -1;
}

void V2PageEncoder::PutSpan(std::string_view trace_id, const WireSpan& sp) {
  uint64_t flags = 0;
  // Pieces of the remainder stored in columns instead.
  uint32_t moved[3];
  size_t moved_count = 0;
  if (sp.trace_id == trace_id) {
    flags |= kV2FlagTraceIdIsPages;
    moved[moved_count++] = sp.id_pieces[0];
  }
  if (sp.span_id.size() == 8) {
    flags |= kV2FlagSpanIdInColumn;
    cols_[kV2SpanIds].Append(sp.span_id);
    moved[moved_count++] = sp.id_pieces[1];
  } else {
    cols_[kV2SpanIds].Fill(8, '\0');
  }
  // 0: no parent; 1: 8 raw bytes follow (a parent outside this trace's
  // stored spans); k + 2: the trace's k-th span. Parents of another length
  // stay in kV2Misc.
  V2ByteBuffer& parents = cols_[kV2Parents];
  if (sp.parent_span_id.size() != 8) {  // none, or kept in kV2Misc
    parents.Byte(0);
  } else {
    if (const int64_t pos = SpanPosition(SpanIdWord(sp.parent_span_id));
        pos >= 0) {
      PutVar(&parents, static_cast<uint64_t>(pos) + 2);
    } else {
      parents.Byte(1);
      parents.Append(sp.parent_span_id);
    }
    moved[moved_count++] = sp.id_pieces[3];
  }
  const uint32_t name = CachedStringIndex(sp.name);
  PutVar(&cols_[kV2Names], name);
  if (name >= listed_name_.size()) listed_name_.resize(strings_.size());
  if (!listed_name_[name] && span_names_.size() < kV2MaxNamesListed) {
    listed_name_[name] = true;
    span_names_.push_back(strings_[name]);
  }
  PutVar(&cols_[kV2Kinds], sp.kind);
  if (sp.has_status) flags |= kFlagHasStatus;
  PutVar(&cols_[kV2StatusCodes], sp.status_code);
  PutVar(&cols_[kV2StatusMessages], sp.status_message.empty()
                                        ? 0
                                        : StringIndex(sp.status_message));
  const int64_t start = static_cast<int64_t>(sp.start);
  const int64_t end = static_cast<int64_t>(sp.end);
  const int64_t duration = static_cast<int64_t>(sp.end - sp.start);
  PutVar(&cols_[kV2Starts],
              ZigZag64(static_cast<int64_t>(
                  sp.start - static_cast<uint64_t>(prev_start_))));
  prev_start_ = start;
  PutVar(&cols_[kV2Durations], ZigZag64(duration));
  min_start_ = std::min(min_start_, start);
  max_end_ = std::max(max_end_, end);
  min_duration_ = std::min(min_duration_, duration);
  max_duration_ = std::max(max_duration_, duration);
  PutAttributes(sp.attributes, &cols_[kV2SpanAttributes], /*span=*/true);
  // Events and links: a Span holding only them and their dropped counts
  // (fields 12 and 14), or a 0 byte for none.
  PutSideFields(sp.events, sp.dropped_events, 12, &cols_[kV2Events]);
  PutSideFields(sp.links, sp.dropped_links, 14, &cols_[kV2Links]);
  PutVar(&cols_[kV2Misc], flags);
  PutPieces(sp.rest, &cols_[kV2Misc], moved, moved_count);
  ++span_count_;
}

void V2PageEncoder::PutSideFields(WireRange pieces, uint32_t dropped,
                                  uint32_t dropped_field, V2ByteBuffer* out) {
  if (pieces.size() == 0 && dropped == 0) {
    out->Byte(0);
    return;
  }
  size_t n = 0;
  for (uint32_t i = pieces.begin; i < pieces.end; ++i) {
    n += wire_.pieces[i].size();
  }
  const uint32_t tag = dropped_field << 3;  // varint
  if (dropped != 0) n += VarintLength(tag) + VarintLength(dropped);
  PutVar(out, n);
  for (uint32_t i = pieces.begin; i < pieces.end; ++i) {
    out->Append(wire_.pieces[i]);
  }
  if (dropped != 0) {
    PutVar(out, tag);
    PutVar(out, dropped);
  }
}

uint64_t V2PageEncoder::raw_bytes() const {
  uint64_t n = strings_bytes_ + key_bytes_;
  for (const V2ByteBuffer& c : cols_) n += c.size();
  for (const std::string& r : resources_) n += r.size();
  for (const std::string& s : scopes_) n += s.size();
  return n;
}

std::string V2PageEncoder::column(uint32_t c) const {
  std::string scratch;
  return std::string(ColumnBytes(c, &scratch));
}

std::string_view V2PageEncoder::ColumnBytes(uint32_t c,
                                            std::string* scratch) const {
  std::string& out = *scratch;
  out.clear();
  switch (c) {
    case kV2Traces:
      out.reserve(cols_[c].size() + 8);
      PutVar(&out, trace_count_);
      out.append(cols_[c].view());
      break;
    case kV2Strings: {
      // In the encoder's own buffer, which grows without zero-filling
      // (libstdc++'s std::string has no uninitialized resize: sizing *scratch
      // first wrote the ~50 kB of a page's strings twice).
      V2ByteBuffer& b = strings_column_;
      b.clear();
      b.Var(strings_.size());
      for (std::string_view s : strings_) {
        b.Var(s.size());
        b.Append(s);
      }
      return b.view();
    }
    case kV2Resources:
      PutVar(&out, resources_.size());
      for (const std::string& r : resources_) out.append(r);
      break;
    case kV2Scopes:
      PutVar(&out, scopes_.size());
      for (const std::string& s : scopes_) out.append(s);
      break;
    case kV2SpanAttributes:
      if (!keyed_) return cols_[c].view();
      // The layout: the keys by slot, then per span its slots.
      out.reserve(cols_[c].size() + 8 + 4 * key_stats_.size());
      PutVar(&out, key_stats_.size());
      for (const KeyAcc& k : key_stats_) PutVar(&out, k.dict);
      out.append(cols_[c].view());
      break;
    default:
      return cols_[c].view();
  }
  return out;
}

// ---- decoder ----------------------------------------------------------------

bool GetV2Parent(std::string_view* in, uint32_t trace_spans, uint64_t* parent,
                 std::string_view* raw) {
  if (!GetVarint64(in, parent) || *parent > uint64_t{trace_spans} + 1) {
    return false;
  }
  if (*parent == 1) {
    if (in->size() < 8) return false;
    *raw = in->substr(0, 8);
    in->remove_prefix(8);
  }
  return true;
}

absl::Status GetV2Attributes(std::string_view* in, size_t string_count,
                             std::vector<V2Attribute>* out) {
  out->clear();
  uint64_t n;
  // Each attribute takes at least 2 bytes: bounds the reservation.
  if (!GetVarint64(in, &n) || n > in->size() / 2) {
    return absl::DataLossError("attribute count is corrupt");
  }
  out->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    V2Attribute a;
    if (!GetIndex(in, string_count, &a.key) || in->empty()) {
      return absl::DataLossError("attribute key is corrupt");
    }
    a.tag = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    bool ok = true;
    switch (a.tag) {
      case kV2String:
        ok = GetVarint64(in, &a.u) && a.u < string_count;
        break;
      case kV2Bool:
        ok = !in->empty() && static_cast<uint8_t>((*in)[0]) <= 1;
        if (ok) {
          a.u = static_cast<uint8_t>((*in)[0]);
          in->remove_prefix(1);
        }
        break;
      case kV2Int:
        ok = GetVarint64(in, &a.u);
        break;
      case kV2Double:
        ok = in->size() >= 8;
        if (ok) {
          a.u = DecodeFixed64(in->data());
          in->remove_prefix(8);
        }
        break;
      case kV2Any:
        ok = GetLengthPrefixed(in, &a.any);
        break;
      case kV2NoValue:
        break;
      default:
        ok = false;
    }
    if (!ok) return absl::DataLossError("attribute value is corrupt");
    out->push_back(a);
  }
  return absl::OkStatus();
}

absl::Status V2AttributeToOtlp(const V2Page& page, const V2Attribute& a,
                               KeyValue* kv) {
  kv->set_key(page.strings[a.key].data(), page.strings[a.key].size());
  switch (a.tag) {
    case kV2String:
      kv->mutable_value()->set_string_value(page.strings[a.u].data(),
                                            page.strings[a.u].size());
      break;
    case kV2Bool:
      kv->mutable_value()->set_bool_value(a.u != 0);
      break;
    case kV2Int:
      kv->mutable_value()->set_int_value(UnZigZag64(a.u));
      break;
    case kV2Double: {
      double d;
      std::memcpy(&d, &a.u, 8);
      kv->mutable_value()->set_double_value(d);
      break;
    }
    case kV2Any:
      if (!ParseOtlpMessage(a.any, kv->mutable_value(), kAttributeValueDepth)) {
        return absl::DataLossError("attribute AnyValue does not parse");
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status V2Page::ParseStrings() {
  strings.clear();
  std::string_view in = raw[kV2Strings];
  uint64_t n;
  if (!GetVarint64(&in, &n) || n > in.size() || n > kV2MaxPageStrings ||
      n == 0) {
    return Corrupt("strings", "bad count");
  }
  strings.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!GetLengthPrefixed(&in, &s)) return Corrupt("strings", "truncated");
    strings.push_back(s);
  }
  if (!in.empty()) return Corrupt("strings", "trailing bytes");
  return absl::OkStatus();
}

absl::Status V2Page::ParseTables() {
  // resources and scopes are resized, not cleared: a reused page keeps the
  // entries' attribute vectors (GetV2Attributes refills them).
  traces.clear();
  resource_spans.clear();
  scope_spans.clear();
  span_count = 0;
  if (absl::Status s = ParseStrings(); !s.ok()) return s;

  std::string_view in = raw[kV2Resources];
  uint64_t n;
  // Every entry takes at least 2 bytes.
  if (!GetVarint64(&in, &n) || n > in.size() / 2) {
    return Corrupt("resources", "bad count");
  }
  resources.resize(n);
  for (ResourceEntry& r : resources) {
    if (absl::Status s = GetV2Attributes(&in, strings.size(), &r.attributes);
        !s.ok()) {
      return Corrupt("resources", s.message());
    }
    if (!GetLengthPrefixed(&in, &r.rest)) return Corrupt("resources", "truncated");
  }
  if (!in.empty()) return Corrupt("resources", "trailing bytes");

  in = raw[kV2Scopes];
  if (!GetVarint64(&in, &n) || n > in.size() / 4) {
    return Corrupt("scopes", "bad count");
  }
  scopes.resize(n);
  for (ScopeEntry& sc : scopes) {
    if (!GetIndex(&in, strings.size(), &sc.name) ||
        !GetIndex(&in, strings.size(), &sc.version)) {
      return Corrupt("scopes", "bad name");
    }
    if (absl::Status s = GetV2Attributes(&in, strings.size(), &sc.attributes);
        !s.ok()) {
      return Corrupt("scopes", s.message());
    }
    if (!GetLengthPrefixed(&in, &sc.rest)) return Corrupt("scopes", "truncated");
  }
  if (!in.empty()) return Corrupt("scopes", "trailing bytes");
  return ParseTraces(strings.size(), resources.size(), scopes.size());
}

absl::Status V2Page::ParseTraceTable() {
  constexpr uint64_t kUnchecked = uint64_t{UINT32_MAX} + 1;
  return ParseTraces(kUnchecked, kUnchecked, kUnchecked);
}

absl::Status V2Page::ParseTraces(uint64_t string_count,
                                 uint64_t resource_count,
                                 uint64_t scope_count) {
  traces.clear();
  resource_spans.clear();
  scope_spans.clear();
  span_count = 0;
  std::string_view in = raw[kV2Traces];
  uint64_t n;
  if (!GetVarint64(&in, &n) || n == 0 || n > in.size() / (TraceId::kSize + 1)) {
    return Corrupt("traces", "bad count");
  }
  traces.resize(n);
  uint64_t spans = 0;
  for (size_t t = 0; t < traces.size(); ++t) {
    TraceRef& tr = traces[t];
    if (in.size() < TraceId::kSize) return Corrupt("traces", "truncated");
    std::array<uint8_t, TraceId::kSize> id;
    std::memcpy(id.data(), in.data(), id.size());
    in.remove_prefix(TraceId::kSize);
    tr.id = TraceId(id);
    if (t > 0 && !(traces[t - 1].id < tr.id)) {
      return Corrupt("traces", "trace IDs out of order");
    }
    uint64_t rs_count;
    if (!GetVarint64(&in, &rs_count) || rs_count > in.size() / 3) {
      return Corrupt("traces", "bad resource count");
    }
    tr.rs_begin = static_cast<uint32_t>(resource_spans.size());
    tr.span_begin = static_cast<uint32_t>(spans);
    for (uint64_t r = 0; r < rs_count; ++r) {
      ResourceSpansRef rs;
      uint64_t ss_count;
      if (!GetIndex(&in, resource_count, &rs.resource) ||
          !GetIndex(&in, string_count, &rs.schema_url) ||
          !GetVarint64(&in, &ss_count) || ss_count > in.size() / 3) {
        return Corrupt("traces", "bad resource reference");
      }
      rs.scopes_begin = static_cast<uint32_t>(scope_spans.size());
      for (uint64_t s = 0; s < ss_count; ++s) {
        ScopeSpansRef ss;
        uint64_t count;
        if (!GetIndex(&in, scope_count, &ss.scope) ||
            !GetIndex(&in, string_count, &ss.schema_url) ||
            !GetVarint64(&in, &count) || count > kV2MaxPageSpans - spans) {
          return Corrupt("traces", "bad scope reference");
        }
        ss.span_count = static_cast<uint32_t>(count);
        spans += count;
        scope_spans.push_back(ss);
      }
      rs.scopes_end = static_cast<uint32_t>(scope_spans.size());
      resource_spans.push_back(rs);
    }
    tr.rs_end = static_cast<uint32_t>(resource_spans.size());
    tr.span_end = static_cast<uint32_t>(spans);
  }
  if (!in.empty()) return Corrupt("traces", "trailing bytes");
  span_count = static_cast<uint32_t>(spans);
  return absl::OkStatus();
}

namespace {

// Skipping the spans before a wanted trace (trace by ID): each column is
// advanced past n values without decoding them into anything.

bool SkipVarints(std::string_view* in, uint64_t n) {
  const char* p = in->data();
  const char* const end = p + in->size();
  for (; n > 0; --n) {
    do {
      if (p == end) return false;
    } while (static_cast<uint8_t>(*p++) & 0x80);
  }
  in->remove_prefix(static_cast<size_t>(p - in->data()));
  return true;
}

bool SkipLengthPrefixed(std::string_view* in, uint64_t n) {
  std::string_view b;
  for (; n > 0; --n) {
    if (!GetLengthPrefixed(in, &b)) return false;
  }
  return true;
}

bool SkipParents(std::string_view* in, uint64_t n) {
  for (; n > 0; --n) {
    uint64_t parent;
    if (!GetVarint64(in, &parent)) return false;
    if (parent == 1) {
      if (in->size() < 8) return false;
      in->remove_prefix(8);
    }
  }
  return true;
}

// Sums n start deltas into *prev_start.
bool SkipStarts(std::string_view* in, uint64_t n, int64_t* prev_start) {
  uint64_t sum = static_cast<uint64_t>(*prev_start);
  for (; n > 0; --n) {
    uint64_t delta;
    if (!GetVarint64(in, &delta)) return false;
    sum += static_cast<uint64_t>(UnZigZag64(delta));
  }
  *prev_start = static_cast<int64_t>(sum);
  return true;
}

bool SkipMisc(std::string_view* in, uint64_t n) {
  for (; n > 0; --n) {
    uint64_t flags;
    std::string_view b;
    if (!GetVarint64(in, &flags) || !GetLengthPrefixed(in, &b)) return false;
  }
  return true;
}

bool SkipAttributeLists(std::string_view* in, uint64_t n) {
  for (; n > 0; --n) {
    uint64_t count;
    if (!GetVarint64(in, &count)) return false;
    for (; count > 0; --count) {
      if (!SkipVarints(in, 1) || !SkipV2Value(in)) return false;
    }
  }
  return true;
}

}  // namespace

bool SkipV2Value(std::string_view* in) {
  if (in->empty()) return false;
  const uint8_t tag = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  switch (tag) {
    case kV2String:
    case kV2Int:
      return SkipVarints(in, 1);
    case kV2Bool:
      if (in->empty()) return false;
      in->remove_prefix(1);
      return true;
    case kV2Double:
      if (in->size() < 8) return false;
      in->remove_prefix(8);
      return true;
    case kV2Any:
      return SkipLengthPrefixed(in, 1);
    case kV2NoValue:
      return true;
    default:
      return false;
  }
}

std::string EncodeV2KeyedMarker(uint64_t key_count) {
  std::string content;
  PutVarint64(&content, kV2KeyedVersion);
  PutVarint64(&content, key_count);
  std::string frame;
  PutFixed32(&frame, kV2KeyedMarkerMagic);
  PutFixed32(&frame, static_cast<uint32_t>(content.size()));
  frame.append(content);
  return frame;
}

bool DecodeV2KeyedMarker(std::string_view frame, uint64_t* key_count) {
  if (frame.size() < 8 || DecodeFixed32(frame.data()) != kV2KeyedMarkerMagic ||
      DecodeFixed32(frame.data() + 4) != frame.size() - 8) {
    return false;
  }
  frame.remove_prefix(8);
  uint64_t version;
  return GetVarint64(&frame, &version) && version == kV2KeyedVersion &&
         GetVarint64(&frame, key_count) && frame.empty() &&
         *key_count <= kV2MaxPageStrings;
}

absl::Status V2Page::AssembleSpanAttributesOf(
    const std::vector<uint32_t>& chunks, uint32_t span_count) {
  auto bad = [] {
    return Corrupt("span attributes", "key chunk is corrupt");
  };
  // Per chunk: what is left, its key, the span of its next entry.
  struct Cursor {
    std::string_view in;
    uint64_t key = 0, next = 0;
    bool done = false;
  };
  std::vector<Cursor> cursors;
  cursors.reserve(chunks.size());
  auto advance = [](Cursor& c, uint64_t from) {
    uint64_t delta;
    if (c.in.empty()) {
      c.done = true;
      return true;
    }
    if (!GetVarint64(&c.in, &delta)) return false;
    c.next = from + delta;
    return c.next >= from;
  };
  for (uint32_t i : chunks) {
    if (i >= key_raw.size()) return bad();
    Cursor& c = cursors.emplace_back();
    c.in = key_raw[i];
    if (!GetVarint64(&c.in, &c.key) || !advance(c, 0)) return bad();
  }
  std::string out;
  std::string span_attrs;
  for (uint64_t span = 0; span < span_count; ++span) {
    span_attrs.clear();
    uint64_t n = 0;
    for (Cursor& c : cursors) {
      while (!c.done && c.next == span) {
        PutVarint64(&span_attrs, c.key);
        const char* value = c.in.data();
        if (!SkipV2Value(&c.in)) return bad();
        span_attrs.append(value, static_cast<size_t>(c.in.data() - value));
        ++n;
        if (!advance(c, span)) return bad();
      }
      if (!c.done && c.next < span) return bad();
    }
    PutVarint64(&out, n);
    out.append(span_attrs);
  }
  for (const Cursor& c : cursors) {
    if (!c.done) return bad();  // entries past the last span
  }
  raw[kV2SpanAttributes] = std::move(out);
  return absl::OkStatus();
}

namespace {

// A varint, the one-byte case inline (most keys, slots, deltas).
inline bool QuickVarint(std::string_view* in, uint64_t* v) {
  if (!in->empty() && static_cast<uint8_t>((*in)[0]) < 0x80) {
    *v = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    return true;
  }
  return GetVarint64(in, v);
}

inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// SkipV2Value, with strings and ints of one-byte varints inline.
inline bool QuickSkipValue(std::string_view* in) {
  if (in->size() >= 2 && static_cast<uint8_t>((*in)[1]) < 0x80 &&
      ((*in)[0] == kV2String || (*in)[0] == kV2Int)) {
    in->remove_prefix(2);
    return true;
  }
  return SkipV2Value(in);
}

}  // namespace

absl::Status V2Page::AssembleSpanAttributes() {
  auto bad = [](std::string_view what) {
    return Corrupt("span attributes", ToAbsl(what));
  };
  std::string_view layout = raw[kV2SpanAttributes];
  uint64_t key_count;
  if (!GetVarint64(&layout, &key_count) || key_count != key_raw.size()) {
    return bad("key count disagrees with the key chunks");
  }
  // Per key chunk: what is left of it, its key and the span of its last
  // entry.
  struct Cursor {
    std::string_view in;
    uint64_t key = 0, span = 0;
    bool used = false;
  };
  std::vector<Cursor> chunks(key_count);
  absl::flat_hash_map<uint64_t, uint32_t> chunk_of_key;
  chunk_of_key.reserve(key_count);
  // Bounds the output: values are copied, each attribute's slot (at least a
  // byte) becomes its key (at most 5 bytes), counts are copied.
  uint64_t bound = 6 * layout.size();
  for (uint32_t i = 0; i < key_count; ++i) {
    bound += key_raw[i].size();
    chunks[i].in = key_raw[i];
    if (!GetVarint64(&chunks[i].in, &chunks[i].key) ||
        chunks[i].key > UINT32_MAX ||
        !chunk_of_key.emplace(chunks[i].key, i).second) {
      return bad("key chunk names no key or a key twice");
    }
  }
  std::vector<uint32_t> chunk_of_slot(key_count);
  for (uint64_t s = 0; s < key_count; ++s) {
    uint64_t key;
    if (!GetVarint64(&layout, &key)) return bad("truncated key list");
    auto it = chunk_of_key.find(key);
    if (it == chunk_of_key.end() || chunks[it->second].used) {
      return bad("key list disagrees with the key chunks");
    }
    chunks[it->second].used = true;
    chunk_of_slot[s] = it->second;
  }
  std::string out(bound, '\0');
  char* w = out.data();
  for (uint64_t span = 0; !layout.empty(); ++span) {
    uint64_t n;
    if (!QuickVarint(&layout, &n) || n > layout.size()) {
      return bad("attribute count is corrupt");
    }
    w = WriteVarint(w, n);
    for (uint64_t j = 0; j < n; ++j) {
      uint64_t slot, delta;
      if (!QuickVarint(&layout, &slot) || slot >= key_count) {
        return bad("key slot out of range");
      }
      Cursor& c = chunks[chunk_of_slot[slot]];
      if (!QuickVarint(&c.in, &delta) || delta != span - c.span) {
        return bad("key chunk disagrees with the layout");
      }
      c.span = span;
      w = WriteVarint(w, c.key);
      const char* value = c.in.data();
      if (!QuickSkipValue(&c.in)) return bad("attribute value is corrupt");
      const size_t len = static_cast<size_t>(c.in.data() - value);
      std::memcpy(w, value, len);
      w += len;
    }
  }
  for (const Cursor& c : chunks) {
    if (!c.in.empty()) return bad("key chunk has entries the layout lacks");
  }
  out.resize(static_cast<size_t>(w - out.data()));
  raw[kV2SpanAttributes] = std::move(out);
  return absl::OkStatus();
}

namespace {

// One span's values from the span columns.
struct SpanRow {
  uint64_t parent = 0, name = 0, kind = 0, code = 0, message = 0, flags = 0;
  int64_t start = 0;
  uint64_t duration = 0;
  std::string_view events, links, rest, raw_parent;
};

// Walks the span columns of a page in step; every index is checked against
// the page's tables.
class SpanCursor {
 public:
  explicit SpanCursor(const V2Page& page)
      : parents_(page.raw[kV2Parents]),
        names_(page.raw[kV2Names]),
        kinds_(page.raw[kV2Kinds]),
        codes_(page.raw[kV2StatusCodes]),
        messages_(page.raw[kV2StatusMessages]),
        starts_(page.raw[kV2Starts]),
        durations_(page.raw[kV2Durations]),
        attrs_(page.raw[kV2SpanAttributes]),
        events_(page.raw[kV2Events]),
        links_(page.raw[kV2Links]),
        misc_(page.raw[kV2Misc]),
        nstr_(page.strings.size()) {}

  // Skips n spans (those before a wanted trace).
  absl::Status Skip(uint64_t n) {
    if (!SkipParents(&parents_, n) || !SkipVarints(&names_, n) ||
        !SkipVarints(&kinds_, n) || !SkipVarints(&codes_, n) ||
        !SkipVarints(&messages_, n) || !SkipStarts(&starts_, n, &prev_start_) ||
        !SkipVarints(&durations_, n) || !SkipAttributeLists(&attrs_, n) ||
        !SkipLengthPrefixed(&events_, n) || !SkipLengthPrefixed(&links_, n) ||
        !SkipMisc(&misc_, n)) {
      return Corrupt("spans", "truncated");
    }
    return absl::OkStatus();
  }

  // The next span of a trace of `trace_spans` spans.
  absl::Status Next(uint32_t trace_spans, SpanRow* row,
                    std::vector<V2Attribute>* attributes) {
    uint64_t start;
    if (!GetV2Parent(&parents_, trace_spans, &row->parent, &row->raw_parent) ||
        !GetVarint64(&names_, &row->name) || row->name >= nstr_ ||
        !GetVarint64(&kinds_, &row->kind) || !GetVarint64(&codes_, &row->code) ||
        !GetVarint64(&messages_, &row->message) || row->message >= nstr_ ||
        !GetVarint64(&starts_, &start) ||
        !GetVarint64(&durations_, &row->duration) ||
        !GetLengthPrefixed(&events_, &row->events) || !GetLengthPrefixed(&links_, &row->links) ||
        !GetVarint64(&misc_, &row->flags) || !GetLengthPrefixed(&misc_, &row->rest)) {
      return Corrupt("spans", "truncated or out of range");
    }
    if (absl::Status st = GetV2Attributes(&attrs_, nstr_, attributes);
        !st.ok()) {
      return Corrupt("span attributes", st.message());
    }
    row->start = static_cast<int64_t>(static_cast<uint64_t>(prev_start_) +
                                      static_cast<uint64_t>(UnZigZag64(start)));
    prev_start_ = row->start;
    return absl::OkStatus();
  }

 private:
  std::string_view parents_, names_, kinds_, codes_, messages_, starts_,
      durations_, attrs_, events_, links_, misc_;
  const uint64_t nstr_;
  int64_t prev_start_ = 0;
};

// The traces ForEachTrace* visits: all, or the one `*only` (and the spans
// before it skipped). False: `*only` is not in the page.
bool TraceRange(const V2Page& page, const TraceId* only, size_t* first,
                size_t* last) {
  *first = 0;
  *last = page.traces.size();
  if (only == nullptr) return true;
  auto it = std::lower_bound(
      page.traces.begin(), page.traces.end(), *only,
      [](const V2Page::TraceRef& t, const TraceId& id) { return t.id < id; });
  if (it == page.traces.end() || it->id != *only) return false;
  *first = static_cast<size_t>(it - page.traces.begin());
  *last = *first + 1;
  return true;
}

// ---- OTLP wire bytes written from the columns (ForEachTraceBytes) ----------

void PutTag(std::string* out, uint32_t field, uint32_t wire_type) {
  PutVarint64(out, field << 3 | wire_type);
}

void PutField(std::string* out, uint32_t field, std::string_view bytes) {
  PutTag(out, field, 2);
  PutVarint64(out, bytes.size());
  out->append(bytes);
}

void PutStringField(std::string* out, uint32_t field, std::string_view s) {
  if (!s.empty()) PutField(out, field, s);  // proto3: "" is not sent
}

void PutFixed64Field(std::string* out, uint32_t field, uint64_t v) {
  if (v == 0) return;
  PutTag(out, field, 1);
  PutFixed64(out, v);
}

void PutVarintField(std::string* out, uint32_t field, uint64_t v) {
  if (v == 0) return;
  PutTag(out, field, 0);
  PutVarint64(out, v);
}

// A KeyValue as field `field` of its message; `scratch` is reused.
absl::Status PutAttribute(const V2Page& page, const V2Attribute& a,
                          uint32_t field, std::string* out,
                          std::string* scratch) {
  scratch->clear();
  PutStringField(scratch, 1, page.strings[a.key]);
  std::string value;
  switch (a.tag) {
    case kV2String:
      PutField(&value, 1, page.strings[a.u]);  // a oneof: sent even if ""
      break;
    case kV2Bool:
      PutTag(&value, 2, 0);
      value.push_back(a.u != 0 ? 1 : 0);
      break;
    case kV2Int:
      PutTag(&value, 3, 0);
      PutVarint64(&value, static_cast<uint64_t>(UnZigZag64(a.u)));
      break;
    case kV2Double:
      PutTag(&value, 4, 1);
      PutFixed64(&value, a.u);
      break;
    case kV2Any:
      value.assign(a.any);
      break;
    case kV2NoValue:
      break;
    default:
      return absl::DataLossError("attribute value tag is unknown");
  }
  if (a.tag != kV2NoValue) PutField(scratch, 2, value);
  PutField(out, field, *scratch);
  return absl::OkStatus();
}

absl::Status PutAttributes(const V2Page& page,
                           const std::vector<V2Attribute>& attributes,
                           uint32_t field, std::string* out,
                           std::string* scratch) {
  for (const V2Attribute& a : attributes) {
    if (absl::Status s = PutAttribute(page, a, field, out, scratch); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status V2Page::ForEachTraceOtlp(
    const TraceId* only,
    absl::FunctionRef<absl::Status(const TraceId&, TracesData&)> fn) const {
  if (raw[kV2SpanIds].size() != uint64_t{span_count} * 8) {
    return Corrupt("span ids", "size disagrees with the span count");
  }
  const char* span_ids = raw[kV2SpanIds].data();
  std::vector<V2Attribute> decoded;
  TracesData data;
  SpanCursor cursor(*this);
  size_t first, last;
  if (!TraceRange(*this, only, &first, &last)) return absl::OkStatus();
  if (first < last) {
    if (absl::Status s = cursor.Skip(traces[first].span_begin); !s.ok()) {
      return s;
    }
  }
  for (size_t t = first; t < last; ++t) {
    const TraceRef& tr = traces[t];
    data.Clear();
    uint32_t pos = tr.span_begin;
    for (uint32_t r = tr.rs_begin; r < tr.rs_end; ++r) {
      const ResourceSpansRef& rsr = resource_spans[r];
      andante::otlp::trace::v1::ResourceSpans* rs = data.add_resource_spans();
      const ResourceEntry& re = resources[rsr.resource];
      Resource* res = rs->mutable_resource();
      if (!ParseOtlpMessage(re.rest, res, kResourceDepth)) {
        return Corrupt("resources", "entry does not parse");
      }
      for (const V2Attribute& a : re.attributes) {
        absl::Status s = V2AttributeToOtlp(*this, a, res->add_attributes());
        if (!s.ok()) return s;
      }
      if (rsr.schema_url != 0)
        rs->set_schema_url(strings[rsr.schema_url].data(),
                           strings[rsr.schema_url].size());
      for (uint32_t s = rsr.scopes_begin; s < rsr.scopes_end; ++s) {
        const ScopeSpansRef& ssr = scope_spans[s];
        andante::otlp::trace::v1::ScopeSpans* ss = rs->add_scope_spans();
        const ScopeEntry& se = scopes[ssr.scope];
        InstrumentationScope* scope = ss->mutable_scope();
        if (!ParseOtlpMessage(se.rest, scope, kScopeDepth)) {
          return Corrupt("scopes", "entry does not parse");
        }
        scope->set_name(strings[se.name].data(), strings[se.name].size());
        scope->set_version(strings[se.version].data(),
                           strings[se.version].size());
        for (const V2Attribute& a : se.attributes) {
          absl::Status st = V2AttributeToOtlp(*this, a, scope->add_attributes());
          if (!st.ok()) return st;
        }
        if (ssr.schema_url != 0)
          ss->set_schema_url(strings[ssr.schema_url].data(),
                             strings[ssr.schema_url].size());
        for (uint32_t k = 0; k < ssr.span_count; ++k, ++pos) {
          SpanRow row;
          if (absl::Status st =
                  cursor.Next(tr.span_end - tr.span_begin, &row, &decoded);
              !st.ok()) {
            return st;
          }
          Span* sp = ss->add_spans();
          if (!ParseOtlpMessage(row.rest, sp, kSpanDepth) ||
              !MergeSpanBytes(row.events, sp) || !MergeSpanBytes(row.links, sp)) {
            return Corrupt("spans", "span remainder does not parse");
          }
          if (row.flags & kV2FlagTraceIdIsPages)
            sp->set_trace_id(tr.id.bytes().data(), TraceId::kSize);
          if (row.flags & kV2FlagSpanIdInColumn) {
            sp->set_span_id(span_ids + uint64_t{pos} * 8, 8);
          }
          if (row.parent >= 2) {
            sp->set_parent_span_id(
                span_ids + (uint64_t{tr.span_begin} + row.parent - 2) * 8, 8);
          } else if (row.parent == 1) {
            sp->set_parent_span_id(row.raw_parent.data(), 8);
          }
          sp->set_name(strings[row.name].data(), strings[row.name].size());
          sp->set_kind(
              static_cast<Span::SpanKind>(static_cast<int32_t>(row.kind)));
          if (row.flags & kFlagHasStatus) {
            auto* st = sp->mutable_status();
            st->set_code(static_cast<
                         andante::otlp::trace::v1::Status::StatusCode>(
                static_cast<int32_t>(row.code)));
            st->set_message(strings[row.message].data(),
                            strings[row.message].size());
          }
          sp->set_start_time_unix_nano(static_cast<uint64_t>(row.start));
          sp->set_end_time_unix_nano(
              static_cast<uint64_t>(row.start) +
              static_cast<uint64_t>(UnZigZag64(row.duration)));
          for (const V2Attribute& a : decoded) {
            absl::Status st = V2AttributeToOtlp(*this, a, sp->add_attributes());
            if (!st.ok()) return st;
          }
        }
      }
    }
    if (absl::Status s = fn(tr.id, data); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status V2Page::ForEachTraceBytes(
    const TraceId* only,
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view)> fn)
    const {
  if (raw[kV2SpanIds].size() != uint64_t{span_count} * 8) {
    return Corrupt("span ids", "size disagrees with the span count");
  }
  const char* span_ids = raw[kV2SpanIds].data();
  std::vector<V2Attribute> decoded;
  SpanCursor cursor(*this);
  size_t first, last;
  if (!TraceRange(*this, only, &first, &last)) return absl::OkStatus();
  if (first < last) {
    if (absl::Status s = cursor.Skip(traces[first].span_begin); !s.ok()) {
      return s;
    }
  }
  // Each message is written into its own buffer, then into its parent's
  // behind its length.
  std::string out, rs_buf, msg, ss_buf, span, kv;
  for (size_t t = first; t < last; ++t) {
    const TraceRef& tr = traces[t];
    out.clear();
    uint32_t pos = tr.span_begin;
    for (uint32_t r = tr.rs_begin; r < tr.rs_end; ++r) {
      const ResourceSpansRef& rsr = resource_spans[r];
      const ResourceEntry& re = resources[rsr.resource];
      rs_buf.clear();
      msg.clear();
      if (absl::Status s = PutAttributes(*this, re.attributes, 1, &msg, &kv);
          !s.ok()) {
        return s;
      }
      msg.append(re.rest);
      PutField(&rs_buf, 1, msg);  // the resource, sent even if empty
      for (uint32_t s = rsr.scopes_begin; s < rsr.scopes_end; ++s) {
        const ScopeSpansRef& ssr = scope_spans[s];
        const ScopeEntry& se = scopes[ssr.scope];
        ss_buf.clear();
        msg.clear();
        msg.append(se.rest);
        PutStringField(&msg, 1, strings[se.name]);
        PutStringField(&msg, 2, strings[se.version]);
        if (absl::Status st = PutAttributes(*this, se.attributes, 3, &msg, &kv);
            !st.ok()) {
          return st;
        }
        PutField(&ss_buf, 1, msg);
        for (uint32_t k = 0; k < ssr.span_count; ++k, ++pos) {
          SpanRow row;
          if (absl::Status st =
                  cursor.Next(tr.span_end - tr.span_begin, &row, &decoded);
              !st.ok()) {
            return st;
          }
          // The remainder, events and links first: the column values that
          // follow win over anything they hold, as with set_* after a parse.
          span.assign(row.rest);
          span.append(row.events);
          span.append(row.links);
          if (row.flags & kV2FlagTraceIdIsPages) {
            PutField(&span, 1, tr.id.bytes());
          }
          if (row.flags & kV2FlagSpanIdInColumn) {
            PutField(&span, 2, std::string_view(span_ids + uint64_t{pos} * 8, 8));
          }
          if (row.parent >= 2) {
            PutField(&span, 4,
                     std::string_view(
                         span_ids + (uint64_t{tr.span_begin} + row.parent - 2) * 8,
                         8));
          } else if (row.parent == 1) {
            PutField(&span, 4, row.raw_parent);
          }
          PutStringField(&span, 5, strings[row.name]);
          // An enum is an int32: negative values go as 10-byte varints.
          PutVarintField(&span, 6,
                         static_cast<uint64_t>(static_cast<int64_t>(
                             static_cast<int32_t>(row.kind))));
          PutFixed64Field(&span, 7, static_cast<uint64_t>(row.start));
          PutFixed64Field(&span, 8,
                          static_cast<uint64_t>(row.start) +
                              static_cast<uint64_t>(UnZigZag64(row.duration)));
          if (absl::Status st = PutAttributes(*this, decoded, 9, &span, &kv);
              !st.ok()) {
            return st;
          }
          if (row.flags & kFlagHasStatus) {
            msg.clear();
            PutStringField(&msg, 2, strings[row.message]);
            PutVarintField(&msg, 3,
                           static_cast<uint64_t>(static_cast<int64_t>(
                               static_cast<int32_t>(row.code))));
            PutField(&span, 15, msg);
          }
          PutField(&ss_buf, 2, span);
        }
        PutStringField(&ss_buf, 3, strings[ssr.schema_url]);
        PutField(&rs_buf, 2, ss_buf);
      }
      PutStringField(&rs_buf, 3, strings[rsr.schema_url]);
      PutField(&out, 1, rs_buf);
    }
    if (absl::Status s = fn(tr.id, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
