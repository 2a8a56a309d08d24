// Checks shared by the receiver fuzz targets: what a decoder must hold to on
// every input. Each aborts (a libFuzzer crash) when the property fails.
#ifndef ANDANTE_TESTS_FUZZ_TRANSLATED_REQUEST_CHECK_H_
#define ANDANTE_TESTS_FUZZ_TRANSLATED_REQUEST_CHECK_H_

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "model/trace_split.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::fuzz {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

// A rejection is INVALID_ARGUMENT with a message; with `untouched`, the
// output must also be left empty.
inline void CheckRejection(const absl::Status& status,
                           const ExportTraceServiceRequest& out,
                           bool untouched) {
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      status.message().empty() ||
      (untouched && out.resource_spans_size() != 0)) {
    std::abort();
  }
}

// What was translated serializes and parses back (e.g. no invalid UTF-8).
inline void CheckReparses(const ExportTraceServiceRequest& out) {
  std::string bytes;
  if (!out.SerializeToString(&bytes)) std::abort();
  ExportTraceServiceRequest parsed;
  if (!parsed.ParseFromString(bytes)) std::abort();
}

// Trace IDs of 16 bytes, span, parent and link span IDs of 8.
inline void CheckIdSizes(const ExportTraceServiceRequest& out) {
  for (const auto& rs : out.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        if (span.trace_id().size() != 16 || span.span_id().size() != 8) std::abort();
        if (!span.parent_span_id().empty() && span.parent_span_id().size() != 8) std::abort();
        for (const auto& link : span.links()) {
          if (link.trace_id().size() != 16 || link.span_id().size() != 8) std::abort();
        }
      }
    }
  }
}

// Split by trace as the store would; every fragment parses.
inline void CheckFragmentsParse(const ExportTraceServiceRequest& out) {
  auto fragments = internal::SplitByTrace(out);
  if (!fragments.ok()) return;
  for (const auto& fragment : *fragments) {
    andante::otlp::trace::v1::TracesData traces;
    if (!traces.ParseFromString(fragment.data)) std::abort();
  }
}

}  // namespace andante::fuzz

#endif  // ANDANTE_TESTS_FUZZ_TRANSLATED_REQUEST_CHECK_H_
