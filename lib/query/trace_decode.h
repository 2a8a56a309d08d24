// Stored trace fragments -> traceql::Trace, combining and deduplicating
// fragments of one trace found in several places.
#ifndef ANDANTE_QUERY_TRACE_DECODE_H_
#define ANDANTE_QUERY_TRACE_DECODE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "andante/ids.h"
#include "andante/traceql_trace.h"

namespace andante::query {

// Decodes the serialized TracesData `parts` of trace `id` into *out. With
// more than one part (or `dedupe`), spans are combined through the
// TraceCombiner first (duplicate spans dropped). DATA_LOSS if a part does
// not parse. A span traceql::TraceFromOtlp refuses (span ID not 8 bytes,
// parent ID neither empty nor 8) fails the trace (INVALID_ARGUMENT), unless
// `skipped_spans` is non-null: such spans are then left out of *out and
// counted there (the tags API: one bad stored span is that span's problem).
absl::Status DecodeTrace(const TraceId& id,
                         const std::vector<std::string_view>& parts,
                         bool dedupe, traceql::Trace* out,
                         uint64_t* skipped_spans = nullptr);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_TRACE_DECODE_H_
