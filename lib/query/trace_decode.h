// Stored trace fragments -> traceql::Trace, combining and deduplicating
// fragments of one trace found in several places.
#ifndef ANDANTE_QUERY_TRACE_DECODE_H_
#define ANDANTE_QUERY_TRACE_DECODE_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "andante/ids.h"
#include "andante/traceql_trace.h"

namespace andante::query {

// Decodes the serialized TracesData `parts` of trace `id` into *out. With
// more than one part (or `dedupe`), spans are combined through the
// TraceCombiner first (duplicate spans dropped). DATA_LOSS if a part does
// not parse.
absl::Status DecodeTrace(const TraceId& id,
                         const std::vector<std::string_view>& parts,
                         bool dedupe, traceql::Trace* out);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_TRACE_DECODE_H_
