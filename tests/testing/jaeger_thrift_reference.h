// The Jaeger Thrift decoder built on Apache Thrift's own protocols and
// generated readers, which jaeger_thrift.h's hand-written one replaced for
// speed. Same contract and results as DecodeJaegerThriftBatch and
// DecodeJaegerAgentMessage (error wording aside); kept so tests can compare
// the two on any input. Not for production use: it is about twice as slow.
#ifndef ANDANTE_TESTS_TESTING_JAEGER_THRIFT_REFERENCE_H_
#define ANDANTE_TESTS_TESTING_JAEGER_THRIFT_REFERENCE_H_

#include <string_view>

#include "absl/status/status.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "receiver/jaeger/jaeger_thrift.h"

namespace andante::internal {

absl::Status DecodeJaegerThriftBatchWithLibthrift(
    std::string_view body, ThriftProtocol protocol,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

absl::Status DecodeJaegerAgentMessageWithLibthrift(
    std::string_view datagram, ThriftProtocol protocol,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_TESTS_TESTING_JAEGER_THRIFT_REFERENCE_H_
