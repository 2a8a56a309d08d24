// Test and benchmark support: OTLP -> Zipkin v2 JSON and protobuf, shaped
// like what the collector's zipkin exporter sends (from_translator), so the
// receiver can be fed realistic bodies built from the load generator's trace
// factory. Not a complete exporter: span kinds, IDs, times, the local
// endpoint, tags (resource attributes too, all as strings), status tags,
// scope tags and events (as "name|{json}|0" annotations) only.
//
//   std::string body = ZipkinJsonFromOtlp(request);
//   std::string proto = ZipkinProtoFromOtlp(request);
//
// Header-only; not linked into the receiver.
#ifndef ANDANTE_TESTS_TESTING_ZIPKIN_TEST_ENCODER_H_
#define ANDANTE_TESTS_TESTING_ZIPKIN_TEST_ENCODER_H_

#include <cstdint>
#include <map>
#include <string>

#include "nlohmann/json.hpp"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "zipkin/zipkin.pb.h"

namespace andante::internal::zipkin_test {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::trace::v1::Span;

inline std::string ValueText(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue: return v.string_value();
    case AnyValue::kIntValue: return std::to_string(v.int_value());
    case AnyValue::kBoolValue: return v.bool_value() ? "true" : "false";
    case AnyValue::kDoubleValue: return nlohmann::json(v.double_value()).dump();
    default: return "";
  }
}

inline std::string HexOf(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

inline const char* ZipkinKindName(Span::SpanKind kind) {
  switch (kind) {
    case Span::SPAN_KIND_CLIENT: return "CLIENT";
    case Span::SPAN_KIND_SERVER: return "SERVER";
    case Span::SPAN_KIND_PRODUCER: return "PRODUCER";
    case Span::SPAN_KIND_CONSUMER: return "CONSUMER";
    default: return nullptr;
  }
}

// One span in the exporter's shape: tags, annotations and the local service.
struct ExportedSpan {
  const Span* span;
  std::string service;
  std::map<std::string, std::string> tags;
  std::vector<std::pair<uint64_t, std::string>> annotations;  // (µs, value)
};

template <typename Fn>
void ForEachExportedSpan(const ExportTraceServiceRequest& req, Fn fn) {
  for (const auto& rs : req.resource_spans()) {
    std::string service;
    std::map<std::string, std::string> resource_tags;
    for (const auto& kv : rs.resource().attributes()) {
      if (kv.key() == "service.name") {
        service = kv.value().string_value();
      } else {
        resource_tags[kv.key()] = ValueText(kv.value());
      }
    }
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        ExportedSpan e{&span, service, resource_tags, {}};
        if (!ss.scope().name().empty()) e.tags["otel.library.name"] = ss.scope().name();
        if (!ss.scope().version().empty()) e.tags["otel.library.version"] = ss.scope().version();
        for (const auto& kv : span.attributes()) e.tags[kv.key()] = ValueText(kv.value());
        if (span.kind() == Span::SPAN_KIND_INTERNAL) e.tags["span.kind"] = "internal";
        if (span.status().code() == andante::otlp::trace::v1::Status::STATUS_CODE_ERROR) {
          e.tags["otel.status_code"] = "Error";
          e.tags["error"] = "true";
          if (!span.status().message().empty()) {
            e.tags["otel.status_description"] = span.status().message();
          }
        }
        for (const auto& ev : span.events()) {
          std::string value = ev.name();
          if (ev.attributes_size() > 0) {
            nlohmann::json attrs = nlohmann::json::object();
            for (const auto& kv : ev.attributes()) attrs[kv.key()] = ValueText(kv.value());
            value += "|" + attrs.dump() + "|" + std::to_string(ev.dropped_attributes_count());
          }
          e.annotations.emplace_back(ev.time_unix_nano() / 1000, value);
        }
        fn(e);
      }
    }
  }
}

inline std::string ZipkinJsonFromOtlp(const ExportTraceServiceRequest& req) {
  nlohmann::json spans = nlohmann::json::array();
  ForEachExportedSpan(req, [&](const ExportedSpan& e) {
    const Span& s = *e.span;
    nlohmann::json j = {{"traceId", HexOf(s.trace_id())}, {"id", HexOf(s.span_id())}};
    if (!s.parent_span_id().empty()) j["parentId"] = HexOf(s.parent_span_id());
    j["name"] = s.name();
    if (const char* kind = ZipkinKindName(s.kind())) j["kind"] = kind;
    j["timestamp"] = s.start_time_unix_nano() / 1000;
    j["duration"] = (s.end_time_unix_nano() - s.start_time_unix_nano()) / 1000;
    j["localEndpoint"] = {{"serviceName", e.service}};
    if (!e.annotations.empty()) {
      nlohmann::json annotations = nlohmann::json::array();
      for (const auto& [ts, value] : e.annotations) {
        annotations.push_back({{"timestamp", ts}, {"value", value}});
      }
      j["annotations"] = annotations;
    }
    j["tags"] = e.tags;
    spans.push_back(std::move(j));
  });
  return spans.dump();
}

inline std::string ZipkinProtoFromOtlp(const ExportTraceServiceRequest& req) {
  zipkin::proto3::ListOfSpans list;
  ForEachExportedSpan(req, [&](const ExportedSpan& e) {
    const Span& s = *e.span;
    auto* z = list.add_spans();
    std::string trace_id = s.trace_id();
    trace_id.resize(16, '\0');
    z->set_trace_id(trace_id);
    z->set_id(s.span_id());
    z->set_parent_id(s.parent_span_id());
    z->set_name(s.name());
    switch (s.kind()) {
      case Span::SPAN_KIND_CLIENT: z->set_kind(zipkin::proto3::Span::CLIENT); break;
      case Span::SPAN_KIND_SERVER: z->set_kind(zipkin::proto3::Span::SERVER); break;
      case Span::SPAN_KIND_PRODUCER: z->set_kind(zipkin::proto3::Span::PRODUCER); break;
      case Span::SPAN_KIND_CONSUMER: z->set_kind(zipkin::proto3::Span::CONSUMER); break;
      default: break;
    }
    z->set_timestamp(s.start_time_unix_nano() / 1000);
    z->set_duration((s.end_time_unix_nano() - s.start_time_unix_nano()) / 1000);
    z->mutable_local_endpoint()->set_service_name(e.service);
    for (const auto& [ts, value] : e.annotations) {
      auto* a = z->add_annotations();
      a->set_timestamp(ts);
      a->set_value(value);
    }
    for (const auto& [k, v] : e.tags) (*z->mutable_tags())[k] = v;
  });
  return list.SerializeAsString();
}

}  // namespace andante::internal::zipkin_test

#endif  // ANDANTE_TESTS_TESTING_ZIPKIN_TEST_ENCODER_H_
