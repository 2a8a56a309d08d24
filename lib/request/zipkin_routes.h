// The Zipkin receiver on 9411, as the collector's zipkin receiver answers:
// every path and method is served; a path containing "api/v1/spans" is the
// v1 API, anything else v2; Content-Type application/x-protobuf selects
// protobuf, anything else JSON (v1: application/x-thrift selects Thrift).
// `Content-Encoding: gzip` / `deflate` / `zlib` bodies are inflated
// (bounded); a body whose gzip/zlib header does not match is read as is.
//
//   202 (empty body)   accepted
//   400 <error>        undecodable body, or IDs the store rejects
//   500 <error>        the store failed (or no org id with multitenancy)
#ifndef ANDANTE_SERVER_ZIPKIN_ROUTES_H_
#define ANDANTE_SERVER_ZIPKIN_ROUTES_H_

#include <cstdint>

#include "http_server.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

struct ZipkinOptions {
  uint64_t max_request_body_size = 20ull << 20;
  bool multitenancy_enabled = false;
};

class ZipkinRoutes {
 public:
  // `store` must outlive this; `metrics` may be null.
  ZipkinRoutes(Store* store, ZipkinOptions options, ServerMetrics* metrics);
  // Handles one request. Never throws.
  void Handle(HttpRequest& req, HttpResponse* resp);

 private:
  void Spans(HttpRequest& req, HttpResponse* resp);

  Store* const store_;
  const ZipkinOptions options_;
  ServerMetrics* const metrics_;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_ZIPKIN_ROUTES_H_
