// Zipkin v2 protobuf: the body of POST /api/v2/spans with Content-Type
// application/x-protobuf — a zipkin.proto3.ListOfSpans (lib/proto/zipkin/
// zipkin.proto), read the way zipkin-go's zipkin_proto3.ParseSpans reads it
// for the collector:
//
//   * trace_id must be exactly 16 bytes
//       ("invalid TraceID: has length 8 yet wanted length 16");
//   * id exactly 8 bytes ("expected a non-nil SpanID" when empty,
//       "invalid SpanID: has length 4 yet wanted length 8");
//   * parent_id empty or 8 bytes ("invalid ParentID: ...");
//   * times are µs (timestamp 0 means the epoch, with no absent-field mark —
//     only JSON has one); port is int32 truncated to uint16 as Go does;
//   * string fields must be valid UTF-8; unknown fields and fields with an
//     unexpected wire type are skipped; a repeated message field merges.
//
// A hand-written wire decoder fills a ZipkinSpanBatch directly — no
// ListOfSpans message and no map<string,string> nodes are built — and the
// batch's strings are views into `body`. Memory is the batch's fixed records;
// nesting is bounded by the schema (unknown groups by a small limit).
//
//   ZipkinSpanBatch batch;
//   absl::Status s = ParseZipkinV2Proto(body, &batch);  // batch borrows body
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_PROTO_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_PROTO_H_

#include <string_view>

#include "absl/status/status.h"
#include "receiver/zipkin/zipkin_span.h"

namespace andante::internal {

// Appends the spans of `body` to `*batch`. INVALID_ARGUMENT naming the
// problem on malformed protobuf, invalid UTF-8 or bad ID lengths; the batch
// then holds an unspecified prefix. The batch's strings point into `body`,
// which must outlive their use. Never throws.
absl::Status ParseZipkinV2Proto(std::string_view body, ZipkinSpanBatch* batch);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_PROTO_H_
