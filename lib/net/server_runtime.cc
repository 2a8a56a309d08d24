#include "server_runtime.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "andante/tenant.h"
#include "tenant/overrides_yaml.h"
#include "generator_store.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::net {

using internal::ToStd;

absl::StatusOr<std::unique_ptr<ServerRuntime>> ServerRuntime::Start(
    ServerRuntimeOptions options) {
  std::unique_ptr<ServerRuntime> runtime(new ServerRuntime(std::move(options)));
  if (absl::Status s = runtime->Init(); !s.ok()) {
    runtime->Shutdown().IgnoreError();
    return s;
  }
  return runtime;
}

ServerRuntime::ServerRuntime(ServerRuntimeOptions options)
    : options_(std::move(options)) {}

ServerRuntime::~ServerRuntime() { Shutdown().IgnoreError(); }

absl::Status ServerRuntime::Init() {
  RequestOptions& request = options_.receivers.request;
  const BuildInfo& build = request.build;
  // Store-wide values carry the tenant label only without multitenancy.
  metrics_ = std::make_unique<ServerMetrics>(
      ServerMetrics::BuildInfo{build.version, build.revision, build.branch,
                               build.go_version},
      request.multitenancy_enabled ? "" : std::string(kSingleTenant));
  options_.store.registry = &metrics_->registry;
  // Per-tenant limits, read by the store on every push and query.
  overrides_ = std::make_shared<Overrides>(options_.overrides.defaults);
  options_.store.store.overrides = overrides_;
  if (!options_.overrides.per_tenant_override_config.empty()) {
    absl::StatusOr<std::unique_ptr<internal::OverridesReloader>> reloader =
        internal::OverridesReloader::Start(
            overrides_, options_.overrides.defaults,
            options_.overrides.per_tenant_override_config,
            options_.overrides.per_tenant_override_period);
    if (!reloader.ok()) return reloader.status();
    overrides_reloader_ = std::move(*reloader);
  }
  if (options_.generator_only) {
    store_ = OpenGeneratorOnlyStore();
  } else {
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenServerStore(options_.store);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
  }
  if (options_.generator_forwarding.has_value()) {
    absl::StatusOr<std::unique_ptr<GeneratorForwarder>> forwarder =
        GeneratorForwarder::Start(*options_.generator_forwarding,
                                  &metrics_->registry);
    if (!forwarder.ok()) return forwarder.status();
    forwarder_ = std::move(*forwarder);
    store_->AddSpanTap(forwarder_.get());
  }
  metrics_->registry.AddCollector(
      [store = store_.get(), metrics = metrics_.get(),
       reloader = overrides_reloader_.get()] {
        metrics->UpdateFromStore(store->Stats());
        metrics->UpdateOverrides(reloader == nullptr ||
                                 reloader->last_reload_successful());
      });
  if (options_.generator.has_value()) {
    absl::StatusOr<std::unique_ptr<GeneratorService>> gen =
        GeneratorService::Start(*options_.generator, store_.get());
    if (!gen.ok()) return gen.status();
    generator_ = std::move(*gen);
    request.extra_api_routes.push_back(
        {std::string(GeneratorService::kScrapePath),
         [g = generator_.get()](const HttpRequest& req) {
           return g->HandleScrape(req);
         }});
  }
  request.extra_api_routes.push_back(
      {request.http_api_prefix + "/api/overrides",
       [this](const HttpRequest& req) { return ServeOverrides(req); }});
  // Tempo's gRPC query API on grpc_listen_port, and on the HTTP port with
  // stream_over_http_enabled.
  if (!options_.querier_grpc_endpoint.empty() && !options_.generator_only) {
    QuerierGrpcOptions q;
    q.endpoint = options_.querier_grpc_endpoint;
    q.multitenancy_enabled = request.multitenancy_enabled;
    absl::StatusOr<std::unique_ptr<QuerierGrpcServer>> querier =
        QuerierGrpcServer::Start(q, store_.get());
    if (!querier.ok()) return querier.status();
    querier_ = std::move(*querier);
    if (options_.stream_over_http_enabled) {
      options_.receivers.api_h2c = [q = querier_.get()](int fd) {
        q->Adopt(fd);
      };
    }
  }
  request.observer = metrics_.get();
  absl::StatusOr<std::unique_ptr<ReceiverSet>> receivers =
      ReceiverSet::Start(store_.get(), options_.receivers);
  if (!receivers.ok()) return receivers.status();
  receivers_ = std::move(*receivers);
  started_ = true;
  const ReceiverPorts ports = receivers_->ports();
  ANDANTE_LOG(kInfo, "Andante started",
              {{"version", build.version},
               {"http_port", std::to_string(ports.api)},
               {"otlp_http_port", std::to_string(ports.otlp_http)},
               {"otlp_grpc_port", std::to_string(ports.otlp_grpc)}});
  return absl::OkStatus();
}

ReceiverPorts ServerRuntime::ports() const {
  return receivers_ != nullptr ? receivers_->ports() : ReceiverPorts();
}

absl::Status ServerRuntime::Shutdown() {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  if (receivers_ != nullptr) receivers_->SetStopping();
  if (started_ && options_.shutdown_delay > absl::ZeroDuration()) {
    ANDANTE_LOG(kInfo, "waiting shutdown_delay before stopping",
                {{"delay", absl::FormatDuration(options_.shutdown_delay)}});
    absl::SleepFor(options_.shutdown_delay);
  }
  // Stop ingest and queries first, then close the store, which flushes.
  if (receivers_ != nullptr) {
    receivers_->Stop(options_.graceful_shutdown_timeout);
  }
  if (querier_ != nullptr) querier_->Shutdown(options_.graceful_shutdown_timeout);
  // After ingest stopped: a last collection is flushed to remote write.
  if (generator_ != nullptr) generator_->Stop();
  if (forwarder_ != nullptr) {
    store_->RemoveSpanTap(forwarder_.get());
    forwarder_.reset();  // sends what is queued
  }
  absl::Status closed;
  if (store_ != nullptr) {
    closed = store_->Close();
    if (!closed.ok()) {
      ANDANTE_LOG(kError, "closing the store failed",
                  {{"err", std::string(ToStd(closed.message()))}});
    }
  }
  receivers_.reset();  // before the querier its connections are handed to
  querier_.reset();
  overrides_reloader_.reset();
  return closed;
}

HttpResponse ServerRuntime::ServeOverrides(const HttpRequest& req) const {
  HttpResponse resp;
  std::string tenant(kSingleTenant);
  if (options_.receivers.request.multitenancy_enabled) {
    std::optional<std::string_view> header = req.Header("X-Scope-OrgID");
    if (!header.has_value() || header->empty()) {
      resp.SetText(401, "no org id\n");
      return resp;
    }
    tenant = std::string(*header);
  }
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) {
    resp.SetText(400, absl::StrCat(s.message(), "\n"));
    return resp;
  }
  resp.content_type = "application/json";
  resp.body = absl::StrCat(
      R"({"tenant":")", tenant, R"(","limits":)",
      internal::TenantLimitsToJson(*overrides_->ForTenant(tenant)), "}\n");
  return resp;
}

}  // namespace andante::net
