// The trace representation the TraceQL engine evaluates queries against.
//
// A traceql::Trace holds one trace as flat arrays: spans, resources,
// instrumentation scopes, events and links, with every attribute in one pool
// and every string interned once in a per-trace dictionary. Queries resolve
// their attribute names and string literals against that dictionary once per
// trace, so the per-span work is integer comparisons. The engine never sees
// protobuf; producers (the OTLP converter in traceql_otlp.h, a columnar block
// reader, tests) fill a Trace directly.
//
// Usage:
//
//   andante::traceql::Trace trace;
//   trace.trace_id = ...;
//   uint32_t res = trace.AddResource();
//   trace.AddAttribute("service.name", trace.StringValue("frontend"));
//   trace.EndResource(res);
//   andante::traceql::Span& span = trace.AddSpan();
//   span.span_id = 1; span.name = trace.Intern("GET /"); span.resource = res;
//   trace.AddAttribute("http.status_code",
//   andante::traceql::StoredValue::Int(200)); trace.EndSpan(); trace.Finish();
//   // derives parents, children, root and trace duration
//
// Call order (a grammar): { AddResource {AddAttribute} EndResource
//   | AddScope {AddAttribute} EndScope | AddSpan {AddAttribute}
//   {AddEvent {AddAttribute}} {AddLink {AddAttribute}} EndSpan } Finish.
// Resources and scopes must be added before the spans that reference them.
#ifndef ANDANTE_TRACEQL_TRACE_H_
#define ANDANTE_TRACEQL_TRACE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "andante/ids.h"

namespace andante::traceql {

// The runtime type of a TraceQL value.
enum class ValueType : uint8_t {
  kNil,
  kInt,
  kFloat,
  kString,
  kBool,
  kDuration,  // nanoseconds
  kStatus,    // SpanStatus
  kKind,      // SpanKind
  kArray,     // attribute values only: scalars in Trace::array_values
};

// OTLP status codes (the numbers are OTLP's).
enum class SpanStatus : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

// OTLP span kinds (the numbers are OTLP's).
enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

// A string id meaning "no string" (e.g. a resource without service.name).
inline constexpr uint32_t kNoString = UINT32_MAX;

// A typed attribute value inside a Trace. Strings are ids into
// Trace::strings. 16 bytes, trivially copyable.
struct StoredValue {
  ValueType type = ValueType::kNil;
  union {
    int64_t i;     // kInt, kDuration; kArray: (begin << 32) | end
    double f;      // kFloat
    bool b;        // kBool
    uint32_t str;  // kString: index into Trace::strings
  };
  StoredValue() : i(0) {}
  static StoredValue Int(int64_t v) {
    StoredValue s;
    s.type = ValueType::kInt;
    s.i = v;
    return s;
  }
  static StoredValue Float(double v) {
    StoredValue s;
    s.type = ValueType::kFloat;
    s.f = v;
    return s;
  }
  static StoredValue Bool(bool v) {
    StoredValue s;
    s.type = ValueType::kBool;
    s.b = v;
    return s;
  }
};

// One attribute: key (string id) and value.
struct StoredAttribute {
  uint32_t key = 0;
  StoredValue value;
};

// A half-open range [begin, end) into Trace::attributes.
struct AttributeRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

struct Resource {
  AttributeRange attributes;
  // String id of the `service.name` attribute, or kNoString.
  uint32_t service_name = kNoString;
};

struct InstrumentationScope {
  uint32_t name = 0;     // string id ("" if none)
  uint32_t version = 0;  // string id ("" if none)
  AttributeRange attributes;
};

struct SpanEvent {
  uint32_t name = 0;  // string id
  int64_t time_since_start_nanos = 0;
  AttributeRange attributes;
};

struct SpanLink {
  uint32_t trace_id = 0;  // string id: lowercase hex, 32 characters
  uint32_t span_id = 0;   // string id: lowercase hex, 16 characters
  AttributeRange attributes;
};

struct Span {
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;  // 0: no parent (a root span)
  int64_t start_unix_nanos = 0;
  int64_t duration_nanos = 0;
  uint32_t name = 0;            // string id
  uint32_t status_message = 0;  // string id ("" if none)
  SpanStatus status = SpanStatus::kUnset;
  SpanKind kind = SpanKind::kUnspecified;
  uint32_t resource = 0;  // index into Trace::resources
  uint32_t scope = 0;     // index into Trace::scopes, or kNoScope
  AttributeRange attributes;
  uint32_t events_begin = 0, events_end = 0;  // into Trace::events
  uint32_t links_begin = 0, links_end = 0;    // into Trace::links
  // Derived by Trace::Finish().
  int32_t parent = -1;  // index of the parent span in this trace, -1 if none
  uint32_t child_count = 0;
};

// One trace, owned by the engine's caller. Not thread-safe to build; const
// access from several threads is fine.
class Trace {
 public:
  static constexpr uint32_t kNoScope = UINT32_MAX;

  Trace();
  Trace(const Trace&) = default;
  Trace& operator=(const Trace&) = default;
  Trace(Trace&&) = default;
  Trace& operator=(Trace&&) = default;

  // Removes everything, keeping capacity (to reuse one Trace per scan).
  void Clear();

  // Returns the id of `s` in `strings`, adding it if new. Id 0 is "".
  uint32_t Intern(std::string_view s);
  // Returns the id of `s` or UINT32_MAX if the trace never interned it.
  uint32_t Find(std::string_view s) const;
  StoredValue StringValue(std::string_view s) {
    StoredValue v;
    v.type = ValueType::kString;
    v.str = Intern(s);
    return v;
  }
  std::string_view str(uint32_t id) const { return strings[id]; }

  // Builder; see the call-order grammar in the file comment.
  uint32_t AddResource();
  void EndResource(uint32_t resource);
  uint32_t AddScope(std::string_view name, std::string_view version);
  void EndScope(uint32_t scope);
  Span& AddSpan();
  void AddEvent(std::string_view name, int64_t time_since_start_nanos);
  void AddLink(std::string_view trace_id_hex, std::string_view span_id_hex);
  void EndSpan();
  void AddAttribute(std::string_view key, StoredValue value);
  // Stores `elements` (scalars: string, int, float or bool values) in
  // array_values and returns the kArray value referring to them.
  StoredValue ArrayValue(const std::vector<StoredValue>& elements);
  // Derives Span::parent and child_count, the root span, the trace's start,
  // end and duration, and trace_id_hex. REQUIRES: every span ended.
  void Finish();

  // Data. Producers may fill these directly, keeping the invariants the
  // builder keeps: ranges inside `attributes`, ids inside `strings`, and
  // `strings` free of duplicates (the engine compares strings by id).
  TraceId trace_id;
  std::vector<std::string> strings;
  std::vector<StoredAttribute> attributes;
  std::vector<Resource> resources;
  std::vector<InstrumentationScope> scopes;
  std::vector<Span> spans;
  std::vector<SpanEvent> events;
  std::vector<SpanLink> links;
  std::vector<StoredValue> array_values;  // elements of kArray values

  // Derived by Finish().
  std::string trace_id_hex;  // lowercase hex, leading zeros removed
  int32_t root_span = -1;    // index of the first span without a parent
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  int64_t duration_nanos = 0;

 private:
  enum class Open : uint8_t { kNone, kResource, kScope, kSpan, kEvent, kLink };
  void CloseSpanChild();

  absl::flat_hash_map<std::string, uint32_t> index_;
  Open open_ = Open::kNone;
  uint32_t service_name_key_ = 0;
};

}  // namespace andante::traceql

#endif  // ANDANTE_TRACEQL_TRACE_H_
