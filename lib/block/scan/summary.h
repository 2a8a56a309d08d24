// Whether a v2 block's or page's index summaries let it hold a match.
#ifndef ANDANTE_LIB_BLOCK_SCAN_SUMMARY_H_
#define ANDANTE_LIB_BLOCK_SCAN_SUMMARY_H_

#include <cstdint>
#include <vector>

#include "andante/traceql.h"
#include "block/bloom_filter.h"
#include "block/v2_index.h"

namespace andante::internal::scan {

// Whether a block or page whose strings are `strings` (a bloom filter of
// every string of its dictionary, see V2StringKey), whose span durations lie
// in [min_duration, max_duration] and whose span-attribute keys are
// `span_keys` (the index's key statistics; null if the index has none) may
// hold a span satisfying `query`'s conditions. False only when it certainly
// cannot.
bool V2SummaryMayMatch(const traceql::Query& query, const BloomFilter& strings,
                       int64_t min_duration, int64_t max_duration,
                       const std::vector<V2KeyStats>* span_keys = nullptr);

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_SUMMARY_H_
