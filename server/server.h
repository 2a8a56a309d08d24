// The andante server: maps a Config onto a ServerRuntime (lib/net: the
// Store, the metrics generator and a ReceiverSet with the HTTP API on 3200,
// OTLP on 4317/4318, Jaeger, Zipkin). No protocol logic lives here; the
// request layer is include/andante/request.h.
#ifndef ANDANTE_SERVER_SERVER_H_
#define ANDANTE_SERVER_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "config.h"
#include "server_runtime.h"

namespace andante::server {

// Opens the store the config describes (local or S3 backend, WAL, compactor
// per target), starts the metrics generator if configured and every enabled
// listener, and logs "Andante started". Shutdown() is the graceful stop:
// /ready turns 503, shutdown_delay, in-flight requests finish (up to
// graceful_shutdown_timeout), the store closes and flushes.
absl::StatusOr<std::unique_ptr<net::ServerRuntime>> StartServer(
    const Config& config);

// The whole program: flags, config, Start, wait for SIGTERM/SIGINT,
// Shutdown. Returns the process exit code.
int Main(int argc, char** argv);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_SERVER_H_
