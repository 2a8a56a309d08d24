#include "jaeger_grpc_service.h"

#include "grpc_raw_service.h"

namespace andante::net {

absl::StatusOr<std::unique_ptr<GrpcListener>> StartJaegerGrpc(
    std::string_view endpoint, uint64_t max_recv_msg_size,
    RequestHandler* handler) {
  // PostSpans registered raw: the bytes are read without a jaeger.api_v2
  // message tree.
  return GrpcListener::Start(
      "Jaeger gRPC", endpoint, max_recv_msg_size,
      std::make_unique<RawGrpcService>(
          "/jaeger.api_v2.CollectorService/PostSpans",
          [handler](const GrpcRequest& req) {
            return handler->JaegerGrpc(req);
          }));
}

}  // namespace andante::net
