#include "server.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/request.h"
#include "model/protobuf_errors.h"
#include "server_runtime.h"
#include "util/log.h"
#include "util/strings.h"
#include "yaml-cpp/yaml.h"

namespace andante::server {
namespace {

using internal::ToStd;

std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

// The store the config describes.
net::ServerStoreOptions StoreOptionsOf(const Config& c) {
  net::ServerStoreOptions o;
  o.backend = c.backend;
  o.local_path = c.local_path;
  o.s3 = c.s3;
  o.store = c.store;
  o.run_compactor =
      !c.compactor_disabled && (c.target == "all" || c.target == "compactor" ||
                                c.target == "scalable-single-binary");
  o.compaction = c.compaction;
  o.block_retention = c.overrides_block_retention;
  o.instance_id = c.instance_id;
  o.instance_ring = c.instance_ring;
  return o;
}

// The metrics generator the config describes, with the per-tenant
// overrides file's generator keys applied.
absl::StatusOr<net::GeneratorServiceOptions> GeneratorOptionsOf(
    GeneratorConfig c) {
  if (!c.tenant_overrides_path.empty()) {
    try {
      YAML::Node root = YAML::LoadFile(c.tenant_overrides_path);
      if (absl::Status s = ParseGeneratorTenantOverrides(root, &c); !s.ok()) {
        return s;
      }
    } catch (const std::exception& e) {
      // Tempo keeps running without the file; so do we, loudly.
      ANDANTE_LOG(kWarn, "cannot read per-tenant overrides for the generator",
                  {{"path", c.tenant_overrides_path}, {"err", e.what()}});
    }
  }
  if (!c.processors_configured) {
    // Tempo generates nothing until overrides list processors; a
    // metrics_generator section alone means the user wants metrics.
    c.options.processors = {"span-metrics", "service-graphs"};
  }
  net::GeneratorServiceOptions o;
  o.generator = std::move(c.options);
  o.remote_write = std::move(c.remote_write);
  o.storage_path = std::move(c.storage_path);
  o.flush_deadline = c.flush_deadline;
  return o;
}

// The listeners the config enables, on its endpoints.
net::ReceiverSetOptions ReceiverOptionsOf(const Config& c) {
  const ServerSection& srv = c.server;
  const ReceiversSection& rcv = c.receivers;
  net::ReceiverSetOptions o;
  RequestOptions& r = o.request;
  r.multitenancy_enabled = c.multitenancy_enabled;
  r.otlp_http_traces_url_path = rcv.otlp_http_traces_url_path;
  r.otlp_http_max_request_body_size = rcv.otlp_http_max_request_body_size;
  r.otlp_grpc_max_recv_msg_size = rcv.otlp_grpc_max_recv_msg_size;
  r.jaeger_grpc_max_recv_msg_size = rcv.jaeger_grpc_max_recv_msg_size;
  r.zipkin_max_request_body_size = rcv.zipkin_max_request_body_size;
  r.jaeger_thrift_http_max_request_body_size =
      rcv.jaeger_thrift_http_max_request_body_size;
  r.http_api_prefix = c.http_api_prefix;
  o.http.read_timeout = srv.http_server_read_timeout;
  o.http.write_timeout = srv.http_server_write_timeout;
  o.http.idle_timeout = srv.http_server_idle_timeout;
  o.api_endpoint = HostPort(srv.http_listen_address, srv.http_listen_port);
  auto endpoint = [](const Listener& l) {
    return l.enabled ? l.endpoint : std::string();
  };
  o.otlp_http_endpoint = endpoint(rcv.otlp_http);
  o.otlp_grpc_endpoint = endpoint(rcv.otlp_grpc);
  o.jaeger_grpc_endpoint = endpoint(rcv.jaeger_grpc);
  o.jaeger_thrift_http_endpoint = endpoint(rcv.jaeger_thrift_http);
  o.zipkin_endpoint = endpoint(rcv.zipkin);
  for (auto [l, udp, out] :
       {std::tuple{&rcv.jaeger_thrift_compact, &rcv.jaeger_thrift_compact_udp,
                   &o.jaeger_compact},
        std::tuple{&rcv.jaeger_thrift_binary, &rcv.jaeger_thrift_binary_udp,
                   &o.jaeger_binary}}) {
    out->endpoint = endpoint(*l);
    out->max_packet_size = static_cast<size_t>(udp->max_packet_size);
    out->queue_size = static_cast<size_t>(udp->queue_size);
    out->workers = udp->workers;
    out->socket_buffer_size = udp->socket_buffer_size;
  }
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<net::ServerRuntime>> StartServer(
    const Config& config) {
  net::ServerRuntimeOptions o;
  o.store = StoreOptionsOf(config);
  // -target=metrics-generator: spans come from ingest instances (their
  // metrics_generator_client.endpoints) and are only fed to the generator.
  o.generator_only = config.target == "metrics-generator" ||
                     config.target == "metrics-generator-no-local-blocks";
  const std::vector<std::string>& forward_to =
      config.metrics_generator.forward_endpoints;
  if (!forward_to.empty() && !o.generator_only) {
    // The generator runs elsewhere; this instance only forwards.
    net::GeneratorForwarderOptions f;
    f.endpoints = forward_to;
    f.queue_size = static_cast<size_t>(config.metrics_generator.forward_queue_size);
    f.timeout = config.metrics_generator.forward_timeout;
    f.batch_wait = config.metrics_generator.forward_batch_wait;
    o.generator_forwarding = std::move(f);
  } else if (config.metrics_generator.enabled || o.generator_only) {
    absl::StatusOr<net::GeneratorServiceOptions> generator =
        GeneratorOptionsOf(config.metrics_generator);
    if (!generator.ok()) return generator.status();
    o.generator = *std::move(generator);
  }
  o.receivers = ReceiverOptionsOf(config);
  // GET /status/config: the effective config, secrets masked (lib/config).
  o.receivers.request.extra_api_routes.push_back(
      {"/status/config", [cfg = std::make_shared<const Config>(config)](
                             const HttpRequest& req) {
         HttpResponse resp;
         absl::StatusOr<std::string> page =
             StatusConfigPage(*cfg, req.QueryParam("mode").value_or(""));
         resp.SetText(page.ok() ? 200 : 500,
                      page.ok() ? *page : std::string(page.status().message()));
         return resp;
       }});
  o.overrides = config.overrides;
  o.querier_grpc_endpoint =
      HostPort(config.server.grpc_listen_address, config.server.grpc_listen_port);
  o.stream_over_http_enabled = config.stream_over_http_enabled;
  o.shutdown_delay = config.shutdown_delay;
  o.graceful_shutdown_timeout = config.server.graceful_shutdown_timeout;
  return net::ServerRuntime::Start(std::move(o));
}

int Main(int argc, char** argv) {
  // Debian's abseil is built with Mutex deadlock detection on: every lock
  // then updates a global lock graph (a few % of ingest CPU). The server
  // turns it off; the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Malformed requests make protobuf log an ERROR line each; route those to
  // the decode errors and the debug log instead of flooding stderr.
  internal::RouteProtobufLogs();
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "andante: %s\n",
                 std::string(ToStd(flags.status().message())).c_str());
    return 1;
  }
  if (flags->version) {
    BuildInfo b = CurrentBuildInfo();
    std::printf("andante, version %s (branch: %s, revision: %s)\n",
                b.version.c_str(), b.branch.c_str(), b.revision.c_str());
    return 0;
  }
  absl::StatusOr<Config> config = LoadConfig(*flags, ProcessEnv());
  if (!config.ok()) {
    ANDANTE_LOG(kError, "error loading config",
                {{"err", std::string(ToStd(config.status().message()))}});
    return 1;
  }
  if (flags->verify) {
    ANDANTE_LOG(kInfo, "config is valid");
    return 0;
  }
  internal::LogLevel level;
  if (internal::ParseLogLevel(config->server.log_level, &level)) {
    internal::SetLogLevel(level);
  }
  for (const std::string& key : config->unsupported) {
    ANDANTE_LOG(kWarn, "config key is accepted but not supported yet; ignored",
                {{"key", key}});
  }

  // SIGINT/SIGTERM are taken with sigwait below; block them before any
  // thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<net::ServerRuntime>> server =
      StartServer(*config);
  if (!server.ok()) {
    ANDANTE_LOG(kError, "error starting andante",
                {{"err", std::string(ToStd(server.status().message()))}});
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  ANDANTE_LOG(kInfo, "received signal, shutting down",
              {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  absl::Status s = (*server)->Shutdown();
  if (!s.ok()) return 1;
  ANDANTE_LOG(kInfo, "Andante stopped");
  return 0;
}

}  // namespace andante::server
