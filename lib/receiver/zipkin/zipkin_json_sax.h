// The reference Zipkin v2 JSON decoder: a single nlohmann::json SAX pass
// straight into a ZipkinSpanBatch, implementing every rule and error message
// listed in zipkin_json.h. ParseZipkinV2Json runs it for any body the
// simdjson path (zipkin_json_simd.h) declines — invalid UTF-8, malformed
// JSON, any error — so it alone decides what is rejected and how. Internal
// to the Zipkin receiver; tests compare the two paths.
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_SAX_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_SAX_H_

#include <string_view>

#include "absl/status/status.h"
#include "receiver/zipkin/zipkin_span.h"

namespace andante::internal {

// ParseZipkinV2Json's contract (zipkin_json.h), without the simdjson path.
// Invalid UTF-8 is first replaced by U+FFFD in a copy of `json`.
absl::Status ParseZipkinV2JsonSax(std::string_view json, ZipkinSpanBatch* batch);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_SAX_H_
