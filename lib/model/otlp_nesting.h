// How deeply OTLP requests may nest, and parsing them under that bound.
//
// Attribute values (AnyValue) nest: a key-value list or an array holds more
// values. Tempo's decoders put no practical bound on that (the collector's
// gogo-generated protobuf code has no recursion limit, protobuf-go's default
// is 10000, encoding/json's 10000), while protobuf C++ stops at 100 nested
// messages: only 31 levels of key-value lists in a span attribute. Andante
// accepts at least kMinAnyValueNesting levels of lists or arrays in any
// attribute (span, event, link, resource, scope), in protobuf and JSON, on
// every path that writes or reads trace data, and stays bounded so that no
// input can exhaust the stack: every decoder is recursive.
//
//   TracesData trace;
//   if (!ParseOtlpMessage(stored_bytes, &trace)) return DataLoss(...);
//
//   absl::Status s = ParseOtlpRequest(body, &request);  // names the problem
#ifndef ANDANTE_MODEL_OTLP_NESTING_H_
#define ANDANTE_MODEL_OTLP_NESTING_H_

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message_lite.h"

namespace andante::internal {

// Levels of key-value lists or arrays an attribute value may hold, at least.
inline constexpr int kMinAnyValueNesting = 100;

// Protobuf: the most messages nested below an ExportTraceServiceRequest or
// TracesData (both at 0). An event attribute's value is at 6, and each
// level of key-value list adds 3 (AnyValue, KeyValueList, KeyValue), each
// array level 2: 6 + 3 * 100 = 306 fit.
inline constexpr int kMaxOtlpMessageDepth = 320;

// JSON (OTLP/JSON ingest): the most nested objects and arrays, the request
// object being 1. An event attribute's value object is at 12, and each
// level of key-value list adds 4 ({"kvlistValue":{"values":[{"value":...),
// each array level 3: 12 + 4 * 100 = 412 fit. Any request within it nests
// its messages less deep than kMaxOtlpMessageDepth, so what is accepted as
// JSON can be stored and read back as protobuf.
inline constexpr int kMaxOtlpJsonDepth = 420;

// Parses `bytes` into `message` (merging, as ParseFromArray does after
// Clear) with protobuf's recursion limit raised to kMaxOtlpMessageDepth
// less `depth`, the nesting of `message` itself within a request (0 for a
// request or TracesData, 2 for a ScopeSpans). Returns false where
// ParseFromArray would, and for deeper nesting.
bool ParseOtlpMessage(std::string_view bytes,
                      google::protobuf::MessageLite* message, int depth = 0);

// As ParseOtlpMessage, but merges into `message` without clearing it first
// (MergeFromString), e.g. a span's events stored apart from the span.
bool MergeOtlpMessage(std::string_view bytes,
                      google::protobuf::MessageLite* message, int depth);

// Parses a serialized ExportTraceServiceRequest (or TracesData) with
// ParseOtlpMessage. INVALID_ARGUMENT "proto: cannot parse invalid
// wire-format data", followed by protobuf's reason when it gave one
// (": String field ... contains invalid UTF-8 data ...") or by ": messages
// nested deeper than 320 levels".
absl::Status ParseOtlpRequest(std::string_view bytes,
                              google::protobuf::MessageLite* request);

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_OTLP_NESTING_H_
