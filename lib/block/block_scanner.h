// BlockTraceScanner: one interface for search to scan a complete block of
// any format version.
//
//   std::unique_ptr<BlockTraceScanner> scanner =
//       BlockTraceScanner::ForBlock(reader);     // a v1 or v2 BlockReader
//   ScanStats stats;
//   absl::Status s = scanner->ScanForQuery(query,
//       [&](const traceql::Trace& trace) {
//         matcher.Evaluate(trace, &spansets) ...;
//         return results.size() < limit;         // false stops the scan
//       }, &stats);
//
// ScanAll yields every trace as OTLP (what Find returns, parsed).
// ScanForQuery yields traceql::Trace objects for every trace that MAY match
// the query; the caller evaluates the query. For v1 it decodes every trace
// and converts it with traceql::TraceFromOtlp. For v2 it first checks the
// query's conditions (Query::conditions()) against the block's and each
// page's summaries (string blooms, duration bounds, span-attribute key sets
// with int bounds and values) in the cached index, skipping the block or
// page without reading or decompressing its data; an AND-mode query with
// span-attribute conditions then probes each page left with its span
// attribute column alone (plus the dictionary for a string literal; a page
// with keyed span attributes with the chunks of the checked keys alone) and
// skips it if no span satisfies them; it then reads and decompresses only
// the columns the query references (Query::columns(); of keyed span
// attributes, the referenced keys' chunks) plus the few every Trace needs
// (IDs, structure, names, times, kind, status), and fills the Traces
// straight from the columns.
// A Trace built from v2 columns the query does not reference lacks those
// fields (e.g. no span attributes for `{ duration > 1s }`); every field the
// query reads is filled exactly as TraceFromOtlp would.
//
// Errors: the reader's (DATA_LOSS for a damaged block or page, ...); a scan
// stops at the first. Thread-safe: scanners share the reader's caches.
//
// The implementations live in lib/block/scan/: v1_scanner (rows decoded
// whole), v2_scanner (trace ID order: summaries, probes, column pruning),
// v2_latest_first (the two-pass scan with start_after), trace_filler
// (Traces from a page's columns), summary, span_attribute_checks and
// intrinsic_checks (what rules blocks, pages and spans out), columns.
#ifndef ANDANTE_BLOCK_BLOCK_SCANNER_H_
#define ANDANTE_BLOCK_BLOCK_SCANNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/ids.h"
#include "andante/traceql.h"
#include "andante/traceql_trace.h"
#include "block/block_reader.h"
#include "block/scan/split_memo.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

// What a scan did; added to (never reset), so one ScanStats can sum a query.
struct ScanStats {
  uint64_t blocks_scanned = 0;  // blocks whose pages were considered
  uint64_t blocks_skipped = 0;  // blocks ruled out by their summaries
  uint64_t pages_skipped = 0;   // pages ruled out by their summaries
  uint64_t pages_read = 0;      // includes probes
  // v2: page reads of only the columns the span-attribute prefilter needs
  // (traces, strings, resources, scopes, span attributes).
  uint64_t pages_probed = 0;
  uint64_t chunks_decompressed = 0;  // v2 column chunks (v1: pages)
  uint64_t inspected_bytes = 0;      // bytes read from the backend
  uint64_t traces_inspected = 0;     // traces handed to the callback
  // v2: traces read past because no span can satisfy the query's span
  // attribute conditions (not handed to the callback).
  uint64_t traces_passed_over = 0;
  // (traces_passed_over includes, in v2, those with fewer candidate spans
  // than the query's min_matching_spans(), see set_may_be_split.)
  // Traces passed over because they start too early (ScanForQuery's
  // start_after), and pages none of whose traces start late enough.
  uint64_t traces_too_old = 0;
  uint64_t pages_too_old = 0;
  // v2: pages passed over on their candidate spans and the split memo
  // (set_split_memo), without reading their trace table.
  uint64_t pages_split_memo = 0;
  uint64_t spans_inspected = 0;
};

class BlockTraceScanner {
 public:
  virtual ~BlockTraceScanner() = default;

  // A scanner for `reader`'s block (v1 or v2). `reader` must not be null.
  static std::unique_ptr<BlockTraceScanner> ForBlock(
      std::shared_ptr<BlockReader> reader);

  // Calls fn(id, trace) for every trace in ID order until fn returns false.
  // `trace` is valid only during the call and may be modified.
  virtual absl::Status ScanAll(
      absl::FunctionRef<bool(const TraceId&,
                             andante::otlp::trace::v1::TracesData&)>
          fn,
      ScanStats* stats) = 0;

  // Calls fn(trace) for every trace that may match `query`, in ID order,
  // until fn returns false. `trace` is valid only during the call (Finish()
  // was called on it). `stats` may be null.
  absl::Status ScanForQuery(const traceql::Query& query,
                            absl::FunctionRef<bool(const traceql::Trace&)> fn,
                            ScanStats* stats) {
    return ScanForQuery(query, nullptr, fn, stats);
  }

  // The same, for a caller that wants only traces starting after a time it
  // raises as it goes (a search keeping the newest `limit` results): with
  // `start_after` non-null, a trace whose start (its earliest span's) is at
  // or before *start_after, read anew before each trace, is not built nor
  // handed to fn (counted in traces_too_old). v2 then yields in no fixed
  // order: it reads every page's trace table, start column and the columns
  // of the query's cheap per-span checks (status, kind, duration, span
  // attributes) first, then reads whole the pages in the order of their
  // latest candidate trace, latest first, and ends at the first page whose
  // latest candidate starts at or before *start_after (pages_too_old).
  // Spans count in spans_inspected once, when their starts are read.
  virtual absl::Status ScanForQuery(
      const traceql::Query& query, const int64_t* start_after,
      absl::FunctionRef<bool(const traceql::Trace&)> fn, ScanStats* stats) = 0;

  // Tells the scanner which traces may have parts outside its block (in
  // other blocks: a caller that combines a trace's parts before evaluating
  // it). v2 then passes over a trace whose part holds fewer spans that may
  // satisfy the query's span_conditions() than Query::min_matching_spans()
  // (`{ duration > 1s } | count() > 2`: three) unless may_be_split(id);
  // unset, it takes every trace for possibly split and uses no such bound.
  // A false positive costs only work. Called during ScanForQuery.
  void set_may_be_split(std::function<bool(const TraceId&)> may_be_split) {
    may_be_split_ = std::move(may_be_split);
  }
  // With may_be_split: `memo` (BlockReader::SplitMemoFor, for the blocks
  // may_be_split looks at) is read and filled by v2's ScanForQuery with
  // start_after, so that a page whose candidate spans are too few for the
  // bound and in no trace that may be split is passed over without reading
  // its trace table once a scan has read it. Answers are the same without.
  void set_split_memo(std::shared_ptr<scan::SplitMemo> memo) {
    split_memo_ = std::move(memo);
  }

 protected:
  std::function<bool(const TraceId&)> may_be_split_;
  std::shared_ptr<scan::SplitMemo> split_memo_;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_SCANNER_H_
