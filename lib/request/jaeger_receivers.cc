#include "jaeger_receivers.h"

#include <google/protobuf/arena.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "receiver/jaeger/jaeger_thrift.h"
#include "receiver_push.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::request {
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

void JaegerThriftHttp(Store* store, const RequestOptions& options,
                      const HttpRequest& req, HttpResponse* resp,
                      std::string_view* route) {
  if (req.path != kTracesPath) {
    resp->SetText(404, "404 page not found\n");
    return;
  }
  *route = "api_traces";
  if (req.method != "POST") {
    resp->SetText(405, "");
    resp->headers.emplace_back("Allow", "POST");
    return;
  }
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
                                    options.jaeger_thrift_http_max_request_body_size,
                                    " bytes\n"));
    return;
  }
  google::protobuf::Arena arena;
  auto* request =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  absl::Status decoded = internal::DecodeJaegerThriftBatch(
      req.body, internal::ThriftProtocol::kBinary, request);
  if (!decoded.ok()) {
    RecordRefused(options.observer, {"jaeger", "collector_http"}, 0,
                  req.body.size(), decoded);
    resp->SetText(400, absl::StrCat("Unable to process request body: ",
                                    decoded.message(), "\n"));
    return;
  }
  absl::Status pushed = TenantAndPush(
      store, options, {"jaeger", "collector_http"}, OrgIdsOf(req),
      SpanBatchFromRequest(*request), req.body.size());
  if (!pushed.ok()) {
    resp->SetText(500, absl::StrCat("Cannot submit Jaeger batch: ",
                                    pushed.message(), "\n"));
    return;
  }
  resp->status = 202;
}

std::string_view JaegerAgentTransport(JaegerAgentProtocol protocol) {
  return protocol == JaegerAgentProtocol::kCompact ? "udp_thrift_compact"
                                                   : "udp_thrift_binary";
}

void JaegerAgentDatagrams(Store* store, const RequestOptions& options,
                          JaegerAgentProtocol protocol,
                          absl::Span<const std::string> datagrams,
                          internal::LogThrottle* warnings) {
  const std::string_view transport = JaegerAgentTransport(protocol);
  const internal::ThriftProtocol thrift =
      protocol == JaegerAgentProtocol::kCompact
          ? internal::ThriftProtocol::kCompact
          : internal::ThriftProtocol::kBinary;
  // Every datagram that decodes joins one request and one push; a malformed
  // one leaves the request as it was and is counted alone.
  google::protobuf::Arena arena;
  auto* request =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  size_t decoded_bytes = 0;
  bool any_decoded = false;
  for (const std::string& datagram : datagrams) {
    absl::Status decoded =
        internal::DecodeJaegerAgentMessage(datagram, thrift, request);
    if (decoded.ok()) {
      decoded_bytes += datagram.size();
      any_decoded = true;
      continue;
    }
    if (options.observer != nullptr) {
      options.observer->RecordDroppedDatagram(transport, "malformed");
    }
    ANDANTE_LOG(kDebug, "dropped a Jaeger agent datagram",
                {{"transport", std::string(transport)},
                 {"bytes", std::to_string(datagram.size())},
                 {"err", std::string(ToStd(decoded.message()))}});
  }
  if (!any_decoded) return;
  absl::Status pushed =
      TenantAndPush(store, options, {"jaeger", transport}, OrgIds(),
                    SpanBatchFromRequest(*request), decoded_bytes);
  uint64_t suppressed = 0;
  if (!pushed.ok() && warnings->Allow(&suppressed)) {
    ANDANTE_LOG(kWarn, "could not store a Jaeger agent batch",
                {{"transport", std::string(transport)},
                 {"err", std::string(ToStd(pushed.message()))},
                 {"suppressed_since_last", std::to_string(suppressed)}});
  }
}

absl::Status JaegerGrpcPostSpans(Store* store, const RequestOptions& options,
                                 std::string_view message, const OrgIds& ids) {
  // Read without a jaeger.api_v2 message tree.
  google::protobuf::Arena arena;
  auto* otlp =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  uint64_t spans = 0;
  absl::Status translated =
      internal::DecodeJaegerPostSpans(message, otlp, &spans);
  if (!translated.ok()) {
    RecordRefused(options.observer, {"jaeger", "grpc"}, spans, 0, translated);
    return translated;
  }
  return TenantAndPush(store, options, {"jaeger", "grpc"}, ids,
                       SpanBatchFromRequest(*otlp), message.size());
}

}  // namespace andante::request
