#include "api_routes.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "andante/ids.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "serve.h"
#include "model/trace_json.h"
#include "nlohmann/json.hpp"
#include "query/search_http.h"
#include "receiver/otlp_http.h"
#include "util/strings.h"

namespace andante::request {
namespace {

using internal::ToAbsl;
using internal::ToStd;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProtobuf = "application/protobuf";

std::string NormalizePrefix(std::string_view prefix) {
  std::string p(prefix);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (!p.empty() && p.front() != '/') p.insert(p.begin(), '/');
  return p;
}

// Go's http.Error: the message plus a newline, as text.
void Error(HttpResponse* resp, int status, std::string_view message) {
  resp->SetText(status, absl::StrCat(ToAbsl(message), "\n"));
}

// Go's strconv.Quote for the common case.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A start/end parameter: absent or empty -> 0; otherwise a decimal int64,
// reported with Go's strconv.ParseInt wording.
absl::Status ParseUnixSeconds(const HttpRequest& req, std::string_view name,
                              int64_t* out) {
  *out = 0;
  std::optional<std::string> v = req.QueryParam(name);
  if (!v.has_value() || v->empty()) return absl::OkStatus();
  if (absl::SimpleAtoi(*v, out)) return absl::OkStatus();
  // SimpleAtoi accepts surrounding whitespace and a '+', and fails both on
  // syntax and range; tell the two apart the way Go does.
  bool digits = !v->empty();
  for (size_t i = 0; i < v->size(); ++i) {
    char c = (*v)[i];
    if (i == 0 && (c == '-' || c == '+') && v->size() > 1) continue;
    if (c < '0' || c > '9') digits = false;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid ", ToAbsl(name), ": strconv.ParseInt: parsing ", GoQuote(*v),
      digits ? ": value out of range" : ": invalid syntax"));
}

}  // namespace

ApiRoutes::ApiRoutes(Store* store, const RequestOptions& options)
    : store_(store),
      options_(options),
      prefix_(NormalizePrefix(options_.http_api_prefix)),
      route_traces_(RouteLabel(prefix_ + "/api/traces/{traceID}")),
      route_traces_v2_(RouteLabel(prefix_ + "/api/v2/traces/{traceID}")),
      route_echo_(RouteLabel(prefix_ + "/api/echo")),
      route_search_(RouteLabel(prefix_ + "/api/search")),
      route_tags_(RouteLabel(prefix_ + "/api/search/tags")),
      route_tags_v2_(RouteLabel(prefix_ + "/api/v2/search/tags")),
      route_tag_values_(
          RouteLabel(prefix_ + "/api/search/tag/{tagName}/values")),
      route_tag_values_v2_(
          RouteLabel(prefix_ + "/api/v2/search/tag/{tagName}/values")),
      route_buildinfo_(RouteLabel(prefix_ + "/api/status/buildinfo")) {}

void ApiRoutes::Route(const HttpRequest& req, HttpResponse* resp,
                      std::string_view* route) {
  std::string_view path = req.path;

  // Routes outside the API prefix.
  if (path == "/ready") {
    *route = "ready";
    if (stopping_.load()) {
      Error(resp, 503, "Application is stopping");
    } else {
      resp->SetText(200, "ready\n");
    }
    return;
  }
  if (path == "/metrics") {
    *route = "metrics";
    Metrics(resp);
    return;
  }
  if (path == "/flush") {
    *route = "flush";
    if (req.method != "GET" && req.method != "POST") {
      resp->status = 405;
      return;
    }
    Flush(req, resp);
    return;
  }

  // /api/... under the prefix.
  if (!prefix_.empty()) {
    if (!absl::StartsWith(ToAbsl(path), ToAbsl(prefix_))) {
      Error(resp, 404, "404 page not found");
      return;
    }
    path.remove_prefix(prefix_.size());
  }
  if (path == "/api/echo") {
    *route = route_echo_;
    resp->SetText(200, "echo\n");
    return;
  }
  if (path == "/api/status/buildinfo") {
    *route = route_buildinfo_;
    if (req.method != "GET") {
      resp->status = 405;  // gorilla/mux: empty body
      return;
    }
    BuildInfoJson(resp);
    return;
  }
  if (SearchRoutes(req, path, resp, route)) return;
  constexpr std::string_view kV1 = "/api/traces/";
  constexpr std::string_view kV2 = "/api/v2/traces/";
  for (bool v2 : {false, true}) {
    std::string_view p = v2 ? kV2 : kV1;
    if (path.size() > p.size() && path.substr(0, p.size()) == p) {
      std::string_view id = path.substr(p.size());
      if (id.find('/') != std::string_view::npos) break;
      *route = v2 ? route_traces_v2_ : route_traces_;
      TraceById(req, id, v2, resp);
      return;
    }
  }
  Error(resp, 404, "404 page not found");
}

bool ApiRoutes::Tenants(const HttpRequest& req, HttpResponse* resp,
                        std::vector<std::string>* tenants) {
  // Tenancy (§0.2): with multitenancy a missing header is 401, an invalid
  // tenant 400; "a|b" queries each distinct tenant once and merges.
  if (options_.multitenancy_enabled) {
    std::optional<std::string_view> header = req.Header("X-Scope-OrgID");
    if (!header.has_value()) {
      Error(resp, 401, "no org id");
      return false;
    }
    // Repeats are read once; the number of tenants is bounded.
    absl::StatusOr<std::vector<std::string>> parsed = ParseTenantIds(*header);
    if (!parsed.ok()) {
      Error(resp, 400, ToStd(parsed.status().message()));
      return false;
    }
    *tenants = *std::move(parsed);
  } else {
    tenants->emplace_back(kSingleTenant);
  }
  return true;
}

bool ApiRoutes::SearchRoutes(const HttpRequest& req, std::string_view path,
                             HttpResponse* resp, std::string_view* route) {
  enum class Kind { kSearch, kTags, kTagValues };
  Kind kind;
  bool v2 = false;
  std::string tag;
  constexpr std::string_view kValuesSuffix = "/values";
  if (path == "/api/search") {
    kind = Kind::kSearch;
    *route = route_search_;
  } else if (path == "/api/search/tags" || path == "/api/v2/search/tags") {
    kind = Kind::kTags;
    v2 = path == "/api/v2/search/tags";
    *route = v2 ? route_tags_v2_ : route_tags_;
  } else {
    std::string_view rest = path;
    constexpr std::string_view kV1 = "/api/search/tag/";
    constexpr std::string_view kV2 = "/api/v2/search/tag/";
    if (absl::StartsWith(ToAbsl(rest), ToAbsl(kV2))) {
      v2 = true;
      rest.remove_prefix(kV2.size());
    } else if (absl::StartsWith(ToAbsl(rest), ToAbsl(kV1))) {
      rest.remove_prefix(kV1.size());
    } else {
      return false;
    }
    if (rest.size() < kValuesSuffix.size() ||
        rest.substr(rest.size() - kValuesSuffix.size()) != kValuesSuffix) {
      return false;
    }
    rest.remove_suffix(kValuesSuffix.size());
    // Percent-decoded like the query string, '+' kept.
    std::string raw(rest);
    for (size_t i = 0; (i = raw.find('+', i)) != std::string::npos; i += 3) {
      raw.replace(i, 1, "%2B");
    }
    query::QueryParams decoded = query::ParseQueryString("t=" + raw);
    tag = decoded.empty() ? "" : decoded[0].second;
    kind = Kind::kTagValues;
    *route = v2 ? route_tag_values_v2_ : route_tag_values_;
  }
  std::vector<std::string> tenants;
  if (!Tenants(req, resp, &tenants)) return true;
  query::QueryParams params = query::ParseQueryString(req.query);
  std::string_view accept = req.Header("Accept").value_or("");
  query::HttpAnswer answer;
  switch (kind) {
    case Kind::kSearch:
      answer = query::HandleSearch(*store_, tenants, params, accept);
      break;
    case Kind::kTags:
      answer = query::HandleSearchTags(*store_, tenants, params, accept, v2);
      break;
    case Kind::kTagValues:
      answer = query::HandleSearchTagValues(*store_, tenants, tag, params,
                                            accept, v2);
      break;
  }
  resp->status = answer.status;
  resp->content_type = std::move(answer.content_type);
  resp->body = std::move(answer.body);
  return true;
}

void ApiRoutes::TraceById(const HttpRequest& req, std::string_view id_text,
                          bool v2, HttpResponse* resp) {
  std::vector<std::string> tenants;
  if (!Tenants(req, resp, &tenants)) return;

  absl::StatusOr<TraceId> id = TraceId::FromQueryHex(id_text);
  if (!id.ok()) {
    Error(resp, 400, ToStd(id.status().message()));
    return;
  }
  TraceLookupOptions lookup;
  for (auto [name, out] : {std::pair<std::string_view, int64_t*>{
                               "start", &lookup.start_unix_seconds},
                           {"end", &lookup.end_unix_seconds}}) {
    absl::Status s = ParseUnixSeconds(req, name, out);
    if (!s.ok()) {
      Error(resp, 400, ToStd(s.message()));
      return;
    }
  }
  if (lookup.start_unix_seconds != 0 && lookup.end_unix_seconds != 0 &&
      lookup.end_unix_seconds <= lookup.start_unix_seconds) {
    Error(resp, 400,
          absl::StrCat("http parameter start must be before end. received "
                       "start=",
                       lookup.start_unix_seconds,
                       " end=", lookup.end_unix_seconds));
    return;
  }

  FoundTrace merged;
  for (size_t i = 0; i < tenants.size(); ++i) {
    absl::StatusOr<FoundTrace> found =
        store_->FindTraceById(tenants[i], *id, lookup);
    if (!found.ok()) {
      Error(resp, internal::HttpStatusForCode(found.status().code()),
            ToStd(found.status().message()));
      return;
    }
    if (i == 0) {
      merged = *std::move(found);
    } else {
      if (found->partial && !merged.partial) {
        merged.partial = true;
        merged.message = found->message;
      }
      merged.span_count += found->span_count;
      merged.inspected_bytes += found->inspected_bytes;
      for (auto& rs : *MutableTracesDataOf(&*found)->mutable_resource_spans()) {
        *MutableTracesDataOf(&merged)->add_resource_spans() = std::move(rs);
      }
    }
  }

  // §0.3: the substring application/protobuf selects protobuf.
  std::optional<std::string_view> accept = req.Header("Accept");
  bool proto =
      accept.has_value() && accept->find(kProtobuf) != std::string_view::npos;
  if (!v2 && merged.span_count == 0) {
    resp->status = 404;  // v1 not found: empty body
    return;
  }
  resp->status = 200;
  resp->content_type = std::string(proto ? kProtobuf : kJson);
  if (v2) {
    // max_bytes_per_trace: what was kept, marked PARTIAL (never 422).
    const std::string_view partial =
        merged.partial ? std::string_view(merged.message) : std::string_view();
    resp->body = proto ? internal::TraceByIdResponseProtoV2(
                             TracesDataOf(merged), merged.inspected_bytes, partial)
                       : internal::TraceByIdResponseJsonV2(
                             TracesDataOf(merged), merged.inspected_bytes, partial);
  } else {
    resp->body = proto ? internal::TraceToProtoV1(TracesDataOf(merged))
                       : internal::TraceToJsonV1(TracesDataOf(merged));
  }
}

void ApiRoutes::BuildInfoJson(HttpResponse* resp) {
  nlohmann::ordered_json j;
  j["version"] = options_.build.version;
  j["revision"] = options_.build.revision;
  j["branch"] = options_.build.branch;
  j["buildUser"] = options_.build.build_user;
  j["buildDate"] = options_.build.build_date;
  j["goVersion"] = options_.build.go_version;
  resp->status = 200;
  resp->content_type = std::string(kJson);
  resp->body =
      j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  resp->body.push_back('\n');
}

// Tempo's /flush cuts everything and queues it for the flush workers,
// answering 204 at once; `?wait=true` (Andante) answers once every pushed
// span is in a complete block, or 500 with the first error.
void ApiRoutes::Flush(const HttpRequest& req, HttpResponse* resp) {
  const std::optional<std::string> wait = req.QueryParam("wait");
  const bool synchronous = wait.has_value() && (*wait == "true" || *wait == "1");
  absl::Status s = synchronous ? store_->Flush() : store_->RequestFlush();
  if (!s.ok()) {
    Error(resp, 500, ToStd(s.message()));
    return;
  }
  resp->status = 204;
}

void ApiRoutes::Metrics(HttpResponse* resp) {
  resp->status = 200;
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (options_.observer != nullptr) {
    resp->body = options_.observer->RenderMetrics();
  }
}

}  // namespace andante::request
