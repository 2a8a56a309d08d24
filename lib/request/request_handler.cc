// RequestHandler (include/andante/request.h): each entry runs its protocol's
// handler inside the one wrapper (serve.h); every receiver ends in the one
// tenant-and-push step (receiver_push.h).
#include <string>
#include <string_view>

#include "andante/request.h"
#include "api_routes.h"
#include "jaeger_receivers.h"
#include "otlp_http_routes.h"
#include "receiver/grpc_message.h"
#include "receiver_push.h"
#include "serve.h"
#include "util/log.h"
#include "zipkin_routes.h"

namespace andante {
namespace {

// The full method names of the gRPC receivers, and their route labels.
constexpr std::string_view kOtlpExportRoute =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr std::string_view kJaegerPostSpansRoute =
    "/jaeger.api_v2.CollectorService/PostSpans";

// The message of `req` decompressed under `max_message_size` (errors as
// grpc-go's, receiver/grpc_message.h); a view into `req` or a per-thread
// buffer, valid until the thread's next call.
absl::StatusOr<std::string_view> GrpcMessageBytes(const GrpcRequest& req,
                                                  uint64_t max_message_size) {
  thread_local std::string inflated;
  // Drop what a huge request grew.
  constexpr size_t kKeepBytes = 8 << 20;
  if (inflated.capacity() > kKeepBytes) std::string().swap(inflated);
  internal::GrpcMessage message;
  message.payload = req.message;
  message.compressed = req.compressed;
  message.encoding = req.encoding;
  return internal::GrpcMessageBytes(message, max_message_size, &inflated);
}

}  // namespace

struct RequestHandler::Impl {
  Impl(Store* s, RequestOptions o)
      : store(s),
        options(std::move(o)),
        otlp_http_route(request::RouteLabel(options.otlp_http_traces_url_path)),
        otlp_grpc_route(request::RouteLabel(kOtlpExportRoute)),
        jaeger_grpc_route(request::RouteLabel(kJaegerPostSpansRoute)),
        api(store, options) {}

  Store* const store;
  const RequestOptions options;
  const std::string otlp_http_route;
  const std::string otlp_grpc_route;
  const std::string jaeger_grpc_route;
  request::ApiRoutes api;
  // Agent refusals come at datagram rate (under multitenancy, every
  // datagram): one warning per interval per protocol.
  internal::LogThrottle agent_warnings[2] = {
      internal::LogThrottle(absl::Seconds(10)),
      internal::LogThrottle(absl::Seconds(10))};
};

RequestHandler::RequestHandler(Store* store, RequestOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

RequestHandler::~RequestHandler() = default;

HttpResponse RequestHandler::OtlpHttp(const HttpRequest& req) {
  const Impl& d = *impl_;
  return request::ServeHttp(
      d.options.observer, req.method,
      [&](HttpResponse* resp, std::string_view* route) {
        if (req.path != d.options.otlp_http_traces_url_path) {
          // Go's ServeMux answer for an unknown path.
          resp->SetText(404, "404 page not found\n");
          return;
        }
        *route = d.otlp_http_route;
        request::OtlpHttpExport(d.store, d.options, req, resp);
      });
}

HttpResponse RequestHandler::Zipkin(const HttpRequest& req) {
  const Impl& d = *impl_;
  return request::ServeHttp(d.options.observer, req.method,
                            [&](HttpResponse* resp, std::string_view* route) {
                              *route = request::ZipkinRoute(req.path);
                              request::ZipkinSpans(d.store, d.options, req,
                                                   resp);
                            });
}

HttpResponse RequestHandler::JaegerThriftHttp(const HttpRequest& req) {
  const Impl& d = *impl_;
  return request::ServeHttp(d.options.observer, req.method,
                            [&](HttpResponse* resp, std::string_view* route) {
                              request::JaegerThriftHttp(d.store, d.options, req,
                                                        resp, route);
                            });
}

absl::Status RequestHandler::OtlpGrpc(const GrpcRequest& req) {
  const Impl& d = *impl_;
  return request::ServeGrpc(d.options.observer, d.otlp_grpc_route, [&] {
    absl::StatusOr<std::string_view> bytes =
        GrpcMessageBytes(req, d.options.otlp_grpc_max_recv_msg_size);
    if (!bytes.ok()) return bytes.status();
    return request::OtlpGrpcExport(d.store, d.options, *bytes,
                                   request::OrgIdsOf(req));
  });
}

absl::Status RequestHandler::JaegerGrpc(const GrpcRequest& req) {
  const Impl& d = *impl_;
  return request::ServeGrpc(d.options.observer, d.jaeger_grpc_route, [&] {
    absl::StatusOr<std::string_view> bytes =
        GrpcMessageBytes(req, d.options.jaeger_grpc_max_recv_msg_size);
    if (!bytes.ok()) return bytes.status();
    return request::JaegerGrpcPostSpans(d.store, d.options, *bytes,
                                        request::OrgIdsOf(req));
  });
}

void RequestHandler::JaegerAgent(JaegerAgentProtocol protocol,
                                 absl::Span<const std::string> datagrams) {
  Impl& d = *impl_;
  // Not a request anyone waits on: no duration is observed, but nothing
  // escapes either.
  try {
    request::JaegerAgentDatagrams(
        d.store, d.options, protocol, datagrams,
        &d.agent_warnings[protocol == JaegerAgentProtocol::kCompact ? 0 : 1]);
  } catch (const std::exception& e) {
    ANDANTE_LOG(kError, "Jaeger agent datagrams failed", {{"err", e.what()}});
  }
}

HttpResponse RequestHandler::QueryApi(const HttpRequest& req) {
  Impl& d = *impl_;
  for (const ApiRoute& extra : d.options.extra_api_routes) {
    if (req.path != extra.path) continue;
    // Through the same wrapper as every route: timed, and an exception
    // becomes a 500 instead of escaping into the socket layer.
    const std::string label = request::RouteLabel(extra.path);
    return request::ServeHttp(d.options.observer, req.method,
                              [&](HttpResponse* resp, std::string_view* route) {
                                *route = label;
                                *resp = extra.handler(req);
                              });
  }
  return request::ServeHttp(d.options.observer, req.method,
                            [&](HttpResponse* resp, std::string_view* route) {
                              d.api.Route(req, resp, route);
                            });
}

void RequestHandler::SetStopping() { impl_->api.SetStopping(); }

}  // namespace andante
