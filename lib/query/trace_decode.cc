#include "query/trace_decode.h"

#include <cstdint>

#include "andante/traceql_otlp.h"
#include "model/otlp_nesting.h"
#include "model/trace_combiner.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::query {

namespace {

using andante::otlp::trace::v1::Span;

// Whether TraceFromOtlp takes `span`'s IDs.
bool ValidIds(const Span& span) {
  return span.span_id().size() == 8 &&
         (span.parent_span_id().empty() || span.parent_span_id().size() == 8);
}

// Removes the spans of *data whose IDs TraceFromOtlp refuses; returns how
// many.
uint64_t DropInvalidSpans(andante::otlp::trace::v1::TracesData* data) {
  uint64_t dropped = 0;
  for (auto& rs : *data->mutable_resource_spans()) {
    for (auto& ss : *rs.mutable_scope_spans()) {
      auto* spans = ss.mutable_spans();
      int kept = 0;
      for (int i = 0; i < spans->size(); ++i) {
        if (!ValidIds(spans->Get(i))) {
          ++dropped;
          continue;
        }
        if (kept != i) spans->SwapElements(kept, i);
        ++kept;
      }
      spans->DeleteSubrange(kept, spans->size() - kept);
    }
  }
  return dropped;
}

}  // namespace

absl::Status DecodeTrace(const TraceId& id,
                         const std::vector<std::string_view>& parts,
                         bool dedupe, traceql::Trace* out,
                         uint64_t* skipped_spans) {
  andante::otlp::trace::v1::TracesData data;
  if (parts.size() == 1 && !dedupe) {
    if (!internal::ParseOtlpMessage(parts[0], &data)) {
      return absl::DataLossError("stored trace data does not parse");
    }
  } else {
    internal::TraceCombiner combiner(id);
    for (std::string_view part : parts) {
      absl::Status s = combiner.Add(part);
      if (!s.ok()) return s;
    }
    uint64_t spans = 0;
    data = combiner.Finish(&spans);
  }
  absl::Status s = traceql::TraceFromOtlp(data, id, out);
  if (!absl::IsInvalidArgument(s) || skipped_spans == nullptr) return s;
  *skipped_spans += DropInvalidSpans(&data);
  return traceql::TraceFromOtlp(data, id, out);
}

}  // namespace andante::query
