// What the Zipkin fuzz targets check on each input, for one body format:
// decode + translate to OTLP, then split by trace as the store would. Every
// rejection must be INVALID_ARGUMENT with a message; every success must
// serialize and parse back, and so must its fragments.
#ifndef ANDANTE_TESTS_FUZZ_ZIPKIN_CHECK_H_
#define ANDANTE_TESTS_FUZZ_ZIPKIN_CHECK_H_

#include <cstdint>
#include <string_view>

#include "google/protobuf/arena.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "translated_request_check.h"

namespace andante::fuzz {

inline void CheckZipkin(const uint8_t* data, size_t size, internal::ZipkinFormat format) {
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  const absl::Status status = internal::DecodeZipkinSpans(
      std::string_view(reinterpret_cast<const char*>(data), size), format, request);
  if (!status.ok()) {
    CheckRejection(status, *request, /*untouched=*/false);
    return;
  }
  CheckReparses(*request);
  CheckFragmentsParse(*request);
}

}  // namespace andante::fuzz

#endif  // ANDANTE_TESTS_FUZZ_ZIPKIN_CHECK_H_
