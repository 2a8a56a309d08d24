// The request layer: what Andante's receivers and its Tempo query API do
// with one request, from bytes in to the answer out, without sockets. An
// embedder that owns its own HTTP or gRPC server (or a test) hands each
// request to a RequestHandler and writes back what it returns; the andante
// server does exactly that from its listeners.
//
//   andante::RequestOptions options;
//   options.multitenancy_enabled = true;
//   andante::RequestHandler handler(store.get(), options);
//
//   andante::HttpRequest req;
//   req.method = "POST";
//   req.path = "/v1/traces";
//   req.headers = {{"Content-Type", "application/x-protobuf"},
//                  {"X-Scope-OrgID", "team-a"}};
//   req.body = std::move(otlp_protobuf_bytes);
//   andante::HttpResponse resp = handler.OtlpHttp(req);  // 200, protobuf
//
//   andante::GrpcRequest call;
//   call.message = export_request_bytes;
//   call.metadata = {{"x-scope-orgid", "team-a"}};
//   absl::Status s = handler.OtlpGrpc(call);  // the gRPC status to answer
//
// Every entry decodes the payload, settles the tenant (multitenancy off:
// "single-tenant"; on: exactly one valid X-Scope-OrgID header, or
// x-scope-orgid gRPC metadata), pushes into the Store and answers as Tempo
// (or the receiver Tempo embeds) answers, status codes and messages
// included. Bad input is an answer, never an exception; every entry is
// thread-safe and may be called concurrently.
//
// Self-monitoring goes through a RequestObserver (may be absent): request
// durations under Tempo's route labels, pushes per receiver and tenant,
// dropped datagrams.
#ifndef ANDANTE_REQUEST_H_
#define ANDANTE_REQUEST_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace andante {

class Store;

// One HTTP request as received. Nothing is decoded: `path` and `query` are
// the request target split at '?'.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path plus "?query"
  std::string path;    // target up to '?', not decoded
  std::string query;   // after '?', not decoded
  // Header fields in arrival order; names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The transport stopped reading a body larger than its limit; `body` is
  // then empty and the answer says so (400).
  bool body_too_large = false;

  // The first value of header `name` (case-insensitive), nullopt if absent.
  // The view lives as long as this request.
  std::optional<std::string_view> Header(std::string_view name) const;
  // How many times header `name` occurs.
  int HeaderCount(std::string_view name) const;
  // The first value of query parameter `name`, percent- and '+'-decoded;
  // nullopt if absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// The answer to an HttpRequest.
struct HttpResponse {
  int status = 200;
  std::string content_type;  // no Content-Type header when empty
  // Further header fields (e.g. "Allow" with a 405).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Sets a text/plain answer.
  void SetText(int code, std::string text) {
    status = code;
    content_type = "text/plain; charset=utf-8";
    body = std::move(text);
  }
};

// One unary gRPC request message as the transport received it, with gRPC's
// own per-message decompression off: the request layer decompresses it under
// the receive limit (a compressed bomb never inflates past it).
struct GrpcRequest {
  // The message bytes as framed; valid for the call.
  std::string_view message;
  // The compressed flag of the message's frame.
  bool compressed = false;
  // The call's grpc-encoding ("gzip", "deflate", "snappy", "zstd",
  // "identity"; empty when the client sent none).
  std::string_view encoding;
  // The call's client metadata, keys lower-case (x-scope-orgid, ...).
  std::vector<std::pair<std::string_view, std::string_view>> metadata;
};

// The Jaeger agent's Thrift protocols (UDP 6831 compact, 6832 binary).
enum class JaegerAgentProtocol { kCompact, kBinary };

// One push through a receiver, as RequestObserver::RecordPush sees it.
struct PushRecord {
  std::string_view receiver;   // "otlp", "jaeger", "zipkin"
  std::string_view transport;  // "http", "grpc", "collector_http", ...
  std::string_view tenant;     // "" when the tenant was refused
  uint64_t spans = 0;          // spans in the request
  uint64_t bytes = 0;          // payload bytes, after decompression
  std::string_view status;     // "ok" or the lower-case status code name
  bool accepted = false;       // the store took the spans
  // Spans the store dropped because their trace was over its size limit.
  uint64_t discarded_trace_too_large = 0;
};

// Self-monitoring hook. Implementations must be thread-safe; every method
// is called on the request's thread.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // One request served: `method` is the HTTP method or "gRPC"; `route`
  // Tempo's route label ("api_traces_traceid", "v1_traces", ...);
  // `status_code` the HTTP status, or for gRPC "success", "cancel", "error".
  virtual void ObserveRequest(std::string_view method, std::string_view route,
                              std::string_view status_code,
                              double seconds) = 0;
  // One push through a receiver (also a refused or undecodable one).
  virtual void RecordPush(const PushRecord& push) = 0;
  // A Jaeger agent datagram dropped before it reached the store; `reason`
  // is "malformed" here ("too_large" and "queue_full" come from the socket).
  virtual void RecordDroppedDatagram(std::string_view transport,
                                     std::string_view reason) = 0;
  // The text exposition GET /metrics answers with.
  virtual std::string RenderMetrics() { return std::string(); }
};

// What GET /api/status/buildinfo reports.
struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version = "none";
};

// The build of this library: the meson project version, and the git
// revision and branch it was configured from when known.
BuildInfo CurrentBuildInfo();

// An extra exact-path route on the query API (e.g. the metrics generator's
// GET /metrics/generator), answered before the API's own routes and not
// observed.
struct ApiRoute {
  std::string path;
  std::function<HttpResponse(const HttpRequest&)> handler;
};

// Options of a RequestHandler; the field names follow Tempo's config keys.
struct RequestOptions {
  // Off: every request is tenant "single-tenant". On: receivers need exactly
  // one valid X-Scope-OrgID (gRPC: x-scope-orgid), the query API one valid
  // X-Scope-OrgID ("a|b" queries both tenants and merges).
  bool multitenancy_enabled = false;
  // Self-monitoring; may be null. Must outlive the handler.
  RequestObserver* observer = nullptr;

  // OTLP/HTTP: the traces path (`traces_url_path`) and the largest body, in
  // bytes once decompressed.
  std::string otlp_http_traces_url_path = "/v1/traces";
  uint64_t otlp_http_max_request_body_size = 20ull << 20;
  // gRPC receivers: the largest request message, bytes once decompressed
  // (`max_recv_msg_size_mib`).
  uint64_t otlp_grpc_max_recv_msg_size = 4ull << 20;
  uint64_t jaeger_grpc_max_recv_msg_size = 4ull << 20;
  // Zipkin and Jaeger Thrift over HTTP: the largest body, bytes.
  uint64_t zipkin_max_request_body_size = 20ull << 20;
  uint64_t jaeger_thrift_http_max_request_body_size = 20ull << 20;

  // Query API: prepended to /api/... routes (`http_api_prefix`, e.g.
  // "/tempo"), the build reported, and extra routes.
  std::string http_api_prefix;
  BuildInfo build = CurrentBuildInfo();
  std::vector<ApiRoute> extra_api_routes;
};

class RequestHandler {
 public:
  // `store` (and options.observer) must outlive the handler.
  RequestHandler(Store* store, RequestOptions options);
  ~RequestHandler();
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // OTLP/HTTP (port 4318): POST <traces path>, protobuf or JSON, gzip /
  // deflate / zstd / snappy bodies. 200 with an empty
  // ExportTraceServiceResponse in the request's encoding; 400/415/405/413
  // with a google.rpc.Status; 503 "no org id"; 404 for other paths.
  HttpResponse OtlpHttp(const HttpRequest& req);

  // Zipkin (port 9411): v1 JSON/Thrift when the path contains
  // "api/v1/spans", else v2 JSON/protobuf. 202 accepted; 400 undecodable or
  // invalid IDs; 500 the store failed (or no org id).
  HttpResponse Zipkin(const HttpRequest& req);

  // Jaeger Thrift over HTTP (port 14268): POST /api/traces, a TBinary
  // jaeger.Batch. 202 accepted; 400 content type or body; 500 "Cannot
  // submit Jaeger batch: ..."; 404 other paths; 405 other methods.
  HttpResponse JaegerThriftHttp(const HttpRequest& req);

  // OTLP/gRPC TraceService/Export: the status to answer with (its code is
  // the gRPC code; OK means answer an empty ExportTraceServiceResponse).
  absl::Status OtlpGrpc(const GrpcRequest& req);

  // Jaeger gRPC CollectorService/PostSpans, answered like OtlpGrpc.
  absl::Status JaegerGrpc(const GrpcRequest& req);

  // Jaeger agent datagrams (emitBatch): those that decode are pushed as one
  // request; malformed ones are dropped and counted. Under multitenancy
  // every datagram is refused (UDP carries no org ID).
  void JaegerAgent(JaegerAgentProtocol protocol,
                   absl::Span<const std::string> datagrams);

  // The Tempo query and ops API (port 3200): trace by ID (v1, v2), search
  // and tag routes, /ready, /metrics, /flush, /api/echo,
  // /api/status/buildinfo, plus the extra routes of the options.
  HttpResponse QueryApi(const HttpRequest& req);

  // From now on /ready answers 503 "Application is stopping".
  void SetStopping();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace andante

#endif  // ANDANTE_REQUEST_H_
