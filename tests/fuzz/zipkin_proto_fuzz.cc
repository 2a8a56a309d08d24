// Fuzzes the Zipkin v2 protobuf receiver path; zipkin_check.h lists the checks.
#include <cstdint>

#include "zipkin_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  andante::fuzz::CheckZipkin(data, size, andante::internal::ZipkinFormat::kV2Proto);
  return 0;
}
