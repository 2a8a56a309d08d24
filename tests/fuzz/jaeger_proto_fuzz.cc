// Fuzzes the Jaeger gRPC path: PostSpansRequest bytes as they arrive on the
// wire, decoded by the wire walker (DecodeJaegerPostSpans). Differential:
// whatever protobuf parses must translate exactly as its parsed and
// canonically re-encoded form does, and whatever protobuf refuses must be
// refused.
#include <cstdint>
#include <cstdlib>

#include "google/protobuf/stubs/logging.h"
#include "jaeger/api_v2/collector.pb.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "translated_request_check.h"

// Invalid UTF-8 in a string field is a normal parse failure here; keep
// protobuf from logging each one.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ExportTraceServiceRequest walked;
  const absl::Status status = andante::internal::DecodeJaegerPostSpans(bytes, &walked);
  if (!status.ok()) andante::fuzz::CheckRejection(status, walked, /*untouched=*/true);
  andante::fuzz::CheckIdSizes(walked);

  andante::jaeger::api_v2::PostSpansRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) {
    if (status.ok()) std::abort();  // the walker took what protobuf refuses
    return 0;
  }
  ExportTraceServiceRequest parsed;
  const absl::Status expected =
      andante::internal::TranslateJaegerProtoBatch(request.batch(), &parsed);
  if (expected.code() != status.code()) std::abort();
  if (walked.SerializeAsString() != parsed.SerializeAsString()) std::abort();
  return 0;
}
