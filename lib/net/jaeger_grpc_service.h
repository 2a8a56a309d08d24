// Jaeger gRPC on port 14250: jaeger.api_v2.CollectorService/PostSpans,
// translated to OTLP (receiver/jaeger) and pushed into the Store. Answers
// INVALID_ARGUMENT for batches that do not translate or carry bad IDs,
// UNAVAILABLE "no org id" without a tenant under multitenancy.
#ifndef ANDANTE_SERVER_JAEGER_GRPC_SERVICE_H_
#define ANDANTE_SERVER_JAEGER_GRPC_SERVICE_H_

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

// Starts serving CollectorService/PostSpans on options.endpoint; see
// StartOtlpGrpc. `store` (and `metrics`, may be null) must outlive it.
absl::StatusOr<std::unique_ptr<GrpcListener>> StartJaegerGrpc(
    const GrpcReceiverOptions& options, Store* store, ServerMetrics* metrics);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_JAEGER_GRPC_SERVICE_H_
