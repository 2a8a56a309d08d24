// The OTLP message view of the Store: pushing a parsed OTLP request and
// reading a found trace as an OTLP TracesData message, and feeding a parsed
// request to the metrics generator and its processors. The other public
// headers name no generated protobuf class (they take OTLP as serialized
// bytes); a program that builds or reads OTLP messages with protobuf
// includes this one.
//
//   #include "andante/otlp.h"
//
//   andante::otlp::collector::trace::v1::ExportTraceServiceRequest request;
//   auto* span = request.add_resource_spans()->add_scope_spans()->add_spans();
//   span->set_trace_id(trace_id_bytes);  // 16 bytes
//   span->set_span_id(span_id_bytes);    // 8 bytes, not all zero
//   span->set_name("GET /");
//   absl::StatusOr<andante::PushResult> pushed =
//       store->Push("single-tenant", andante::SpanBatchFromRequest(request));
//
//   absl::StatusOr<andante::FoundTrace> found =
//       store->FindTraceById("single-tenant", id);
//   if (found.ok()) {
//     const auto& data = andante::TracesDataOf(*found);
//     for (const auto& rs : data.resource_spans()) { ... }
//   }
//
// The classes are Andante's own compilation of the OTLP schema, under the
// protobuf package `andante.otlp.*` (C++ namespace andante::otlp, files
// andante/otlp/...). Field names and numbers are OTLP's, so their wire bytes
// and proto3 JSON are OTLP's; they are distinct classes from the
// OpenTelemetry C++ SDK's andante::otlp::*, and both may be linked
// into one program. To pass a message between the two, serialize it with one
// and parse it with the other.
#ifndef ANDANTE_OTLP_H_
#define ANDANTE_OTLP_H_

#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "andante/otlp/common/v1/common.pb.h"
#include "andante/otlp/resource/v1/resource.pb.h"
#include "andante/otlp/trace/v1/trace.pb.h"
#include "absl/time/time.h"
#include "andante/store.h"

namespace andante {

class MetricsGenerator;
class ServiceGraphProcessor;
class SpanMetricsProcessor;

// A batch of the spans of a parsed request, for Store::Push. Push checks the
// IDs (see Store::Push).
//
// REQUIRES: `request` outlives the batch and is not modified while it lives
// (the batch borrows it).
SpanBatch SpanBatchFromRequest(
    const otlp::collector::trace::v1::ExportTraceServiceRequest& request);

// What Store::Push(tenant, request) calls for a parsed request.
template <>
struct SpanBatchOf<otlp::collector::trace::v1::ExportTraceServiceRequest> {
  static SpanBatch From(
      const otlp::collector::trace::v1::ExportTraceServiceRequest& request) {
    return SpanBatchFromRequest(request);
  }
};

// The found trace as an OTLP TracesData message (empty when no span was
// found). The reference is valid while `found` lives and is neither assigned
// to nor moved from.
const otlp::trace::v1::TracesData& TracesDataOf(const FoundTrace& found);

// The same, mutable (e.g. to rewrite attributes before answering). Changes
// show in found.SerializeAsTracesData() and found.ToTempoJson(); span_count
// is not recomputed. Same lifetime as TracesDataOf.
otlp::trace::v1::TracesData* MutableTracesDataOf(FoundTrace* found);

// The processors' and the generator's Push of a parsed request (only read
// during the call): the same series as their Push of its serialized bytes
// (andante/span_metrics.h, service_graph.h, metrics_generator.h's PushWire),
// without serializing it.
void PushRequest(SpanMetricsProcessor* processor,
                 const otlp::collector::trace::v1::ExportTraceServiceRequest&
                     request,
                 absl::Time now);
void PushRequest(ServiceGraphProcessor* processor,
                 const otlp::collector::trace::v1::ExportTraceServiceRequest&
                     request,
                 absl::Time now);
void PushRequest(MetricsGenerator* generator, std::string_view tenant,
                 const otlp::collector::trace::v1::ExportTraceServiceRequest&
                     request,
                 absl::Time now);

}  // namespace andante

#endif  // ANDANTE_OTLP_H_
