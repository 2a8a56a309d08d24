#include "query/trace_decode.h"

#include <cstdint>

#include "andante/traceql_otlp.h"
#include "model/otlp_nesting.h"
#include "model/trace_combiner.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::query {

absl::Status DecodeTrace(const TraceId& id,
                         const std::vector<std::string_view>& parts,
                         bool dedupe, traceql::Trace* out) {
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
  return traceql::TraceFromOtlp(data, id, out);
}

}  // namespace andante::query
