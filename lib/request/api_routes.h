// The query and ops API on port 3200 (reference/http-api.md): trace by ID
// (v1 and v2), /ready, /metrics, /api/echo, /api/status/buildinfo, /flush.
// Socket-free: RequestHandler::QueryApi calls Route in its wrapper.
#ifndef ANDANTE_REQUEST_API_ROUTES_H_
#define ANDANTE_REQUEST_API_ROUTES_H_

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "andante/request.h"

namespace andante::request {

class ApiRoutes {
 public:
  // `store` and `options` must outlive this.
  ApiRoutes(Store* store, const RequestOptions& options);

  // Routes one request and sets `*route` to its label (left as is for an
  // unknown route).
  void Route(const HttpRequest& req, HttpResponse* resp,
             std::string_view* route);

  // After this /ready answers 503 "Application is stopping".
  void SetStopping() { stopping_.store(true); }

 private:
  void TraceById(const HttpRequest& req, std::string_view id, bool v2,
                 HttpResponse* resp);
  // The tenants of a query request; false (and *resp set) if refused.
  bool Tenants(const HttpRequest& req, HttpResponse* resp,
               std::vector<std::string>* tenants);
  // /api/search and the tags endpoints; false if `path` is none of them.
  bool SearchRoutes(const HttpRequest& req, std::string_view path,
                    HttpResponse* resp, std::string_view* route);
  void BuildInfoJson(HttpResponse* resp);
  void Flush(const HttpRequest& req, HttpResponse* resp);
  void Metrics(HttpResponse* resp);

  Store* const store_;
  const RequestOptions& options_;
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

}  // namespace andante::request

#endif  // ANDANTE_REQUEST_API_ROUTES_H_
