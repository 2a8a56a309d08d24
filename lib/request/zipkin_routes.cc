#include "zipkin_routes.h"

#include <google/protobuf/arena.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "receiver/decompress.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "receiver_push.h"
#include "util/strings.h"

namespace andante::request {
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

std::string_view ZipkinRoute(std::string_view path) {
  return absl::StrContains(ToAbsl(path), "api/v1/spans") ? "api_v1_spans"
                                                          : "api_v2_spans";
}

void ZipkinSpans(Store* store, const RequestOptions& options,
                 const HttpRequest& req, HttpResponse* resp) {
  if (req.body_too_large) {
    resp->SetText(400, absl::StrCat("request body exceeds the limit of ",
                                    options.zipkin_max_request_body_size,
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
        *encoding, body, options.zipkin_max_request_body_size, &inflated);
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
    RecordRefused(options.observer, {"zipkin", "http"}, 0, body.size(),
                  decoded);
    resp->SetText(400, absl::StrCat(decoded.message(), "\n"));
    return;
  }
  absl::Status pushed =
      TenantAndPush(store, options, {"zipkin", "http"}, OrgIdsOf(req),
                    SpanBatchFromRequest(*request), body.size());
  if (!pushed.ok()) {
    // Permanent errors (IDs the store rejects) are the client's; the rest
    // are worth a retry.
    int code = pushed.code() == absl::StatusCode::kInvalidArgument ? 400 : 500;
    resp->SetText(code, absl::StrCat(pushed.message(), "\n"));
    return;
  }
  resp->status = 202;
}

}  // namespace andante::request
