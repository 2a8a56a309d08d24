// Fuzzes the Jaeger gRPC path: a PostSpansRequest as it arrives on the wire,
// parsed, then translated by both overloads (copying and consuming), which
// must agree.
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
  jaeger::api_v2::PostSpansRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest copied, moved;
  const absl::Status status = andante::internal::TranslateJaegerProtoBatch(request.batch(), &copied);
  if (!status.ok()) andante::fuzz::CheckRejection(status, copied, /*untouched=*/true);
  andante::fuzz::CheckIdSizes(copied);
  const absl::Status consumed =
      andante::internal::TranslateJaegerProtoBatch(request.mutable_batch(), &moved);
  if (consumed.code() != status.code()) std::abort();
  if (moved.SerializeAsString() != copied.SerializeAsString()) std::abort();
  return 0;
}
