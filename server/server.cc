#include "server.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "andante/limits.h"
#include "andante/s3.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "api_routes.h"
#include "generator_service.h"
#include "http_server.h"
#include "streaming_querier_service.h"
#include "jaeger_grpc_service.h"
#include "jaeger_receivers.h"
#include "metrics.h"
#include "otlp_grpc_service.h"
#include "otlp_http_routes.h"
#include "udp_listener.h"
#include "zipkin_routes.h"
#include "model/protobuf_errors.h"
#include "tenant/overrides_reloader.h"
#include "tenant/overrides_yaml.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using internal::ToAbsl;
using internal::ToStd;

absl::Status MakeDirs(const std::string& path, std::string_view what) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", ToAbsl(what),
                                               " directory \"", path,
                                               "\": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

// Object-store request metrics under Tempo's names. The backend is opened
// (and may already send requests) before the metrics registry exists, so
// observations before Register are dropped.
class BackendMetrics {
 public:
  void Register(MetricsRegistry& registry) {
    duration_.store(registry.AddHistogram(
        "tempodb_backend_request_duration_seconds",
        "Time spent doing backend storage requests.",
        {"operation", "status_code"},
        {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}));
    bytes_.store(registry.AddCounter(
        "andante_backend_bytes_total",
        "Bytes of object-store request and response bodies.", {"direction"}));
  }
  void Unregister() {
    duration_.store(nullptr);
    bytes_.store(nullptr);
  }
  void Observe(const S3RequestInfo& r) {
    if (HistogramFamily* d = duration_.load(); d != nullptr) {
      d->WithLabels({r.operation, std::to_string(r.status_code)})
          ->Observe(absl::ToDoubleSeconds(r.duration));
    }
    if (CounterFamily* b = bytes_.load(); b != nullptr) {
      b->WithLabels({"sent"})->Inc(static_cast<double>(r.bytes_sent));
      b->WithLabels({"received"})->Inc(static_cast<double>(r.bytes_received));
    }
  }

 private:
  std::atomic<HistogramFamily*> duration_{nullptr};
  std::atomic<CounterFamily*> bytes_{nullptr};
};

// The S3 backend plus Tempo's startup check (one LIST). Wrong credentials
// or a missing bucket stop the start with S3's own error; an unreachable
// store only warns here (Store::Open, which lists the bucket too, decides).
absl::StatusOr<std::unique_ptr<Backend>> OpenS3(const S3Options& options) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = OpenS3Backend(options);
  if (!backend.ok()) {
    return absl::Status(backend.status().code(),
                        absl::StrCat("storage.trace.s3: ",
                                     backend.status().message()));
  }
  absl::StatusOr<std::vector<std::string>> tenants = (*backend)->List("");
  if (!tenants.ok()) {
    if (absl::IsUnavailable(tenants.status())) {
      ANDANTE_LOG(kWarn, "s3 bucket unreachable at startup",
                  {{"bucket", options.bucket},
                   {"err", std::string(ToStd(tenants.status().message()))}});
    } else {
      return tenants.status();
    }
  }
  return backend;
}

// The host name, Tempo's default instance ID.
std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    return host;
  }
  return "andante";
}

// Blocklist polling and, unless compactor.disabled or the target runs no
// compactor, compaction, wired into the store options.
absl::Status WireSharedBucket(const Config& config, StoreOptions& options) {
  const std::string id =
      config.instance_id.empty() ? HostName() : config.instance_id;
  options.blocklist.instance_id = id;
  options.blocklist.instance_ring = config.instance_ring;
  const bool runs_compactor = config.target == "all" ||
                              config.target == "compactor" ||
                              config.target == "scalable-single-binary";
  if (config.compactor_disabled || !runs_compactor) return absl::OkStatus();
  CompactionOptions compaction = config.compaction;
  compaction.block = options.block;
  compaction.instance_id = id;
  compaction.instance_ring = config.instance_ring;
  if (config.overrides_block_retention > absl::ZeroDuration()) {
    compaction.block_retention = config.overrides_block_retention;
  }
  absl::StatusOr<std::unique_ptr<Compactor>> compactor =
      Compactor::Open(std::move(compaction), options.backend);
  if (!compactor.ok()) {
    return absl::Status(compactor.status().code(),
                        absl::StrCat("compactor.compaction: ",
                                     compactor.status().message()));
  }
  options.compactor = std::move(*compactor);
  return absl::OkStatus();
}

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(const Config& config) : config_(config) {}
  ~ServerImpl() override {
    Shutdown().IgnoreError();
    backend_metrics_->Unregister();  // the registry goes before the store
  }

  absl::Status Init() {
    if (config_.backend != "local" && config_.backend != "s3") {
      return absl::FailedPreconditionError(
          absl::StrCat("storage.trace.backend \"", config_.backend,
                       "\" is not supported yet; \"local\" and \"s3\" are"));
    }
    if (config_.backend == "local") {
      if (absl::Status s = MakeDirs(config_.local_path, "block"); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = MakeDirs(config_.store.wal.path, "WAL"); !s.ok()) {
      return s;
    }
    S3Options s3 = config_.s3;
    s3.observer = [families = backend_metrics_](const S3RequestInfo& r) {
      families->Observe(r);
    };
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        config_.backend == "s3" ? OpenS3(s3)
                                : OpenLocalBackend(config_.local_path);
    if (!backend.ok()) return backend.status();
    StoreOptions options = config_.store;
    options.backend = std::shared_ptr<Backend>(std::move(*backend));
    // Per-tenant limits: the overrides section's defaults, and the
    // per-tenant file reloaded every per_tenant_override_period.
    overrides_ = std::make_shared<Overrides>(config_.overrides.defaults);
    options.overrides = overrides_;
    if (!config_.overrides.per_tenant_override_config.empty()) {
      auto reloader = internal::OverridesReloader::Start(
          overrides_, config_.overrides.defaults,
          config_.overrides.per_tenant_override_config,
          config_.overrides.per_tenant_override_period);
      if (!reloader.ok()) return reloader.status();
      overrides_reloader_ = std::move(*reloader);
    }
    if (absl::Status s = WireSharedBucket(config_, options); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(std::move(options));
    if (!store.ok()) return store.status();
    store_ = std::move(*store);

    BuildInfo build = CurrentBuildInfo();
    metrics_ = std::make_unique<ServerMetrics>(
        ServerMetrics::BuildInfo{build.version, build.revision, build.branch,
                                 build.go_version},
        config_.multitenancy_enabled ? "" : std::string(kSingleTenant));
    if (config_.backend == "s3") backend_metrics_->Register(metrics_->registry);
    metrics_->registry.AddCollector(
        [store = store_.get(), metrics = metrics_.get(),
         reloader = overrides_reloader_.get()] {
          metrics->UpdateFromStore(store->Stats());
          metrics->UpdateOverrides(reloader == nullptr ||
                                   reloader->last_reload_successful());
        });

    const ServerSection& srv = config_.server;
    HttpServerOptions http_options;
    http_options.read_timeout = srv.http_server_read_timeout;
    http_options.write_timeout = srv.http_server_write_timeout;
    http_options.idle_timeout = srv.http_server_idle_timeout;
    // Handlers block on the WAL append; a few threads beyond the cores keep
    // the sockets served meanwhile.
    http_options.threads =
        static_cast<int>(std::max(4u, 2 * std::thread::hardware_concurrency()));
    http_ = std::make_unique<HttpServer>(http_options);

    if (config_.metrics_generator.enabled) {
      absl::StatusOr<std::unique_ptr<GeneratorService>> gen =
          GeneratorService::Start(config_.metrics_generator, store_.get());
      if (!gen.ok()) return gen.status();
      generator_ = std::move(*gen);
    }

    ApiOptions api_options;
    api_options.multitenancy_enabled = config_.multitenancy_enabled;
    api_options.http_api_prefix = config_.http_api_prefix;
    api_ =
        std::make_unique<ApiRoutes>(store_.get(), api_options, metrics_.get());
    // Tempo's gRPC query API on grpc_listen_port, and on the HTTP port with
    // stream_over_http_enabled.
    QuerierGrpcOptions querier_options;
    querier_options.endpoint =
        HostPort(srv.grpc_listen_address, srv.grpc_listen_port);
    querier_options.multitenancy_enabled = config_.multitenancy_enabled;
    absl::StatusOr<std::unique_ptr<QuerierGrpcServer>> querier =
        QuerierGrpcServer::Start(querier_options, store_.get());
    if (!querier.ok()) return querier.status();
    querier_ = std::move(*querier);
    ListenerOptions api_listener;
    api_listener.body_limit = 16ull << 20;
    if (config_.stream_over_http_enabled) {
      api_listener.h2c = [q = querier_.get()](int fd) { q->Adopt(fd); };
    }
    absl::StatusOr<int> port = http_->Listen(
        HostPort(srv.http_listen_address, srv.http_listen_port), api_listener,
        [api = api_.get(), gen = generator_.get(), config = &config_, this](
            HttpRequest& req, HttpResponse* resp) {
          if (req.path == "/status/config") {  // Tempo's; lib/config renders
            absl::StatusOr<std::string> page = StatusConfigPage(
                *config, req.QueryParam("mode").value_or(""));
            resp->SetText(page.ok() ? 200 : 500,
                          page.ok() ? *page : std::string(page.status().message()));
            return;
          }
          if (gen != nullptr && req.path == GeneratorService::kScrapePath) {
            gen->HandleScrape(req, resp);
            return;
          }
          if (req.path == config_.http_api_prefix + "/api/overrides") {
            ServeOverrides(req, resp);
            return;
          }
          api->Handle(req, resp);
        });
    if (!port.ok()) return port.status();
    http_port_ = *port;

    const ReceiversSection& rcv = config_.receivers;
    if (rcv.otlp_http.enabled) {
      OtlpHttpOptions o;
      o.traces_url_path = rcv.otlp_http_traces_url_path;
      o.max_request_body_size = rcv.otlp_http_max_request_body_size;
      o.multitenancy_enabled = config_.multitenancy_enabled;
      otlp_http_ =
          std::make_unique<OtlpHttpRoutes>(store_.get(), o, metrics_.get());
      ListenerOptions l;
      l.body_limit = o.max_request_body_size;
      port = http_->Listen(
          rcv.otlp_http.endpoint, l,
          [r = otlp_http_.get()](HttpRequest& req, HttpResponse* resp) {
            r->Handle(req, resp);
          });
      if (!port.ok()) return port.status();
      otlp_http_port_ = *port;
    }
    if (rcv.otlp_grpc.enabled) {
      GrpcReceiverOptions o;
      o.endpoint = rcv.otlp_grpc.endpoint;
      o.max_recv_msg_size = rcv.otlp_grpc_max_recv_msg_size;
      o.multitenancy_enabled = config_.multitenancy_enabled;
      absl::StatusOr<std::unique_ptr<GrpcListener>> grpc =
          StartOtlpGrpc(o, store_.get(), metrics_.get());
      if (!grpc.ok()) return grpc.status();
      grpc_ = std::move(*grpc);
    }
    if (absl::Status s = StartJaegerAndZipkin(); !s.ok()) return s;
    http_->Start();
    started_ = true;
    ANDANTE_LOG(kInfo, "Andante started",
                {{"version", build.version},
                 {"http_port", std::to_string(http_port_)},
                 {"otlp_http_port", std::to_string(otlp_http_port_)},
                 {"otlp_grpc_port", std::to_string(otlp_grpc_port())}});
    return absl::OkStatus();
  }

  // Jaeger (gRPC, Thrift HTTP, agent UDP) and Zipkin, each only where the
  // config enables it.
  absl::Status StartJaegerAndZipkin() {
    const ReceiversSection& rcv = config_.receivers;
    const bool mt = config_.multitenancy_enabled;
    if (rcv.jaeger_grpc.enabled) {
      GrpcReceiverOptions o;
      o.endpoint = rcv.jaeger_grpc.endpoint;
      o.max_recv_msg_size = rcv.jaeger_grpc_max_recv_msg_size;
      o.multitenancy_enabled = mt;
      absl::StatusOr<std::unique_ptr<GrpcListener>> grpc =
          StartJaegerGrpc(o, store_.get(), metrics_.get());
      if (!grpc.ok()) return grpc.status();
      jaeger_grpc_ = std::move(*grpc);
    }
    if (rcv.jaeger_thrift_http.enabled) {
      JaegerThriftHttpOptions o;
      o.max_request_body_size = rcv.jaeger_thrift_http_max_request_body_size;
      o.multitenancy_enabled = mt;
      jaeger_http_ = std::make_unique<JaegerThriftHttpRoutes>(store_.get(), o,
                                                              metrics_.get());
      ListenerOptions l;
      l.body_limit = o.max_request_body_size;
      absl::StatusOr<int> port = http_->Listen(
          rcv.jaeger_thrift_http.endpoint, l,
          [r = jaeger_http_.get()](HttpRequest& req, HttpResponse* resp) {
            r->Handle(req, resp);
          });
      if (!port.ok()) return port.status();
    }
    struct Agent {
      const Listener& listener;
      const UdpSettings& udp;
      internal::ThriftProtocol protocol;
    };
    for (const Agent& a :
         {Agent{rcv.jaeger_thrift_compact, rcv.jaeger_thrift_compact_udp,
                internal::ThriftProtocol::kCompact},
          Agent{rcv.jaeger_thrift_binary, rcv.jaeger_thrift_binary_udp,
                internal::ThriftProtocol::kBinary}}) {
      if (!a.listener.enabled) continue;
      auto handler = std::make_unique<JaegerAgentHandler>(
          store_.get(), a.protocol, mt, metrics_.get());
      UdpListenerOptions o;
      o.endpoint = a.listener.endpoint;
      o.max_packet_size = static_cast<size_t>(a.udp.max_packet_size);
      o.queue_size = static_cast<size_t>(a.udp.queue_size);
      o.workers = a.udp.workers;
      o.socket_buffer_size = a.udp.socket_buffer_size;
      absl::StatusOr<std::unique_ptr<UdpListener>> udp = UdpListener::Start(
          o,
          [h = handler.get()](absl::Span<const std::string> datagrams) {
            h->Handle(datagrams);
          },
          [h = handler.get(), m = metrics_.get()](std::string_view reason) {
            m->RecordDroppedDatagram(h->transport(), reason);
          });
      if (!udp.ok()) return udp.status();
      agents_.push_back(std::move(handler));
      udp_.push_back(std::move(*udp));
    }
    if (rcv.zipkin.enabled) {
      ZipkinOptions o;
      o.max_request_body_size = rcv.zipkin_max_request_body_size;
      o.multitenancy_enabled = mt;
      zipkin_ =
          std::make_unique<ZipkinRoutes>(store_.get(), o, metrics_.get());
      ListenerOptions l;
      l.body_limit = o.max_request_body_size;
      absl::StatusOr<int> port = http_->Listen(
          rcv.zipkin.endpoint, l,
          [r = zipkin_.get()](HttpRequest& req, HttpResponse* resp) {
            r->Handle(req, resp);
          });
      if (!port.ok()) return port.status();
    }
    return absl::OkStatus();
  }

  int http_port() const override { return http_port_; }
  int otlp_http_port() const override { return otlp_http_port_; }
  int otlp_grpc_port() const override {
    return grpc_ != nullptr ? grpc_->port() : 0;
  }

  absl::Status Shutdown() override {
    if (shut_down_) return absl::OkStatus();
    shut_down_ = true;
    const absl::Duration grace = config_.server.graceful_shutdown_timeout;
    if (api_ != nullptr) api_->SetStopping();
    if (started_ && config_.shutdown_delay > absl::ZeroDuration()) {
      ANDANTE_LOG(kInfo, "waiting shutdown_delay before stopping",
                  {{"delay", absl::FormatDuration(config_.shutdown_delay)}});
      absl::SleepFor(config_.shutdown_delay);
    }
    // Stop ingest and queries first, then close the store, which flushes.
    if (grpc_ != nullptr) grpc_->Shutdown(grace);
    if (querier_ != nullptr) querier_->Shutdown(grace);
    if (jaeger_grpc_ != nullptr) jaeger_grpc_->Shutdown(grace);
    for (auto& udp : udp_) udp->Stop();
    if (http_ != nullptr) http_->Stop(grace);
    // After ingest stopped: a last collection is flushed to remote write.
    if (generator_ != nullptr) generator_->Stop();
    absl::Status closed;
    if (store_ != nullptr) {
      closed = store_->Close();
      if (!closed.ok()) {
        ANDANTE_LOG(kError, "closing the store failed",
                    {{"err", std::string(ToStd(closed.message()))}});
      }
    }
    grpc_.reset();
    jaeger_grpc_.reset();
    http_.reset();  // before the querier its connections are handed to
    querier_.reset();
    udp_.clear();
    http_.reset();
    return closed;
  }

 private:
  // GET /api/overrides: the effective limits of the request's tenant
  // (X-Scope-OrgID; single-tenant without multitenancy), new form JSON.
  void ServeOverrides(const HttpRequest& req, HttpResponse* resp) const {
    std::optional<std::string_view> header = req.Header("X-Scope-OrgID");
    std::string tenant(kSingleTenant);
    if (config_.multitenancy_enabled) {
      if (!header.has_value() || header->empty()) {
        resp->status = 401;
        resp->content_type = "text/plain; charset=utf-8";
        resp->body = "no org id\n";
        return;
      }
      tenant = std::string(*header);
    }
    if (absl::Status s = ValidateTenantId(tenant); !s.ok()) {
      resp->status = 400;
      resp->content_type = "text/plain; charset=utf-8";
      resp->body = absl::StrCat(s.message(), "\n");
      return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    resp->body = absl::StrCat(
        R"({"tenant":")", tenant, R"(","limits":)",
        internal::TenantLimitsToJson(*overrides_->ForTenant(tenant)), "}\n");
  }

  const Config config_;
  std::shared_ptr<Overrides> overrides_;
  std::unique_ptr<internal::OverridesReloader> overrides_reloader_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::shared_ptr<BackendMetrics> backend_metrics_ =
      std::make_shared<BackendMetrics>();
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GeneratorService> generator_;
  std::unique_ptr<ApiRoutes> api_;
  std::unique_ptr<OtlpHttpRoutes> otlp_http_;
  std::unique_ptr<GrpcListener> grpc_;
  std::unique_ptr<GrpcListener> jaeger_grpc_;
  std::unique_ptr<QuerierGrpcServer> querier_;
  std::unique_ptr<JaegerThriftHttpRoutes> jaeger_http_;
  std::vector<std::unique_ptr<JaegerAgentHandler>> agents_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::unique_ptr<ZipkinRoutes> zipkin_;
  int http_port_ = 0;
  int otlp_http_port_ = 0;
  bool started_ = false;
  bool shut_down_ = false;
};

std::optional<std::string> GetEnv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const Config& config) {
  auto server = std::make_unique<ServerImpl>(config);
  if (absl::Status s = server->Init(); !s.ok()) {
    server->Shutdown().IgnoreError();
    return s;
  }
  return std::unique_ptr<Server>(std::move(server));
}

int Main(int argc, char** argv) {
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
  absl::StatusOr<Config> config = LoadConfig(*flags, GetEnv);
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

  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(*config);
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
