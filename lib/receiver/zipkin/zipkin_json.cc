#include "receiver/zipkin/zipkin_json.h"

#include <cstddef>

#include "receiver/zipkin/zipkin_json_sax.h"
#include "receiver/zipkin/zipkin_json_simd.h"

namespace andante::internal {

absl::Status ParseZipkinV2Json(std::string_view body, ZipkinSpanBatch* batch) {
  const size_t spans = batch->spans.size();
  const size_t tags = batch->tags.size();
  const size_t annotations = batch->annotations.size();
  if (TryParseZipkinV2JsonSimd(body, batch)) return absl::OkStatus();
  // Declined: forget what the attempt appended (its strings stay in the
  // batch's store until Clear()) and let the reference decide.
  batch->spans.resize(spans);
  batch->tags.resize(tags);
  batch->annotations.resize(annotations);
  return ParseZipkinV2JsonSax(body, batch);
}

}  // namespace andante::internal
