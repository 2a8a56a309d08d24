// The fast Zipkin v2 JSON decoder: simdjson's On-Demand API over a padded copy
// of the body, with a parser reused per thread. It accepts a body only when
// the reference decoder (zipkin_json_sax.h) would accept it and produce the
// same batch; anything else — invalid UTF-8 (simdjson refuses it where Go
// substitutes U+FFFD), a syntax error, a wrong type, a bad ID, a number the
// reference reads differently, a root that is not an array — it declines
// without a message, and ParseZipkinV2Json hands the body to the reference.
// To keep that promise it reads every value in the body, including those of
// unknown keys, so nothing reaches the batch unvalidated.
//
// Internal to the Zipkin receiver; tests compare it with the reference.
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_SIMD_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_SIMD_H_

#include <cstddef>
#include <string_view>

#include "receiver/zipkin/zipkin_span.h"

namespace andante::internal {

// Bodies up to this size leave the per-thread parser and padded copy
// allocated for the next call (about 8 bytes of buffers per body byte);
// after a larger one they are freed.
inline constexpr size_t kZipkinJsonKeepParserBytes = 1 << 20;

// Appends the spans of `json` to `*batch` and returns true, exactly as
// ParseZipkinV2JsonSax would. Returns false if it cannot vouch for that; the
// batch then holds an unspecified suffix (spans, tags, annotations and
// strings) after what it held before. Never throws.
bool TryParseZipkinV2JsonSimd(std::string_view json, ZipkinSpanBatch* batch);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_SIMD_H_
