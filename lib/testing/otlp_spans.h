// OTLP traces as test-collector Spans.
#ifndef ANDANTE_LIB_TESTING_OTLP_SPANS_H_
#define ANDANTE_LIB_TESTING_OTLP_SPANS_H_

#include <vector>

#include "andante/testing/span.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::testing::collector_internal {

// Appends every span of `trace` to `out`, resource and scope folded in,
// parent_name filled in from the spans of `trace`.
void AppendSpans(const andante::otlp::trace::v1::TracesData& trace,
                 std::vector<Span>* out);

}  // namespace andante::testing::collector_internal

#endif  // ANDANTE_LIB_TESTING_OTLP_SPANS_H_
