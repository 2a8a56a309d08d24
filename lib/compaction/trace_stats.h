// Span count, time range and duplicate check of a stored trace, read off the
// protobuf wire bytes without parsing them into messages: the compactor's
// fast path for a trace that only one input block holds.
#ifndef ANDANTE_COMPACTION_TRACE_STATS_H_
#define ANDANTE_COMPACTION_TRACE_STATS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace andante::internal {

struct TraceStats {
  uint32_t span_count = 0;
  // Minimum span start / maximum span end, unix ns (0 / 0 without spans).
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  // Two spans share span_id and kind (TraceCombiner's duplicate rule).
  bool has_duplicate_spans = false;
};

// Scans `traces_data`: one or more concatenated serialized OTLP TracesData
// (ResourceSpans in field 1, or the pre-1.0 instrumentation_library_spans in
// field 1000; ScopeSpans in field 2; spans in field 2). DATA_LOSS if the
// bytes are not well-formed wire data.
absl::StatusOr<TraceStats> ScanTraceStats(std::string_view traces_data);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_TRACE_STATS_H_
