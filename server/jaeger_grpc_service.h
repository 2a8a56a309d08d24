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
#include "absl/time/time.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

struct JaegerGrpcOptions {
  std::string endpoint = "localhost:14250";
  uint64_t max_recv_msg_size = 4ull << 20;
  // Tenant from metadata x-scope-orgid.
  bool multitenancy_enabled = false;
};

class JaegerGrpcServer {
 public:
  // `store` (and `metrics`, may be null) must outlive the server.
  static absl::StatusOr<std::unique_ptr<JaegerGrpcServer>> Start(
      const JaegerGrpcOptions& options, Store* store, ServerMetrics* metrics);
  virtual ~JaegerGrpcServer() = default;
  virtual int port() const = 0;
  // As GrpcListener::Shutdown. Idempotent.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_JAEGER_GRPC_SERVICE_H_
