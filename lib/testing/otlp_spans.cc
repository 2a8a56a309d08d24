#include "otlp_spans.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace andante::testing::collector_internal {
namespace {

namespace common = ::andante::otlp::common::v1;
namespace trace = ::andante::otlp::trace::v1;

AttributeValue Convert(const common::AnyValue& value);

// Arrays, maps and bytes as text (see AttributeValue).
std::string Render(const common::AnyValue& value) {
  switch (value.value_case()) {
    case common::AnyValue::kArrayValue: {
      std::string out = "[";
      for (const common::AnyValue& v : value.array_value().values()) {
        if (out.size() > 1) out += ", ";
        out += Render(v);
      }
      return out + "]";
    }
    case common::AnyValue::kKvlistValue: {
      std::string out = "{";
      for (const common::KeyValue& kv : value.kvlist_value().values()) {
        if (out.size() > 1) out += ", ";
        absl::StrAppend(&out, kv.key(), "=", Render(kv.value()));
      }
      return out + "}";
    }
    case common::AnyValue::kBytesValue:
      return absl::StrCat("0x", absl::BytesToHexString(value.bytes_value()));
    default:
      return Convert(value).ToString();
  }
}

AttributeValue Convert(const common::AnyValue& value) {
  switch (value.value_case()) {
    case common::AnyValue::kStringValue:
      return AttributeValue(value.string_value());
    case common::AnyValue::kBoolValue:
      return AttributeValue(value.bool_value());
    case common::AnyValue::kIntValue:
      return AttributeValue(static_cast<long long>(value.int_value()));
    case common::AnyValue::kDoubleValue:
      return AttributeValue(value.double_value());
    case common::AnyValue::VALUE_NOT_SET:
      return AttributeValue();
    default:
      return AttributeValue(Render(value));
  }
}

template <typename KeyValues>
Attributes ConvertAll(const KeyValues& kvs) {
  Attributes out;
  for (const common::KeyValue& kv : kvs) {
    out.insert_or_assign(kv.key(), Convert(kv.value()));
  }
  return out;
}

std::string Hex(const std::string& bytes) {
  return absl::BytesToHexString(bytes);
}

}  // namespace

void AppendSpans(const trace::TracesData& data, std::vector<Span>* out) {
  const size_t first = out->size();
  for (const trace::ResourceSpans& rs : data.resource_spans()) {
    const Attributes resource = ConvertAll(rs.resource().attributes());
    for (const trace::ScopeSpans& ss : rs.scope_spans()) {
      for (const trace::Span& s : ss.spans()) {
        Span span;
        span.trace_id = Hex(s.trace_id());
        span.span_id = Hex(s.span_id());
        span.parent_span_id = Hex(s.parent_span_id());
        span.name = s.name();
        span.kind = static_cast<SpanKind>(
            s.kind() >= 0 && s.kind() <= 5 ? static_cast<int>(s.kind()) : 0);
        span.status = static_cast<SpanStatus>(
            s.status().code() >= 0 && s.status().code() <= 2
                ? static_cast<int>(s.status().code())
                : 0);
        span.status_message = s.status().message();
        span.start_unix_nanos = static_cast<int64_t>(s.start_time_unix_nano());
        span.end_unix_nanos = static_cast<int64_t>(s.end_time_unix_nano());
        span.attributes = ConvertAll(s.attributes());
        span.resource_attributes = resource;
        span.scope_name = ss.scope().name();
        span.scope_version = ss.scope().version();
        for (const trace::Span::Event& e : s.events()) {
          span.events.push_back(
              SpanEvent{e.name(), static_cast<int64_t>(e.time_unix_nano()),
                        ConvertAll(e.attributes())});
        }
        for (const trace::Span::Link& l : s.links()) {
          span.links.push_back(SpanLink{Hex(l.trace_id()), Hex(l.span_id()),
                                        ConvertAll(l.attributes())});
        }
        out->push_back(std::move(span));
      }
    }
  }
  absl::flat_hash_map<std::string, std::string> names;
  for (size_t i = first; i < out->size(); ++i) {
    names.emplace((*out)[i].span_id, (*out)[i].name);
  }
  for (size_t i = first; i < out->size(); ++i) {
    Span& span = (*out)[i];
    if (span.parent_span_id.empty()) continue;
    if (auto it = names.find(span.parent_span_id); it != names.end()) {
      span.parent_name = it->second;
    }
  }
}

}  // namespace andante::testing::collector_internal
