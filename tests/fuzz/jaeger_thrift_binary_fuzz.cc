// Fuzzes the Jaeger Thrift binary-protocol decoders: the HTTP body (a bare
// Batch) and the agent datagram (an emitBatch message), on the same input.
#include <cstdint>
#include <string_view>

#include "receiver/jaeger/jaeger_thrift.h"
#include "translated_request_check.h"

namespace {

using ::andante::fuzz::ExportTraceServiceRequest;

// A rejection is a client error with a message that leaves the output as
// it was; a success parses back and has IDs of exactly 16 and 8 bytes.
void Check(const absl::Status& status, const ExportTraceServiceRequest& out) {
  if (!status.ok()) {
    andante::fuzz::CheckRejection(status, out, /*untouched=*/true);
    return;
  }
  andante::fuzz::CheckReparses(out);
  andante::fuzz::CheckIdSizes(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ::andante::internal::ThriftProtocol;
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
