// BlockTraceScanner over v1 and v2 blocks: the traces a query matches are
// the same as when the stored OTLP is converted and evaluated directly (the
// expectation, computed without any block), and v2 skips blocks and pages
// whose summaries rule the query out, without decompressing them.
#include "block/block_scanner.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/traceql.h"
#include "andante/traceql_otlp.h"
#include "bench/loadgen/trace_factory.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
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
};

TEST(BlockScannerTest, MatchesEqualDirectEvaluationForV1AndV2) {
  std::map<TraceId, Stored> traces = RealisticTraces(8, 21);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::shared_ptr<BlockReader> v1 = Build(backend, traces, 1);
  std::shared_ptr<BlockReader> v2 = Build(backend, traces, 2);
  for (const char* text : kQueries) {
    SCOPED_TRACE(text);
    absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    traceql::Matcher matcher(*query);
    // The expectation: every stored trace converted straight from OTLP.
    Matches want;
    for (const auto& [id, t] : traces) {
      TracesData data;
      ASSERT_TRUE(data.ParseFromString(t.data));
      traceql::Trace trace;
      ASSERT_TRUE(traceql::TraceFromOtlp(data, id, &trace).ok());
      Record(matcher, trace, &want);
    }
    for (const auto& reader : {v1, v2}) {
      Matches got;
      ScanStats stats;
      absl::Status s = BlockTraceScanner::ForBlock(reader)->ScanForQuery(
          *query,
          [&](const traceql::Trace& trace) {
            Record(matcher, trace, &got);
            return true;
          },
          &stats);
      ASSERT_TRUE(s.ok()) << s;
      EXPECT_EQ(got, want) << "formatVersion " << reader->meta().format_version;
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
        R"({ span.no.such.attribute > 3 })", R"({ duration > 10h })"}) {
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
  std::shared_ptr<BlockReader> v2 = Build(backend, traces, 2);
  ASSERT_GT(v2->meta().total_pages, 4u);

  absl::StatusOr<traceql::Query> query =
      traceql::Query::Parse(R"({ span.user.id = "u-4242" })");
  ASSERT_TRUE(query.ok());
  traceql::Matcher matcher(*query);
  ScanStats stats;
  Matches got;
  ASSERT_TRUE(BlockTraceScanner::ForBlock(v2)
                  ->ScanForQuery(
                      *query,
                      [&](const traceql::Trace& t) {
                        Record(matcher, t, &got);
                        return true;
                      },
                      &stats)
                  .ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->first, target->first);
  EXPECT_EQ(stats.blocks_skipped, 0u);
  // Bloom false positives may let a page or two through, not most.
  EXPECT_LE(stats.pages_read, 3u);
  EXPECT_GE(stats.pages_skipped, v2->meta().total_pages - 3);
  // Columns the query does not reference stay compressed (no events, links,
  // status messages): 13 of 16 chunks per page read, and 5 (tables and span
  // attributes) per page only probed for the prefilter.
  EXPECT_GE(stats.pages_probed, 1u);
  EXPECT_EQ(stats.chunks_decompressed,
            (stats.pages_read - stats.pages_probed) * 13 +
                stats.pages_probed * 5);
}

}  // namespace
}  // namespace andante::internal
