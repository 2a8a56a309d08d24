// The gRPC receivers' services: OTLP TraceService/Export (port 4317) and
// Jaeger CollectorService/PostSpans (port 14250), each one raw method that
// hands the message to the request layer. gRPC stays out of this header.
#ifndef ANDANTE_NET_OTLP_GRPC_SERVICE_H_
#define ANDANTE_NET_OTLP_GRPC_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "andante/request.h"
#include "grpc_listener.h"

namespace andante::net {

// Starts serving TraceService/Export on `endpoint` through
// handler->OtlpGrpc; the listener's port() is the bound port, Shutdown(grace)
// stops it. `handler` must outlive it.
absl::StatusOr<std::unique_ptr<GrpcListener>> StartOtlpGrpc(
    std::string_view endpoint, uint64_t max_recv_msg_size,
    RequestHandler* handler);

}  // namespace andante::net

#endif  // ANDANTE_NET_OTLP_GRPC_SERVICE_H_
