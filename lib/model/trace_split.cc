#include "model/trace_split.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/wire_format_lite.h"
#include "model/otlp_nesting.h"
#include "model/otlp_wire_schema.h"
#include "model/wire_reader.h"

namespace andante::internal {
namespace {

using ::google::protobuf::io::CodedOutputStream;
using ::google::protobuf::internal::WireFormatLite;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using ::andante::otlp::trace::v1::Span;

// Field tags of the messages we assemble by hand; all length-delimited, and
// all field numbers < 16, so every tag is one byte.
constexpr uint8_t Tag(int field) {
  return static_cast<uint8_t>(field << 3 |
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}
constexpr uint8_t kTracesDataResourceSpans = Tag(1);
constexpr uint8_t kResourceSpansResource = Tag(1);
constexpr uint8_t kResourceSpansScopeSpans = Tag(2);
constexpr uint8_t kResourceSpansSchemaUrl = Tag(3);
constexpr uint8_t kScopeSpansScope = Tag(1);
constexpr uint8_t kScopeSpansSpans = Tag(2);
constexpr uint8_t kScopeSpansSchemaUrl = Tag(3);
// Span.trace_id as serialized: tag, length byte, 16 ID bytes.
[[maybe_unused]] constexpr uint8_t kTraceIdTag = Tag(1);
constexpr uint32_t kTraceIdFieldBytes = 2 + TraceId::kSize;
// ResourceSpans.instrumentation_library_spans, pre-1.0 OTLP.
constexpr int kLegacyScopeSpansField = 1000;

// Size of a length-delimited field (one-byte tag) with a payload of `n`.
inline size_t FieldSize(size_t n) {
  return 1 + CodedOutputStream::VarintSize32(static_cast<uint32_t>(n)) + n;
}
inline size_t StringFieldSize(std::string_view s) {
  return s.empty() ? 0 : FieldSize(s.size());
}

inline uint8_t* WriteHeader(uint8_t tag, size_t n, uint8_t* p) {
  *p++ = tag;
  return CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(n), p);
}
inline uint8_t* WriteBytes(uint8_t tag, std::string_view s, uint8_t* p) {
  p = WriteHeader(tag, s.size(), p);
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// One source ResourceSpans: its serialized resource and schema URL.
struct ResourceInfo {
  bool has_resource = false;
  std::string_view resource;  // serialized Resource
  std::string_view schema_url;
};

// One source ScopeSpans: its serialized scope and schema URL.
struct ScopeInfo {
  uint32_t resource = 0;  // index into the ResourceInfo vector
  bool has_scope = false;
  std::string_view scope;  // serialized InstrumentationScope
  std::string_view schema_url;
};

// Both splitters collect, per span in request order, an entry with at least
// `size` (the bytes the span takes in a fragment, without its trace_id),
// `scope` (index into the ScopeInfo vector) and `trace` (index into the
// fragment vector), then call WriteFragments, which regroups them by trace
// and writes each fragment in one go. `write_span(entry, out)` writes the
// span's bytes at `out`, using at most `slack` bytes past entry.size, and
// returns the end of the `size` bytes it wrote.
template <typename Entry, typename WriteSpan>
void WriteFragments(const std::vector<ResourceInfo>& resources,
                    const std::vector<ScopeInfo>& scopes,
                    const std::vector<Entry>& spans, size_t slack,
                    WriteSpan write_span,
                    std::vector<TraceFragment>& fragments) {
  // Group span entries by trace, stable (counting sort): each trace's spans
  // stay in request order and therefore grouped by resource, then scope.
  std::vector<uint32_t> begin(fragments.size() + 1, 0);
  for (const Entry& e : spans) ++begin[e.trace + 1];
  for (size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
  std::vector<const Entry*> order(spans.size());
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (const Entry& e : spans) order[next[e.trace]++] = &e;
  }

  // Per trace, compute the nested message sizes, then write the fragment.
  // `sizes` holds, per run, the ScopeSpans payload sizes and, per resource
  // run, the ResourceSpans payload size.
  std::vector<size_t> sizes;
  for (size_t t = 0; t < fragments.size(); ++t) {
    const Entry* const* first = order.data() + begin[t];
    const Entry* const* last = order.data() + begin[t + 1];

    sizes.clear();
    size_t total = 0;
    for (const Entry* const* p = first; p != last;) {
      const uint32_t res = scopes[(*p)->scope].resource;
      const ResourceInfo& ri = resources[res];
      const size_t rs_slot = sizes.size();
      sizes.push_back(0);
      size_t rs_size = (ri.has_resource ? FieldSize(ri.resource.size()) : 0) +
                       StringFieldSize(ri.schema_url);
      while (p != last && scopes[(*p)->scope].resource == res) {
        const uint32_t sc = (*p)->scope;
        const ScopeInfo& si = scopes[sc];
        size_t ss_size = (si.has_scope ? FieldSize(si.scope.size()) : 0) +
                         StringFieldSize(si.schema_url);
        for (; p != last && (*p)->scope == sc; ++p) {
          ss_size += FieldSize((*p)->size);
        }
        sizes.push_back(ss_size);
        rs_size += FieldSize(ss_size);
      }
      sizes[rs_slot] = rs_size;
      total += FieldSize(rs_size);
    }

    std::string& data = fragments[t].data;
    data.resize(total + slack);
    uint8_t* out = reinterpret_cast<uint8_t*>(data.data());
    size_t slot = 0;
    for (const Entry* const* p = first; p != last;) {
      const uint32_t res = scopes[(*p)->scope].resource;
      const ResourceInfo& ri = resources[res];
      out = WriteHeader(kTracesDataResourceSpans, sizes[slot++], out);
      if (ri.has_resource) {
        out = WriteBytes(kResourceSpansResource, ri.resource, out);
      }
      while (p != last && scopes[(*p)->scope].resource == res) {
        const uint32_t sc = (*p)->scope;
        const ScopeInfo& si = scopes[sc];
        out = WriteHeader(kResourceSpansScopeSpans, sizes[slot++], out);
        if (si.has_scope) out = WriteBytes(kScopeSpansScope, si.scope, out);
        for (; p != last && (*p)->scope == sc; ++p) {
          out = WriteHeader(kScopeSpansSpans, (*p)->size, out);
          out = write_span(**p, out);
        }
        if (!si.schema_url.empty()) {
          out = WriteBytes(kScopeSpansSchemaUrl, si.schema_url, out);
        }
      }
      if (!ri.schema_url.empty()) {
        out = WriteBytes(kResourceSpansSchemaUrl, ri.schema_url, out);
      }
    }
    assert(out == reinterpret_cast<uint8_t*>(data.data()) + total);
    data.resize(total);
  }
}

// The index of the fragment of trace `raw`, adding the fragment on its first
// span; folds the span's times and count into it.
uint32_t AddToTrace(const char* raw, uint64_t start, uint64_t end,
                    absl::flat_hash_map<TraceId, uint32_t>& index,
                    std::vector<TraceFragment>& fragments) {
  std::array<uint8_t, TraceId::kSize> bytes;
  std::memcpy(bytes.data(), raw, TraceId::kSize);
  auto [it, inserted] = index.try_emplace(
      TraceId(bytes), static_cast<uint32_t>(fragments.size()));
  if (inserted) {
    TraceFragment& f = fragments.emplace_back();
    f.id = it->first;
    f.start_unix_nano = start;
    f.end_unix_nano = end;
  }
  TraceFragment& f = fragments[it->second];
  f.start_unix_nano = std::min(f.start_unix_nano, start);
  f.end_unix_nano = std::max(f.end_unix_nano, end);
  ++f.span_count;
  return it->second;
}

// ---------------------------------------------------------------------------
// SplitByTrace: from the parsed request.

// One span in request order.
struct SpanEntry {
  const Span* span;
  uint32_t size;   // serialized size less the trace_id field
  uint32_t scope;  // index into the ScopeInfo vector
  uint32_t trace;  // index into the fragment vector
};

// The scope-spans lists of `rs`: the regular field, or the legacy field 1000
// when the regular one is empty. Legacy messages are parsed into `legacy`,
// which must outlive the use of the returned pointers.
void CollectScopeSpans(const ResourceSpans& rs, std::deque<ScopeSpans>* legacy,
                       std::vector<const ScopeSpans*>* out) {
  out->clear();
  for (const ScopeSpans& ss : rs.scope_spans()) out->push_back(&ss);
  if (!out->empty()) return;
  const auto& unknown = rs.GetReflection()->GetUnknownFields(rs);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& field = unknown.field(i);
    if (field.number() != kLegacyScopeSpansField ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    // InstrumentationLibrarySpans{1 library{1 name, 2 version}, 2 spans,
    // 3 schema_url} is wire-compatible with ScopeSpans.
    // It sits where a ScopeSpans does: two levels below the request.
    ScopeSpans& parsed = legacy->emplace_back();
    if (ParseOtlpMessage(field.length_delimited(), &parsed, /*depth=*/2)) {
      out->push_back(&parsed);
    } else {
      legacy->pop_back();
    }
  }
}

// ---------------------------------------------------------------------------
// SplitSerializedByTrace: from the wire bytes.
//
// The walker must never accept bytes that protobuf's parser (3.21, the
// generated code of lib/proto) rejects, since the bytes it copies are parsed
// again on every read. It may reject more: the caller then takes the parsing
// path. What protobuf rejects, and what the walker therefore checks:
//   - tags: field number 0, wire types 6 and 7, a stray end-group, a tag
//     varint longer than 5 bytes;
//   - varints longer than 10 bytes; lengths longer than 5 bytes or past the
//     end of the enclosing message; fixed fields past the end;
//   - string fields of known messages (proto3) that are not valid UTF-8,
//     checked with protobuf's own validator;
//   - nesting deeper than the recursion limit, which every parse of OTLP
//     data here raises to kMaxOtlpMessageDepth (otlp_nesting.h).
// The walker rejects groups outright (unknown fields only, in practice
// never sent), tags that overflow 32 bits, and nesting deeper than
// kMaxOtlpMessageDepth too. A known field with an unexpected wire type is an
// unknown field to protobuf, and to the walker too.

constexpr int kMaxDepth = kMaxOtlpMessageDepth;

using otlp_wire::FieldKind;
using otlp_wire::Kind;
using otlp_wire::Lookup;
using otlp_wire::Msg;

bool CheckMessage(Msg m, std::string_view bytes, int depth);

// Checks the payload of length-delimited field `field` of message `m` (at
// nesting `depth`).
inline bool CheckPayload(Msg m, uint32_t field, std::string_view payload,
                         int depth) {
  const FieldKind k = Lookup(m, field);
  if (k.kind == Kind::kString) return IsValidProtobufUtf8(payload);
  if (k.kind == Kind::kMessage) return CheckMessage(k.msg, payload, depth + 1);
  return true;
}

// Checks one field of message `m` (at nesting `depth`) whose tag was just
// read, and moves past it.
bool CheckField(Msg m, uint32_t field, uint32_t wire_type, WireReader& r,
                int depth) {
  switch (wire_type) {
    case kVarint:
      return r.SkipVarint();
    case kFixed64:
      return r.Skip(8);
    case kFixed32:
      return r.Skip(4);
    case kLengthDelimited: {
      std::string_view payload;
      return r.ReadBytes(&payload) && CheckPayload(m, field, payload, depth);
    }
    default:
      return false;  // groups: left to protobuf; 6, 7: invalid
  }
}

// Checks a whole message `m` at nesting `depth` (the request is 0).
bool CheckMessage(Msg m, std::string_view bytes, int depth) {
  if (depth > kMaxDepth) return false;
  WireReader r(bytes);
  uint32_t field, wire_type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &wire_type) ||
        !CheckField(m, field, wire_type, r, depth)) {
      return false;
    }
  }
  return true;
}

// CheckMessage of a KeyValue at nesting `depth` that also gives its key (the
// last occurrence, as protobuf keeps it).
bool CheckKeyValue(std::string_view bytes, int depth, std::string_view* key) {
  if (depth > kMaxDepth) return false;
  *key = {};
  WireReader r(bytes);
  uint32_t field, wire_type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &wire_type)) return false;
    if (field == 1 && wire_type == kLengthDelimited) {
      // KeyValue.key, a string.
      if (!r.ReadBytes(key) || !IsValidProtobufUtf8(*key)) return false;
    } else if (!CheckField(Msg::kKeyValue, field, wire_type, r, depth)) {
      return false;
    }
  }
  return true;
}

// Nesting of the levels the walker handles itself.
constexpr int kResourceSpansDepth = 1;
constexpr int kScopeSpansDepth = 2;
constexpr int kSpanDepth = 3;

// One span in request order, as wire bytes.
struct WireSpan {
  const char* data;  // the span's serialized bytes
  uint32_t size;     // its size less the trace_id field
  uint32_t trace_id_offset;  // where the trace_id field starts in `data`
  uint32_t trace_id_length;  // its size (tag, length, 16 bytes)
  uint32_t scope;    // index into the ScopeInfo vector
  uint32_t trace;    // index into the fragment vector
};

class WireSplitter {
 public:
  // With `record`, also records what record->FromWire(request) would give.
  WireSplitter(std::vector<TraceFragment>* fragments, SpanBatchView* record)
      : fragments_(*fragments), record_(record) {}

  bool Split(std::string_view request) {
    fragments_.clear();
    if (record_ != nullptr) record_->Clear();
    WireReader r(request);
    uint32_t field, wire_type;
    while (!r.done()) {
      if (!r.ReadTag(&field, &wire_type)) return false;
      if (field == 1 && wire_type == kLengthDelimited) {
        std::string_view rs;
        if (!r.ReadBytes(&rs) || !ResourceSpans(rs)) return false;
      } else if (!CheckField(Msg::kOpaque, field, wire_type, r, 0)) {
        return false;
      }
    }
    if (!fragments_.empty()) {
      WriteFragments(resources_, scopes_, spans_, /*slack=*/0,
                     [](const WireSpan& s, uint8_t* out) {
                       std::memcpy(out, s.data, s.trace_id_offset);
                       const uint32_t after =
                           s.trace_id_offset + s.trace_id_length;
                       std::memcpy(out + s.trace_id_offset, s.data + after,
                                   s.size - s.trace_id_offset);
                       return out + s.size;
                     },
                     fragments_);
    }
    return true;
  }

 private:
  bool ResourceSpans(std::string_view bytes) {
    ResourceInfo resource;
    int resource_fields = 0;
    scope_lists_.clear();
    legacy_lists_.clear();
    WireReader r(bytes);
    uint32_t field, wire_type;
    while (!r.done()) {
      if (!r.ReadTag(&field, &wire_type)) return false;
      if (wire_type != kLengthDelimited ||
          (field > 3 && field != kLegacyScopeSpansField)) {
        if (!CheckField(Msg::kOpaque, field, wire_type, r,
                        kResourceSpansDepth)) {
          return false;
        }
        continue;
      }
      std::string_view payload;
      if (!r.ReadBytes(&payload)) return false;
      switch (field) {
        case 1:
          // Protobuf merges a repeated singular message; not worth copying.
          if (++resource_fields > 1 ||
              !CheckMessage(Msg::kResource, payload, kResourceSpansDepth + 1)) {
            return false;
          }
          resource.has_resource = true;
          resource.resource = payload;
          break;
        case 2:
          scope_lists_.push_back(payload);
          break;
        case 3:
          if (!IsValidProtobufUtf8(payload)) return false;
          resource.schema_url = payload;
          break;
        default:  // kLegacyScopeSpansField: an unknown field to protobuf
          legacy_lists_.push_back(payload);
          break;
      }
    }
    // Like the collector, read the pre-1.0 field only when the current one
    // is absent. SplitByTrace skips legacy entries that do not parse; here
    // any entry the walker cannot vouch for sends the request down that path.
    const auto& lists = scope_lists_.empty() ? legacy_lists_ : scope_lists_;
    if (record_ != nullptr) {
      // As SpanBatchView::FromWire: every ResourceSpans has its resource
      // view, and only spans under `scope_spans` (field 2) are recorded.
      if (!record_->AddResource(resource.resource)) return false;
      record_resource_ =
          static_cast<uint32_t>(record_->resources().size() - 1);
      record_spans_ = !scope_lists_.empty();
    }
    const uint32_t resource_index = static_cast<uint32_t>(resources_.size());
    bool used = false;
    // `lists` is a member the nested calls do not touch.
    for (std::string_view ss : lists) {
      if (!ScopeSpans(ss, resource_index, &used)) return false;
    }
    if (used) resources_.push_back(resource);
    return true;
  }

  bool ScopeSpans(std::string_view bytes, uint32_t resource_index,
                  bool* used) {
    const uint32_t scope_index = static_cast<uint32_t>(scopes_.size());
    ScopeInfo& scope = scopes_.emplace_back();
    scope.resource = resource_index;
    int scope_fields = 0;
    bool has_spans = false;
    WireReader r(bytes);
    uint32_t field, wire_type;
    while (!r.done()) {
      if (!r.ReadTag(&field, &wire_type)) return false;
      if (wire_type != kLengthDelimited || field > 3) {
        if (!CheckField(Msg::kOpaque, field, wire_type, r, kScopeSpansDepth)) {
          return false;
        }
        continue;
      }
      std::string_view payload;
      if (!r.ReadBytes(&payload)) return false;
      if (field == 1) {
        if (++scope_fields > 1 ||
            !CheckMessage(Msg::kScope, payload, kScopeSpansDepth + 1)) {
          return false;
        }
        scopes_[scope_index].has_scope = true;
        scopes_[scope_index].scope = payload;
      } else if (field == 2) {
        if (!Span(payload, scope_index)) return false;
        has_spans = true;
      } else {
        if (!IsValidProtobufUtf8(payload)) return false;
        scopes_[scope_index].schema_url = payload;
      }
    }
    if (!has_spans) {
      scopes_.pop_back();  // the last one: nothing was added after it
    } else {
      *used = true;
    }
    return true;
  }

  bool Span(std::string_view bytes, uint32_t scope_index) {
    return record_spans_ ? SpanOf<true>(bytes, scope_index)
                         : SpanOf<false>(bytes, scope_index);
  }

  // Span(), recording the span's fields into record_ when kRecord (a
  // separate instantiation, so the split alone pays nothing for it).
  template <bool kRecord>
  bool SpanOf(std::string_view bytes, uint32_t scope_index) {
    std::string_view trace_id, span_id;
    uint32_t trace_id_offset = 0, trace_id_length = 0;
    bool has_trace_id = false;
    uint64_t start = 0, end = 0;
    SpanView* rec = kRecord ? &record_->AddSpan(record_resource_, bytes.size())
                            : nullptr;
    const uint8_t* base = reinterpret_cast<const uint8_t*>(bytes.data());
    WireReader r(bytes);
    uint32_t field, wire_type;
    while (!r.done()) {
      const uint8_t* field_start = r.position();
      if (!r.ReadTag(&field, &wire_type)) return false;
      if (wire_type == kLengthDelimited && field <= 2) {
        std::string_view payload;
        if (!r.ReadBytes(&payload)) return false;
        if (field == 2) {
          span_id = payload;  // the last one wins, as in protobuf
          continue;
        }
        // Two trace_id fields would both have to be cut out; rare enough to
        // leave to the parsing path.
        if (has_trace_id) return false;
        has_trace_id = true;
        trace_id = payload;
        trace_id_offset = static_cast<uint32_t>(field_start - base);
        trace_id_length = static_cast<uint32_t>(r.position() - field_start);
      } else if (wire_type == kFixed64 && (field == 7 || field == 8)) {
        if (!r.ReadFixed64(field == 7 ? &start : &end)) return false;
      } else if (wire_type == kLengthDelimited && field == 9) {
        // An attribute: checked as CheckField does, in a loop of its own.
        std::string_view payload, key;
        if (!r.ReadBytes(&payload) ||
            !CheckKeyValue(payload, kSpanDepth + 1, &key)) {
          return false;
        }
        if (kRecord) record_->AddSpanAttribute(key, payload);
      } else if (kRecord && wire_type == kLengthDelimited &&
                 (field == 4 || field == 5 || field == 15)) {
        // Checked as CheckField does, then recorded.
        std::string_view payload;
        if (!r.ReadBytes(&payload)) return false;
        if (!CheckPayload(Msg::kSpan, field, payload, kSpanDepth)) {
          return false;
        }
        if (field == 4) {
          rec->parent_span_id = payload;
        } else if (field == 5) {
          rec->name = payload;
        } else if (!SpanBatchView::MergeStatus(payload, *rec)) {
          return false;
        }
      } else if (kRecord && wire_type == kVarint && field == 6) {
        uint64_t kind;
        if (!r.ReadVarint(&kind)) return false;
        rec->kind = static_cast<int32_t>(kind);
      } else if (!CheckField(Msg::kSpan, field, wire_type, r, kSpanDepth)) {
        return false;
      }
    }
    // Invalid IDs: SplitByTrace reports them with Tempo's messages.
    if (trace_id.size() != TraceId::kSize) return false;
    if (span_id.size() != SpanId::kSize ||
        span_id.find_first_not_of('\0') == std::string_view::npos) {
      return false;
    }
    if (kRecord) {
      rec->trace_id = trace_id;
      rec->span_id = span_id;
      rec->start_ns = start;
      rec->end_ns = end;
      record_->EndSpan(*rec);
    }
    WireSpan& s = spans_.emplace_back();
    s.data = bytes.data();
    s.size = static_cast<uint32_t>(bytes.size()) - trace_id_length;
    s.trace_id_offset = trace_id_offset;
    s.trace_id_length = trace_id_length;
    s.scope = scope_index;
    s.trace = AddToTrace(trace_id.data(), start, end, index_, fragments_);
    return true;
  }

  std::vector<TraceFragment>& fragments_;
  SpanBatchView* const record_;
  // The recorded resource of the current ResourceSpans, and whether its
  // spans are recorded.
  uint32_t record_resource_ = 0;
  bool record_spans_ = false;
  std::vector<ResourceInfo> resources_;
  std::vector<ScopeInfo> scopes_;
  std::vector<WireSpan> spans_;
  absl::flat_hash_map<TraceId, uint32_t> index_;
  // Scratch of ResourceSpans(); ScopeSpans() never reenters it.
  absl::InlinedVector<std::string_view, 4> scope_lists_;
  absl::InlinedVector<std::string_view, 4> legacy_lists_;
};

}  // namespace

absl::StatusOr<std::vector<TraceFragment>> SplitByTrace(
    const ExportTraceServiceRequest& request) {
  std::vector<TraceFragment> fragments;
  std::vector<ResourceInfo> resources;
  std::vector<ScopeInfo> scopes;
  std::vector<SpanEntry> spans;
  std::deque<ScopeSpans> legacy;
  std::deque<std::string> serialized;  // resources and scopes
  std::vector<const ScopeSpans*> scope_list;
  absl::flat_hash_map<TraceId, uint32_t> index;

  // Pass 1: validate, size every span once and assign it to its trace.
  resources.reserve(request.resource_spans_size());
  for (const ResourceSpans& rs : request.resource_spans()) {
    CollectScopeSpans(rs, &legacy, &scope_list);
    const uint32_t resource_index = static_cast<uint32_t>(resources.size());
    bool resource_used = false;
    for (const ScopeSpans* ss : scope_list) {
      if (ss->spans_size() == 0) continue;
      const uint32_t scope_index = static_cast<uint32_t>(scopes.size());
      ScopeInfo& scope = scopes.emplace_back();
      scope.resource = resource_index;
      scope.has_scope = ss->has_scope();
      if (scope.has_scope) {
        scope.scope = serialized.emplace_back(ss->scope().SerializeAsString());
      }
      scope.schema_url = ss->schema_url();
      resource_used = true;
      for (const Span& span : ss->spans()) {
        const std::string& tid = span.trace_id();
        if (tid.size() != TraceId::kSize) {
          return absl::InvalidArgumentError(absl::StrCat(
              "trace ids must be 128 bit, received ", tid.size() * 8, " bits"));
        }
        const std::string& sid = span.span_id();
        if (sid.size() != SpanId::kSize ||
            sid.find_first_not_of('\0') == std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("span ids must be 64 bit and not all zero, received ",
                           sid.size() * 8, " bits"));
        }
        const uint32_t trace =
            AddToTrace(tid.data(), span.start_time_unix_nano(),
                       span.end_time_unix_nano(), index, fragments);
        spans.push_back(SpanEntry{
            &span,
            static_cast<uint32_t>(span.ByteSizeLong() - kTraceIdFieldBytes),
            scope_index, trace});
      }
    }
    if (resource_used) {
      ResourceInfo& resource = resources.emplace_back();
      resource.has_resource = rs.has_resource();
      if (resource.has_resource) {
        resource.resource =
            serialized.emplace_back(rs.resource().SerializeAsString());
      }
      resource.schema_url = rs.schema_url();
    }
  }
  if (fragments.empty()) return fragments;

  // Pass 2. Each span is serialized whole and then shifted over its
  // trace_id, so the last one briefly needs kTraceIdFieldBytes past the end.
  WriteFragments(
      resources, scopes, spans, kTraceIdFieldBytes,
      [](const SpanEntry& e, uint8_t* out) {
        // Sizes were cached by ByteSizeLong() in pass 1. Fields serialize in
        // number order, so the validated trace_id (field 1: tag, length 16,
        // 16 bytes) comes first; it is dropped, the fragment being keyed by
        // it, and TraceCombiner restores it on read.
        uint8_t* span_start = out;
        e.span->SerializeWithCachedSizesToArray(out);
        assert(span_start[0] == kTraceIdTag && span_start[1] == TraceId::kSize);
        std::memmove(span_start, span_start + kTraceIdFieldBytes, e.size);
        return span_start + e.size;
      },
      fragments);
  return fragments;
}

bool SplitSerializedByTrace(std::string_view request,
                            std::vector<TraceFragment>* fragments,
                            SpanBatchView* view) {
  if (request.size() > static_cast<size_t>(INT32_MAX)) return false;
  WireSplitter splitter(fragments, view);
  return splitter.Split(request);
}

}  // namespace andante::internal
