#include "receiver_set.h"

#include <string_view>
#include <utility>
#include <vector>

#include "grpc_listener.h"
#include "jaeger_grpc_service.h"
#include "otlp_grpc_service.h"

namespace andante::net {

struct ReceiverSet::Listeners {
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<GrpcListener> otlp_grpc;
  std::unique_ptr<GrpcListener> jaeger_grpc;
  std::vector<std::unique_ptr<UdpListener>> udp;
  bool stopped = false;
};

ReceiverSet::ReceiverSet() : listeners_(std::make_unique<Listeners>()) {}

ReceiverSet::~ReceiverSet() { Stop(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<ReceiverSet>> ReceiverSet::Start(
    Store* store, ReceiverSetOptions options) {
  std::unique_ptr<ReceiverSet> set(new ReceiverSet());
  if (absl::Status s = set->Init(store, std::move(options)); !s.ok()) {
    set->Stop(absl::ZeroDuration());
    return s;
  }
  return set;
}

absl::Status ReceiverSet::Init(Store* store, ReceiverSetOptions options) {
  RequestObserver* const observer = options.request.observer;
  handler_ = std::make_unique<RequestHandler>(store, options.request);
  RequestHandler* const h = handler_.get();
  const RequestOptions& r = options.request;
  Listeners& l = *listeners_;
  l.http = std::make_unique<HttpServer>(options.http);

  // One HTTP listener: `endpoint` served by `serve` with `body_limit`.
  using Serve = HttpResponse (RequestHandler::*)(const HttpRequest&);
  auto listen = [&](const std::string& endpoint, uint64_t body_limit,
                    Serve serve, int* port) -> absl::Status {
    if (endpoint.empty()) return absl::OkStatus();
    ListenerOptions lo;
    lo.body_limit = body_limit;
    absl::StatusOr<int> bound = l.http->Listen(
        endpoint, lo, [h, serve](HttpRequest& req, HttpResponse* resp) {
          *resp = (h->*serve)(req);
        });
    if (!bound.ok()) return bound.status();
    *port = *bound;
    return absl::OkStatus();
  };
  if (absl::Status s = listen(options.api_endpoint, options.api_body_limit,
                              &RequestHandler::QueryApi, &ports_.api);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = listen(options.otlp_http_endpoint,
                              r.otlp_http_max_request_body_size,
                              &RequestHandler::OtlpHttp, &ports_.otlp_http);
      !s.ok()) {
    return s;
  }
  if (!options.otlp_grpc_endpoint.empty()) {
    absl::StatusOr<std::unique_ptr<GrpcListener>> grpc = StartOtlpGrpc(
        options.otlp_grpc_endpoint, r.otlp_grpc_max_recv_msg_size, h);
    if (!grpc.ok()) return grpc.status();
    l.otlp_grpc = std::move(*grpc);
    ports_.otlp_grpc = l.otlp_grpc->port();
  }
  if (!options.jaeger_grpc_endpoint.empty()) {
    absl::StatusOr<std::unique_ptr<GrpcListener>> grpc = StartJaegerGrpc(
        options.jaeger_grpc_endpoint, r.jaeger_grpc_max_recv_msg_size, h);
    if (!grpc.ok()) return grpc.status();
    l.jaeger_grpc = std::move(*grpc);
    ports_.jaeger_grpc = l.jaeger_grpc->port();
  }
  if (absl::Status s = listen(options.jaeger_thrift_http_endpoint,
                              r.jaeger_thrift_http_max_request_body_size,
                              &RequestHandler::JaegerThriftHttp,
                              &ports_.jaeger_thrift_http);
      !s.ok()) {
    return s;
  }
  struct Agent {
    const UdpListenerOptions& udp;
    JaegerAgentProtocol protocol;
    std::string_view transport;
    int* port;
  };
  for (const Agent& a :
       {Agent{options.jaeger_compact, JaegerAgentProtocol::kCompact,
              "udp_thrift_compact", &ports_.jaeger_compact},
        Agent{options.jaeger_binary, JaegerAgentProtocol::kBinary,
              "udp_thrift_binary", &ports_.jaeger_binary}}) {
    if (a.udp.endpoint.empty()) continue;
    absl::StatusOr<std::unique_ptr<UdpListener>> udp = UdpListener::Start(
        a.udp,
        [h, protocol = a.protocol](absl::Span<const std::string> datagrams) {
          h->JaegerAgent(protocol, datagrams);
        },
        [observer, transport = a.transport](std::string_view reason) {
          if (observer != nullptr) {
            observer->RecordDroppedDatagram(transport, reason);
          }
        });
    if (!udp.ok()) return udp.status();
    *a.port = (*udp)->port();
    l.udp.push_back(std::move(*udp));
  }
  if (absl::Status s = listen(options.zipkin_endpoint,
                              r.zipkin_max_request_body_size,
                              &RequestHandler::Zipkin, &ports_.zipkin);
      !s.ok()) {
    return s;
  }
  l.http->Start();
  return absl::OkStatus();
}

void ReceiverSet::SetStopping() {
  if (handler_ != nullptr) handler_->SetStopping();
}

void ReceiverSet::Stop(absl::Duration grace) {
  Listeners& l = *listeners_;
  if (l.stopped) return;
  l.stopped = true;
  if (l.otlp_grpc != nullptr) l.otlp_grpc->Shutdown(grace);
  if (l.jaeger_grpc != nullptr) l.jaeger_grpc->Shutdown(grace);
  for (auto& udp : l.udp) udp->Stop();
  if (l.http != nullptr) l.http->Stop(grace);
  l.otlp_grpc.reset();
  l.jaeger_grpc.reset();
  l.udp.clear();
  l.http.reset();
}

}  // namespace andante::net
