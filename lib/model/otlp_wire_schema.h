// The OTLP trace schema as the wire walkers need it: for each message, which
// fields are strings (UTF-8 checked by protobuf's parser) and which are
// nested messages. Shared by the split by trace (trace_split.cc), which
// checks what protobuf would, and the nesting probe (otlp_nesting.cc).
// Field numbers and types as in lib/proto/andante/otlp (trace, common,
// resource). Internal to the model module.
#ifndef ANDANTE_MODEL_OTLP_WIRE_SCHEMA_H_
#define ANDANTE_MODEL_OTLP_WIRE_SCHEMA_H_

#include <cstdint>

namespace andante::internal::otlp_wire {

// The OTLP trace messages as far as parsing them can fail: their string and
// message fields.
enum class Msg : uint8_t {
  kOpaque,  // no field needs checking (the levels the walker handles itself)
  kRequest,  // ExportTraceServiceRequest, TracesData: 1 resource_spans
  kResourceSpans,  // 1 resource, 2 scope_spans, 3 schema_url
  kScopeSpans,     // 1 scope, 2 spans, 3 schema_url
  kResource,
  kEntityRef,
  kScope,
  kKeyValue,
  kAnyValue,
  kArrayValue,
  kKeyValueList,
  kSpan,
  kEvent,
  kLink,
  kStatus,
};

enum class Kind : uint8_t { kOther, kString, kMessage };

struct FieldKind {
  Kind kind = Kind::kOther;
  Msg msg = Msg::kOpaque;
};

inline constexpr FieldKind kString{Kind::kString, Msg::kOpaque};
inline constexpr FieldKind MessageOf(Msg m) { return FieldKind{Kind::kMessage, m}; }

// The kind of `field` in message `m`. bytes and scalar fields need no check
// beyond the wire format.
inline FieldKind Lookup(Msg m, uint32_t field) {
  switch (m) {
    case Msg::kOpaque:
      return {};
    case Msg::kRequest:
      if (field == 1) return MessageOf(Msg::kResourceSpans);
      return {};
    case Msg::kResourceSpans:
      // 1000 (pre-1.0 instrumentation_library_spans) is an unknown field.
      if (field == 1) return MessageOf(Msg::kResource);
      if (field == 2) return MessageOf(Msg::kScopeSpans);
      if (field == 3) return kString;
      return {};
    case Msg::kScopeSpans:
      if (field == 1) return MessageOf(Msg::kScope);
      if (field == 2) return MessageOf(Msg::kSpan);
      if (field == 3) return kString;
      return {};
    case Msg::kResource:  // 1 attributes, 2 dropped_attributes_count, 3 entity_refs
      if (field == 1) return MessageOf(Msg::kKeyValue);
      if (field == 3) return MessageOf(Msg::kEntityRef);
      return {};
    case Msg::kEntityRef:  // 1 schema_url, 2 type, 3 id_keys, 4 description_keys
      if (field >= 1 && field <= 4) return kString;
      return {};
    case Msg::kScope:  // 1 name, 2 version, 3 attributes, 4 dropped
      if (field == 1 || field == 2) return kString;
      if (field == 3) return MessageOf(Msg::kKeyValue);
      return {};
    case Msg::kKeyValue:  // 1 key, 2 value
      if (field == 1) return kString;
      if (field == 2) return MessageOf(Msg::kAnyValue);
      return {};
    case Msg::kAnyValue:  // 1 string, 5 array, 6 kvlist; 2-4, 7 scalars/bytes
      if (field == 1) return kString;
      if (field == 5) return MessageOf(Msg::kArrayValue);
      if (field == 6) return MessageOf(Msg::kKeyValueList);
      return {};
    case Msg::kArrayValue:
      if (field == 1) return MessageOf(Msg::kAnyValue);
      return {};
    case Msg::kKeyValueList:
      if (field == 1) return MessageOf(Msg::kKeyValue);
      return {};
    case Msg::kSpan:  // 3 trace_state, 5 name, 9 attributes, 11 events,
                      // 13 links, 15 status
      switch (field) {
        case 3:
        case 5:
          return kString;
        case 9:
          return MessageOf(Msg::kKeyValue);
        case 11:
          return MessageOf(Msg::kEvent);
        case 13:
          return MessageOf(Msg::kLink);
        case 15:
          return MessageOf(Msg::kStatus);
      }
      return {};
    case Msg::kEvent:  // 2 name, 3 attributes
      if (field == 2) return kString;
      if (field == 3) return MessageOf(Msg::kKeyValue);
      return {};
    case Msg::kLink:  // 3 trace_state, 4 attributes
      if (field == 3) return kString;
      if (field == 4) return MessageOf(Msg::kKeyValue);
      return {};
    case Msg::kStatus:  // 2 message
      if (field == 2) return kString;
      return {};
  }
  return {};
}

}  // namespace andante::internal::otlp_wire

#endif  // ANDANTE_MODEL_OTLP_WIRE_SCHEMA_H_
