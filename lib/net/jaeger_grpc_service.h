// Jaeger gRPC on port 14250: jaeger.api_v2.CollectorService/PostSpans served
// through RequestHandler::JaegerGrpc. gRPC stays out of this header.
#ifndef ANDANTE_NET_JAEGER_GRPC_SERVICE_H_
#define ANDANTE_NET_JAEGER_GRPC_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "andante/request.h"
#include "grpc_listener.h"

namespace andante::net {

// Starts serving CollectorService/PostSpans on `endpoint`; see
// StartOtlpGrpc. `handler` must outlive it.
absl::StatusOr<std::unique_ptr<GrpcListener>> StartJaegerGrpc(
    std::string_view endpoint, uint64_t max_recv_msg_size,
    RequestHandler* handler);

}  // namespace andante::net

#endif  // ANDANTE_NET_JAEGER_GRPC_SERVICE_H_
