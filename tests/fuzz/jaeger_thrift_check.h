// The checks both Jaeger Thrift fuzz targets run on each input, for the
// HTTP body (a bare Batch) and the agent datagram (an emitBatch message):
//   - a rejection is INVALID_ARGUMENT with a message that leaves the output
//     as it was; a success parses back and has IDs of 16 and 8 bytes;
//   - the hand-written decoder agrees with the libthrift-based reference
//     (jaeger_thrift_reference.h) on accepting and on the output bytes.
#ifndef ANDANTE_TESTS_FUZZ_JAEGER_THRIFT_CHECK_H_
#define ANDANTE_TESTS_FUZZ_JAEGER_THRIFT_CHECK_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "receiver/jaeger/jaeger_thrift.h"
#include "tests/testing/jaeger_thrift_reference.h"
#include "translated_request_check.h"

namespace andante::fuzz {

inline void CheckJaegerThrift(const uint8_t* data, size_t size,
                              internal::ThriftProtocol protocol) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (bool agent : {false, true}) {
    ExportTraceServiceRequest out, reference;
    const absl::Status status =
        agent ? internal::DecodeJaegerAgentMessage(input, protocol, &out)
              : internal::DecodeJaegerThriftBatch(input, protocol, &out);
    const absl::Status expected =
        agent ? internal::DecodeJaegerAgentMessageWithLibthrift(input, protocol, &reference)
              : internal::DecodeJaegerThriftBatchWithLibthrift(input, protocol, &reference);
    if (status.ok() != expected.ok() ||
        out.SerializeAsString() != reference.SerializeAsString()) {
      std::fprintf(stderr, "decoders disagree (agent=%d)\nhand-written: %s\nlibthrift: %s\n",
                   agent ? 1 : 0, status.ToString().c_str(), expected.ToString().c_str());
      std::abort();
    }
    if (!status.ok()) {
      CheckRejection(status, out, /*untouched=*/true);
      continue;
    }
    CheckReparses(out);
    CheckIdSizes(out);
  }
}

}  // namespace andante::fuzz

#endif  // ANDANTE_TESTS_FUZZ_JAEGER_THRIFT_CHECK_H_
