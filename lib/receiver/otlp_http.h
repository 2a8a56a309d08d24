// The OTLP/HTTP trace receiver without sockets: one function turns an HTTP
// request (method, headers, body) into either a decoded
// ExportTraceServiceRequest or the complete HTTP error answer, following the
// OpenTelemetry Collector's otlpreceiver as Tempo runs it
// (reference/ingest-protocols.md §1.1):
//
//   not POST                        -> 405 text/plain
//   media type not application/json
//     or application/x-protobuf     -> 415 text/plain
//   unknown Content-Encoding        -> 400
//   body or decompressed body over
//     max_request_body_size         -> 400 (the collector's MaxBytesReader
//                                      error surfaces as a read error, 400)
//   corrupt compression / bad
//     protobuf / bad OTLP JSON       -> 400
//
// 400 bodies are a google.rpc.Status encoded like the request (JSON or
// protobuf) whose message names the problem; when the request's media type is
// neither, the body is the message as text/plain.
//
//   OtlpHttpInput in{method, content_type, content_encoding, body};
//   ExportTraceServiceRequest request;
//   OtlpHttpDecodeResult r = DecodeOtlpHttpRequest(in, {}, &request);
//   if (!r.ok) return r.error;                   // send as is
//   absl::Status pushed = store->Push(tenant, request);
//   return pushed.ok() ? OtlpHttpSuccess(r.encoding)
//                      : OtlpHttpError(r.encoding, pushed);
//
// A server passes a protobuf payload on unparsed instead (the second
// overload) and makes a SpanBatch of it, which is much cheaper; a payload
// SpanBatch::FromProto rejects is then answered with
// OtlpHttpError(kProtobuf, status): the same 400 as above.
#ifndef ANDANTE_RECEIVER_OTLP_HTTP_H_
#define ANDANTE_RECEIVER_OTLP_HTTP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

struct OtlpHttpLimits {
  // `max_request_body_size` (bytes): applies to the body as received and to
  // the decompressed stream, which is cut off while inflating.
  uint64_t max_request_body_size = 20ull << 20;
};

// One request. All views are borrowed for the duration of the call.
struct OtlpHttpInput {
  std::string_view method;            // "POST"
  std::string_view content_type;      // header value, parameters allowed
  std::string_view content_encoding;  // header value, "" if absent
  std::string_view body;
  // The transport stopped reading because the body exceeded the limit (the
  // body is then incomplete and ignored).
  bool body_too_large = false;
};

// A complete HTTP answer.
struct OtlpHttpAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
};

enum class OtlpEncoding { kProtobuf, kJson };

struct OtlpHttpDecodeResult {
  bool ok = false;
  // When ok: the request's encoding (answers use it) and the size of the
  // decoded protobuf or JSON payload in bytes.
  OtlpEncoding encoding = OtlpEncoding::kProtobuf;
  uint64_t payload_bytes = 0;
  // When !ok: the answer to send.
  OtlpHttpAnswer error;
};

inline constexpr std::string_view kOtlpMethodNotAllowedBody =
    "405 method not allowed, supported: [POST]";
inline constexpr std::string_view kOtlpUnsupportedMediaTypeBody =
    "415 unsupported media type, supported: [application/json, "
    "application/x-protobuf]";

// Decodes one OTLP/HTTP trace request into `*out` (cleared first). Never
// throws. Thread-safe; reuses a per-thread decompression buffer.
OtlpHttpDecodeResult DecodeOtlpHttpRequest(
    const OtlpHttpInput& in, const OtlpHttpLimits& limits,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

// The same, except that a protobuf payload is not parsed: on success with
// encoding kProtobuf, `*protobuf_payload` views the (decompressed) payload
// for SpanBatch::FromProto, which checks it; `*json_out` is then left empty.
// With kJson, `*json_out` holds the parsed request. The view points into
// `in.body` or into a per-thread buffer valid until the next call on the same
// thread.
OtlpHttpDecodeResult DecodeOtlpHttpRequest(
    const OtlpHttpInput& in, const OtlpHttpLimits& limits,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest*
        json_out,
    std::string_view* protobuf_payload);

// 200 with an ExportTraceServiceResponse in `encoding`: {"partialSuccess":{}}
// or the protobuf bytes 0a 00.
OtlpHttpAnswer OtlpHttpSuccess(OtlpEncoding encoding);

// The answer for a failed push (or a tenant error): HTTP status per
// HttpStatusForCode, body a google.rpc.Status in `encoding` carrying the
// status's code and message. REQUIRES: !status.ok().
OtlpHttpAnswer OtlpHttpError(OtlpEncoding encoding, const absl::Status& status);

// The collector's gRPC code -> HTTP status mapping
// (GetHTTPStatusCodeFromStatus): CANCELLED, DEADLINE_EXCEEDED, ABORTED,
// OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS -> 503; RESOURCE_EXHAUSTED -> 429;
// INVALID_ARGUMENT -> 400; UNAUTHENTICATED -> 401; PERMISSION_DENIED -> 403;
// UNIMPLEMENTED -> 404; anything else -> 500. OK -> 200.
int HttpStatusForCode(absl::StatusCode code);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_OTLP_HTTP_H_
