#include "receiver/otlp_http.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "model/otlp_json.h"
#include "model/otlp_nesting.h"
#include "receiver/decompress.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kTextType = "text/plain";

// A decompression buffer per thread, kept between requests so steady-state
// traffic does not allocate; released when one request made it very large.
constexpr size_t kKeepBufferBytes = 4 << 20;

enum class MediaType { kOther, kProtobuf, kJson };

// Go's mime.ParseMediaType keeps the part before ';', trimmed and lower-cased.
MediaType ParseMediaType(std::string_view content_type) {
  absl::string_view v = ToAbsl(content_type);
  size_t semi = v.find(';');
  if (semi != absl::string_view::npos) v = v.substr(0, semi);
  v = absl::StripAsciiWhitespace(v);
  if (absl::EqualsIgnoreCase(v, ToAbsl(kProtobufType))) {
    return MediaType::kProtobuf;
  }
  if (absl::EqualsIgnoreCase(v, ToAbsl(kJsonType))) return MediaType::kJson;
  return MediaType::kOther;
}

OtlpHttpAnswer Text(int status, std::string_view body) {
  return OtlpHttpAnswer{status, std::string(kTextType), std::string(body)};
}

OtlpHttpAnswer StatusAnswer(int http_status, OtlpEncoding encoding,
                            absl::StatusCode code, std::string_view message) {
  OtlpHttpAnswer a;
  a.status = http_status;
  if (encoding == OtlpEncoding::kJson) {
    a.content_type = std::string(kJsonType);
    a.body = RpcStatusJson(static_cast<int>(code), message);
  } else {
    a.content_type = std::string(kProtobufType);
    a.body = RpcStatusProto(static_cast<int>(code), message);
  }
  return a;
}

// A 400 before the body is decoded: like the collector's error handler, the
// status is encoded per the request's media type, or sent as text when the
// media type is neither.
OtlpHttpDecodeResult BadRequest(MediaType media, std::string_view message) {
  OtlpHttpDecodeResult r;
  switch (media) {
    case MediaType::kJson:
      r.error = StatusAnswer(400, OtlpEncoding::kJson,
                             absl::StatusCode::kInvalidArgument, message);
      break;
    case MediaType::kProtobuf:
      r.error = StatusAnswer(400, OtlpEncoding::kProtobuf,
                             absl::StatusCode::kInvalidArgument, message);
      break;
    case MediaType::kOther:
      r.error = Text(400, message);
      break;
  }
  return r;
}

std::string TooLargeMessage(uint64_t limit) {
  return absl::StrCat(
      "request body too large: exceeds max_request_body_size of ", limit,
      " bytes");
}

// With `protobuf_payload` null, a protobuf body is parsed into `*out`;
// otherwise it is left unparsed and viewed by `*protobuf_payload`.
OtlpHttpDecodeResult Decode(const OtlpHttpInput& in,
                            const OtlpHttpLimits& limits,
                            ExportTraceServiceRequest* out,
                            std::string_view* protobuf_payload) {
  out->Clear();
  const MediaType media = ParseMediaType(in.content_type);

  // The collector's decompression middleware runs before the handler, so an
  // unknown encoding is reported before the method and media type.
  absl::StatusOr<ContentEncoding> encoding =
      ParseContentEncoding(in.content_encoding);
  if (!encoding.ok())
    return BadRequest(media, ToStd(encoding.status().message()));

  OtlpHttpDecodeResult r;
  if (in.method != "POST") {
    r.error = Text(405, kOtlpMethodNotAllowedBody);
    return r;
  }
  if (media == MediaType::kOther) {
    r.error = Text(415, kOtlpUnsupportedMediaTypeBody);
    return r;
  }
  r.encoding =
      media == MediaType::kJson ? OtlpEncoding::kJson : OtlpEncoding::kProtobuf;

  const uint64_t limit = limits.max_request_body_size;
  if (in.body_too_large || in.body.size() > limit) {
    return BadRequest(media, TooLargeMessage(limit));
  }

  std::string_view payload = in.body;
  // An unparsed payload may live in `scratch` until the next call, so a
  // buffer grown large by one request is released at the start of the next.
  thread_local std::string scratch;
  if (scratch.capacity() > kKeepBufferBytes) std::string().swap(scratch);
  if (*encoding != ContentEncoding::kIdentity) {
    absl::Status s = Decompress(*encoding, in.body, limit, &scratch);
    if (!s.ok()) return BadRequest(media, ToStd(s.message()));
    payload = scratch;
  }

  if (r.encoding == OtlpEncoding::kProtobuf && protobuf_payload != nullptr) {
    *protobuf_payload = payload;
  } else if (r.encoding == OtlpEncoding::kProtobuf) {
    if (absl::Status s = ParseOtlpRequest(payload, out); !s.ok()) {
      out->Clear();
      return BadRequest(media, ToStd(s.message()));
    }
  } else {
    absl::Status s = ParseOtlpJson(payload, out);
    if (!s.ok()) {
      out->Clear();
      return BadRequest(media, ToStd(s.message()));
    }
  }
  r.ok = true;
  r.payload_bytes = payload.size();
  return r;
}

}  // namespace

OtlpHttpDecodeResult DecodeOtlpHttpRequest(const OtlpHttpInput& in,
                                           const OtlpHttpLimits& limits,
                                           ExportTraceServiceRequest* out) {
  return DecodeOtlpHttpRequest(in, limits, out, nullptr);
}

OtlpHttpDecodeResult DecodeOtlpHttpRequest(const OtlpHttpInput& in,
                                           const OtlpHttpLimits& limits,
                                           ExportTraceServiceRequest* json_out,
                                           std::string_view* protobuf_payload) {
  // The decoders report errors as values; this guard only keeps an
  // allocation failure from escaping the library.
  try {
    return Decode(in, limits, json_out, protobuf_payload);
  } catch (const std::exception& e) {
    OtlpHttpDecodeResult r;
    r.error = Text(500, absl::StrCat("internal error: ", e.what()));
    return r;
  }
}

OtlpHttpAnswer OtlpHttpSuccess(OtlpEncoding encoding) {
  if (encoding == OtlpEncoding::kJson) {
    return OtlpHttpAnswer{200, std::string(kJsonType), OtlpJsonSuccessBody()};
  }
  // ExportTraceServiceResponse{partial_success: {}}: field 1, length 0.
  return OtlpHttpAnswer{200, std::string(kProtobufType),
                        std::string("\x0a\x00", 2)};
}

OtlpHttpAnswer OtlpHttpError(OtlpEncoding encoding,
                             const absl::Status& status) {
  return StatusAnswer(HttpStatusForCode(status.code()), encoding, status.code(),
                      ToStd(status.message()));
}

int HttpStatusForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
      return 503;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnimplemented:
      return 404;
    default:
      return 500;
  }
}

}  // namespace andante::internal
