// Zipkin v2 spans -> OTLP, with the OpenTelemetry collector's zipkinv2
// ToTranslator rules as Tempo runs them (ParseStringTags off); see
// reference/ingest-protocols.md §4.1 and §4.3. In short:
//
//   grouping     spans sorted by (local service, tag otel.library.name); one
//                ResourceSpans per service, one ScopeSpans per library
//   resource     service.name = localEndpoint.serviceName (key replaced by the
//                value of tag otlp.service.name.source); resource-convention
//                tags (host.name, k8s.*, ...) of the group's first span
//   scope        otel.library.name / otel.library.version tags
//   IDs          64-bit trace IDs -> 8 zero bytes + low half; parentId equal
//                to id is ignored
//   kind         CLIENT/SERVER/PRODUCER/CONSUMER; otherwise tag
//                span.kind=internal -> INTERNAL (span.kind removed)
//   status       otel.status_code (STATUS_CODE_* or Unset/Ok/Error) +
//                otel.status_description; tag `error` (any value) -> ERROR,
//                removed only when "true"
//   trace state  tag w3c.tracestate
//   links        tags otlp.link.0.. (traceId|spanId|state|{json}|dropped)
//   attributes   remaining tags as strings; endpoints -> net.host.ip,
//                net.host.port, peer.service, net.peer.ip, net.peer.port
//   time         start = timestamp, end = start + duration; an absent JSON
//                timestamp -> epoch 0 + otel.zipkin.absentField.startTime
//   events       annotations; "name|{json}|dropped" carries attributes
//   shared/debug dropped
//
// Where the collector leaves an order to Go's map iteration (attributes,
// spans within one group) this keeps the wire order instead.
//
//   ZipkinSpanBatch batch;
//   ... ParseZipkinV2Json(body, &batch) ...
//   absl::Status s = TranslateZipkinSpans(batch, &request);
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_TRANSLATE_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_TRANSLATE_H_

#include "absl/status/status.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "receiver/zipkin/zipkin_span.h"

namespace andante::internal {

// Appends the batch's spans to `*out` (which may live on an arena) as new
// ResourceSpans. INVALID_ARGUMENT when an otlp.link.N tag or a
// "name|{json}|dropped" annotation is malformed (bad ID hex, JSON that is not
// an object, a dropped count that is not a uint32) — the collector refuses
// the whole request then too. *out may then hold a partial translation.
absl::Status TranslateZipkinSpans(
    const ZipkinSpanBatch& batch,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_TRANSLATE_H_
