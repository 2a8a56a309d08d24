// Per-span checks of a query's status, kind and duration conditions against
// a v2 page's columns.
#ifndef ANDANTE_LIB_BLOCK_SCAN_INTRINSIC_CHECKS_H_
#define ANDANTE_LIB_BLOCK_SCAN_INTRINSIC_CHECKS_H_

#include <cstdint>
#include <vector>

#include "andante/traceql.h"
#include "block/v2_page.h"

namespace andante::internal::scan {

// Whether MarkIntrinsic decides condition `c` (else it clears nothing).
bool IsIntrinsicCheck(const traceql::Condition& c);

// The column MarkIntrinsic reads for `c` (bit c as in ReadV2Columns), or 0.
uint32_t IntrinsicColumnBit(const traceql::Condition& c);

// Status, kind or duration condition `c` against each of the `span_count`
// spans' values in `page`'s column (loaded): clears (*candidate)[span] for
// each span it is false for. Other conditions (and literals of another
// type) clear nothing. False if the column is corrupt.
bool MarkIntrinsic(const traceql::Condition& c, const V2Page& page,
                   uint32_t span_count, std::vector<uint8_t>* candidate);

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_INTRINSIC_CHECKS_H_
