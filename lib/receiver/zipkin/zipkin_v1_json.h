// Zipkin v1 JSON: the body of POST /api/v1/spans (Content-Type other than
// application/x-thrift), translated to OTLP with the collector's zipkinv1
// rules (reference/ingest-protocols.md §3):
//
//   * spans: [{traceId, name, id, parentId, timestamp, duration, debug,
//     annotations: [{timestamp, value, endpoint}],
//     binaryAnnotations: [{key, value, endpoint}]}], keys case-insensitive;
//     binary annotation values must be strings;
//   * traceId 16 or 32 hex digits, id (and a non-empty parentId) 16, none
//     zero ("zipkinV1 span id: ID is zero");
//   * the first core annotation (cs/cr -> CLIENT, ss/sr -> SERVER,
//     ms -> PRODUCER, mr -> CONSUMER) sets the kind; the first core
//     annotation whose endpoint has a service name is the resource
//     (service.name, plus ipv4/ipv6/port as strings), else binary
//     annotation endpoints or `lc`, else "unknown-service"; one ResourceSpans
//     per distinct endpoint;
//   * other annotations become events; binary annotations become string
//     attributes (`lc` renamed `component`), census/otel status and `error`
//     tags set the status, http.status_code maps 100..399 to UNSET and the
//     rest to ERROR;
//   * start/end: timestamp and timestamp+duration, else the earliest and
//     latest annotation; with neither the span is stamped "now" and marked
//     otel.zipkin.absentField.startTime.
//
//   absl::Status s = DecodeZipkinV1Json(body, &request);
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_V1_JSON_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_V1_JSON_H_

#include <string_view>

#include "absl/status/status.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

// Decodes and translates `json`, appending ResourceSpans to `*out` (which
// may live on an arena). INVALID_ARGUMENT naming the problem; *out is left
// untouched then. Never throws.
absl::Status DecodeZipkinV1Json(
    std::string_view json,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_V1_JSON_H_
