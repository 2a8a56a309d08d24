#include "zipkin_routes.h"

#include <google/protobuf/arena.h>

#include <chrono>
#include <exception>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "metrics.h"
#include "receiver/decompress.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "receiver_push.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using internal::ContentEncoding;
using internal::ToAbsl;

// Whether `body` starts like a stream of `encoding`: the collector falls
// back to the raw body when the gzip/zlib reader rejects the header.
bool HasHeader(ContentEncoding encoding, std::string_view body) {
  if (body.size() < 2) return false;
  auto b0 = static_cast<unsigned char>(body[0]);
  auto b1 = static_cast<unsigned char>(body[1]);
  if (encoding == ContentEncoding::kGzip) return b0 == 0x1f && b1 == 0x8b;
  // zlib: CM = 8 (deflate), window <= 32 KiB, FCHECK makes it a multiple of 31.
  return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
}

}  // namespace

ZipkinRoutes::ZipkinRoutes(Store* store, ZipkinOptions options,
                           ServerMetrics* metrics)
    : store_(store), options_(std::move(options)), metrics_(metrics) {}

void ZipkinRoutes::Handle(HttpRequest& req, HttpResponse* resp) {
  auto start = std::chrono::steady_clock::now();
  try {
    Spans(req, resp);
  } catch (const std::exception& e) {
    *resp = HttpResponse();
    resp->SetText(500, absl::StrCat("internal error: ", e.what(), "\n"));
  }
  if (metrics_ != nullptr) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::string_view route = absl::StrContains(req.path, "api/v1/spans")
                                 ? "api_v1_spans"
                                 : "api_v2_spans";
    metrics_->ObserveRequest(req.method, route, std::to_string(resp->status),
                             seconds);
  }
}

void ZipkinRoutes::Spans(HttpRequest& req, HttpResponse* resp) {
  if (req.body_too_large) {
    resp->SetText(400, absl::StrCat("request body exceeds the limit of ",
                                    options_.max_request_body_size,
                                    " bytes\n"));
    return;
  }
  std::string_view body = req.body;
  std::string inflated;
  std::string encoding_header = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(ToAbsl(req.Header("Content-Encoding").value_or(""))));
  std::optional<ContentEncoding> encoding;
  if (encoding_header == "gzip") encoding = ContentEncoding::kGzip;
  if (encoding_header == "deflate" || encoding_header == "zlib") {
    encoding = ContentEncoding::kZlib;
  }
  if (encoding.has_value() && HasHeader(*encoding, body)) {
    absl::Status s = internal::Decompress(
        *encoding, body, options_.max_request_body_size, &inflated);
    if (!s.ok()) {
      resp->SetText(400, absl::StrCat(s.message(), "\n"));
      return;
    }
    body = inflated;
  }

  internal::ZipkinFormat format = internal::ZipkinFormatFor(
      req.path, req.Header("Content-Type").value_or(""));
  google::protobuf::Arena arena;
  auto* request =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  absl::Status decoded = internal::DecodeZipkinSpans(body, format, request);
  if (!decoded.ok()) {
    if (metrics_ != nullptr) {
      metrics_->RecordPush("zipkin", "http", "", 0, body.size(),
                           PushStatusLabel(decoded), false, 0);
    }
    resp->SetText(400, absl::StrCat(decoded.message(), "\n"));
    return;
  }
  absl::StatusOr<std::string> tenant =
      ResolveTenant(options_.multitenancy_enabled, req.Header("X-Scope-OrgID"),
                    req.HeaderCount("X-Scope-OrgID"));
  absl::Status pushed = PushTranslated(store_, metrics_, {"zipkin", "http"},
                                       tenant, *request, body.size());
  if (!pushed.ok()) {
    // Permanent errors (IDs the store rejects) are the client's; the rest
    // are worth a retry.
    int code = pushed.code() == absl::StatusCode::kInvalidArgument ? 400 : 500;
    resp->SetText(code, absl::StrCat(pushed.message(), "\n"));
    return;
  }
  resp->status = 202;
}

}  // namespace andante::server
