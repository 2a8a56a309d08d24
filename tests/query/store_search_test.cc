// Store::Search, SearchTags and SearchTagValues over a Store on the memory
// backend: the same expectations hold for live traces, the head block and
// complete blocks; limit, recency and time range; tags and typed values.
#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/traceql.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kBase = 1'700'000'000'000'000'000ull;  // ns
constexpr int64_t kBaseSeconds = 1'700'000'000;

enum class Stage { kLive, kHead, kBlocks };

struct Pushed {
  TraceId id;
  uint64_t start;
  std::string service;
  bool error;
};

class StoreSearchTest : public ::testing::TestWithParam<Stage> {
 protected:
  void SetUp() override {
    StoreOptions options =
        testing::TestStoreOptions(tmp_.path(), OpenMemoryBackend());
    options.ingester.trace_idle_period = absl::Seconds(5);
    options.ingester.max_block_duration = absl::Hours(1);
    options.env = &env_;
    auto store = Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // 40 traces, one per minute, three services; every 4th has an error span
  // with http.status_code=500. Each trace: root "GET /x" + child "db".
  void PushTraces(int n = 40) {
    static const char* const kServices[] = {"cart", "checkout", "email"};
    for (int i = 0; i < n; ++i) {
      ExportTraceServiceRequest req;
      std::string service = kServices[i % 3];
      auto* rs = testing::AddResource(req, service);
      Pushed p{testing::RandomTraceId(rng_),
               kBase + static_cast<uint64_t>(i) * 60'000'000'000ull, service,
               i % 4 == 0};
      SpanId root = testing::RandomSpanId(rng_);
      auto* r = testing::AddSpan(rs, p.id, root, "GET /x", p.start, 50'000'000);
      auto* c = testing::AddSpan(rs, p.id, testing::RandomSpanId(rng_), "db",
                                 p.start + 1'000'000, 20'000'000);
      c->set_parent_span_id(root.ToBytes());
      auto* code = c->add_attributes();
      code->set_key("http.status_code");
      code->mutable_value()->set_int_value(p.error ? 500 : 200);
      if (p.error) {
        c->mutable_status()->set_code(
            andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
      }
      (void)r;
      ASSERT_TRUE(store_->Push(kSingleTenant, req).ok());
      pushed_.push_back(p);
    }
    Advance();
  }

  void Advance() {
    if (GetParam() == Stage::kHead) {
      // The next sweep (every flush_check_period, 10 s) finds them idle.
      env_.AdvanceBy(absl::Seconds(10));
      ASSERT_EQ(store_->Stats().live_traces, 0u);
      ASSERT_EQ(store_->Stats().blocks_flushed, 0u);
    } else if (GetParam() == Stage::kBlocks) {
      ASSERT_TRUE(store_->Flush().ok());
      ASSERT_GT(store_->Stats().blocks_flushed, 0u);
    }
  }

  SearchResult Search(std::string_view text, SearchOptions options = {}) {
    auto query = traceql::Query::Parse(text);
    EXPECT_TRUE(query.ok()) << query.status();
    auto result = store_->Search(kSingleTenant, *query, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : SearchResult{};
  }

  static std::vector<std::string> Ids(const SearchResult& r) {
    std::vector<std::string> out;
    for (const SearchTrace& t : r.traces) out.push_back(t.trace_id.ToHex());
    return out;
  }

  // Expected: pushed traces satisfying `pred`, newest first, at most limit.
  template <typename Pred>
  std::vector<std::string> Expect(Pred pred, size_t limit) const {
    std::vector<Pushed> m;
    for (const Pushed& p : pushed_) {
      if (pred(p)) m.push_back(p);
    }
    std::sort(m.begin(), m.end(), [](const Pushed& a, const Pushed& b) {
      return a.start > b.start;
    });
    std::vector<std::string> out;
    for (size_t i = 0; i < m.size() && i < limit; ++i)
      out.push_back(m[i].id.ToHex());
    return out;
  }

  testing::TempDir tmp_{"andante-store-search"};
  testing::ManualEnv env_;  // outlives store_
  std::unique_ptr<Store> store_;
  std::mt19937_64 rng_{7};
  std::vector<Pushed> pushed_;
};

TEST_P(StoreSearchTest, SelectiveQueryReturnsNewestMatchesUpToLimit) {
  PushTraces();
  SearchOptions options;
  options.limit = 4;
  SearchResult r = Search(
      R"({ resource.service.name = "cart" && span.http.status_code = 500 })",
      options);
  EXPECT_EQ(
      Ids(r),
      Expect([](const Pushed& p) { return p.service == "cart" && p.error; },
             4));
  EXPECT_EQ(r.traces.size(), 4u);
  EXPECT_GT(r.metrics.inspected_spans, 0u);
  EXPECT_GT(r.metrics.inspected_bytes, 0u);
}

TEST_P(StoreSearchTest, LimitIsHonouredExactly) {
  PushTraces();
  for (uint32_t limit : {1u, 7u, 20u, 100u}) {
    SearchOptions options;
    options.limit = limit;
    SearchResult r = Search("{ }", options);
    EXPECT_EQ(Ids(r), Expect([](const Pushed&) { return true; }, limit))
        << limit;
  }
}

TEST_P(StoreSearchTest, TimeRangeRestrictsTraces) {
  PushTraces();
  SearchOptions options;
  options.limit = 100;
  options.start_unix_seconds = kBaseSeconds + 10 * 60;
  options.end_unix_seconds = kBaseSeconds + 20 * 60 - 1;
  SearchResult r = Search("{ }", options);
  EXPECT_EQ(Ids(r), Expect(
                        [](const Pushed& p) {
                          return p.start >= kBase + 600'000'000'000ull &&
                                 p.start < kBase + 1'200'000'000'000ull;
                        },
                        100));
  EXPECT_EQ(r.traces.size(), 10u);
}

TEST_P(StoreSearchTest, ResultShape) {
  PushTraces(1);
  SearchOptions options;
  options.spans_per_spanset = 1;
  SearchResult r =
      Search("{ span.http.status_code = 500 || name = \"GET /x\" }", options);
  ASSERT_EQ(r.traces.size(), 1u);
  const SearchTrace& t = r.traces[0];
  EXPECT_EQ(t.root_service_name, "cart");
  EXPECT_EQ(t.root_trace_name, "GET /x");
  EXPECT_EQ(t.start_unix_nanos, static_cast<int64_t>(kBase));
  EXPECT_EQ(t.duration_ms, 50u);
  ASSERT_EQ(t.span_sets.size(), 1u);
  EXPECT_EQ(t.span_sets[0].matched, 2u);
  EXPECT_EQ(t.span_sets[0].spans.size(), 1u);  // spss
  ASSERT_EQ(t.service_stats.count("cart"), 1u);
  EXPECT_EQ(t.service_stats.at("cart").span_count, 2u);
  EXPECT_EQ(t.service_stats.at("cart").error_count, 1u);
  EXPECT_EQ(t.trace_id_hex.front() == '0', false);
}

TEST_P(StoreSearchTest, MissingRootSpan) {
  ExportTraceServiceRequest req;
  auto* rs = testing::AddResource(req, "orphan");
  TraceId id = testing::RandomTraceId(rng_);
  auto* s =
      testing::AddSpan(rs, id, testing::RandomSpanId(rng_), "child", kBase);
  s->set_parent_span_id(testing::RandomSpanId(rng_).ToBytes());
  ASSERT_TRUE(store_->Push(kSingleTenant, req).ok());
  Advance();
  SearchResult r = Search("{ }");
  ASSERT_EQ(r.traces.size(), 1u);
  EXPECT_EQ(r.traces[0].root_service_name, kRootSpanNotYetReceived);
  EXPECT_EQ(r.traces[0].root_trace_name, "");
}

TEST_P(StoreSearchTest, Tags) {
  PushTraces(6);
  auto tags = store_->SearchTags(kSingleTenant, TagScope::kAll, {});
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_THAT(tags->resource, ElementsAre("service.name"));
  EXPECT_THAT(tags->span, ElementsAre("http.method", "http.status_code"));
  // Again (complete blocks now answer from the cache): the same names.
  auto again = store_->SearchTags(kSingleTenant, TagScope::kAll, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resource, tags->resource);
  EXPECT_EQ(again->span, tags->span);
  auto span_only = store_->SearchTags(kSingleTenant, TagScope::kSpan, {});
  ASSERT_TRUE(span_only.ok());
  EXPECT_TRUE(span_only->resource.empty());

  auto tag = TagName::Parse("resource.service.name");
  ASSERT_TRUE(tag.ok()) << tag.status();
  auto values = store_->SearchTagValues(kSingleTenant, *tag, {});
  ASSERT_TRUE(values.ok()) << values.status();
  std::vector<std::string> got;
  for (const auto& v : values->values) {
    EXPECT_EQ(v.type, traceql::ValueType::kString);
    got.push_back(v.s);
  }
  EXPECT_THAT(got, UnorderedElementsAreArray({"cart", "checkout", "email"}));

  auto code = TagName::Parse("span.http.status_code");
  ASSERT_TRUE(code.ok());
  // Narrowed by a query: only the error spans' values.
  auto query = traceql::Query::Parse("{ status = error }");
  ASSERT_TRUE(query.ok());
  TagSearchOptions options;
  options.query = &*query;
  auto codes = store_->SearchTagValues(kSingleTenant, *code, options);
  ASSERT_TRUE(codes.ok());
  ASSERT_EQ(codes->values.size(), 1u);
  EXPECT_EQ(codes->values[0].type, traceql::ValueType::kInt);
  EXPECT_EQ(codes->values[0].i, 500);

  EXPECT_FALSE(TagName::Parse("{ nope").ok());
}

TEST_P(StoreSearchTest, TagValuesStopAtByteLimit) {
  PushTraces(30);
  auto tag = TagName::Parse("name");
  ASSERT_TRUE(tag.ok());
  TagSearchOptions options;
  options.max_bytes = 1;
  auto values = store_->SearchTagValues(kSingleTenant, *tag, options);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->values.size(), 1u);
}

TEST_P(StoreSearchTest, UnknownTenantFindsNothing) {
  PushTraces(3);
  auto query = traceql::Query::Parse("{ }");
  auto r = store_->Search("other", *query, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->traces.empty());
}

INSTANTIATE_TEST_SUITE_P(Stages, StoreSearchTest,
                         ::testing::Values(Stage::kLive, Stage::kHead,
                                           Stage::kBlocks),
                         [](const auto& info) {
                           return info.param == Stage::kLive   ? "Live"
                                  : info.param == Stage::kHead ? "Head"
                                                               : "Blocks";
                         });

// Blocks newest first: once the limit is filled from the newest block, older
// blocks are not read.
TEST(StoreSearchEarlyStop, OlderBlocksSkippedOnceLimitReached) {
  testing::TempDir tmp("andante-store-search-stop");
  StoreOptions options =
      testing::TestStoreOptions(tmp.path(), OpenMemoryBackend());
  auto store = Store::Open(std::move(options));
  ASSERT_TRUE(store.ok());
  std::mt19937_64 rng(3);
  std::vector<std::string> newest;
  for (int block = 0; block < 3; ++block) {
    for (int i = 0; i < 5; ++i) {
      ExportTraceServiceRequest req;
      auto* rs = testing::AddResource(req, "svc");
      TraceId id = testing::RandomTraceId(rng);
      testing::AddSpan(
          rs, id, testing::RandomSpanId(rng), "op",
          kBase + static_cast<uint64_t>(block * 100 + i) * 1'000'000'000ull);
      ASSERT_TRUE((*store)->Push(kSingleTenant, req).ok());
      if (block == 2) newest.insert(newest.begin(), id.ToHex());
    }
    ASSERT_TRUE((*store)->Flush().ok());
  }
  auto query = traceql::Query::Parse("{ }");
  SearchOptions so;
  so.limit = 5;
  auto r = (*store)->Search(kSingleTenant, *query, so);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> got;
  for (const auto& t : r->traces) got.push_back(t.trace_id.ToHex());
  EXPECT_EQ(got, newest);
  EXPECT_EQ(r->metrics.total_blocks, 3u);
  EXPECT_EQ(r->metrics.skipped_blocks, 2u);
  EXPECT_EQ(r->metrics.inspected_traces, 5u);
}

// A block deleted under the store's feet (a compacted input removed after
// compacted_block_retention, by this or another instance, while a search
// still holds it in its view) is skipped: search, tags and tag values answer
// from the other blocks instead of failing the request with NOT_FOUND (the
// s3_crash integration test caught it answering 404 after a compaction).
TEST(StoreSearchGoneBlock, DeletedBlockIsSkippedNotTheRequestsFailure) {
  testing::TempDir tmp("andante-store-search-gone");
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  auto store = Store::Open(testing::TestStoreOptions(tmp.path(), backend));
  ASSERT_TRUE(store.ok()) << store.status();
  std::mt19937_64 rng(5);
  std::vector<std::vector<std::string>> pushed(3);
  for (int block = 0; block < 3; ++block) {
    for (int i = 0; i < 4; ++i) {
      ExportTraceServiceRequest req;
      auto* rs = testing::AddResource(req, "svc");
      const TraceId id = testing::RandomTraceId(rng);
      testing::AddSpan(
          rs, id, testing::RandomSpanId(rng), "op",
          kBase + static_cast<uint64_t>(block * 100 + i) * 1'000'000'000ull);
      ASSERT_TRUE((*store)->Push(kSingleTenant, req).ok());
      pushed[block].push_back(id.ToHex());
    }
    ASSERT_TRUE((*store)->Flush().ok());
  }
  // The middle block (by its meta's time range) goes, every object of it.
  absl::StatusOr<std::vector<std::string>> blocks =
      backend->List(kSingleTenant);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  std::string gone_id;
  for (const std::string& block_id : *blocks) {
    if (!internal::IsValidBlockId(block_id)) continue;
    absl::StatusOr<std::string> json = backend->Read(
        internal::BlockKey(kSingleTenant, block_id, "meta.json"));
    ASSERT_TRUE(json.ok()) << json.status();
    absl::StatusOr<internal::BlockMeta> meta =
        internal::BlockMeta::FromJson(*json);
    ASSERT_TRUE(meta.ok()) << meta.status();
    if (meta->start_unix_nano == kBase + 100'000'000'000ull) gone_id = block_id;
  }
  ASSERT_FALSE(gone_id.empty());
  const std::string dir = internal::BlockKey(kSingleTenant, gone_id, "");
  absl::StatusOr<std::vector<std::string>> objects = backend->List(dir);
  ASSERT_TRUE(objects.ok()) << objects.status();
  ASSERT_FALSE(objects->empty());
  for (const std::string& object : *objects) {
    ASSERT_TRUE(backend->Delete(dir + object).ok()) << object;
  }

  auto query = traceql::Query::Parse("{ }");
  ASSERT_TRUE(query.ok());
  SearchOptions so;
  so.limit = 100;
  absl::StatusOr<SearchResult> r = (*store)->Search(kSingleTenant, *query, so);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> got, want;
  for (const auto& t : r->traces) got.push_back(t.trace_id.ToHex());
  for (int block : {0, 2}) {
    want.insert(want.end(), pushed[block].begin(), pushed[block].end());
  }
  EXPECT_THAT(got, UnorderedElementsAreArray(want));

  absl::StatusOr<TagsResult> tags =
      (*store)->SearchTags(kSingleTenant, TagScope::kResource, {});
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_THAT(tags->resource, ::testing::Contains("service.name"));
  absl::StatusOr<TagName> name = TagName::Parse("resource.service.name");
  ASSERT_TRUE(name.ok());
  absl::StatusOr<TagValuesResult> values =
      (*store)->SearchTagValues(kSingleTenant, *name, {});
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->values.size(), 1u);
  EXPECT_EQ(values->values[0].s, "svc");
}

// The newest `limit` matches, wherever they are: live traces and three v2
// blocks whose time ranges overlap (so no block is skipped by time), with
// some traces split across two of them. The scanners stop early once the
// limit is held; a per-trace aggregate must still count the spans of every
// part, and a structural query see the parent. Expectations come from what
// was pushed.
TEST(StoreSearchEarlyStop, NewestMatchesAcrossLiveAndOverlappingBlocks) {
  testing::TempDir tmp("andante-store-search-newest");
  StoreOptions options =
      testing::TestStoreOptions(tmp.path(), OpenMemoryBackend());
  ASSERT_EQ(options.block.version, 2u);
  auto store = Store::Open(std::move(options));
  ASSERT_TRUE(store.ok());
  std::mt19937_64 rng(11);
  // kind 0: no error; 1: one error span; 2: three error spans; 3: three
  // error spans, the last pushed one round later (another block).
  struct T {
    TraceId id;
    int64_t start;
    int kind;
  };
  constexpr int kTraces = 90;
  std::vector<T> all;
  std::vector<std::pair<TraceId, SpanId>> roots(kTraces);
  auto push = [&](const T& t, SpanId root, const char* name, int64_t offset,
                  bool error, bool is_root) {
    ExportTraceServiceRequest req;
    auto* rs = testing::AddResource(req, "svc");
    auto* sp = testing::AddSpan(
        rs, t.id, is_root ? root : testing::RandomSpanId(rng), name,
        static_cast<uint64_t>(t.start + offset), 1'000'000);
    if (!is_root) sp->set_parent_span_id(root.ToBytes());
    if (error) {
      sp->mutable_status()->set_code(
          andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
    }
    ASSERT_TRUE((*store)->Push(kSingleTenant, req).ok());
  };
  for (int i = 0; i < kTraces; ++i) {
    // Kinds vary independently of the round (i % 3).
    const int kind = static_cast<int>(rng() % 4);
    all.push_back({testing::RandomTraceId(rng),
                   static_cast<int64_t>(kBase) + i * 1'000'000'000ll, kind});
    roots[i] = {all.back().id, testing::RandomSpanId(rng)};
  }
  std::vector<int> late;  // kind 3 traces whose last span is still to come
  for (int round = 0; round < 3; ++round) {
    for (int i : late) {
      push(all[i], roots[i].second, "b", 2'000'000, true, false);
    }
    late.clear();
    for (int i = round; i < kTraces; i += 3) {
      const T& t = all[i];
      const SpanId root = roots[i].second;
      push(t, root, "root", 0, t.kind >= 2, true);
      push(t, root, "a", 1'000'000, t.kind >= 1, false);
      if (t.kind == 3 && round < 2) {
        late.push_back(i);
      } else {
        push(t, root, "b", 2'000'000, t.kind >= 2, false);
      }
    }
    if (round < 2) {
      ASSERT_TRUE((*store)->Flush().ok());  // round 2 stays live
    }
  }
  struct Case {
    const char* query;
    std::function<bool(const T&)> want;
  };
  const Case cases[] = {
      {"{ }", [](const T&) { return true; }},
      {"{ status = error }", [](const T& t) { return t.kind >= 1; }},
      {"{ status = error } | count() > 2",
       [](const T& t) { return t.kind >= 2; }},
      {R"({ name = "root" } > { status = error })",
       [](const T& t) { return t.kind >= 1; }},
      {R"({ name = "b" && status = error })",
       [](const T& t) { return t.kind >= 2; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    std::vector<T> matching;
    for (const T& t : all) {
      if (c.want(t)) matching.push_back(t);
    }
    std::sort(matching.begin(), matching.end(),
              [](const T& a, const T& b) { return a.start > b.start; });
    for (uint32_t limit : {1u, 3u, 7u, 100u}) {
      SCOPED_TRACE(limit);
      std::vector<std::string> want;
      for (size_t i = 0; i < matching.size() && i < limit; ++i) {
        want.push_back(matching[i].id.ToHex());
      }
      auto query = traceql::Query::Parse(c.query);
      ASSERT_TRUE(query.ok()) << query.status();
      SearchOptions so;
      so.limit = limit;
      auto r = (*store)->Search(kSingleTenant, *query, so);
      ASSERT_TRUE(r.ok()) << r.status();
      std::vector<std::string> got;
      for (const auto& t : r->traces) got.push_back(t.trace_id.ToHex());
      EXPECT_EQ(got, want);
      EXPECT_EQ(r->metrics.total_blocks, 2u);
    }
  }
}

// A v2 block whose index summaries rule a query out is skipped without
// reading data, and counted as skipped in the response's metrics and in the
// store's counters (which /metrics mirrors).
TEST(StoreSearchSkip, BlocksRuledOutByTheirIndexAreCountedSkipped) {
  testing::TempDir tmp("andante-store-search-skip");
  StoreOptions options =
      testing::TestStoreOptions(tmp.path(), OpenMemoryBackend());
  ASSERT_EQ(options.block.version, 2u);
  auto store = Store::Open(std::move(options));
  ASSERT_TRUE(store.ok());
  std::mt19937_64 rng(5);
  std::vector<std::string> block1;
  for (int block = 0; block < 3; ++block) {
    for (int i = 0; i < 5; ++i) {
      ExportTraceServiceRequest req;
      auto* rs = testing::AddResource(req, "svc");
      TraceId id = testing::RandomTraceId(rng);
      auto* span = testing::AddSpan(
          rs, id, testing::RandomSpanId(rng), "op",
          kBase + static_cast<uint64_t>(block * 100 + i) * 1'000'000'000ull);
      auto* user = span->add_attributes();
      user->set_key("user.id");
      user->mutable_value()->set_string_value("u-" + std::to_string(block));
      auto* code = span->add_attributes();
      code->set_key("http.status_code");
      code->mutable_value()->set_int_value(200 + block);
      ASSERT_TRUE((*store)->Push(kSingleTenant, req).ok());
      if (block == 1) block1.push_back(id.ToHex());
    }
    ASSERT_TRUE((*store)->Flush().ok());
  }
  SearchOptions so;
  so.limit = 20;
  uint64_t bytes_read = 0;
  auto search = [&](std::string_view q) {
    auto query = traceql::Query::Parse(q);
    EXPECT_TRUE(query.ok()) << q;
    auto r = (*store)->Search(kSingleTenant, *query, so);
    EXPECT_TRUE(r.ok()) << r.status();
    bytes_read += r->metrics.inspected_bytes;
    return *r;
  };
  // Absent from every block's dictionaries (string bloom, key statistics).
  SearchResult absent = search("{ span.user.id = \"u-4242\" }");
  EXPECT_TRUE(absent.traces.empty());
  EXPECT_EQ(absent.metrics.total_blocks, 3u);
  EXPECT_EQ(absent.metrics.skipped_blocks, 3u);
  // Indexes are cached now: the same search reads nothing at all.
  absent = search("{ span.user.id = \"u-4242\" }");
  EXPECT_EQ(absent.metrics.skipped_blocks, 3u);
  EXPECT_EQ(absent.metrics.inspected_bytes, 0u);
  // An int value between the stored ones: ruled out by the listed values.
  SearchResult between = search("{ span.http.status_code = 203 }");
  EXPECT_TRUE(between.traces.empty());
  EXPECT_EQ(between.metrics.skipped_blocks, 3u);
  EXPECT_EQ(between.metrics.inspected_bytes, 0u);
  // Present in one block: the two others are skipped.
  SearchResult one = search("{ span.user.id = \"u-1\" }");
  std::vector<std::string> got;
  for (const auto& t : one.traces) got.push_back(t.trace_id.ToHex());
  EXPECT_THAT(got, UnorderedElementsAreArray(block1));
  EXPECT_EQ(one.metrics.skipped_blocks, 2u);
  EXPECT_GT(one.metrics.inspected_bytes, 0u);

  const StoreStats stats = (*store)->Stats();
  EXPECT_EQ(stats.search_blocks, 12u);
  EXPECT_EQ(stats.search_blocks_skipped, 11u);
  EXPECT_EQ(stats.search_inspected_bytes, bytes_read);
}

TEST(LegacyTags, Translation) {
  auto q =
      LegacyTagsToTraceQL("service.name=cart \"http.url\"=\"/api x\"", 100, 0);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(traceql::Query::Parse(*q).ok()) << *q;
  EXPECT_THAT(*q, ::testing::HasSubstr("traceDuration >= 100ms"));
  auto dup = LegacyTagsToTraceQL("a=1 a=2", 0, 0);
  EXPECT_EQ(dup.status().message(), "invalid tags: tag a has been set twice");
  EXPECT_FALSE(LegacyTagsToTraceQL("a=\"x", 0, 0).ok());
}

}  // namespace
}  // namespace andante

namespace andante {
namespace {

// A stored span whose span ID is not 8 bytes (a v1 block keeps the OTLP bytes
// it was given) is left out of the tags and tag values and counted: the
// request and the trace's other spans are not lost with it.
TEST(StoreSearchTagsTest, MalformedStoredSpanIdIsSkippedAndCounted) {
  testing::TempDir tmp("andante-bad-span-id");
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  const TraceId id = *TraceId::FromHex("0102030405060708090a0b0c0d0e0f10");
  const uint64_t start = kBaseSeconds * 1'000'000'000ull;
  andante::otlp::trace::v1::TracesData data;
  auto* rs = data.add_resource_spans();
  auto* svc = rs->mutable_resource()->add_attributes();
  svc->set_key("service.name");
  svc->mutable_value()->set_string_value("svc");
  auto* ss = rs->add_scope_spans();
  auto add_span = [&](const std::string& span_id, const std::string& key,
                      const std::string& value) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(id.bytes()));
    span->set_span_id(span_id);
    span->set_name("op");
    span->set_start_time_unix_nano(start);
    span->set_end_time_unix_nano(start + 1000);
    auto* kv = span->add_attributes();
    kv->set_key(key);
    kv->mutable_value()->set_string_value(value);
  };
  add_span(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), "good.key", "g");
  add_span(std::string("\x01\x02\x03\x04", 4), "bad.key", "b");
  add_span(std::string("\x02\x02\x03\x04\x05\x06\x07\x08", 8), "good.key", "h");
  // Written as a block directly: ingest refuses such a span.
  BlockOptions block_options;
  block_options.version = 1;
  internal::BlockBuilder builder(block_options, *backend,
                                 std::string(kSingleTenant),
                                 internal::NewBlockId(), 1);
  ASSERT_TRUE(
      builder.Add(id, data.SerializeAsString(), start, start + 1000, 3).ok());
  ASSERT_TRUE(builder.Finish().ok());

  auto store = Store::Open(testing::TestStoreOptions(tmp.path(), backend));
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<TagsResult> tags =
      (*store)->SearchTags(kSingleTenant, TagScope::kSpan, {});
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_THAT(tags->span, ::testing::ElementsAre("good.key"));
  EXPECT_EQ(tags->skipped_spans, 1u);

  absl::StatusOr<TagName> name = TagName::Parse("span.good.key");
  ASSERT_TRUE(name.ok());
  absl::StatusOr<TagValuesResult> values =
      (*store)->SearchTagValues(kSingleTenant, *name, {});
  ASSERT_TRUE(values.ok()) << values.status();
  std::vector<std::string> got;
  for (const traceql::Value& v : values->values) got.push_back(v.s);
  EXPECT_THAT(got, ::testing::ElementsAre("g", "h"));
  EXPECT_EQ(values->skipped_spans, 1u);
}

}  // namespace
}  // namespace andante
