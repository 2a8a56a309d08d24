// OTLP -> traceql::Trace. Kept apart from the engine so the engine core does
// not depend on protobuf.
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/traceql_otlp.h"
#include "traceql/otlp_values.h"

namespace andante::traceql {
namespace {

using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;

void AddAttributes(const google::protobuf::RepeatedPtrField<KeyValue>& kvs,
                   Trace* t) {
  std::vector<StoredValue> scratch;
  for (const KeyValue& kv : kvs) {
    internal::AddOtlpAttribute(kv.key(), kv.value(), t, &scratch);
  }
}

absl::Status Convert(const andante::otlp::trace::v1::TracesData& data,
                     const TraceId* known_id, Trace* out) {
  out->Clear();
  bool have_id = known_id != nullptr;
  if (known_id) out->trace_id = *known_id;
  for (const auto& rs : data.resource_spans()) {
    uint32_t resource = out->AddResource();
    AddAttributes(rs.resource().attributes(), out);
    out->EndResource(resource);
    for (const auto& ss : rs.scope_spans()) {
      uint32_t scope = out->AddScope(ss.scope().name(), ss.scope().version());
      AddAttributes(ss.scope().attributes(), out);
      out->EndScope(scope);
      for (const auto& sp : ss.spans()) {
        if (sp.span_id().size() != 8) {
          return absl::InvalidArgumentError(absl::StrCat(
              "span ID must be 8 bytes, got ", sp.span_id().size()));
        }
        if (!sp.parent_span_id().empty() && sp.parent_span_id().size() != 8) {
          return absl::InvalidArgumentError(
              absl::StrCat("parent span ID must be 8 bytes, got ",
                           sp.parent_span_id().size()));
        }
        if (!have_id && !sp.trace_id().empty()) {
          absl::StatusOr<TraceId> id = TraceId::FromBytes(sp.trace_id());
          if (!id.ok()) return id.status();
          out->trace_id = *id;
          have_id = true;
        }
        Span& s = out->AddSpan();
        s.span_id = internal::BigEndian64(sp.span_id());
        s.parent_span_id = internal::BigEndian64(sp.parent_span_id());
        s.start_unix_nanos = static_cast<int64_t>(sp.start_time_unix_nano());
        s.duration_nanos = static_cast<int64_t>(sp.end_time_unix_nano()) -
                           static_cast<int64_t>(sp.start_time_unix_nano());
        s.name = out->Intern(sp.name());
        s.status_message = out->Intern(sp.status().message());
        int code = sp.status().code();
        s.status = code == 1   ? SpanStatus::kOk
                   : code == 2 ? SpanStatus::kError
                               : SpanStatus::kUnset;
        int kind = sp.kind();
        s.kind = kind >= 0 && kind <= 5 ? static_cast<SpanKind>(kind)
                                        : SpanKind::kUnspecified;
        s.resource = resource;
        s.scope = scope;
        int64_t start = s.start_unix_nanos;
        AddAttributes(sp.attributes(), out);
        for (const auto& ev : sp.events()) {
          out->AddEvent(ev.name(),
                        static_cast<int64_t>(ev.time_unix_nano()) - start);
          AddAttributes(ev.attributes(), out);
        }
        for (const auto& ln : sp.links()) {
          out->AddLink(internal::HexId(ln.trace_id()), internal::HexId(ln.span_id()));
          AddAttributes(ln.attributes(), out);
        }
        out->EndSpan();
      }
    }
  }
  out->Finish();
  return absl::OkStatus();
}

}  // namespace

absl::Status TraceFromOtlp(
    const andante::otlp::trace::v1::TracesData& data, Trace* out) {
  return Convert(data, nullptr, out);
}

absl::Status TraceFromOtlp(
    const andante::otlp::trace::v1::TracesData& data, const TraceId& id,
    Trace* out) {
  return Convert(data, &id, out);
}


namespace internal {

std::string HexId(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

namespace {

// Scalars as they are; anything else is nil to TraceQL.
bool Scalar(const AnyValue& v, Trace* t, StoredValue* out) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      *out = t->StringValue(v.string_value());
      return true;
    case AnyValue::kIntValue:
      *out = StoredValue::Int(v.int_value());
      return true;
    case AnyValue::kDoubleValue:
      *out = StoredValue::Float(v.double_value());
      return true;
    case AnyValue::kBoolValue:
      *out = StoredValue::Bool(v.bool_value());
      return true;
    default:
      return false;
  }
}

}  // namespace

void AddOtlpAttribute(std::string_view key, const AnyValue& v, Trace* t,
                      std::vector<StoredValue>* scratch) {
  if (v.value_case() == AnyValue::kArrayValue) {
    // Arrays of scalars; nested arrays and kvlists are skipped.
    scratch->clear();
    for (const AnyValue& e : v.array_value().values()) {
      StoredValue s;
      if (Scalar(e, t, &s)) scratch->push_back(s);
    }
    t->AddAttribute(key, t->ArrayValue(*scratch));
    return;
  }
  StoredValue s;
  if (Scalar(v, t, &s)) t->AddAttribute(key, s);
}

}  // namespace internal

}  // namespace andante::traceql
