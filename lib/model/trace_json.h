// Response encodings of Tempo's trace-by-ID API (reference/http-api.md §0.3,
// §3): proto3 JSON as gogo jsonpb emits it — lowerCamelCase names, bytes as
// base64, 64-bit integers as strings, enums as names, zero values omitted —
// and the matching protobuf bytes. This is not the OTLP/JSON ingest dialect
// (otlp_json.h): IDs here are base64, not hex.
#ifndef ANDANTE_MODEL_TRACE_JSON_H_
#define ANDANTE_MODEL_TRACE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

// GET /api/traces/<id> JSON: `{"batches":[...]}`, the tempopb.Trace with its
// top-level key renamed as Tempo does. An empty trace gives "{}" (v1 answers
// 404 instead, but this does not fail).
std::string TraceToJsonV1(const andante::otlp::trace::v1::TracesData& trace);

// GET /api/traces/<id> protobuf: tempopb.Trace bytes (= TracesData bytes).
std::string TraceToProtoV1(const andante::otlp::trace::v1::TracesData& trace);

// GET /api/v2/traces/<id> JSON, tempopb.TraceByIDResponse:
// `{"trace":{"resourceSpans":[...]},"metrics":{"inspectedBytes":"N"}}`.
// Not found is an empty trace: `{"trace":{},"metrics":{...}}`. A non-empty
// `partial_message` (FoundTrace.partial) adds Tempo's
// `"status":"PARTIAL","message":"..."`.
std::string TraceByIdResponseJsonV2(
    const andante::otlp::trace::v1::TracesData& trace,
    uint64_t inspected_bytes, std::string_view partial_message = {});

// GET /api/v2/traces/<id> protobuf: tempopb.TraceByIDResponse bytes with
// `trace` always present (possibly empty) and `metrics` set; with a
// `partial_message`, also `status` = PARTIAL (3) and `message` (4).
std::string TraceByIdResponseProtoV2(
    const andante::otlp::trace::v1::TracesData& trace,
    uint64_t inspected_bytes, std::string_view partial_message = {});

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_TRACE_JSON_H_
