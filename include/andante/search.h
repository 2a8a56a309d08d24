// Search: find traces by what happened in them (TraceQL), and list the
// attribute names and values a query builder offers.
//
// Store::Search evaluates a parsed traceql::Query over every stage of a
// tenant's data — live traces, the head block, blocks waiting to be flushed
// and complete blocks — combining the fragments of a trace found in several
// stages by trace ID before it is evaluated. It returns the most recent
// matching traces (by start time, newest first), at most `limit`.
//
//   auto query = andante::traceql::Query::Parse(R"({ status = error })");
//   if (!query.ok()) return query.status();                 // HTTP 400
//   andante::SearchOptions options;
//   options.limit = 20;
//   auto result = store->Search("single-tenant", *query, options);
//   for (const andante::SearchTrace& t : result->traces) use(t.trace_id_hex);
//
// Tags: Store::SearchTags lists attribute names per scope;
// Store::SearchTagValues lists the distinct typed values of one attribute or
// intrinsic. Both read live data and blocks alike and stop at `max_bytes`.
#ifndef ANDANTE_SEARCH_H_
#define ANDANTE_SEARCH_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"
#include "andante/traceql.h"

namespace andante {

struct SearchResult;

// Restricts and sizes a search, like the parameters of Tempo's /api/search.
struct SearchOptions {
  // Unix seconds; 0 means unbounded. A trace is considered when its span
  // time range overlaps [start, end].
  int64_t start_unix_seconds = 0;
  int64_t end_unix_seconds = 0;
  // Most traces returned. REQUIRES: > 0.
  uint32_t limit = 20;
  // Spans returned per spanset (`spss`); 0 means all.
  uint32_t spans_per_spanset = 3;
  // Optional progress report, for streaming partial results: called on the
  // searching thread after each stage (the live/WAL traces, then each
  // complete block read or skipped) with the matches kept so far (newest
  // first, at most `limit`) and the work done so far. Returning false
  // cancels the search (Store::Search then answers CANCELLED).
  std::function<bool(const SearchResult& so_far)> progress;
};

// One span of a matched spanset.
struct SearchSpan {
  std::string span_id_hex;  // 16 lowercase hex digits
  std::string name;
  int64_t start_unix_nanos = 0;
  int64_t duration_nanos = 0;
  // The attributes the query touched (see traceql::Query::SpanAttributes).
  std::vector<traceql::NamedValue> attributes;
};

struct SearchSpanSet {
  // At most SearchOptions::spans_per_spanset spans.
  std::vector<SearchSpan> spans;
  // Spans that matched in the set (may exceed spans.size()).
  uint32_t matched = 0;
  // Pipeline outputs: by(), count(), select()...
  std::vector<traceql::NamedValue> attributes;
};

struct SearchServiceStats {
  uint32_t span_count = 0;
  uint32_t error_count = 0;
};

// Tempo's placeholder when a trace's root span has not been received.
inline constexpr std::string_view kRootSpanNotYetReceived =
    "<root span not yet received>";

// One matching trace.
struct SearchTrace {
  TraceId trace_id;
  std::string trace_id_hex;  // lowercase hex, leading zeros removed
  // kRootSpanNotYetReceived when there is no root span (root_trace_name is
  // then empty).
  std::string root_service_name;
  std::string root_trace_name;
  int64_t start_unix_nanos = 0;
  uint32_t duration_ms = 0;
  std::vector<SearchSpanSet> span_sets;
  std::map<std::string, SearchServiceStats> service_stats;
};

// Work done, as Tempo's SearchMetrics reports it.
struct SearchMetrics {
  uint32_t inspected_traces = 0;
  uint64_t inspected_bytes = 0;
  uint64_t inspected_spans = 0;
  uint32_t total_blocks = 0;
  uint64_t total_block_bytes = 0;
  // Blocks not read: outside the time range, unable to hold a trace newer
  // than the results once the limit was reached, or (v2) ruled out by the
  // block's index summaries (blooms, duration bounds, key statistics)
  // without reading any data.
  uint32_t skipped_blocks = 0;
};

struct SearchResult {
  // Newest first (start time descending), at most `limit`.
  std::vector<SearchTrace> traces;
  SearchMetrics metrics;
};

// Attribute scopes for SearchTags.
enum class TagScope : uint8_t {
  kAll,  // every scope below except intrinsics
  kResource,
  kSpan,
  kEvent,
  kLink,
  kInstrumentation,
  kIntrinsic,
};

// Tempo's max_bytes_per_tag_values_query default.
inline constexpr uint64_t kDefaultMaxTagBytes = 1000 * 1000;

struct TagSearchOptions {
  int64_t start_unix_seconds = 0;  // 0: unbounded
  int64_t end_unix_seconds = 0;
  // Only spans matching this query contribute (null: all spans).
  const traceql::Query* query = nullptr;
  // The answer stops growing once its names/values add up to this many bytes.
  uint64_t max_bytes = kDefaultMaxTagBytes;
};

// Attribute names per scope, each sorted and distinct.
struct TagsResult {
  std::vector<std::string> resource;
  std::vector<std::string> span;
  std::vector<std::string> event;
  std::vector<std::string> link;
  std::vector<std::string> instrumentation;
  uint64_t inspected_bytes = 0;
  uint32_t total_blocks = 0;
  // Stored spans left out because their span or parent ID is not 8 bytes
  // (malformed data; the rest of their trace still counts).
  uint64_t skipped_spans = 0;
};

// The tag whose values SearchTagValues lists: an attribute in a scope
// (kUnscoped: span and resource attributes) or an intrinsic.
struct TagName {
  bool is_intrinsic = false;
  traceql::Intrinsic intrinsic = traceql::Intrinsic::kName;
  traceql::AttributeName attribute;

  // Parses a TraceQL identifier (`resource.service.name`, `.http.method`,
  // `span.x`, `name`, `status`, `kind`...), as Tempo's v2 tag values
  // endpoint does. INVALID_ARGUMENT if it is none.
  static absl::StatusOr<TagName> Parse(std::string_view text);
};

struct TagValuesResult {
  // Distinct values, sorted by type then value. Status and kind values have
  // types kStatus/kKind (Tempo's "keyword").
  std::vector<traceql::Value> values;
  uint64_t inspected_bytes = 0;
  uint32_t total_blocks = 0;
  // As TagsResult::skipped_spans.
  uint64_t skipped_spans = 0;
};

// Translates Tempo's pre-TraceQL search (logfmt `tags`, minDuration and
// maxDuration in milliseconds, 0 = none) into a TraceQL query text, as
// Tempo does for its columnar blocks: each tag must be satisfied by some span
// of the trace; values match as case-insensitive substrings; `name`,
// `status.code`, `error=true`, `root.service.name`, `root.name` map to
// intrinsics; durations bound the trace duration. INVALID_ARGUMENT with
// Tempo's wording for malformed tags.
absl::StatusOr<std::string> LegacyTagsToTraceQL(std::string_view tags,
                                                uint32_t min_duration_ms,
                                                uint32_t max_duration_ms);

}  // namespace andante

#endif  // ANDANTE_SEARCH_H_
