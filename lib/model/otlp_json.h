// The OTLP/JSON ingest dialect (OTLP over HTTP with application/json) and
// the OTLP/HTTP response bodies.
//
// OTLP/JSON is not plain proto3 JSON: trace and span IDs are hex strings,
// not base64; enums may be integers or names; 64-bit integers may be strings
// or numbers; field names may be lowerCamelCase or the proto's snake_case;
// unknown fields are skipped. See reference/ingest-protocols.md §1.3.
//
//   ExportTraceServiceRequest request;
//   absl::Status s = ParseOtlpJson(body, &request);
//   if (!s.ok()) return Reply(400, RpcStatusJson(3, s.message()));
#ifndef ANDANTE_MODEL_OTLP_JSON_H_
#define ANDANTE_MODEL_OTLP_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "model/otlp_nesting.h"  // kMaxOtlpJsonDepth
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {

// Decodes an OTLP/JSON ExportTraceServiceRequest into *out (cleared first).
// Errors are INVALID_ARGUMENT with a message naming the problem and its JSON
// path, e.g. "resourceSpans[0].scopeSpans[0].spans[3].traceId: length
// mismatch: want 32 hex characters, got 30". Malformed JSON and nesting
// deeper than kMaxOtlpJsonDepth (420: attribute values 100 levels deep, see
// otlp_nesting.h) are rejected the same way. Never throws.
// On error *out holds an unspecified partial request.
absl::Status ParseOtlpJson(
    std::string_view json,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out);

// The OTLP/HTTP JSON success body: an empty ExportTraceServiceResponse,
// `{"partialSuccess":{}}`.
std::string OtlpJsonSuccessBody();

// An OTLP/HTTP error body, google.rpc.Status in JSON:
// `{"code":3,"message":"..."}` (proto3 JSON: zero code / empty message are
// omitted; invalid UTF-8 in `message` is replaced).
std::string RpcStatusJson(int grpc_code, std::string_view message);

// The same status as protobuf bytes (andante.rpc.Status, wire-compatible with
// google.rpc.Status).
std::string RpcStatusProto(int grpc_code, std::string_view message);

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_OTLP_JSON_H_
