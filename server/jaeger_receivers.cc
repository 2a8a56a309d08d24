#include "jaeger_receivers.h"

#include <google/protobuf/arena.h>

#include <chrono>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "metrics.h"
#include "receiver_push.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using internal::ToAbsl;
using internal::ToStd;

constexpr std::string_view kTracesPath = "/api/traces";

bool IsTokenChar(char c) {
  // RFC 2045 token: printable ASCII except SPACE and tspecials.
  if (c <= ' ' || c >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

size_t TokenLength(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) ++n;
  return n;
}

}  // namespace

absl::StatusOr<std::string> ParseMediaType(std::string_view content_type) {
  std::string_view v = content_type.substr(0, content_type.find(';'));
  v = ToStd(absl::StripAsciiWhitespace(ToAbsl(v)));
  size_t type = TokenLength(v);
  if (type == 0) return absl::InvalidArgumentError("mime: no media type");
  if (type < v.size()) {
    if (v[type] != '/') {
      return absl::InvalidArgumentError(
          "mime: expected slash after first token");
    }
    std::string_view sub = v.substr(type + 1);
    size_t n = TokenLength(sub);
    if (n == 0) {
      return absl::InvalidArgumentError("mime: expected token after slash");
    }
    if (n < sub.size()) {
      return absl::InvalidArgumentError("mime: unexpected content after media subtype");
    }
  }
  return absl::AsciiStrToLower(ToAbsl(v));
}

JaegerThriftHttpRoutes::JaegerThriftHttpRoutes(Store* store,
                                               JaegerThriftHttpOptions options,
                                               ServerMetrics* metrics)
    : store_(store), options_(std::move(options)), metrics_(metrics) {}

void JaegerThriftHttpRoutes::Handle(HttpRequest& req, HttpResponse* resp) {
  auto start = std::chrono::steady_clock::now();
  bool matched = req.path == kTracesPath;
  try {
    if (!matched) {
      resp->SetText(404, "404 page not found\n");
    } else if (req.method != "POST") {
      resp->SetText(405, "");
      resp->headers.emplace_back("Allow", "POST");
    } else {
      PostTraces(req, resp);
    }
  } catch (const std::exception& e) {
    *resp = HttpResponse();
    resp->SetText(500, absl::StrCat("internal error: ", e.what(), "\n"));
  }
  if (metrics_ != nullptr) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    metrics_->ObserveRequest(req.method, matched ? "api_traces" : "other",
                             std::to_string(resp->status), seconds);
  }
}

void JaegerThriftHttpRoutes::PostTraces(HttpRequest& req, HttpResponse* resp) {
  absl::StatusOr<std::string> media =
      ParseMediaType(req.Header("Content-Type").value_or(""));
  if (!media.ok()) {
    resp->SetText(400, absl::StrCat("Cannot parse content type: ",
                                    media.status().message(), "\n"));
    return;
  }
  if (*media != "application/x-thrift" &&
      *media != "application/vnd.apache.thrift.binary") {
    resp->SetText(400, absl::StrCat("Unsupported content type: ", *media, "\n"));
    return;
  }
  if (req.body_too_large) {
    resp->SetText(400, absl::StrCat("Unable to process request body: body "
                                    "exceeds the limit of ",
                                    options_.max_request_body_size,
                                    " bytes\n"));
    return;
  }
  google::protobuf::Arena arena;
  auto* request =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  absl::Status decoded = internal::DecodeJaegerThriftBatch(
      req.body, internal::ThriftProtocol::kBinary, request);
  if (!decoded.ok()) {
    if (metrics_ != nullptr) {
      metrics_->RecordPush("jaeger", "collector_http", "", 0, req.body.size(),
                           PushStatusLabel(decoded), false, 0);
    }
    resp->SetText(400, absl::StrCat("Unable to process request body: ",
                                    decoded.message(), "\n"));
    return;
  }
  absl::StatusOr<std::string> tenant =
      ResolveTenant(options_.multitenancy_enabled, req.Header("X-Scope-OrgID"),
                    req.HeaderCount("X-Scope-OrgID"));
  absl::Status pushed =
      PushTranslated(store_, metrics_, {"jaeger", "collector_http"}, tenant,
                     *request, req.body.size());
  if (!pushed.ok()) {
    resp->SetText(500, absl::StrCat("Cannot submit Jaeger batch: ",
                                    pushed.message(), "\n"));
    return;
  }
  resp->status = 202;
}

JaegerAgentHandler::JaegerAgentHandler(Store* store,
                                       internal::ThriftProtocol protocol,
                                       bool multitenancy_enabled,
                                       ServerMetrics* metrics)
    : store_(store),
      protocol_(protocol),
      multitenancy_enabled_(multitenancy_enabled),
      metrics_(metrics),
      transport_(protocol == internal::ThriftProtocol::kCompact
                     ? "udp_thrift_compact"
                     : "udp_thrift_binary") {}

void JaegerAgentHandler::Handle(absl::Span<const std::string> datagrams) {
  // Every datagram that decodes joins one request and one push; a malformed
  // one leaves the request as it was and is counted alone.
  google::protobuf::Arena arena;
  auto* request =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  size_t decoded_bytes = 0;
  bool any_decoded = false;
  for (const std::string& datagram : datagrams) {
    absl::Status decoded =
        internal::DecodeJaegerAgentMessage(datagram, protocol_, request);
    if (decoded.ok()) {
      decoded_bytes += datagram.size();
      any_decoded = true;
      continue;
    }
    if (metrics_ != nullptr) {
      metrics_->RecordDroppedDatagram(transport_, "malformed");
    }
    ANDANTE_LOG(kDebug, "dropped a Jaeger agent datagram",
                {{"transport", std::string(transport_)},
                 {"bytes", std::to_string(datagram.size())},
                 {"err", std::string(ToStd(decoded.message()))}});
  }
  if (!any_decoded) return;
  absl::StatusOr<std::string> tenant =
      ResolveTenant(multitenancy_enabled_, std::nullopt, 0);
  absl::Status pushed = PushTranslated(store_, metrics_, {"jaeger", transport_},
                                       tenant, *request, decoded_bytes);
  uint64_t suppressed = 0;
  if (!pushed.ok() && refused_warnings_.Allow(&suppressed)) {
    ANDANTE_LOG(kWarn, "could not store a Jaeger agent batch",
                {{"transport", std::string(transport_)},
                 {"err", std::string(ToStd(pushed.message()))},
                 {"suppressed_since_last", std::to_string(suppressed)}});
  }
}

}  // namespace andante::server
