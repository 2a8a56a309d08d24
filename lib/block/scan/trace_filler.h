// TraceFiller: builds traceql::Traces straight from a v2 page's columns.
#ifndef ANDANTE_LIB_BLOCK_SCAN_TRACE_FILLER_H_
#define ANDANTE_LIB_BLOCK_SCAN_TRACE_FILLER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/otlp/common/v1/common.pb.h"
#include "andante/otlp/trace/v1/trace.pb.h"
#include "andante/traceql.h"
#include "andante/traceql_trace.h"
#include "block/block_format.h"
#include "block/block_scanner.h"
#include "block/scan/candidate_rule.h"
#include "block/scan/span_attribute_checks.h"
#include "block/v2_page.h"

namespace andante::internal::scan {

// Fills Traces from a page's columns. Holds scratch reused across pages.
class TraceFiller {
 public:
  // `rule` decides from a trace's candidate span count; it must outlive
  // the filler.
  explicit TraceFiller(const CandidateRule& rule) : rule_(rule) {}

  // Calls fn for each trace of `page` (tables parsed, the columns of `mask`
  // loaded) that starts after *start_after (if non-null; read before each
  // trace). Sets *stopped when fn returns false.
  absl::Status Fill(const V2Page& page, uint32_t mask,
                    const traceql::Query& query, const int64_t* start_after,
                    absl::FunctionRef<bool(const traceql::Trace&)> fn,
                    bool* stopped, ScanStats* stats);

  // After Fill: the prefilter ruled out every trace of the page.
  bool NonePass() const;

  // Sets trace_starts()[t] to the start of trace t of `page` (tables
  // parsed, kV2Starts loaded): its earliest span's.
  absl::Status ReadTraceStarts(const V2Page& page) {
    return ReadTraceStarts(page.traces, page.raw[kV2Starts]);
  }
  // The same from a page's trace table and its start column.
  absl::Status ReadTraceStarts(const std::vector<V2Page::TraceRef>& traces,
                               std::string_view starts);
  const std::vector<int64_t>& trace_starts() const { return trace_start_; }

 private:
  // Sets trace_pass_ (empty: every trace passes): whether a span of the
  // trace may satisfy the query's span_conditions() that are decided from
  // the page's columns: `span.x OP int` (= < <= > >=), `span.x = "string"`
  // and `span.x` presence (with span attributes in `mask`), and status, kind
  // and duration comparisons; a span passes if no such condition is
  // certainly false for it (other conditions, other value types: assumed
  // true), and a trace passes if rule_ lets its passing spans match.
  absl::Status PrefilterTraces(const V2Page& page, uint32_t mask,
                               const traceql::Query& query);

  // The trace's id of page string `index`; each distinct page string is
  // hashed into the trace once (memo_ is per page, gen_ per trace).
  uint32_t Intern(const V2Page& page, uint64_t index);

  void Push(const V2Page& page, const V2Attribute& a,
            traceql::StoredValue value);

  void AddAttribute(const V2Page& page, const V2Attribute& a);

  const CandidateRule& rule_;
  traceql::Trace trace_;
  std::vector<uint32_t> memo_gen_, memo_id_;  // per page string
  uint32_t gen_ = 0;
  std::vector<uint8_t> trace_pass_;   // per trace of the page; empty: all
  std::vector<int64_t> trace_start_;  // per trace of the page, if wanted
  std::vector<SpanCheck> checks_;
  std::vector<uint8_t> candidate_, marked_;  // per span of the page
  std::vector<V2Attribute> decoded_;
  std::vector<traceql::StoredValue> elements_;
  andante::otlp::common::v1::AnyValue any_;
  andante::otlp::trace::v1::Span side_, rest_;
};

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_TRACE_FILLER_H_
