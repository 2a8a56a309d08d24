// The v2 column sets a query scan reads: column bits (Bit(kV2Names)), the
// columns every traceql::Trace needs, and those a query references.
#ifndef ANDANTE_LIB_BLOCK_SCAN_COLUMNS_H_
#define ANDANTE_LIB_BLOCK_SCAN_COLUMNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "andante/traceql.h"
#include "block/block_format.h"

namespace andante::internal::scan {

constexpr uint32_t Bit(uint32_t c) { return 1u << c; }
constexpr uint32_t kAllColumns = (1u << kV2ColumnCount) - 1;
// What every Trace needs: IDs, structure, names, times, kinds, statuses.
constexpr uint32_t kCoreColumns =
    Bit(kV2Traces) | Bit(kV2Strings) | Bit(kV2Resources) | Bit(kV2Scopes) |
    Bit(kV2SpanIds) | Bit(kV2Parents) | Bit(kV2Names) | Bit(kV2Kinds) |
    Bit(kV2StatusCodes) | Bit(kV2Starts) | Bit(kV2Durations) | Bit(kV2Misc);

// The columns a scan for `query` reads: kCoreColumns, plus span attributes,
// events, links and status messages when the query references them.
uint32_t QueryColumnMask(const traceql::Query& query);

// The span-attribute keys (span and unscoped) `query` references, sorted and
// distinct: all a keyed page's span attributes need to hold for it.
std::vector<std::string> QuerySpanKeys(const traceql::Query& query);

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_COLUMNS_H_
