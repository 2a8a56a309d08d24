#include "otlp_grpc_service.h"

#include "grpc_raw_service.h"

namespace andante::net {

absl::StatusOr<std::unique_ptr<GrpcListener>> StartOtlpGrpc(
    std::string_view endpoint, uint64_t max_recv_msg_size,
    RequestHandler* handler) {
  // Export registered raw: the request bytes are split by
  // SpanBatch::FromProto without building the message tree.
  return GrpcListener::Start(
      "OTLP gRPC", endpoint, max_recv_msg_size,
      std::make_unique<RawGrpcService>(
          "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
          [handler](const GrpcRequest& req) { return handler->OtlpGrpc(req); }));
}

}  // namespace andante::net
