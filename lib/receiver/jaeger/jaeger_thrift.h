// Jaeger Thrift to OTLP: the body of POST /api/traces (a bare jaeger.Batch)
// and the agent's UDP datagrams (one Agent.emitBatch call each), decoded by
// a hand-written reader of exactly those structs (compact and binary
// protocols, strings as views into the input) and translated with the
// OpenTelemetry collector's rules as Tempo runs them
// (reference/ingest-protocols.md §2.2-2.4, §4):
//
//   - one ResourceSpans for the batch's process, one ScopeSpans (no scope);
//   - trace ID traceIdHigh||traceIdLow big-endian (16 bytes, leading zeros
//     for 64-bit IDs), span IDs 8 bytes big-endian, µs -> ns;
//   - parent: parentSpanId, else a same-trace CHILD_OF, else FOLLOWS_FROM
//     reference; tags, span.kind, status, logs and references as
//     jaeger_translate.h describes. Spans with every field zero are skipped.
//
// The reader accepts exactly what Apache Thrift 0.17's protocols and
// generated readers accept (tests/testing/jaeger_thrift_reference.h keeps that decoder;
// tests compare the two): required fields, unknown fields of any type
// skipped, repeated fields replacing earlier values, the old non-strict
// binary message header. Decoding is bounded by the input: a declared
// string or list longer than the bytes left is rejected before anything is
// allocated (a list element takes at least 5 bytes in compact, 15 in
// binary), the list storage of a message is capped at 48 times its size
// plus 1 MiB (valid messages need at most about 34 times), and structs nest
// at most 64 deep. Strings that are not valid UTF-8 get U+FFFD for each bad
// byte, so the OTLP output always serializes and parses. Every failure --
// truncation, a wrong field type, a missing required field, an unknown
// agent method -- is INVALID_ARGUMENT "jaeger thrift: <problem> at byte N
// of M"; no exception escapes.
//
//   google::protobuf::Arena arena;
//   auto* otlp = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
//   absl::Status s =
//       DecodeJaegerAgentMessage(datagram, ThriftProtocol::kCompact, otlp);
//   // s.message(): "jaeger thrift: emitZipkinBatch is not supported ..."
#ifndef ANDANTE_RECEIVER_JAEGER_JAEGER_THRIFT_H_
#define ANDANTE_RECEIVER_JAEGER_JAEGER_THRIFT_H_

#include <string_view>

#include "absl/status/status.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

// The Thrift protocol of a payload: the agent listens with compact on 6831
// and binary on 6832; the HTTP collector endpoint uses binary.
enum class ThriftProtocol { kBinary, kCompact };

// Decodes `body`, one jaeger.Batch struct (no message envelope), and appends
// its translation to `out->resource_spans()`. Bytes after the struct are
// ignored. On error `*out` may hold a partial translation of this call; the
// caller drops it. `out` may live on an arena. Thread-safe.
absl::Status DecodeJaegerThriftBatch(
    std::string_view body, ThriftProtocol protocol,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

// Decodes one agent datagram: a message header naming "emitBatch" (type
// ONEWAY or CALL, any sequence id) followed by the emitBatch_args struct, and
// appends the batch's translation to `out`. emitZipkinBatch and any other
// method are INVALID_ARGUMENT naming the method; an emitBatch without its
// batch argument is an empty success. Same contract as above otherwise.
absl::Status DecodeJaegerAgentMessage(
    std::string_view datagram, ThriftProtocol protocol,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_JAEGER_JAEGER_THRIFT_H_
