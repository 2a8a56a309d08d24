// Fuzzes the Jaeger Thrift binary-protocol decoders: the HTTP body (a bare
// Batch) and the agent datagram (an emitBatch message), on the same input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "receiver/jaeger/jaeger_thrift.h"

namespace {

using ::andante::internal::ThriftProtocol;
using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

// A rejection is a client error with a message that leaves the output as
// it was; a success has IDs of exactly 16 and 8 bytes.
void Check(const absl::Status& status, const ExportTraceServiceRequest& out) {
  if (!status.ok()) {
    if (status.code() != absl::StatusCode::kInvalidArgument || status.message().empty() ||
        out.resource_spans_size() != 0) {
      std::abort();
    }
    return;
  }
  // Every string is valid UTF-8, so what is stored parses back.
  ExportTraceServiceRequest reparsed;
  if (!reparsed.ParseFromString(out.SerializeAsString())) std::abort();
  for (const auto& rs : out.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        if (span.trace_id().size() != 16 || span.span_id().size() != 8) std::abort();
        if (!span.parent_span_id().empty() && span.parent_span_id().size() != 8) std::abort();
        for (const auto& link : span.links()) {
          if (link.trace_id().size() != 16 || link.span_id().size() != 8) std::abort();
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    ExportTraceServiceRequest out;
    Check(andante::internal::DecodeJaegerThriftBatch(input, ThriftProtocol::kBinary, &out), out);
  }
  {
    ExportTraceServiceRequest out;
    Check(andante::internal::DecodeJaegerAgentMessage(input, ThriftProtocol::kBinary, &out), out);
  }
  return 0;
}
