#include "receiver/zipkin/zipkin_decode.h"

#include "receiver/zipkin/zipkin_json.h"
#include "receiver/zipkin/zipkin_proto.h"
#include "receiver/zipkin/zipkin_span.h"
#include "receiver/zipkin/zipkin_translate.h"
#include "receiver/zipkin/zipkin_v1_json.h"

namespace andante::internal {
namespace {

// A batch per thread, reused so steady traffic does not reallocate its
// vectors; dropped after a request that made it very large.
constexpr size_t kKeepBatchBytes = 8 << 20;

}  // namespace

ZipkinFormat ZipkinFormatFor(std::string_view path, std::string_view content_type) {
  if (path.find("api/v1/spans") != std::string_view::npos) {
    return content_type == "application/x-thrift" ? ZipkinFormat::kV1Thrift : ZipkinFormat::kV1Json;
  }
  return content_type == "application/x-protobuf" ? ZipkinFormat::kV2Proto : ZipkinFormat::kV2Json;
}

absl::Status DecodeZipkinSpans(
    std::string_view body, ZipkinFormat format,
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest* out) {
  switch (format) {
    case ZipkinFormat::kV1Thrift:
      return absl::InvalidArgumentError("zipkin v1 thrift is not supported");
    case ZipkinFormat::kV1Json:
      return DecodeZipkinV1Json(body, out);
    case ZipkinFormat::kV2Json:
    case ZipkinFormat::kV2Proto:
      break;
  }
  thread_local ZipkinSpanBatch batch;
  batch.Clear();
  absl::Status s = format == ZipkinFormat::kV2Proto ? ParseZipkinV2Proto(body, &batch)
                                                    : ParseZipkinV2Json(body, &batch);
  if (s.ok()) s = TranslateZipkinSpans(batch, out);
  if (batch.MemoryUsage() > kKeepBatchBytes) {
    batch.spans = {};
    batch.tags = {};
    batch.annotations = {};
  }
  batch.Clear();
  return s;
}

}  // namespace andante::internal
