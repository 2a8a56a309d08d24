// Fuzzes the Jaeger Thrift compact-protocol decoders (HTTP body and agent
// datagram) and compares them with the libthrift-based reference decoder;
// jaeger_thrift_check.h lists the checks.
#include <cstdint>

#include "jaeger_thrift_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  andante::fuzz::CheckJaegerThrift(data, size, andante::internal::ThriftProtocol::kCompact);
  return 0;
}
