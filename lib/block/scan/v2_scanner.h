// V2Scanner: BlockTraceScanner over a v2 block's columns. v2_scanner.cc
// holds the scan in trace ID order (summaries, probes, column pruning);
// v2_latest_first.cc the two-pass scan of a search keeping the newest
// results (ScanForQuery with start_after).
#ifndef ANDANTE_LIB_BLOCK_SCAN_V2_SCANNER_H_
#define ANDANTE_LIB_BLOCK_SCAN_V2_SCANNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "block/block_scanner.h"
#include "block/scan/candidate_rule.h"
#include "block/scan/span_attribute_checks.h"
#include "block/scan/trace_filler.h"
#include "block/v2_index.h"
#include "block/v2_page.h"

namespace andante::internal::scan {

class V2Scanner : public BlockTraceScanner {
 public:
  explicit V2Scanner(std::shared_ptr<BlockReader> reader)
      : reader_(std::move(reader)) {}

  absl::Status ScanAll(
      absl::FunctionRef<bool(const TraceId&,
                             andante::otlp::trace::v1::TracesData&)>
          fn,
      ScanStats* stats) override;

  absl::Status ScanForQuery(const traceql::Query& query,
                            const int64_t* start_after,
                            absl::FunctionRef<bool(const traceql::Trace&)> fn,
                            ScanStats* stats) override;

 private:
  // Whether page `p`'s summaries let it hold a match (else counted skipped).
  static bool PageMayMatch(const V2Index& idx, const V2PageEntry& p,
                           const traceql::Query& query, ScanStats* stats);

  // Reads page n's span attributes (and dictionary if probe_strings) and
  // tells whether any span may satisfy the query's span-attribute checks.
  // Reads no table: a page without candidates costs one column (two).
  // `checks` is scratch.
  absl::StatusOr<bool> Probe(const V2Index& idx, size_t n,
                             const traceql::Query& query, bool probe_strings,
                             std::vector<SpanCheck>* checks, V2Page* page,
                             ScanStats* stats);

  // ScanForQuery with start_after. Pass 1 reads each page's trace table and
  // start column, plus the small columns that decide the query's cheap
  // per-span checks (LatestCandidate), and notes the latest start of a
  // trace with a candidate span. Pass 2 reads and fills pages in the order
  // of that start, latest first, and ends at the first page whose latest
  // candidate starts at or before *start_after: no later page can hold a
  // trace the caller still wants. Memory: one entry per page.
  absl::Status ScanLatestFirst(
      const V2Index& idx, const traceql::Query& query, uint32_t mask,
      const std::vector<std::string>& span_keys, const int64_t* start_after,
      absl::FunctionRef<bool(const traceql::Trace&)> fn, ScanStats* stats);

  // Adds the trace and span counts of `from` to *to.
  static void Add(const ScanStats& from, ScanStats* to);

  // Pass 1 for page n: reads its trace table and start column plus what
  // the cheap checks need (the dictionary only for a string literal, or
  // without key statistics) and returns the latest start of a trace whose
  // spans that may satisfy them `rule` lets match (INT64_MIN: none). (Resource
  // conditions would need the dictionary, the page's largest column: the check
  // costs more than the reads it saves, and is left to the engine.)
  absl::StatusOr<int64_t> LatestCandidate(const V2Index& idx, size_t n,
                                          const traceql::Query& query,
                                          const CandidateRule& rule,
                                          V2Page* page, TraceFiller* filler,
                                          ScanStats* stats);

  // Clears candidate_[span] for each span of `page` (its span-attribute
  // column or checked key chunks read by LatestCandidate) that certainly
  // fails the query's span-attribute checks. `strings`: the page's
  // dictionary is parsed (else keys are found in the index's key
  // statistics).
  absl::Status MarkSpanChecks(const V2PageEntry& entry,
                              const traceql::Query& query, const V2Page& page,
                              bool strings);

  // Reads the columns of `mask` of page n and parses its tables. With
  // `span_keys` (the span-attribute keys a query references), a keyed page's
  // span attribute column is built from those keys' chunks alone.
  absl::Status ReadPage(size_t n, uint32_t mask, V2Page* page, ScanStats* stats,
                        const std::vector<std::string>* span_keys = nullptr);

  // DATA_LOSS naming the block and page n, with `cause`'s message.
  absl::Status Damaged(size_t n, const absl::Status& cause);

  std::shared_ptr<BlockReader> reader_;
  // Probe scratch: key chunks to read, each check's chunk, per-span bits.
  std::vector<uint32_t> keys_;
  std::vector<std::string_view> columns_;
  std::vector<uint32_t> held_;
  // Pass 1 scratch: per span of the page (candidate, span checks passed);
  // the span-attribute checks.
  std::vector<uint8_t> candidate_, marked_;
  std::vector<uint8_t> match_;  // per trace of the page: may match
  // Pass 1 with a split memo: the page's split ranges.
  std::vector<SplitMemo::SpanRange> split_ranges_;
  std::vector<SpanCheck> checks_;
  V2Page times_;  // pass 1: trace table, starts and intrinsic columns
  std::vector<V2Page::TraceRef> traces_;  // pass 1: times_'s trace table
};

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_V2_SCANNER_H_
