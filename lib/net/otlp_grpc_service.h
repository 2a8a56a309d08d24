// OTLP/gRPC on port 4317: opentelemetry.proto.collector.trace.v1.TraceService
// Export, pushing into the Store. gRPC stays out of this header so the rest
// of the server builds without it.
#ifndef ANDANTE_SERVER_OTLP_GRPC_SERVICE_H_
#define ANDANTE_SERVER_OTLP_GRPC_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpc_listener.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

// Starts serving TraceService/Export on options.endpoint; the listener's
// port() is the bound port, Shutdown(grace) stops it. `store` (and
// `metrics`, may be null) must outlive it.
absl::StatusOr<std::unique_ptr<GrpcListener>> StartOtlpGrpc(
    const GrpcReceiverOptions& options, Store* store, ServerMetrics* metrics);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_OTLP_GRPC_SERVICE_H_
