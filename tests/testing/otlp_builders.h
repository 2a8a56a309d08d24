// Small builders for OTLP requests in tests.
#ifndef ANDANTE_TESTS_TESTING_OTLP_BUILDERS_H_
#define ANDANTE_TESTS_TESTING_OTLP_BUILDERS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "andante/ids.h"
#include "andante/otlp.h"

namespace andante::testing {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::trace::v1::ResourceSpans;
using andante::otlp::trace::v1::ScopeSpans;
using andante::otlp::trace::v1::Span;
using andante::otlp::trace::v1::TracesData;

inline TraceId RandomTraceId(std::mt19937_64& rng) {
  return TraceId::FromHighLow(rng(), rng() | 1);
}

inline SpanId RandomSpanId(std::mt19937_64& rng) { return SpanId(rng() | 1); }

// Adds to `container`, an ExportTraceServiceRequest or a TracesData, a
// ResourceSpans whose resource is service.name=`service`, with no scopes.
template <typename Container>
ResourceSpans* AddResourceSpans(Container* container,
                                const std::string& service) {
  ResourceSpans* rs = container->add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  return rs;
}

// Adds to `rs` a ScopeSpans for the instrumentation scope `name`, with no
// spans.
inline ScopeSpans* AddScopeSpans(ResourceSpans* rs, const std::string& name) {
  ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name(name);
  return ss;
}

// Adds a ResourceSpans for `service` with one scope and returns it.
inline ResourceSpans* AddResource(ExportTraceServiceRequest& request,
                                  const std::string& service) {
  ResourceSpans* rs = AddResourceSpans(&request, service);
  AddScopeSpans(rs, "test-scope");
  return rs;
}

// Adds a span of `trace` to the first scope of `rs`.
inline Span* AddSpan(ResourceSpans* rs, const TraceId& trace, SpanId span,
                     const std::string& name, uint64_t start_unix_nano,
                     uint64_t duration_nanos = 1'000'000) {
  Span* s = rs->mutable_scope_spans(0)->add_spans();
  s->set_trace_id(std::string(trace.bytes()));
  s->set_span_id(span.ToBytes());
  s->set_name(name);
  s->set_kind(Span::SPAN_KIND_SERVER);
  s->set_start_time_unix_nano(start_unix_nano);
  s->set_end_time_unix_nano(start_unix_nano + duration_nanos);
  auto* attr = s->add_attributes();
  attr->set_key("http.method");
  attr->mutable_value()->set_string_value("GET");
  return s;
}

// A request with `traces` traces of `spans_per_trace` spans each.
inline ExportTraceServiceRequest MakeRequest(std::mt19937_64& rng, int traces,
                                             int spans_per_trace,
                                             std::vector<TraceId>* ids) {
  ExportTraceServiceRequest request;
  ResourceSpans* rs = AddResource(request, "svc");
  for (int t = 0; t < traces; ++t) {
    TraceId id = RandomTraceId(rng);
    if (ids != nullptr) ids->push_back(id);
    for (int s = 0; s < spans_per_trace; ++s) {
      AddSpan(rs, id, RandomSpanId(rng), "op" + std::to_string(s),
              1'700'000'000'000'000'000ull + s * 1000);
    }
  }
  return request;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_OTLP_BUILDERS_H_
