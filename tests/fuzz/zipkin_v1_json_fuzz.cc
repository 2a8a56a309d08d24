// Fuzzes the Zipkin v1 JSON receiver path; zipkin_check.h lists the checks.
#include <cstdint>

#include "zipkin_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  andante::fuzz::CheckZipkin(data, size, andante::internal::ZipkinFormat::kV1Json);
  return 0;
}
