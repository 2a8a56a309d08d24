// The trace fixture of reference/traceql.md §0 as an OTLP export request,
// with every time relative to a base `b` (Unix seconds).
#ifndef ANDANTE_TESTS_GENERATOR_FIXTURE_H_
#define ANDANTE_TESTS_GENERATOR_FIXTURE_H_

#include <cstdint>
#include <string>

#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::testing {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::common::v1::KeyValue;
using andante::otlp::resource::v1::Resource;
using andante::otlp::trace::v1::ResourceSpans;
using andante::otlp::trace::v1::Span;
using andante::otlp::trace::v1::Status;

inline std::string Id(int n, int len) {
  std::string id(len, '\0');
  id[len - 1] = static_cast<char>(n);
  id[len - 2] = static_cast<char>(0x0a);  // leading zeros, then "0a.."
  return id;
}
inline std::string TraceId(int n) { return Id(n, 16); }
inline std::string SpanId(int n) { return Id(n, 8); }

inline void AddStr(google::protobuf::RepeatedPtrField<KeyValue>* attrs,
                   const std::string& k, const std::string& v) {
  KeyValue* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}
inline void AddInt(google::protobuf::RepeatedPtrField<KeyValue>* attrs,
                   const std::string& k, int64_t v) {
  KeyValue* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_int_value(v);
}

inline ResourceSpans* AddResource(ExportTraceServiceRequest* req,
                                  const std::string& service,
                                  const std::string& env = "") {
  ResourceSpans* rs = req->add_resource_spans();
  AddStr(rs->mutable_resource()->mutable_attributes(), "service.name", service);
  if (!env.empty()) {
    AddStr(rs->mutable_resource()->mutable_attributes(),
           "deployment.environment", env);
  }
  rs->add_scope_spans();
  return rs;
}

inline Span* AddSpan(ResourceSpans* rs, int trace, int span, int parent,
                     const std::string& name, Span::SpanKind kind,
                     Status::StatusCode code, uint64_t start_ns,
                     uint64_t dur_ns) {
  Span* s = rs->mutable_scope_spans(0)->add_spans();
  s->set_trace_id(TraceId(trace));
  s->set_span_id(SpanId(span));
  if (parent != 0) s->set_parent_span_id(SpanId(parent));
  s->set_name(name);
  s->set_kind(kind);
  s->mutable_status()->set_code(code);
  s->set_start_time_unix_nano(start_ns);
  s->set_end_time_unix_nano(start_ns + dur_ns);
  return s;
}

// Spans: S1=1, S2=2, S3=3, S4=4 (trace 1); R1=5 (trace 2); Q1=6, Q2=7
// (trace 3).
inline ExportTraceServiceRequest Fixture(int64_t b) {
  const uint64_t base = static_cast<uint64_t>(b) * 1000000000ull;
  const uint64_t ms = 1000000ull;
  ExportTraceServiceRequest req;
  ResourceSpans* rf = AddResource(&req, "frontend", "prod");
  Span* s1 = AddSpan(rf, 1, 1, 0, "GET /checkout", Span::SPAN_KIND_SERVER,
                     Status::STATUS_CODE_UNSET, base + 10000 * ms, 300 * ms);
  AddStr(s1->mutable_attributes(), "http.method", "GET");
  AddInt(s1->mutable_attributes(), "http.status_code", 200);
  Span* s2 = AddSpan(rf, 1, 2, 1, "POST /charge", Span::SPAN_KIND_CLIENT,
                     Status::STATUS_CODE_UNSET, base + 10010 * ms, 45 * ms);
  AddStr(s2->mutable_attributes(), "http.method", "POST");
  AddStr(s2->mutable_attributes(), "peer.service", "payments");
  ResourceSpans* rp = AddResource(&req, "payments");
  Span* s3 = AddSpan(rp, 1, 3, 2, "charge", Span::SPAN_KIND_SERVER,
                     Status::STATUS_CODE_ERROR, base + 10012 * ms, 38 * ms);
  s3->mutable_status()->set_message("declined");
  AddSpan(rp, 1, 4, 3, "compute-risk", Span::SPAN_KIND_INTERNAL,
          Status::STATUS_CODE_UNSET, base + 10015 * ms, 20 * ms);
  ResourceSpans* rh = AddResource(&req, "frontend");
  Span* r1 = AddSpan(rh, 2, 5, 0, "GET /health", Span::SPAN_KIND_SERVER,
                     Status::STATUS_CODE_OK, base + 70000 * ms, 2 * ms);
  AddStr(r1->mutable_attributes(), "http.status_code", "200");
  AddStr(r1->mutable_attributes(), "http.method", "GET");
  ResourceSpans* rb = AddResource(&req, "batch", "staging");
  AddSpan(rb, 3, 6, 0, "nightly-job", Span::SPAN_KIND_INTERNAL,
          Status::STATUS_CODE_UNSET, base + 75000 * ms, 5000 * ms);
  Span* q2 = AddSpan(rb, 3, 7, 6, "SELECT orders", Span::SPAN_KIND_CLIENT,
                     Status::STATUS_CODE_ERROR, base + 76000 * ms, 4000 * ms);
  AddStr(q2->mutable_attributes(), "db.system", "postgresql");
  AddStr(q2->mutable_attributes(), "db.name", "orders");
  return req;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_GENERATOR_FIXTURE_H_
