// A whole Andante server over plain options: self-monitoring, the Store
// (OpenServerStore), the metrics generator when asked, and every listener
// (ReceiverSet), stopped in the order that loses nothing. The andante
// binary maps its config onto these options; a test or an embedder can run
// the same server in-process.
//
//   ServerRuntimeOptions o;
//   o.store.store.wal.path = dir + "/wal";
//   o.store.local_path = dir + "/blocks";
//   o.receivers.api_endpoint = "127.0.0.1:0";
//   o.receivers.otlp_grpc_endpoint = "127.0.0.1:0";
//   auto runtime = ServerRuntime::Start(std::move(o));
//   int port = (*runtime)->ports().otlp_grpc;
//   ...
//   absl::Status s = (*runtime)->Shutdown();  // flushes the store
#ifndef ANDANTE_NET_SERVER_RUNTIME_H_
#define ANDANTE_NET_SERVER_RUNTIME_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "generator_forwarder.h"
#include "generator_service.h"
#include "metrics.h"
#include "receiver_set.h"
#include "server_store.h"
#include "streaming_querier_service.h"
#include "andante/limits.h"
#include "tenant/overrides_reloader.h"

namespace andante::net {

struct ServerRuntimeOptions {
  // The store; `registry` is set to the runtime's metrics.
  ServerStoreOptions store;
  // The metrics generator, off when absent; its scrape path joins the API.
  std::optional<GeneratorServiceOptions> generator;
  // Every accepted push also goes to metrics generators in other processes
  // (metrics_generator_client.endpoints); off when absent.
  std::optional<GeneratorForwarderOptions> generator_forwarding;
  // -target=metrics-generator: the store keeps nothing and only feeds the
  // generator (OpenGeneratorOnlyStore); no querier, no compactor.
  bool generator_only = false;
  // The listeners; request.observer is set to the runtime's metrics (and
  // request.build is what tempo_build_info reports).
  ReceiverSetOptions receivers;
  // Shutdown: /ready answers 503 for `shutdown_delay` before the listeners
  // stop; in-flight requests get `graceful_shutdown_timeout`.
  absl::Duration shutdown_delay = absl::ZeroDuration();
  absl::Duration graceful_shutdown_timeout = absl::Seconds(30);
  // Per-tenant limits: the overrides section's defaults, and the per-tenant
  // file reloaded every per_tenant_override_period. GET /api/overrides (under
  // the API prefix) shows a tenant's effective limits.
  OverridesConfig overrides;
  // Tempo's gRPC query API (StreamingQuerier) on this endpoint; "" = off.
  std::string querier_grpc_endpoint;
  // ... and on the API listener as cleartext HTTP/2 (stream_over_http_enabled).
  bool stream_over_http_enabled = false;
};

class ServerRuntime {
 public:
  // Opens the store and starts everything; on an error nothing is left
  // running.
  static absl::StatusOr<std::unique_ptr<ServerRuntime>> Start(
      ServerRuntimeOptions options);
  ~ServerRuntime();  // Shutdown() if not done yet
  ServerRuntime(const ServerRuntime&) = delete;
  ServerRuntime& operator=(const ServerRuntime&) = delete;

  // Bound ports (0 for listeners that are off).
  ReceiverPorts ports() const;
  Store* store() const { return store_.get(); }
  ServerMetrics& metrics() { return *metrics_; }

  // Graceful stop: /ready turns 503, waits shutdown_delay, stops the
  // listeners (finishing in-flight requests), the generator (one last
  // collection), then closes the store, which flushes. Idempotent.
  absl::Status Shutdown();

 private:
  explicit ServerRuntime(ServerRuntimeOptions options);
  absl::Status Init();

  // GET /api/overrides.
  HttpResponse ServeOverrides(const HttpRequest& req) const;

  ServerRuntimeOptions options_;
  std::shared_ptr<Overrides> overrides_;
  std::unique_ptr<internal::OverridesReloader> overrides_reloader_;
  std::unique_ptr<QuerierGrpcServer> querier_;
  // Declared first: the store's S3 client reports into the registry.
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<GeneratorService> generator_;
  std::unique_ptr<GeneratorForwarder> forwarder_;
  std::unique_ptr<ReceiverSet> receivers_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_SERVER_RUNTIME_H_
