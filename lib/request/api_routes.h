// The query and ops API on port 3200 (reference/http-api.md): trace by ID
// (v1 and v2), /ready, /metrics, /api/echo, /api/status/buildinfo, /flush.
// Socket-free: the HTTP server calls Handle, and so do the tests.
#ifndef ANDANTE_SERVER_API_ROUTES_H_
#define ANDANTE_SERVER_API_ROUTES_H_

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "http_server.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version = "none";
};

// The build of this binary (version from meson, revision from git when
// available).
BuildInfo CurrentBuildInfo();

struct ApiOptions {
  // With multitenancy every /api request needs a valid X-Scope-OrgID.
  bool multitenancy_enabled = false;
  // Prepended to /api/... routes (`http_api_prefix`), e.g. "/tempo".
  std::string http_api_prefix;
  BuildInfo build = CurrentBuildInfo();
};

class ApiRoutes {
 public:
  // `store` must outlive this; `metrics` may be null (no /metrics content,
  // no request-duration metric).
  ApiRoutes(Store* store, ApiOptions options, ServerMetrics* metrics);

  // Routes one request. Never throws: a failure is a 500 with its message.
  void Handle(HttpRequest& req, HttpResponse* resp);

  // After this /ready answers 503 "Application is stopping".
  void SetStopping() { stopping_.store(true); }

 private:
  // One handler per route; `route` receives the route label for metrics.
  void Route(HttpRequest& req, HttpResponse* resp, std::string_view* route);
  void TraceById(const HttpRequest& req, std::string_view id, bool v2,
                 HttpResponse* resp);
  // The tenants of a query request; false (and *resp set) if refused.
  bool Tenants(const HttpRequest& req, HttpResponse* resp,
               std::vector<std::string>* tenants);
  // /api/search and the tags endpoints; false if `path` is none of them.
  bool SearchRoutes(const HttpRequest& req, std::string_view path,
                    HttpResponse* resp, std::string_view* route);
  void BuildInfoJson(HttpResponse* resp);
  void Flush(HttpResponse* resp);
  void Metrics(HttpResponse* resp);

  Store* const store_;
  const ApiOptions options_;
  ServerMetrics* const metrics_;
  // "" or "/prefix" without a trailing slash.
  const std::string prefix_;
  // Route labels, computed once (they include the prefix).
  const std::string route_traces_;
  const std::string route_traces_v2_;
  const std::string route_echo_;
  const std::string route_search_;
  const std::string route_tags_;
  const std::string route_tags_v2_;
  const std::string route_tag_values_;
  const std::string route_tag_values_v2_;
  const std::string route_buildinfo_;
  std::atomic<bool> stopping_{false};
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_API_ROUTES_H_
