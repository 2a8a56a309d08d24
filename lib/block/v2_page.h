// Block format v2 pages: OTLP traces <-> column chunks.
//
// V2PageEncoder turns traces (serialized OTLP TracesData, as the ingest path
// stores them) into the raw bytes of the page's columns; V2Page parses the
// raw (decompressed) columns back, either into OTLP (trace by ID, full scans)
// or column by column (the query scanner in block_scanner.cc). Layout of
// every column: docs/block-format.md "Version 2"; ids in block_format.h.
//
//   V2PageEncoder enc;
//   enc.Add(id, traces_data_bytes);   // REQUIRES: ascending ids
//   ... enc.column(kV2Names) ...       // compress and write; then enc.Clear()
//
//   V2Page page;                       // raw[c] filled for the columns needed
//   page.raw[kV2Traces] = ...;
//   absl::Status s = page.ParseTables();
//   page.ForEachTraceOtlp(nullptr, [](const TraceId&, TracesData&) {...});
//
// Decoding never trusts a count or index read from a column: every index is
// checked against its table and every count against the bytes left, so a
// corrupt (CRC-colliding or fuzzed) page yields DATA_LOSS, not a crash or a
// huge allocation.
#ifndef ANDANTE_BLOCK_V2_PAGE_H_
#define ANDANTE_BLOCK_V2_PAGE_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/ids.h"
#include "block/block_format.h"
#include "block/v2_index.h"
#include "block/v2_wire_trace.h"
#include "util/coding.h"
#include "google/protobuf/arena.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

// An append-only byte buffer for the encoder's columns: writes inline, grows
// by doubling (std::string::push_back is an out-of-line call per byte).
class V2ByteBuffer {
 public:
  V2ByteBuffer() = default;
  V2ByteBuffer(V2ByteBuffer&&) = default;
  V2ByteBuffer& operator=(V2ByteBuffer&&) = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }
  void clear() { size_ = 0; }

  void Byte(uint8_t b) {
    Room(1);
    data_[size_++] = static_cast<char>(b);
  }
  // A varint (LEB128).
  void Var(uint64_t v) {
    Room(kMaxVarint64Length);
    char* p = data_.get() + size_;
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
    size_ = static_cast<size_t>(p - data_.get());
  }
  void Fixed64(uint64_t v) {
    Room(8);
    EncodeFixed64(data_.get() + size_, v);
    size_ += 8;
  }
  void Append(std::string_view b) {
    Room(b.size());
    if (!b.empty()) std::memcpy(data_.get() + size_, b.data(), b.size());
    size_ += b.size();
  }
  void Fill(size_t n, char c) {
    Room(n);
    std::memset(data_.get() + size_, c, n);
    size_ += n;
  }

 private:
  void Room(size_t n) {
    if (cap_ - size_ < n) Grow(n);
  }
  void Grow(size_t n);

  std::unique_ptr<char[]> data_;
  size_t size_ = 0, cap_ = 0;
};

// Accumulates the columns of one page.
class V2PageEncoder {
 public:
  V2PageEncoder();

  // Appends trace `id` whose spans are the TracesData serialized in `data`.
  // INVALID_ARGUMENT if `data` does not parse.
  absl::Status Add(const TraceId& id, std::string_view data);

  // Uncompressed bytes of all columns so far.
  uint64_t raw_bytes() const;
  uint32_t trace_count() const { return trace_count_; }
  uint32_t span_count() const { return span_count_; }
  bool empty() const { return trace_count_ == 0; }

  // Whether span attributes are stored keyed (the default; block_format.h
  // "Keyed span attributes") or in the single-chunk layout of earlier
  // writers. Takes effect from the next page (call before Add or after
  // Clear).
  void set_keyed(bool keyed) { keyed_ = keyed; }
  bool keyed() const { return keyed_; }

  // Whether traces are read straight from their wire bytes (the default),
  // or all parsed with protobuf first and then read from its serialization,
  // the path of the traces the wire walk refuses (v2_wire_trace.h); the
  // differential test compares the two.
  void set_wire_walk(bool on) { wire_walk_ = on; }

  // The raw bytes of column `c`, complete once the page is full: a view of
  // the encoder's buffers, or of `*scratch` for the columns assembled at the
  // end (the tables, the keyed layout). Valid until the next Add, Clear or
  // ColumnBytes(kV2Strings).
  std::string_view ColumnBytes(uint32_t c, std::string* scratch) const;
  // As ColumnBytes, copied.
  std::string column(uint32_t c) const;
  // Keyed: the raw bytes of the i-th key chunk, keys in the order of
  // span_key_stats() (i < span_key_stats().size()).
  std::string_view key_column(size_t i) const;
  // The page's dictionary, in index order (views valid until Clear).
  const std::vector<std::string_view>& strings() const { return strings_; }
  // Distinct service.name values and span names seen in this page (span
  // names: the first kV2MaxNamesListed).
  const absl::flat_hash_set<std::string>& services() const { return services_; }
  const std::vector<std::string_view>& span_names() const {
    return span_names_;
  }
  int64_t min_start() const { return min_start_; }
  int64_t max_end() const { return max_end_; }
  int64_t min_duration() const { return min_duration_; }
  int64_t max_duration() const { return max_duration_; }
  // The page's span-attribute keys with their value types, int bounds and
  // distinct int values, sorted by key (the index's key statistics).
  // Computed once per page.
  const std::vector<V2KeyStats>& span_key_stats() const;

  // Starts a new page.
  void Clear();

 private:
  uint32_t StringIndex(std::string_view s);
  // StringIndex through a small direct-mapped cache, for the strings a page
  // repeats most (attribute keys, span names).
  uint32_t CachedStringIndex(std::string_view s);
  // Copies `s` into the dictionary's storage.
  std::string_view StoreString(std::string_view s);
  // Reads `data` into wire_ (the resources and scopes new to the page too).
  // False: refused, nothing changed.
  bool ReadWire(std::string_view data);
  void PutSpan(std::string_view trace_id, const WireSpan& sp);
  // `span`: the attributes of a span, counted in the key statistics.
  void PutAttributes(WireRange attrs, V2ByteBuffer* out, bool span = false);
  // Appends the length-prefixed concatenation of wire_.pieces in `pieces`,
  // less those whose index is among skip[0, skip_count).
  void PutPieces(WireRange pieces, V2ByteBuffer* out,
                 const uint32_t* skip = nullptr, size_t skip_count = 0);
  // Events or links: see PutSpan.
  void PutSideFields(WireRange pieces, uint32_t dropped,
                     uint32_t dropped_field, V2ByteBuffer* out);
  uint32_t KeySlot(uint32_t key);
  void CountSpanAttribute(uint32_t slot, V2ValueTag tag, int64_t value);
  void SortKeys() const;
  uint32_t ResourceIndex(const WireResourceSpans& rs);
  uint32_t ScopeIndex(const WireScopeSpans& ss);
  // The position of the trace's span whose 8-byte ID is `id`, or -1.
  int64_t SpanPosition(uint64_t id) const;

  // The trace being added, as views into its bytes.
  WireTrace wire_;
  // Traces the wire walk refuses are parsed onto this arena (reset per
  // trace; its first block, arena_block_, is kept) and reserialized here.
  std::string reserialized_;
  std::unique_ptr<char[]> arena_block_;
  std::unique_ptr<google::protobuf::Arena> arena_;
  std::array<V2ByteBuffer, kV2ColumnCount> cols_;  // all but the tables
  // The dictionary: views into string_blocks_, whose blocks never move (the
  // index's views stay valid as it grows). The first block is kept by Clear.
  std::vector<std::string_view> strings_;
  std::vector<std::unique_ptr<char[]>> string_blocks_;
  char* string_free_ = nullptr;
  size_t string_free_size_ = 0;
  struct DictHash {
    size_t operator()(std::string_view s) const;
  };
  absl::flat_hash_map<std::string_view, uint32_t, DictHash> string_index_;
  struct CachedString {
    const char* data = nullptr;
    uint32_t size = 0, index = 0;
  };
  static constexpr int kStringCacheBits = 8;
  std::array<CachedString, 1 << kStringCacheBits> string_cache_;
  // Per dictionary string: whether it is listed in span_names_.
  std::vector<bool> listed_name_;
  // Span attributes: per position in a span, the key last seen there
  // (a view into strings_) and its index.
  std::vector<std::pair<std::string_view, uint32_t>> key_memo_;
  std::vector<std::string> resources_, scopes_;  // encoded entries
  absl::flat_hash_map<std::string, uint32_t> resource_index_, scope_index_;
  // The same entries by the serialized Resource and InstrumentationScope,
  // so a resource met again is neither read nor encoded. ReadWire looks
  // each up once and leaves the entry's index in the WireResourceSpans.
  absl::flat_hash_map<std::string, uint32_t> raw_resource_index_,
      raw_scope_index_;
  absl::flat_hash_set<std::string> services_;
  std::vector<std::string_view> span_names_;
  // Per trace: the spans' 8-byte IDs as words (0 for other lengths; IDs of
  // larger traces go to span_pos_ too: ID -> first position); reused.
  std::vector<uint64_t> span_words_;
  absl::flat_hash_map<uint64_t, uint32_t> span_pos_;
  V2ByteBuffer scratch_;
  // ColumnBytes(kV2Strings): the dictionary column, assembled at a cut.
  mutable V2ByteBuffer strings_column_;
  // Key statistics: slot in key_stats_ per page string (UINT32_MAX: none).
  std::vector<uint32_t> key_slot_;
  struct KeyAcc {
    uint32_t dict = 0, types = 0;
    int64_t min_int = 0, max_int = 0;
    std::vector<int64_t> ints;  // distinct, unordered
    bool many_ints = false;     // more than kV2MaxIntValuesListed
    V2ByteBuffer column;        // keyed: the key chunk
    uint32_t last_span = 0;     // keyed: span of the last entry
    // The last string value met under the key (a view into strings_) and
    // its index: compared before the dictionary is looked up.
    std::string_view last_string;
    uint32_t last_string_index = 0;
  };
  std::vector<KeyAcc> key_stats_;  // by slot (first-seen order)
  bool keyed_ = true;
  bool wire_walk_ = true;
  uint64_t key_bytes_ = 0;  // keyed: sum of the key chunks
  // Slots sorted by key and their statistics, built on first use per page.
  mutable std::vector<uint32_t> sorted_slots_;
  mutable std::vector<V2KeyStats> sorted_stats_;
  mutable bool sorted_ = false;
  uint32_t trace_count_ = 0, span_count_ = 0;
  uint64_t strings_bytes_ = 0;
  int64_t prev_start_ = 0;
  int64_t min_start_, max_end_, min_duration_, max_duration_;
};

// One decoded attribute: key and value as stored (indices into strings).
struct V2Attribute {
  uint32_t key = 0;
  uint8_t tag = kV2NoValue;
  uint64_t u =
      0;  // kV2String: string index; kV2Bool/kV2Int(zigzag)/kV2Double bits
  std::string_view any;  // kV2Any: serialized AnyValue
};

// Parses one kV2Parents value: 0 none, 1 raw (8 bytes, into *raw), k + 2 the
// trace's k-th span (k < trace_spans).
bool GetV2Parent(std::string_view* in, uint32_t trace_spans, uint64_t* parent,
                 std::string_view* raw);

// Parses the attribute list at the front of `*in` into `out` (replacing it).
absl::Status GetV2Attributes(std::string_view* in, size_t string_count,
                             std::vector<V2Attribute>* out);

// Advances *in past one attribute value: tag byte and value. False if
// truncated or the tag is unknown.
bool SkipV2Value(std::string_view* in);

// The keyed marker chunk's frame (block_format.h kV2KeyedMarkerMagic) for
// `key_count` keys, and its parse (false unless a well-formed marker).
std::string EncodeV2KeyedMarker(uint64_t key_count);
bool DecodeV2KeyedMarker(std::string_view frame, uint64_t* key_count);

// A page's raw columns and its parsed tables.
class V2Page {
 public:
  struct ScopeSpansRef {
    uint32_t scope = 0, schema_url = 0, span_count = 0;
  };
  struct ResourceSpansRef {
    uint32_t resource = 0, schema_url = 0;
    uint32_t scopes_begin = 0, scopes_end = 0;  // into scope_spans
  };
  struct TraceRef {
    TraceId id;
    uint32_t rs_begin = 0, rs_end = 0;      // into resource_spans
    uint32_t span_begin = 0, span_end = 0;  // span positions in the page
  };
  struct ResourceEntry {
    std::vector<V2Attribute> attributes;
    std::string_view rest;  // serialized Resource without attributes
  };
  struct ScopeEntry {
    uint32_t name = 0, version = 0;
    std::vector<V2Attribute> attributes;
    std::string_view rest;
  };

  // Decompressed column bytes; only the columns a reader needs are filled.
  std::array<std::string, kV2ColumnCount> raw;
  // Keyed pages: decompressed key chunks (as many as the page has keys;
  // only those a reader needs are filled).
  std::vector<std::string> key_raw;

  // Parses kV2Traces, kV2Strings, kV2Resources and kV2Scopes (all required).
  // DATA_LOSS naming the column on any inconsistency.
  absl::Status ParseTables();
  // Parses kV2Strings alone (fills `strings`); ParseTables includes it.
  absl::Status ParseStrings();
  // Parses kV2Traces alone (fills `traces`, `resource_spans`, `scope_spans`
  // and `span_count`): the resource, scope and string indices it holds are
  // not checked against their tables. No reader needs it (the scan's first
  // pass has its own lean parser, scan::ParseTraceSpans): it is ParseTables'
  // own trace-table parser exposed, the reference scan_decode_test holds
  // ParseTraceSpans to, intact and damaged.
  absl::Status ParseTraceTable();

  // Keyed pages: raw[kV2SpanAttributes] holds the layout and key_raw every
  // key chunk (in the index's order, or any order: each names its key).
  // Replaces raw[kV2SpanAttributes] with the single-chunk layout (per span:
  // count, then key, tag and value per attribute, in the stored order), which
  // the rest of the decoder reads. DATA_LOSS on any inconsistency.
  absl::Status AssembleSpanAttributes();
  // Like AssembleSpanAttributes, from the key chunks key_raw[i] for i in
  // `chunks` alone, without the layout: per span, the attributes under those
  // keys (a key's repeats on one span in their stored order), for a reader
  // that needs no others. `span_count`: the page's spans.
  absl::Status AssembleSpanAttributesOf(const std::vector<uint32_t>& chunks,
                                        uint32_t span_count);

  // Rebuilds traces as OTLP and calls fn for each (for every trace, or only
  // for `*only` if non-null). Needs every column. `fn` may take the message.
  absl::Status ForEachTraceOtlp(
      const TraceId* only,
      absl::FunctionRef<absl::Status(
          const TraceId&, andante::otlp::trace::v1::TracesData&)>
          fn) const;

  // As ForEachTraceOtlp, each trace as serialized OTLP TracesData written
  // straight from the columns (valid until fn returns): it parses equal to
  // ForEachTraceOtlp's message. The parts stored whole (a span's remainder,
  // events, links, array and kvlist values, a resource's or scope's
  // remainder) are copied without being parsed.
  absl::Status ForEachTraceBytes(
      const TraceId* only,
      absl::FunctionRef<absl::Status(const TraceId&, std::string_view)> fn)
      const;

  std::vector<std::string_view> strings;
  std::vector<ResourceEntry> resources;
  std::vector<ScopeEntry> scopes;
  std::vector<TraceRef> traces;
  std::vector<ResourceSpansRef> resource_spans;
  std::vector<ScopeSpansRef> scope_spans;
  uint32_t span_count = 0;

 private:
  // The kV2Traces part of ParseTables, indices checked against the counts.
  absl::Status ParseTraces(uint64_t string_count, uint64_t resource_count,
                           uint64_t scope_count);
};

// Fills `kv` from a decoded attribute of `page`. DATA_LOSS on a bad value.
absl::Status V2AttributeToOtlp(const V2Page& page, const V2Attribute& a,
                               andante::otlp::common::v1::KeyValue* kv);

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_V2_PAGE_H_
