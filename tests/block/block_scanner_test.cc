// BlockTraceScanner over v1 and v2 blocks: the traces a query matches are
// the same as when the stored OTLP is converted and evaluated directly (the
// expectation, computed without any block), and v2 skips blocks and pages
// whose summaries rule the query out, without decompressing them.
#include "block/block_scanner.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/traceql.h"
#include "andante/traceql_otlp.h"
#include "bench/loadgen/trace_factory.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "block/v2_block_writer.h"
#include "block/v2_index.h"
#include "gtest/gtest.h"
#include "model/trace_split.h"

namespace andante::internal {
namespace {

using ::andante::otlp::trace::v1::TracesData;

struct Stored {
  std::string data;
  uint64_t start = 0, end = 0;
  uint32_t spans = 0;
};

std::map<TraceId, Stored> RealisticTraces(size_t batches, uint64_t seed) {
  loadgen::TraceFactory factory(seed);
  std::map<TraceId, Stored> out;
  for (size_t b = 0; b < batches; ++b) {
    auto batch = factory.BuildBatch(500, absl::Now(), nullptr);
    absl::StatusOr<std::vector<TraceFragment>> fragments = SplitByTrace(batch);
    if (!fragments.ok()) break;
    for (TraceFragment& f : *fragments) {
      Stored& s = out[f.id];
      s.data += f.data;
      s.start = s.start == 0 ? f.start_unix_nano
                             : std::min(s.start, f.start_unix_nano);
      s.end = std::max(s.end, f.end_unix_nano);
      s.spans += f.span_count;
    }
  }
  return out;
}

std::shared_ptr<BlockReader> Build(std::shared_ptr<Backend> backend,
                                   const std::map<TraceId, Stored>& traces,
                                   uint32_t version) {
  BlockOptions options;
  options.version = version;
  options.page_size_bytes = 32 << 10;
  BlockBuilder builder(options, *backend, "t1", NewBlockId(), traces.size());
  for (const auto& [id, t] : traces) {
    EXPECT_TRUE(builder.Add(id, t.data, t.start, t.end, t.spans).ok());
  }
  absl::StatusOr<BlockMeta> meta = builder.Finish();
  EXPECT_TRUE(meta.ok()) << meta.status();
  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(backend, *meta);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return std::shared_ptr<BlockReader>(std::move(*reader));
}

// A v2 block in the single-chunk span attribute layout, as written before
// keyed span attributes.
std::shared_ptr<BlockReader> BuildUnkeyed(
    std::shared_ptr<Backend> backend, const std::map<TraceId, Stored>& traces) {
  SetV2KeyedSpanAttributesForTesting(false);
  std::shared_ptr<BlockReader> reader = Build(std::move(backend), traces, 2);
  SetV2KeyedSpanAttributesForTesting(true);
  return reader;
}

// trace ID -> matched span IDs, over all spansets.
using Matches = std::map<TraceId, std::set<uint64_t>>;

void Record(traceql::Matcher& matcher, const traceql::Trace& trace,
            Matches* out) {
  std::vector<traceql::SpanSet> sets;
  absl::Status s = matcher.Evaluate(trace, &sets);
  ASSERT_TRUE(s.ok()) << s;
  if (sets.empty()) return;
  std::set<uint64_t>& spans = (*out)[trace.trace_id];
  for (const traceql::SpanSet& set : sets) {
    for (uint32_t i : set.spans) spans.insert(trace.spans[i].span_id);
  }
}

// The stored traces converted straight from OTLP, without any block: what
// every scan's matches are checked against.
std::vector<traceql::Trace> DirectTraces(
    const std::map<TraceId, Stored>& traces) {
  std::vector<traceql::Trace> out;
  for (const auto& [id, t] : traces) {
    TracesData data;
    EXPECT_TRUE(data.ParseFromString(t.data));
    traceql::Trace& trace = out.emplace_back();
    EXPECT_TRUE(traceql::TraceFromOtlp(data, id, &trace).ok());
  }
  return out;
}

// The matches of `query` over `traces` evaluated directly.
Matches DirectMatches(const traceql::Query& query,
                      const std::vector<traceql::Trace>& traces) {
  traceql::Matcher matcher(query);
  Matches out;
  for (const traceql::Trace& trace : traces) Record(matcher, trace, &out);
  return out;
}

// The matches of `query` over the traces a scan of `reader` yields.
Matches ScanMatches(const std::shared_ptr<BlockReader>& reader,
                    const traceql::Query& query, ScanStats* stats = nullptr) {
  traceql::Matcher matcher(query);
  Matches out;
  absl::Status s = BlockTraceScanner::ForBlock(reader)->ScanForQuery(
      query,
      [&](const traceql::Trace& trace) {
        Record(matcher, trace, &out);
        return true;
      },
      stats);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// What one ScanForQuery of `scanner` gave: the matches of the traces it
// yielded, their IDs and its counters.
struct ScanOutcome {
  Matches matches;
  std::set<TraceId> yielded;
  ScanStats stats;
};
ScanOutcome ScanYielding(BlockTraceScanner& scanner,
                         const traceql::Query& query, bool latest_first) {
  traceql::Matcher matcher(query);
  ScanOutcome out;
  int64_t start_after = std::numeric_limits<int64_t>::min();
  absl::Status s = scanner.ScanForQuery(
      query, latest_first ? &start_after : nullptr,
      [&](const traceql::Trace& trace) {
        out.yielded.insert(trace.trace_id);
        Record(matcher, trace, &out.matches);
        return true;
      },
      &out.stats);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// The same traces in each block layout a scan must read alike: v1 rows, v2
// with keyed span attributes, and v2 in the single-chunk layout written
// before keyed span attributes.
struct Layouts {
  explicit Layouts(std::map<TraceId, Stored> stored)
      : traces(std::move(stored)),
        direct(DirectTraces(traces)),
        v1(Build(backend, traces, 1)),
        v2(Build(backend, traces, 2)),
        unkeyed(BuildUnkeyed(backend, traces)) {}

  // Each layout, named for SCOPED_TRACE.
  std::vector<std::pair<std::string, std::shared_ptr<BlockReader>>> All()
      const {
    return {{"v1", v1}, {"v2", v2}, {"v2 unkeyed", unkeyed}};
  }
  std::vector<std::pair<std::string, std::shared_ptr<BlockReader>>> V2()
      const {
    return {{"v2", v2}, {"v2 unkeyed", unkeyed}};
  }

  std::map<TraceId, Stored> traces;
  std::vector<traceql::Trace> direct;
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> v1, v2, unkeyed;
};

const char* const kQueries[] = {
    R"({ resource.service.name = "cart" })",
    R"({ span.http.status_code >= 500 })",
    R"({ .http.method = "POST" && duration > 5ms })",
    R"({ status = error })",
    R"({ name =~ "GET.*" && kind = server })",
    R"({ span.db.system = "redis" } >> { span.http.status_code = 200 })",
    R"({ resource.service.name = "frontend" } > { resource.service.name = "cart" })",
    R"({ span.http.route = "/api/users/{id}" } | count() > 1)",
    R"({ rootServiceName = "frontend" && rootName =~ "GET.*" })",
    R"({ traceDuration > 20ms })",
    R"({ span.user.id = "u-4242" })",
    R"({ event:name = "exception" })",
    R"({ statusMessage != "" })",
    R"({ instrumentation:name =~ ".*http.*" })",
    R"({ span.net.peer.port = 6379 || span.db.name = "users" })",
    R"({ duration > 1h })",
    R"({ span.http.status_code = 999 })",
    R"({ span.http.method = "GET" && span.http.status_code < 300 })",
    R"({ span.http.status_code > 200 && span.http.status_code <= 404 })",
    R"({ span.db.system = "redis" && span.db.statement != nil })",
    R"({ } | select(span.http.url))",
    // Pipelines (OR mode) whose leading filter rules spans out.
    R"({ duration > 5ms } | count() > 2)",
    R"({ span.http.status_code >= 500 && kind = server } | count() > 0)",
    R"({ status = error } | by(resource.service.name) | count() > 1)",
    R"({ span.http.method = "GET" && duration > 1ms } | avg(duration) > 10ms)",
    R"({ span.db.system = "redis" || status = error } | count() > 1)",
    R"({ .http.method = "POST" && span.http.status_code < 300 } | count() > 1)",
};

TEST(BlockScannerTest, MatchesEqualDirectEvaluationForV1AndV2) {
  const Layouts layouts(RealisticTraces(8, 21));
  for (const char* text : kQueries) {
    SCOPED_TRACE(text);
    absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    const Matches want = DirectMatches(*query, layouts.direct);
    for (const auto& [name, reader] : layouts.All()) {
      SCOPED_TRACE(name);
      EXPECT_EQ(ScanMatches(reader, *query), want);
    }
  }
}

// A search keeping the newest `limit` matches passes the scanner a start
// time it raises as results come in. The matches kept must be exactly the
// `limit` newest of direct evaluation, and a fixed start time must yield
// exactly the matches starting after it, in every format.
TEST(BlockScannerTest, StartAfterKeepsExactlyTheNewestMatches) {
  const Layouts layouts(RealisticTraces(8, 21));
  const std::map<TraceId, Stored>& traces = layouts.traces;
  for (const char* text : kQueries) {
    SCOPED_TRACE(text);
    absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    traceql::Matcher matcher(*query);
    // The expectation: matches by start, newest first, from OTLP directly.
    const Matches direct = DirectMatches(*query, layouts.direct);
    std::vector<std::pair<int64_t, TraceId>> all, matching;
    for (const traceql::Trace& trace : layouts.direct) {
      all.emplace_back(trace.start_unix_nanos, trace.trace_id);
      if (direct.contains(trace.trace_id)) {
        matching.emplace_back(trace.start_unix_nanos, trace.trace_id);
      }
    }
    std::sort(all.rbegin(), all.rend());
    std::sort(matching.rbegin(), matching.rend());
    const int64_t median = all[all.size() / 2].first;
    std::set<TraceId> after_median;
    for (const auto& [start, id] : matching) {
      if (start > median) after_median.insert(id);
    }
    for (size_t limit : {size_t{1}, size_t{5}, size_t{40}}) {
      SCOPED_TRACE(limit);
      std::set<TraceId> newest;
      for (size_t i = 0; i < std::min(limit, matching.size()); ++i) {
        newest.insert(matching[i].second);
      }
      // Distinct starts around the cut, so "the newest" is unambiguous.
      if (matching.size() > limit) {
        ASSERT_NE(matching[limit - 1].first, matching[limit].first);
      }
      for (const auto& [name, reader] : layouts.All()) {
        SCOPED_TRACE(name);
        std::set<std::pair<int64_t, TraceId>> kept;
        int64_t start_after = std::numeric_limits<int64_t>::min();
        ScanStats stats;
        absl::Status s = BlockTraceScanner::ForBlock(reader)->ScanForQuery(
            *query, &start_after,
            [&](const traceql::Trace& trace) {
              EXPECT_GT(trace.start_unix_nanos, start_after);
              Matches m;
              Record(matcher, trace, &m);
              if (m.empty()) return true;
              kept.emplace(trace.start_unix_nanos, trace.trace_id);
              if (kept.size() > limit) kept.erase(kept.begin());
              if (kept.size() == limit) start_after = kept.begin()->first;
              return true;
            },
            &stats);
        ASSERT_TRUE(s.ok()) << s;
        std::set<TraceId> got;
        for (const auto& [start, id] : kept) got.insert(id);
        EXPECT_EQ(got, newest);
        // Once the limit is reached, older traces are not built (v2: nor
        // are the pages holding none read whole).
        if (matching.size() > 2 * limit) {
          EXPECT_GT(stats.traces_too_old + stats.pages_too_old, 0u);
          EXPECT_LT(stats.traces_inspected, traces.size());
        }
      }
    }
    for (const auto& [name, reader] : layouts.All()) {
      SCOPED_TRACE(name);
      std::set<TraceId> got;
      int64_t start_after = median;
      ScanStats stats;
      ASSERT_TRUE(BlockTraceScanner::ForBlock(reader)
                      ->ScanForQuery(
                          *query, &start_after,
                          [&](const traceql::Trace& trace) {
                            EXPECT_GT(trace.start_unix_nanos, median);
                            Matches m;
                            Record(matcher, trace, &m);
                            if (!m.empty()) got.insert(trace.trace_id);
                            return true;
                          },
                          &stats)
                      .ok());
      EXPECT_EQ(got, after_median);
    }
  }
}

// Status, kind, duration and span-attribute conditions are decided from
// their columns before any page is read whole: for these queries they are
// exact, so with limit 1 only the page holding the newest match is read
// whole (pass 2), the others only for their start and checked columns.
TEST(BlockScannerTest, LatestFirstReadsOnlyThePageOfTheNewestMatch) {
  const Layouts layouts(RealisticTraces(8, 21));
  for (const char* text :
       {"{ status = error }", "{ kind = server }", "{ duration > 5ms }",
        "{ span.http.status_code >= 500 }",
        R"({ span.http.method = "POST" && kind = client })",
        // A pipeline's leading filter is checked the same way.
        "{ status = error } | count() > 0",
        "{ duration > 5ms && kind = client } | count() > 0",
        "{ span.http.status_code >= 500 } | by(kind) | count() > 0"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    traceql::Matcher matcher(*query);
    for (const auto& [name, reader] : layouts.V2()) {
      SCOPED_TRACE(name);
      int64_t start_after = std::numeric_limits<int64_t>::min();
      ScanStats stats;
      int found = 0;
      ASSERT_TRUE(BlockTraceScanner::ForBlock(reader)
                      ->ScanForQuery(
                          *query, &start_after,
                          [&](const traceql::Trace& trace) {
                            Matches m;
                            Record(matcher, trace, &m);
                            if (!m.empty() &&
                                trace.start_unix_nanos > start_after) {
                              start_after = trace.start_unix_nanos;
                              ++found;
                            }
                            return true;
                          },
                          &stats)
                      .ok());
      EXPECT_GT(found, 0);
      EXPECT_GT(stats.pages_probed, 1u);
      EXPECT_EQ(stats.pages_read - stats.pages_probed, 1u);
    }
  }
}

// `{ duration > 5ms } | count() > 3`: a trace whose part in the block has
// fewer than 4 spans over 5ms can match only if it has parts elsewhere, so
// the scanner passes it over unless may_be_split says it may (in both scan
// orders), and still yields every match.
TEST(BlockScannerTest, CountBoundPassesOverTracesWithTooFewSpansUnlessSplit) {
  const Layouts layouts(RealisticTraces(8, 21));
  absl::StatusOr<traceql::Query> query =
      traceql::Query::Parse("{ duration > 5ms } | count() > 3");
  ASSERT_TRUE(query.ok()) << query.status();
  ASSERT_EQ(query->min_matching_spans(), 4);
  const Matches want = DirectMatches(*query, layouts.direct);
  // Spans over 5ms per trace, counted from the OTLP directly.
  std::map<TraceId, int> long_spans;
  for (const traceql::Trace& trace : layouts.direct) {
    int& n = long_spans[trace.trace_id];
    for (const traceql::Span& span : trace.spans) {
      if (span.duration_nanos > 5000000) ++n;
    }
  }
  std::set<TraceId> enough, some;
  for (const auto& [id, n] : long_spans) {
    if (n >= 4) enough.insert(id);
    if (n >= 1) some.insert(id);
  }
  ASSERT_FALSE(want.empty());
  ASSERT_GT(some.size(), enough.size() + 10);
  for (const auto& [name, reader] : layouts.V2()) {
    for (bool latest_first : {false, true}) {
      for (bool split : {false, true}) {
        SCOPED_TRACE(absl::StrCat(name, latest_first ? " latest first" : "",
                                  split ? " split" : ""));
        std::unique_ptr<BlockTraceScanner> scanner =
            BlockTraceScanner::ForBlock(reader);
        scanner->set_may_be_split([&](const TraceId&) { return split; });
        const ScanOutcome got = ScanYielding(*scanner, *query, latest_first);
        EXPECT_EQ(got.matches, want);
        EXPECT_EQ(got.yielded, split ? some : enough);
      }
    }
  }
}

// The split memo (set_split_memo) remembers, per page whose trace table a
// scan read, the span ranges of the traces may_be_split said yes to. Later
// scans pass over pages whose candidates are too few and in none of those
// traces without reading their trace tables, and still yield every trace
// the first scan yielded: those with enough candidate spans, and every
// possibly-split one with a candidate.
TEST(BlockScannerTest, SplitMemoPassesOverPagesAndKeepsSplitTraces) {
  const Layouts layouts(RealisticTraces(8, 21));
  absl::StatusOr<traceql::Query> query =
      traceql::Query::Parse("{ duration > 200ms } | count() > 2");
  ASSERT_TRUE(query.ok()) << query.status();
  const Matches want = DirectMatches(*query, layouts.direct);
  std::map<TraceId, int> long_spans;
  for (const traceql::Trace& trace : layouts.direct) {
    int& n = long_spans[trace.trace_id];
    for (const traceql::Span& span : trace.spans) {
      if (span.duration_nanos > 200000000) ++n;
    }
  }
  // Every 7th trace may be split; a trace is yielded with 3 long spans, or
  // with 1 when it may be split.
  std::set<TraceId> split, expected;
  int i = 0;
  for (const auto& [id, n] : long_spans) {
    if (i++ % 7 == 0) split.insert(id);
    if (n >= 3 || (n >= 1 && split.contains(id))) expected.insert(id);
  }
  ASSERT_GT(expected.size(), 10u);
  for (const auto& [name, reader] : layouts.V2()) {
    SCOPED_TRACE(name);
    // A reader keeps one memo per set of other blocks.
    const BlockReader::BlockSetDigest others{1, 2};
    std::shared_ptr<scan::SplitMemo> memo = reader->SplitMemoFor(others);
    ASSERT_NE(memo, nullptr);
    EXPECT_EQ(reader->SplitMemoFor(others), memo);
    std::vector<ScanStats> runs;
    std::vector<int> runs_asked;
    for (int run = 0; run < 3; ++run) {
      SCOPED_TRACE(absl::StrCat("run ", run));
      std::unique_ptr<BlockTraceScanner> scanner =
          BlockTraceScanner::ForBlock(reader);
      int asked = 0;
      scanner->set_may_be_split([&](const TraceId& id) {
        ++asked;
        return split.contains(id);
      });
      scanner->set_split_memo(memo);
      const ScanOutcome got =
          ScanYielding(*scanner, *query, /*latest_first=*/true);
      EXPECT_EQ(got.matches, want);
      EXPECT_EQ(got.yielded, expected);
      // The first run asks about every trace of the pages it reads the
      // trace table of; later runs only while filling pages.
      if (run == 0) {
        EXPECT_GT(asked, static_cast<int>(expected.size()));
      } else {
        EXPECT_LT(asked, runs_asked[0]);
      }
      runs_asked.push_back(asked);
      runs.push_back(got.stats);
    }
    EXPECT_EQ(runs[0].pages_split_memo, 0u);
    EXPECT_GT(runs[1].pages_split_memo, 0u);
    EXPECT_LT(runs[1].chunks_decompressed, runs[0].chunks_decompressed);
    EXPECT_EQ(runs[2].pages_split_memo, runs[1].pages_split_memo);
    // Another set of blocks: a new, empty memo.
    std::shared_ptr<scan::SplitMemo> other = reader->SplitMemoFor({1, 3});
    EXPECT_NE(other, memo);
    std::vector<scan::SplitMemo::SpanRange> ranges;
    for (uint32_t n = 0; n < reader->meta().total_pages; ++n) {
      EXPECT_FALSE(other->Get(n, &ranges));
    }
  }
}

TEST(BlockScannerTest, ScanAllYieldsTheStoredTraces) {
  std::map<TraceId, Stored> traces = RealisticTraces(2, 4);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  for (uint32_t version : {1u, 2u}) {
    std::shared_ptr<BlockReader> reader = Build(backend, traces, version);
    auto it = traces.begin();
    absl::Status s = BlockTraceScanner::ForBlock(reader)->ScanAll(
        [&](const TraceId& id, TracesData& data) {
          EXPECT_EQ(id, it->first);
          TracesData want;
          EXPECT_TRUE(want.ParseFromString(it->second.data));
          EXPECT_EQ(data.SerializeAsString(), want.SerializeAsString());
          ++it;
          return true;
        },
        nullptr);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_TRUE(it == traces.end());
    // Stopping early.
    int seen = 0;
    s = BlockTraceScanner::ForBlock(reader)->ScanAll(
        [&](const TraceId&, TracesData&) { return ++seen < 3; }, nullptr);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(seen, 3);
  }
}

TEST(BlockScannerTest, AbsentValueSkipsTheBlockWithoutDecompressing) {
  std::map<TraceId, Stored> traces = RealisticTraces(4, 8);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> v2 = Build(backend, traces, 2);
  for (const char* text :
       {R"({ span.user.id = "u-4242" })",
        R"({ resource.service.name = "nope" })",
        R"({ name = "no such span" && duration > 1ms })",
        R"({ span.no.such.attribute > 3 })", R"({ duration > 10h })",
        // Every condition of a pipeline's leading filter must hold.
        R"({ resource.service.name = "cart" && duration > 10h } | count() > 0)",
        R"({ span.user.id = "u-4242" && kind = server } | count() > 1)"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok());
    ScanStats stats;
    int calls = 0;
    absl::Status s = BlockTraceScanner::ForBlock(v2)->ScanForQuery(
        *query, [&](const traceql::Trace&) { return ++calls > 0; }, &stats);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(stats.blocks_skipped, 1u);
    EXPECT_EQ(stats.chunks_decompressed, 0u);
    EXPECT_EQ(stats.pages_read, 0u);
    EXPECT_EQ(calls, 0);
    // At most the index (read once, then cached): no data byte.
    EXPECT_LE(stats.inspected_bytes, v2->meta().index_bytes);
  }
  // An OR of an absent and a present value must not skip.
  absl::StatusOr<traceql::Query> query = traceql::Query::Parse(
      R"({ span.user.id = "u-4242" || resource.service.name = "cart" })");
  ASSERT_TRUE(query.ok());
  ScanStats stats;
  ASSERT_TRUE(
      BlockTraceScanner::ForBlock(v2)
          ->ScanForQuery(
              *query, [](const traceql::Trace&) { return true; }, &stats)
          .ok());
  EXPECT_EQ(stats.blocks_skipped, 0u);
  EXPECT_GT(stats.traces_inspected, 0u);
}

TEST(BlockScannerTest, PagesWithoutTheValueAreSkippedAndColumnsPruned) {
  // One trace carries a rare attribute value: only its page is read.
  std::map<TraceId, Stored> traces = RealisticTraces(4, 9);
  auto target = std::next(traces.begin(), traces.size() / 2);
  TracesData data;
  ASSERT_TRUE(data.ParseFromString(target->second.data));
  auto* kv = data.mutable_resource_spans(0)
                 ->mutable_scope_spans(0)
                 ->mutable_spans(0)
                 ->add_attributes();
  kv->set_key("user.id");
  kv->mutable_value()->set_string_value("u-4242");
  target->second.data = data.SerializeAsString();
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  // Chunk counts below are those of the single-chunk span attribute layout.
  std::shared_ptr<BlockReader> v2 = BuildUnkeyed(backend, traces);
  ASSERT_GT(v2->meta().total_pages, 4u);

  absl::StatusOr<traceql::Query> query =
      traceql::Query::Parse(R"({ span.user.id = "u-4242" })");
  ASSERT_TRUE(query.ok());
  ScanStats stats;
  const Matches got = ScanMatches(v2, *query, &stats);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->first, target->first);
  EXPECT_EQ(stats.blocks_skipped, 0u);
  // Bloom false positives may let a page or two through, not most.
  EXPECT_LE(stats.pages_read, 3u);
  EXPECT_GE(stats.pages_skipped, v2->meta().total_pages - 3);
  // Columns the query does not reference stay compressed (no events, links,
  // status messages): 13 of 16 chunks per page read, and 2 (the dictionary,
  // for the string literal, and span attributes) per page only probed for
  // the prefilter.
  EXPECT_GE(stats.pages_probed, 1u);
  EXPECT_EQ(stats.chunks_decompressed,
            (stats.pages_read - stats.pages_probed) * 13 +
                stats.pages_probed * 2);
}

// A keyed page's span attributes are a chunk per key: a query no summary can
// rule out reads and decompresses, per page, the one chunk of the key it
// references, not the span attributes of every key.
TEST(BlockScannerTest, KeyedFullScanReadsOnlyTheReferencedKeyChunk) {
  std::map<TraceId, Stored> traces = RealisticTraces(4, 9);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> v2 = Build(backend, traces, 2);
  std::shared_ptr<BlockReader> unkeyed = BuildUnkeyed(backend, traces);
  absl::StatusOr<std::shared_ptr<const V2Index>> index =
      v2->LoadV2Index(nullptr);
  ASSERT_TRUE(index.ok());
  // What one key's chunks weigh, over every page, and the whole pages.
  uint64_t key_bytes = 0, span_attribute_bytes = 0;
  for (const V2PageEntry& p : (*index)->pages) {
    ASSERT_TRUE(p.keyed);
    ASSERT_EQ(p.key_chunks.size(), p.span_keys.size());
    for (size_t k = 0; k < p.span_keys.size(); ++k) {
      span_attribute_bytes += p.key_chunks[k].length;
      if (p.span_keys[k].key == "http.status_code") {
        key_bytes += p.key_chunks[k].length;
      }
    }
  }
  ASSERT_GT(key_bytes, 0u);
  absl::StatusOr<traceql::Query> query = traceql::Query::Parse(
      "{ span.http.status_code > 200 && span.http.status_code < 201 }");
  ASSERT_TRUE(query.ok());
  auto none = [](const traceql::Trace&) { return true; };
  ASSERT_TRUE(unkeyed->LoadV2Index(nullptr).ok());
  // Indexes loaded: what the scans read is data alone.
  ScanStats keyed, old;
  ASSERT_TRUE(
      BlockTraceScanner::ForBlock(v2)->ScanForQuery(*query, none, &keyed).ok());
  ASSERT_TRUE(BlockTraceScanner::ForBlock(unkeyed)
                  ->ScanForQuery(*query, none, &old)
                  .ok());
  EXPECT_EQ(keyed.traces_inspected, 0u);
  EXPECT_GE(keyed.pages_probed, 1u);
  EXPECT_EQ(keyed.pages_probed + keyed.pages_skipped, v2->meta().total_pages);
  // One chunk per probed page: the key's (both conditions name it).
  EXPECT_EQ(keyed.chunks_decompressed, keyed.pages_probed);
  EXPECT_GT(keyed.inspected_bytes, 0u);
  EXPECT_LE(keyed.inspected_bytes, key_bytes);
  EXPECT_LT(key_bytes * 4, span_attribute_bytes);
  // The single-chunk layout reads every key's attributes.
  EXPECT_GE(old.pages_probed, 1u);
  EXPECT_EQ(old.chunks_decompressed, old.pages_probed);
  EXPECT_GT(old.inspected_bytes, 3 * keyed.inspected_bytes);
}

// A v2 block as written before the index carried span-attribute key
// statistics: the same index re-encoded without them (flag bit clear, no
// section), the reader opened with that index's size.
std::shared_ptr<BlockReader> WithoutKeyStatistics(
    std::shared_ptr<Backend> backend, const BlockReader& reader) {
  BlockMeta meta = reader.meta();
  const std::string key = BlockKey(meta.tenant, meta.block_id, kIndexObjectName);
  absl::StatusOr<std::string> bytes = backend->Read(key);
  EXPECT_TRUE(bytes.ok());
  absl::StatusOr<V2Index> index = V2Index::Decode(*bytes);
  EXPECT_TRUE(index.ok()) << index.status();
  EXPECT_TRUE(index->attribute_stats);
  index->attribute_stats = false;
  for (V2PageEntry& p : index->pages) p.span_keys.clear();
  const std::string old = index->Encode();
  EXPECT_LT(old.size(), bytes->size());
  EXPECT_TRUE(backend->Write(key, old).ok());
  meta.index_bytes = old.size();
  absl::StatusOr<std::unique_ptr<BlockReader>> opened =
      BlockReader::Open(backend, meta);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return std::shared_ptr<BlockReader>(std::move(*opened));
}

TEST(BlockScannerTest, IndexWithoutKeyStatisticsStillReadsAndMatches) {
  std::map<TraceId, Stored> traces = RealisticTraces(4, 33);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> fresh = Build(backend, traces, 2);
  std::shared_ptr<Backend> old_backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> old =
      WithoutKeyStatistics(old_backend, *BuildUnkeyed(old_backend, traces));
  // Trace by ID reads the same.
  for (const auto& [id, t] : traces) {
    absl::StatusOr<std::optional<std::string>> a = fresh->Find(id);
    absl::StatusOr<std::optional<std::string>> b = old->Find(id);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(a->has_value() && b->has_value());
    EXPECT_EQ(**a, **b);
  }
  const std::vector<traceql::Trace> direct = DirectTraces(traces);
  for (const char* text : kQueries) {
    SCOPED_TRACE(text);
    absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok());
    EXPECT_EQ(ScanMatches(old, *query), DirectMatches(*query, direct));
  }
  // A status code above every stored one: the key statistics skip the new
  // block unread; the old one has only its blooms (which hold the key), so
  // it probes the span attribute and dictionary chunks of every page.
  absl::StatusOr<traceql::Query> query =
      traceql::Query::Parse("{ span.http.status_code = 999 }");
  ASSERT_TRUE(query.ok());
  ScanStats with, without;
  auto none = [](const traceql::Trace&) { return true; };
  ASSERT_TRUE(
      BlockTraceScanner::ForBlock(fresh)->ScanForQuery(*query, none, &with).ok());
  ASSERT_TRUE(
      BlockTraceScanner::ForBlock(old)->ScanForQuery(*query, none, &without).ok());
  EXPECT_EQ(with.blocks_skipped, 1u);
  EXPECT_EQ(with.chunks_decompressed, 0u);
  EXPECT_EQ(without.blocks_skipped, 0u);
  EXPECT_EQ(without.pages_probed, old->meta().total_pages);
  EXPECT_EQ(without.chunks_decompressed, 2 * without.pages_probed);
  EXPECT_EQ(without.traces_inspected, 0u);
}

TEST(BlockScannerTest, KeyStatisticsDescribeEachPage) {
  // Expectations computed from the stored OTLP, page by page (each page's
  // trace ID range from the index).
  std::map<TraceId, Stored> traces = RealisticTraces(3, 5);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> v2 = Build(backend, traces, 2);
  absl::StatusOr<std::shared_ptr<const V2Index>> index =
      v2->LoadV2Index(nullptr);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->attribute_stats);
  std::map<std::string, V2KeyStats> block;
  for (const V2PageEntry& p : (*index)->pages) {
    std::map<std::string, V2KeyStats> want;
    std::map<std::string, std::set<int64_t>> ints;
    for (auto it = traces.lower_bound(p.first_id);
         it != traces.end() && !(p.last_id < it->first); ++it) {
      TracesData data;
      ASSERT_TRUE(data.ParseFromString(it->second.data));
      for (const auto& rs : data.resource_spans()) {
        for (const auto& ss : rs.scope_spans()) {
          for (const auto& span : ss.spans()) {
            for (const auto& kv : span.attributes()) {
              V2KeyStats& k = want[kv.key()];
              k.key = kv.key();
              using AnyValue = ::andante::otlp::common::v1::AnyValue;
              switch (kv.value().value_case()) {
                case AnyValue::kStringValue:
                  k.types |= 1u << kV2String;
                  break;
                case AnyValue::kIntValue:
                  k.types |= 1u << kV2Int;
                  ints[kv.key()].insert(kv.value().int_value());
                  break;
                default:
                  k.types |= 1u << 7;  // some other type
              }
            }
          }
        }
      }
    }
    ASSERT_EQ(p.span_keys.size(), want.size());
    for (const V2KeyStats& got : p.span_keys) {
      SCOPED_TRACE(got.key);
      ASSERT_TRUE(want.contains(got.key));
      const V2KeyStats& w = want[got.key];
      if (!(w.types & (1u << 7))) {
        EXPECT_EQ(got.types, w.types);
      }
      if (ints.contains(got.key)) {
        const std::set<int64_t>& values = ints[got.key];
        EXPECT_EQ(got.min_int, *values.begin());
        EXPECT_EQ(got.max_int, *values.rbegin());
        if (values.size() <= kV2MaxIntValuesListed) {
          EXPECT_EQ(got.ints, std::vector<int64_t>(values.begin(), values.end()));
        } else {
          EXPECT_TRUE(got.ints.empty());
        }
      }
    }
  }
  // The block's merged statistics cover every page's.
  for (const V2PageEntry& p : (*index)->pages) {
    for (const V2KeyStats& k : p.span_keys) {
      const V2KeyStats* b = FindKeyStats((*index)->span_keys, k.key);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(b->types & k.types, k.types);
      if (k.types & (1u << kV2Int)) {
        EXPECT_LE(b->min_int, k.min_int);
        EXPECT_GE(b->max_int, k.max_int);
        for (int64_t v : k.ints) {
          EXPECT_TRUE(b->ints.empty() ||
                      std::binary_search(b->ints.begin(), b->ints.end(), v));
        }
      }
    }
  }
}

}  // namespace
}  // namespace andante::internal
