// Fuzzes the OTLP/JSON ingest path: decode, then split by trace.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/otlp_json.h"
#include "model/otlp_nesting.h"
#include "model/trace_split.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  andante::otlp::collector::trace::v1::ExportTraceServiceRequest request;
  absl::Status status = andante::internal::ParseOtlpJson(
      std::string_view(reinterpret_cast<const char*>(data), size), &request);
  if (!status.ok()) {
    // Every rejection is a client error with a message.
    if (status.code() != absl::StatusCode::kInvalidArgument || status.message().empty()) {
      std::abort();
    }
    return 0;
  }
  auto fragments = andante::internal::SplitByTrace(request);
  if (fragments.ok()) {
    for (const auto& fragment : *fragments) {
      andante::otlp::trace::v1::TracesData parsed;
      if (!andante::internal::ParseOtlpMessage(fragment.data, &parsed)) std::abort();
    }
  }
  return 0;
}
