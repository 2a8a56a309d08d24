// Jaeger gRPC (jaeger.api_v2.CollectorService/PostSpans) to OTLP, with the
// OpenTelemetry collector's rules as Tempo runs them
// (reference/ingest-protocols.md §2.1, §4):
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
// The request is read from its wire bytes: no jaeger.api_v2 message tree is
// built, strings are copied once, straight into the OTLP output. Encodings
// the walker leaves to protobuf (a singular message field sent twice, a
// known field with another wire type, anything malformed) are parsed with
// the generated classes and re-encoded first, so every request protobuf
// accepts translates exactly as its parsed form would.
//
//   google::protobuf::Arena arena;
//   auto* otlp = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
//   absl::Status s = DecodeJaegerPostSpans(grpc_request_bytes, otlp);
//   // s.message(): "jaeger proto: span 3: span_id must be 8 bytes, got 5"
#ifndef ANDANTE_RECEIVER_JAEGER_JAEGER_PROTO_H_
#define ANDANTE_RECEIVER_JAEGER_JAEGER_PROTO_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "jaeger/api_v2/model.pb.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

// Decodes a serialized jaeger.api_v2.PostSpansRequest and appends the
// translation of its batch to `out->resource_spans()`. INVALID_ARGUMENT
// when the bytes are not a PostSpansRequest ("jaeger proto: cannot parse
// PostSpansRequest: ...") or the batch does not translate (naming the span
// and field: a bad ID length, or a Timestamp/Duration out of the range Go's
// protobuf runtime accepts); `*out` is then left unchanged. `request` must
// stay alive and unchanged during the call; `out` may live on an arena.
// `span_count`, if given, receives the number of spans the request carries
// (0 when it does not parse), for counting refused spans. Thread-safe.
absl::Status DecodeJaegerPostSpans(
    std::string_view request,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out,
    uint64_t* span_count = nullptr);

// The same for an already parsed batch (it is serialized and walked).
absl::Status TranslateJaegerProtoBatch(
    const jaeger::api_v2::Batch& batch,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_JAEGER_JAEGER_PROTO_H_
