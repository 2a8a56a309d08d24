// Converts OTLP traces (generated protobuf) into the TraceQL engine's
// traceql::Trace, e.g. a FoundTrace from Store::FindTraceById or a live
// trace's fragments.
//
// Usage:
//
//   andante::traceql::Trace trace;
//   absl::Status s = andante::traceql::TraceFromOtlp(andante::TracesDataOf(found), &trace);
//   matcher.Evaluate(trace, &spansets);
#ifndef ANDANTE_TRACEQL_OTLP_H_
#define ANDANTE_TRACEQL_OTLP_H_

#include "absl/status/status.h"
#include "andante/traceql_trace.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::traceql {

// Replaces *out with the spans of `data` (all assumed to belong to one
// trace; the trace ID is taken from the first span carrying one) and calls
// Finish(). String, int, double and bool attributes and arrays of them are
// kept; kvlist and bytes values are skipped (they read as nil).
// INVALID_ARGUMENT if a span's trace or span ID has the wrong length.
absl::Status TraceFromOtlp(
    const andante::otlp::trace::v1::TracesData& data, Trace* out);

// The same for data whose spans may lack their trace ID, such as the stored
// fragments of SplitByTrace: the trace ID is `id`.
absl::Status TraceFromOtlp(
    const andante::otlp::trace::v1::TracesData& data, const TraceId& id,
    Trace* out);

}  // namespace andante::traceql

#endif  // ANDANTE_TRACEQL_OTLP_H_
