// Fuzzes the Zipkin v2 JSON receiver path: decode + translate to OTLP, then split
// by trace as the store would. Every rejection must be INVALID_ARGUMENT with
// a message; every success must serialize and parse back.
#include <cstdint>
#include <string_view>

#include "google/protobuf/arena.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "translated_request_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ::andante::fuzz::ExportTraceServiceRequest;
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  absl::Status status = andante::internal::DecodeZipkinSpans(
      std::string_view(reinterpret_cast<const char*>(data), size),
      andante::internal::ZipkinFormat::kV2Json, request);
  if (!status.ok()) {
    andante::fuzz::CheckRejection(status, *request, /*untouched=*/false);
    return 0;
  }
  andante::fuzz::CheckReparses(*request);
  andante::fuzz::CheckFragmentsParse(*request);
  return 0;
}
