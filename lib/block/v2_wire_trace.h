// The parts of one stored trace that the v2 page encoder (v2_page.h) needs,
// read straight from its serialized OTLP TracesData: views into the bytes,
// no protobuf messages. Field numbers as in lib/proto/andante/otlp.
//
//   WireTrace t;
//   if (!t.Read(bytes)) { ... parse with protobuf, reserialize, Read again }
//   for (WireResourceSpans& rs : t.resource_spans)
//     if (!t.ReadResource(&rs)) ...;  // only for resources not seen before
//
// Read refuses (returns false), leaving nothing to undo, on malformed wire
// bytes and on the shapes protobuf resolves by merging or by "last one wins":
// a singular field the encoder takes apart sent twice, two values of one
// AnyValue, nesting deeper than protobuf's default limit (100). A canonical
// serialization (what protobuf writes) is always read. A known field with an
// unexpected wire type is an unknown field, as protobuf treats it.
//
// Not checked here: UTF-8 of string fields, and the inside of the parts kept
// whole (events, links, unknown fields), beyond their framing. The stored
// traces were checked to the byte at ingest (SplitSerializedByTrace), and the
// reader parses these parts again.
#ifndef ANDANTE_BLOCK_V2_WIRE_TRACE_H_
#define ANDANTE_BLOCK_V2_WIRE_TRACE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/otlp_nesting.h"
#include "absl/functional/function_ref.h"
#include "block/block_format.h"

namespace andante::internal {

// A KeyValue.
struct WireAttribute {
  std::string_view key;
  uint8_t tag = kV2NoValue;  // V2ValueTag
  // kV2Bool: 0 or 1; kV2Int: the int64's bits; kV2Double: the double's bits.
  uint64_t bits = 0;
  // kV2String: the string; kV2Any: the serialized AnyValue (arrays, kvlists,
  // bytes, or none of the value fields).
  std::string_view bytes;
};

// A range [begin, end) into one of WireTrace's vectors.
struct WireRange {
  uint32_t begin = 0, end = 0;
  uint32_t size() const { return end - begin; }
};

struct WireSpan {
  std::string_view trace_id, span_id, parent_span_id, name, status_message;
  bool has_status = false;
  uint32_t kind = 0, status_code = 0;
  uint64_t start = 0, end = 0;
  uint32_t dropped_events = 0, dropped_links = 0;
  WireRange attributes;  // into WireTrace::attributes
  // Into WireTrace::pieces: whole fields (tag included) as they came.
  WireRange events, links;
  // The fields the encoder does not take apart, in their order: trace_state,
  // flags, dropped_attributes_count, unknown fields, and trace_id, span_id
  // and parent_span_id, which the encoder leaves out when it stores them in
  // its columns: id_pieces[f - 1] is the piece of field f (UINT32_MAX: none).
  WireRange rest;
  uint32_t id_pieces[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
};

struct WireScopeSpans {
  std::string_view scope, schema_url;  // scope: the serialized scope
  WireRange spans;                     // into WireTrace::spans
  // Filled by ReadScope.
  std::string_view name, version;
  WireRange attributes, rest;
  // For the page encoder: its entry for `scope` (UINT32_MAX: none yet).
  uint32_t entry = UINT32_MAX;
};

struct WireResourceSpans {
  std::string_view resource, schema_url;  // resource: the serialized resource
  WireRange scopes;                       // into WireTrace::scope_spans
  // Filled by ReadResource.
  WireRange attributes, rest;
  // For the page encoder: its entry for `resource` (UINT32_MAX: none yet).
  uint32_t entry = UINT32_MAX;
};

class WireTrace {
 public:
  // Reads a serialized TracesData. False: refused (see above).
  bool Read(std::string_view data);
  // Reads rs->resource into rs->attributes and rs->rest. False: refused.
  bool ReadResource(WireResourceSpans* rs);
  // Reads ss->scope into its name, version, attributes and rest.
  bool ReadScope(WireScopeSpans* ss);

  std::vector<WireResourceSpans> resource_spans;
  std::vector<WireScopeSpans> scope_spans;
  std::vector<WireSpan> spans;
  std::vector<WireAttribute> attributes;
  std::vector<std::string_view> pieces;

 private:
  bool ReadSpan(std::string_view bytes);
  bool ReadAttribute(std::string_view bytes);
};

// Calls fn for each string in a serialized AnyValue, nested arrays and
// kvlists included (values and keys). False if malformed, refused as Read
// refuses, or nested deeper than `depth_left`.
bool ForEachWireAnyString(std::string_view any, int depth_left,
                          absl::FunctionRef<void(std::string_view)> fn);

// Where messages sit in a TracesData (0), for parsing stored parts under
// the nesting ingest accepts (model/otlp_nesting.h): a resource at 2, a
// scope and a span at 3. An attribute's AnyValue sits at 4 (resource,
// scope) or deeper, so kAttributeValueDepth is the shallowest: its limit
// admits every value ingest stored.
inline constexpr int kResourceDepth = 2;
inline constexpr int kScopeDepth = 3;
inline constexpr int kSpanDepth = 3;
inline constexpr int kAttributeValueDepth = 4;

// The nesting (messages below an attribute's AnyValue, itself counted) the
// encoder reads: exactly what the page decoder parses back, and no less
// than any value ingest accepted holds (kMaxOtlpMessageDepth in all), so a
// trace that was acknowledged always encodes.
inline constexpr int kWireAnyDepth = kMaxOtlpMessageDepth - kAttributeValueDepth;

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_V2_WIRE_TRACE_H_
