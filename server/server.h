// The andante server: wires a Config to a Store and the listeners (HTTP API
// on 3200, OTLP/HTTP on 4318, OTLP/gRPC on 4317). No protocol logic lives
// here; see api_routes, otlp_http_routes, otlp_grpc_service.
#ifndef ANDANTE_SERVER_SERVER_H_
#define ANDANTE_SERVER_SERVER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config.h"

namespace andante::server {

class Server {
 public:
  // Opens the store (local backend at config.local_path, WAL at
  // config.store.wal.path, both created if missing), starts every enabled
  // listener and logs "Andante started". FAILED_PRECONDITION for a backend
  // other than "local".
  static absl::StatusOr<std::unique_ptr<Server>> Start(const Config& config);

  virtual ~Server() = default;

  // Bound ports (0 when the listener is disabled); useful with port 0.
  virtual int http_port() const = 0;
  virtual int otlp_http_port() const = 0;
  virtual int otlp_grpc_port() const = 0;

  // Graceful stop: /ready turns 503, waits shutdown_delay, stops accepting,
  // finishes in-flight requests (up to graceful_shutdown_timeout), then
  // closes the store, which flushes. Idempotent.
  virtual absl::Status Shutdown() = 0;
};

// The whole program: flags, config, Start, wait for SIGTERM/SIGINT,
// Shutdown. Returns the process exit code.
int Main(int argc, char** argv);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_SERVER_H_
