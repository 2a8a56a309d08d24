// OTLP/gRPC on port 4317: opentelemetry.proto.collector.trace.v1.TraceService
// Export, pushing into the Store. gRPC stays out of this header so the rest
// of the server builds without it.
#ifndef ANDANTE_SERVER_OTLP_GRPC_SERVICE_H_
#define ANDANTE_SERVER_OTLP_GRPC_SERVICE_H_

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

struct OtlpGrpcOptions {
  // "host:port"; an empty host listens on all interfaces.
  std::string endpoint = "localhost:4317";
  // Largest accepted request message (bytes; `max_recv_msg_size_mib`).
  uint64_t max_recv_msg_size = 4ull << 20;
  // With multitenancy the tenant is metadata x-scope-orgid; missing or
  // duplicated -> UNAVAILABLE "no org id".
  bool multitenancy_enabled = false;
};

class OtlpGrpcServer {
 public:
  // Starts serving. `store` (and `metrics`, may be null) must outlive the
  // server.
  static absl::StatusOr<std::unique_ptr<OtlpGrpcServer>> Start(
      const OtlpGrpcOptions& options, Store* store, ServerMetrics* metrics);

  virtual ~OtlpGrpcServer() = default;

  // The bound port.
  virtual int port() const = 0;

  // Stops accepting new calls and waits up to `grace` for running calls,
  // then cancels the rest. Idempotent.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_OTLP_GRPC_SERVICE_H_
