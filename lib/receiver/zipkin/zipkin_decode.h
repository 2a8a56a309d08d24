// The Zipkin receiver's request decoding without sockets (port 9411,
// reference/ingest-protocols.md §3): pick the encoding the way the
// collector's zipkin receiver does, decode, and translate to OTLP with the
// collector's rules (§4.1, §4.3).
//
//   path contains "api/v1/spans"  Content-Type          format
//   yes                           application/x-thrift  kV1Thrift (refused)
//   yes                           anything else         kV1Json
//   no                            application/x-protobuf kV2Proto
//   no                            anything else         kV2Json
//
// Content-Type is compared exactly (no parameters, case-sensitive), as the
// collector does. Decompression (Content-Encoding) is the caller's job.
//
//   google::protobuf::Arena arena;
//   auto* request = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
//   absl::Status s = DecodeZipkinSpans(
//       body, ZipkinFormatFor(path, content_type), request);
//   if (!s.ok()) return Reply(400, s.message());
//   ... push *request, then Reply(202) ...
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_DECODE_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_DECODE_H_

#include <string_view>

#include "absl/status/status.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

enum class ZipkinFormat {
  kV2Json,    // JSON array of v2 spans (the default)
  kV2Proto,   // zipkin.proto3.ListOfSpans
  kV1Json,    // JSON array of v1 spans
  kV1Thrift,  // TBinaryProtocol list<zipkincore.Span>: not supported
};

// The encoding of a request to the Zipkin receiver, by URL path and the
// Content-Type header value ("" when absent).
ZipkinFormat ZipkinFormatFor(std::string_view path, std::string_view content_type);

// Decodes `body` (already decompressed) in `format` and appends the
// translated spans to `*out` as new ResourceSpans; `*out` may live on an
// arena. Errors are INVALID_ARGUMENT with a message naming the problem, in
// the collector's words where it has some ("valid span id required",
// "invalid TraceID: has length 8 yet wanted length 16", ...); kV1Thrift is
// always INVALID_ARGUMENT "zipkin v1 thrift is not supported". On error
// `*out` may hold part of the request. An empty protobuf body, `[]` and
// `null` decode to no spans. Thread-safe; never throws.
//
// Memory is bounded by a constant per decoded span, tag and annotation plus
// the body's size (JSON strings are copied once, unescaped); JSON nesting is
// limited (kMaxZipkinJsonDepth in go_json.h).
absl::Status DecodeZipkinSpans(
    std::string_view body, ZipkinFormat format,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_DECODE_H_
