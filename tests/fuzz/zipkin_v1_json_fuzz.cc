// Fuzzes the Zipkin v1 JSON receiver path: decode + translate to OTLP, then split
// by trace as the store would. Every rejection must be INVALID_ARGUMENT with
// a message; every success must serialize and parse back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "google/protobuf/arena.h"
#include "model/trace_split.h"
#include "receiver/zipkin/zipkin_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  absl::Status status = andante::internal::DecodeZipkinSpans(
      std::string_view(reinterpret_cast<const char*>(data), size),
      andante::internal::ZipkinFormat::kV1Json, request);
  if (!status.ok()) {
    if (status.code() != absl::StatusCode::kInvalidArgument || status.message().empty()) {
      std::abort();
    }
    return 0;
  }
  std::string bytes;
  if (!request->SerializeToString(&bytes)) std::abort();
  ExportTraceServiceRequest parsed;
  if (!parsed.ParseFromString(bytes)) std::abort();  // e.g. invalid UTF-8 leaked through
  auto fragments = andante::internal::SplitByTrace(*request);
  if (fragments.ok()) {
    for (const auto& fragment : *fragments) {
      opentelemetry::proto::trace::v1::TracesData traces;
      if (!traces.ParseFromString(fragment.data)) std::abort();
    }
  }
  return 0;
}
