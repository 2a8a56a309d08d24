// ParseTraceSpans: a page's trace table (kV2Traces) read for what a scan's
// first pass needs, each trace's ID and span range, without building the
// ResourceSpans / ScopeSpans tables V2Page::ParseTables fills.
#ifndef ANDANTE_LIB_BLOCK_SCAN_TRACE_SPANS_H_
#define ANDANTE_LIB_BLOCK_SCAN_TRACE_SPANS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "block/v2_page.h"

namespace andante::internal::scan {

// Parses `table` (a page's raw kV2Traces column) into *traces (replaced):
// per trace its ID and span_begin / span_end; rs_begin and rs_end are 0.
// *span_count: the page's spans. Checks what V2Page::ParseTraceTable checks
// (count, ascending IDs, structure within the bytes, span total, no
// trailing bytes) and is DATA_LOSS naming the column otherwise; like it,
// the resource, scope and string indices are not checked against tables.
absl::Status ParseTraceSpans(std::string_view table,
                             std::vector<V2Page::TraceRef>* traces,
                             uint32_t* span_count);

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_TRACE_SPANS_H_
