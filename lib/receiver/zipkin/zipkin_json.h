// Zipkin v2 JSON: the body of POST /api/v2/spans with any Content-Type other
// than application/x-protobuf — a JSON array of span objects, read the way
// zipkin-go's SpanModel.UnmarshalJSON reads it for the collector:
//
//   * keys match case-insensitively; unknown keys are skipped;
//   * traceId: hex, up to 16 digits = low 64 bits, more = high bits first;
//     "" -> "valid traceId required";
//   * id: hex, required and non-zero ("valid span id required");
//     parentId: hex, "" or null = none;
//   * timestamp/duration: unsigned integers (µs); 0 or absent timestamp marks
//     the span for the epoch-0 rule; annotation timestamps are signed;
//   * endpoints: ipv4/ipv6 as text (net.ParseIP), port 0..65535;
//   * tags: an object of strings (null = ""); anything else is an error;
//   * null spans in the array are skipped; a body of `null` holds no spans;
//   * invalid UTF-8 inside strings reads as U+FFFD, as in Go.
//
// Two decoders implement these rules. simdjson's On-Demand API
// (zipkin_json_simd.h) reads well-formed bodies straight into the batch;
// it declines anything it cannot vouch for — invalid UTF-8, malformed JSON,
// any of the errors above — and the reference, a single nlohmann SAX pass
// (zipkin_json_sax.h), then decodes the body from scratch and alone decides
// the result and the error message. Neither builds a DOM.
//
// Memory is the batch — a fixed record per span, tag and annotation plus the
// unescaped strings (at most the body's size; up to twice that when the
// simdjson pass is declined part-way) — and, per thread, a padded copy of the
// body and simdjson's buffers (about 8 bytes per body byte, kept for bodies
// up to kZipkinJsonKeepParserBytes). Nesting is limited to
// kMaxZipkinJsonDepth.
//
//   ZipkinSpanBatch batch;
//   absl::Status s = ParseZipkinV2Json(body, &batch);
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_H_

#include <string_view>

#include "absl/status/status.h"
#include "receiver/zipkin/zipkin_span.h"

namespace andante::internal {

// Appends the spans of `json` to `*batch`. INVALID_ARGUMENT naming the
// problem on malformed JSON, wrong value types, bad IDs or addresses; the
// batch then holds an unspecified prefix. Strings in the batch are stored in
// the batch itself, so it does not borrow from `json`. Never throws.
absl::Status ParseZipkinV2Json(std::string_view json, ZipkinSpanBatch* batch);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_H_
