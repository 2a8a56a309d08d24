// The Jaeger receivers that need no gRPC: Thrift over HTTP (POST /api/traces
// on 14268, answering as the Jaeger collector does) and the agent's UDP
// datagrams (emitBatch on 6831 compact / 6832 binary). Socket-free: the HTTP
// side takes HttpRequest/HttpResponse, the UDP side one datagram at a time
// (see udp_listener.h for the sockets).
#ifndef ANDANTE_SERVER_JAEGER_RECEIVERS_H_
#define ANDANTE_SERVER_JAEGER_RECEIVERS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "http_server.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "receiver/jaeger/jaeger_thrift.h"
#include "util/log.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

struct JaegerThriftHttpOptions {
  uint64_t max_request_body_size = 20ull << 20;
  // With multitenancy the tenant is X-Scope-OrgID; missing -> 500
  // "Cannot submit Jaeger batch: no org id", as Tempo answers.
  bool multitenancy_enabled = false;
};

// POST /api/traces with a TBinaryProtocol jaeger.Batch:
//   202 (empty body)            accepted
//   400 "Unsupported content type: <type>" / "Cannot parse content type: …"
//   400 "Unable to process request body: <decode error>"
//   500 "Cannot submit Jaeger batch: <store error>"
//   404 other paths, 405 other methods.
class JaegerThriftHttpRoutes {
 public:
  // `store` must outlive this; `metrics` may be null.
  JaegerThriftHttpRoutes(Store* store, JaegerThriftHttpOptions options,
                         ServerMetrics* metrics);
  // Handles one request. Never throws.
  void Handle(HttpRequest& req, HttpResponse* resp);

 private:
  void PostTraces(HttpRequest& req, HttpResponse* resp);

  Store* const store_;
  const JaegerThriftHttpOptions options_;
  ServerMetrics* const metrics_;
};

// Decodes and pushes agent datagrams. A datagram that does not decode (or
// calls emitZipkinBatch) is dropped and counted
// (andante_receiver_udp_datagrams_dropped_total{reason="malformed"}); there
// is no one to answer. With multitenancy every datagram is refused: UDP
// carries no org ID.
class JaegerAgentHandler {
 public:
  JaegerAgentHandler(Store* store, internal::ThriftProtocol protocol,
                     bool multitenancy_enabled, ServerMetrics* metrics);
  // Decodes `datagrams` (as a UdpListener worker hands them over) into one
  // request and pushes it once. Thread-safe.
  void Handle(absl::Span<const std::string> datagrams);
  // The transport label: "udp_thrift_compact" or "udp_thrift_binary".
  std::string_view transport() const { return transport_; }

 private:
  Store* const store_;
  const internal::ThriftProtocol protocol_;
  const bool multitenancy_enabled_;
  ServerMetrics* const metrics_;
  const std::string_view transport_;
  // Refusals come at datagram rate (under multitenancy, every datagram):
  // one warning per interval, with the count of those held back.
  internal::LogThrottle refused_warnings_{absl::Seconds(10)};
};

// Go's mime.ParseMediaType, reduced to what content negotiation needs: the
// lower-cased "type/subtype" before any parameters, or INVALID_ARGUMENT with
// Go's message ("mime: no media type", ...).
absl::StatusOr<std::string> ParseMediaType(std::string_view content_type);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_JAEGER_RECEIVERS_H_
