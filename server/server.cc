#include "server.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "andante/s3.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/request.h"
#include "generator_service.h"
#include "metrics.h"
#include "receiver_set.h"
#include "model/protobuf_errors.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using internal::ToAbsl;
using internal::ToStd;
using net::CounterFamily;
using net::HistogramFamily;
using net::MetricsRegistry;
using net::ServerMetrics;

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
        [store = store_.get(), metrics = metrics_.get()] {
          metrics->UpdateFromStore(store->Stats());
        });

    if (config_.metrics_generator.enabled) {
      absl::StatusOr<std::unique_ptr<GeneratorService>> gen =
          GeneratorService::Start(config_.metrics_generator, store_.get());
      if (!gen.ok()) return gen.status();
      generator_ = std::move(*gen);
    }
    absl::StatusOr<std::unique_ptr<net::ReceiverSet>> receivers =
        net::ReceiverSet::Start(store_.get(), ReceiverSetOptionsOf(build));
    if (!receivers.ok()) return receivers.status();
    receivers_ = std::move(*receivers);
    started_ = true;
    ANDANTE_LOG(kInfo, "Andante started",
                {{"version", build.version},
                 {"http_port", std::to_string(http_port())},
                 {"otlp_http_port", std::to_string(otlp_http_port())},
                 {"otlp_grpc_port", std::to_string(otlp_grpc_port())}});
    return absl::OkStatus();
  }

  // The listeners the config enables, on its endpoints.
  net::ReceiverSetOptions ReceiverSetOptionsOf(const BuildInfo& build) {
    const ServerSection& srv = config_.server;
    const ReceiversSection& rcv = config_.receivers;
    net::ReceiverSetOptions o;
    RequestOptions& r = o.request;
    r.multitenancy_enabled = config_.multitenancy_enabled;
    r.observer = metrics_.get();
    r.otlp_http_traces_url_path = rcv.otlp_http_traces_url_path;
    r.otlp_http_max_request_body_size = rcv.otlp_http_max_request_body_size;
    r.otlp_grpc_max_recv_msg_size = rcv.otlp_grpc_max_recv_msg_size;
    r.jaeger_grpc_max_recv_msg_size = rcv.jaeger_grpc_max_recv_msg_size;
    r.zipkin_max_request_body_size = rcv.zipkin_max_request_body_size;
    r.jaeger_thrift_http_max_request_body_size =
        rcv.jaeger_thrift_http_max_request_body_size;
    r.http_api_prefix = config_.http_api_prefix;
    r.build = build;
    if (generator_ != nullptr) {
      r.extra_api_routes.push_back(
          {std::string(GeneratorService::kScrapePath),
           [gen = generator_.get()](const HttpRequest& req) {
             HttpResponse resp;
             gen->HandleScrape(req, &resp);
             return resp;
           }});
    }
    o.http.read_timeout = srv.http_server_read_timeout;
    o.http.write_timeout = srv.http_server_write_timeout;
    o.http.idle_timeout = srv.http_server_idle_timeout;
    // Handlers block on the WAL append; a few threads beyond the cores keep
    // the sockets served meanwhile.
    o.http.threads =
        static_cast<int>(std::max(4u, 2 * std::thread::hardware_concurrency()));
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

  int http_port() const override { return Ports().api; }
  int otlp_http_port() const override { return Ports().otlp_http; }
  int otlp_grpc_port() const override { return Ports().otlp_grpc; }
  net::ReceiverPorts Ports() const {
    return receivers_ != nullptr ? receivers_->ports() : net::ReceiverPorts();
  }

  absl::Status Shutdown() override {
    if (shut_down_) return absl::OkStatus();
    shut_down_ = true;
    const absl::Duration grace = config_.server.graceful_shutdown_timeout;
    if (receivers_ != nullptr) receivers_->SetStopping();
    if (started_ && config_.shutdown_delay > absl::ZeroDuration()) {
      ANDANTE_LOG(kInfo, "waiting shutdown_delay before stopping",
                  {{"delay", absl::FormatDuration(config_.shutdown_delay)}});
      absl::SleepFor(config_.shutdown_delay);
    }
    // Stop ingest and queries first, then close the store, which flushes.
    if (receivers_ != nullptr) receivers_->Stop(grace);
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
    receivers_.reset();
    return closed;
  }

 private:
  const Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::shared_ptr<BackendMetrics> backend_metrics_ =
      std::make_shared<BackendMetrics>();
  std::unique_ptr<GeneratorService> generator_;
  std::unique_ptr<net::ReceiverSet> receivers_;
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
