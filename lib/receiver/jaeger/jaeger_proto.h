// Jaeger gRPC (jaeger.api_v2.CollectorService/PostSpans) to OTLP: translates
// an already parsed jaeger.api_v2.Batch with the OpenTelemetry collector's
// rules as Tempo runs them (reference/ingest-protocols.md §2.1, §4):
//
//   - one ResourceSpans per distinct process: spans carrying their own
//     `process` are regrouped under it, the others under the batch's;
//   - within it, one ScopeSpans per (otel.scope.name, otel.scope.version)
//     tag pair, tags removed;
//   - IDs: trace_id of 16 bytes, or 8 bytes as the low half; span_id of 8
//     bytes; any other length is INVALID_ARGUMENT for the whole batch;
//   - tags, span.kind, status, w3c.tracestate, logs and references as
//     jaeger_translate.h describes. Spans with every field unset are skipped.
//
//   google::protobuf::Arena arena;
//   auto* otlp = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
//   absl::Status s = TranslateJaegerProtoBatch(request.batch(), otlp);
//   // s.message(): "jaeger proto: span 3: span_id must be 8 bytes, got 5"
#ifndef ANDANTE_RECEIVER_JAEGER_JAEGER_PROTO_H_
#define ANDANTE_RECEIVER_JAEGER_JAEGER_PROTO_H_

#include "absl/status/status.h"
#include "jaeger/api_v2/model.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

// Appends the translation of `batch` to `out->resource_spans()`. On error
// (INVALID_ARGUMENT naming the span and field: a bad ID length, or a
// Timestamp/Duration out of the range Go's protobuf runtime accepts) `*out`
// is left unchanged. `out` may live on an arena. Thread-safe.
absl::Status TranslateJaegerProtoBatch(
    const jaeger::api_v2::Batch& batch,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);

// The same, but the translation may move strings out of `*batch` instead of
// copying them (fewer allocations and copies); `*batch` is valid but unspecified
// afterwards. For callers that own the parsed request.
absl::Status TranslateJaegerProtoBatch(
    jaeger::api_v2::Batch* batch,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_JAEGER_JAEGER_PROTO_H_
