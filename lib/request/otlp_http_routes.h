// OTLP/HTTP on port 4318: POST <traces_url_path> decoded by
// receiver/otlp_http and pushed into the Store. Socket-free like ApiRoutes.
#ifndef ANDANTE_SERVER_OTLP_HTTP_ROUTES_H_
#define ANDANTE_SERVER_OTLP_HTTP_ROUTES_H_

#include <cstdint>
#include <string>

#include "http_server.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

struct OtlpHttpOptions {
  std::string traces_url_path = "/v1/traces";
  uint64_t max_request_body_size = 20ull << 20;
  // With multitenancy the tenant is X-Scope-OrgID; missing -> 503 "no org id".
  bool multitenancy_enabled = false;
};

class OtlpHttpRoutes {
 public:
  // `store` must outlive this; `metrics` may be null.
  OtlpHttpRoutes(Store* store, OtlpHttpOptions options, ServerMetrics* metrics);

  // Handles one request. Never throws.
  void Handle(HttpRequest& req, HttpResponse* resp);

 private:
  void Export(HttpRequest& req, HttpResponse* resp);

  Store* const store_;
  const OtlpHttpOptions options_;
  ServerMetrics* const metrics_;
  const std::string route_;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_OTLP_HTTP_ROUTES_H_
