// Receivers over the server's listeners (server/: HttpServer, GrpcListener)
// and its protocol routes, with no metrics registry.
#include "receivers.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc_listener.h"
#include "http_server.h"
#include "jaeger_grpc_service.h"
#include "jaeger_receivers.h"
#include "otlp_grpc_service.h"
#include "otlp_http_routes.h"
#include "zipkin_routes.h"

namespace andante::testing::collector_internal {
namespace {

using server::GrpcListener;
using server::GrpcReceiverOptions;
using server::HttpRequest;
using server::HttpResponse;
using server::HttpServer;
using server::HttpServerOptions;
using server::ListenerOptions;

// In-flight requests get this long to finish on Stop.
constexpr absl::Duration kGrace = absl::Seconds(1);

std::string Endpoint(const std::string& host) {
  if (host.find(':') != std::string::npos)
    return absl::StrCat("[", host, "]:0");
  return absl::StrCat(host, ":0");
}

class ServerReceivers final : public Receivers {
 public:
  ~ServerReceivers() override { Stop(); }

  absl::Status Init(Store* store, const CollectorOptions& options) {
    const std::string endpoint = Endpoint(options.host);
    HttpServerOptions http_options;
    // A test pushes little: one io thread and a couple of handler threads
    // keep an idle collector small.
    http_options.threads = 1;
    http_options.handler_threads = 2;
    http_ = std::make_unique<HttpServer>(http_options);
    ListenerOptions listener;
    if (options.otlp_http) {
      otlp_http_ = std::make_unique<server::OtlpHttpRoutes>(
          store, server::OtlpHttpOptions{}, nullptr);
      listener.body_limit = server::OtlpHttpOptions{}.max_request_body_size;
      absl::StatusOr<int> port = http_->Listen(
          endpoint, listener,
          [r = otlp_http_.get()](HttpRequest& req, HttpResponse* resp) {
            r->Handle(req, resp);
          });
      if (!port.ok()) return port.status();
      ports_.otlp_http = *port;
    }
    if (options.zipkin) {
      zipkin_ = std::make_unique<server::ZipkinRoutes>(
          store, server::ZipkinOptions{}, nullptr);
      absl::StatusOr<int> port = http_->Listen(
          endpoint, listener,
          [r = zipkin_.get()](HttpRequest& req, HttpResponse* resp) {
            r->Handle(req, resp);
          });
      if (!port.ok()) return port.status();
      ports_.zipkin = *port;
    }
    if (options.jaeger) {
      jaeger_http_ = std::make_unique<server::JaegerThriftHttpRoutes>(
          store, server::JaegerThriftHttpOptions{}, nullptr);
      absl::StatusOr<int> port = http_->Listen(
          endpoint, listener,
          [r = jaeger_http_.get()](HttpRequest& req, HttpResponse* resp) {
            r->Handle(req, resp);
          });
      if (!port.ok()) return port.status();
      ports_.jaeger_thrift_http = *port;
    }
    http_->Start();
    http_started_ = true;
    GrpcReceiverOptions grpc_options;
    grpc_options.endpoint = endpoint;
    if (options.otlp_grpc) {
      absl::StatusOr<std::unique_ptr<GrpcListener>> grpc =
          server::StartOtlpGrpc(grpc_options, store, nullptr);
      if (!grpc.ok()) return grpc.status();
      otlp_grpc_ = std::move(*grpc);
      ports_.otlp_grpc = otlp_grpc_->port();
    }
    if (options.jaeger) {
      absl::StatusOr<std::unique_ptr<GrpcListener>> grpc =
          server::StartJaegerGrpc(grpc_options, store, nullptr);
      if (!grpc.ok()) return grpc.status();
      jaeger_grpc_ = std::move(*grpc);
      ports_.jaeger_grpc = jaeger_grpc_->port();
    }
    return absl::OkStatus();
  }

  const ReceiverPorts& ports() const override { return ports_; }

  void Stop() override {
    if (otlp_grpc_ != nullptr) otlp_grpc_->Shutdown(kGrace);
    if (jaeger_grpc_ != nullptr) jaeger_grpc_->Shutdown(kGrace);
    if (http_ != nullptr && http_started_) http_->Stop(kGrace);
    otlp_grpc_.reset();
    jaeger_grpc_.reset();
    http_.reset();
    otlp_http_.reset();
    zipkin_.reset();
    jaeger_http_.reset();
  }

 private:
  ReceiverPorts ports_;
  std::unique_ptr<HttpServer> http_;
  bool http_started_ = false;
  std::unique_ptr<server::OtlpHttpRoutes> otlp_http_;
  std::unique_ptr<server::ZipkinRoutes> zipkin_;
  std::unique_ptr<server::JaegerThriftHttpRoutes> jaeger_http_;
  std::unique_ptr<GrpcListener> otlp_grpc_;
  std::unique_ptr<GrpcListener> jaeger_grpc_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Receivers>> Receivers::Start(
    Store* store, const CollectorOptions& options) {
  auto receivers = std::make_unique<ServerReceivers>();
  if (absl::Status s = receivers->Init(store, options); !s.ok()) {
    receivers->Stop();
    return s;
  }
  return receivers;
}

}  // namespace andante::testing::collector_internal
