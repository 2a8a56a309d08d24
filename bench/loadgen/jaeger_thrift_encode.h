// Jaeger Thrift payloads built from OTLP requests: the bodies a Jaeger
// client posts to /api/traces and the agent datagrams it sends over UDP.
// Used by the load generator's Jaeger modes, the Jaeger decode benchmark and
// the decoder tests' seed corpora.
//
// The mapping is the inverse of the collector's Jaeger translator, the way
// Jaeger exporters write it: service.name -> process.serviceName, other
// resource attributes -> process tags; attributes -> typed tags; kind ->
// span.kind; status ERROR -> error=true (+ otel.status_description), OK ->
// otel.status_code=OK; trace_state -> w3c.tracestate; scope ->
// otel.scope.name/version; events -> logs with an "event" field; parent ->
// parentSpanId; links -> FOLLOWS_FROM references. Times become microseconds.
//
//   TraceFactory factory(1);
//   ExportTraceServiceRequest request = factory.BuildBatch(1000, absl::Now(), nullptr);
//   absl::StatusOr<std::vector<std::string>> datagrams =
//       EncodeJaegerAgentDatagrams(request, ThriftProtocol::kCompact, 65000);
//   for (const std::string& d : *datagrams) socket.send_to(buffer(d), agent);
#ifndef ANDANTE_BENCH_LOADGEN_JAEGER_THRIFT_ENCODE_H_
#define ANDANTE_BENCH_LOADGEN_JAEGER_THRIFT_ENCODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jaeger_types.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "receiver/jaeger/jaeger_thrift.h"

namespace andante::loadgen {

using ::andante::internal::ThriftProtocol;

// One jaeger.Batch per ResourceSpans (a Batch has a single Process), with
// the spans of all its ScopeSpans.
std::vector<jaeger::thrift::Batch> ToJaegerThriftBatches(
    const andante::otlp::collector::trace::v1::ExportTraceServiceRequest& request);

// A bare Batch struct: the body of POST /api/traces when `protocol` is
// kBinary (what Jaeger clients send there).
std::string EncodeJaegerThriftBatch(const jaeger::thrift::Batch& batch,
                                    ThriftProtocol protocol);

// One agent datagram: an Agent.emitBatch ONEWAY message carrying `batch`.
std::string EncodeJaegerAgentMessage(const jaeger::thrift::Batch& batch,
                                     ThriftProtocol protocol, int32_t seqid);

// Agent datagrams for a whole request: each ResourceSpans becomes as many
// emitBatch messages (with the same process) as it takes for every datagram
// to be at most `max_datagram_bytes` (the agent's default max_packet_size is
// 65000). Sequence ids count up from `first_seqid`. INVALID_ARGUMENT when a
// single span does not fit in a datagram.
absl::StatusOr<std::vector<std::string>> EncodeJaegerAgentDatagrams(
    const andante::otlp::collector::trace::v1::ExportTraceServiceRequest& request,
    ThriftProtocol protocol, size_t max_datagram_bytes = 65000, int32_t first_seqid = 1);

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_JAEGER_THRIFT_ENCODE_H_
