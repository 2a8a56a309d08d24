// Differential test of Store::Search's two block paths: v2 blocks are
// searched through the column scanner (BlockTraceScanner::ScanForQuery:
// summaries skip blocks and pages, traces are built from the referenced
// columns only), v1 blocks by decoding each trace's stored OTLP whole. Over
// random traces — some split across blocks, so the parts must be combined —
// and random queries, both must answer exactly what the same data answers
// while it is still live (decoded from the WAL), which is the reference.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/traceql.h"
#include "block/v2_block_writer.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::trace::v1::Span;
using andante::otlp::trace::v1::Status;

constexpr uint64_t kBase = 1'700'000'000'000'000'000ull;  // ns
constexpr int kServices = 4;
constexpr int kNames = 6;
constexpr int kStrings = 5;

// One store per way of holding the data: live, v1 blocks, v2 blocks with
// keyed span attributes (written now) and v2 blocks in the single-chunk
// span attribute layout (written before).
enum class Holding { kLive, kV1Blocks, kV2Blocks, kV2Unkeyed };

class Stores {
 public:
  Stores() {
    for (Holding h : {Holding::kLive, Holding::kV1Blocks, Holding::kV2Blocks,
                      Holding::kV2Unkeyed}) {
      dirs_.push_back(std::make_unique<testing::TempDir>("andante-scan-diff"));
      StoreOptions options =
          testing::TestStoreOptions(dirs_.back()->path(), OpenMemoryBackend());
      options.ingester.trace_idle_period = absl::Hours(1);
      options.ingester.max_block_duration = absl::Hours(100);
      options.block.version = h == Holding::kV1Blocks ? 1 : 2;
      // Small pages: many pages per block, so page summaries matter.
      options.block.page_size_bytes = 8 * 1024;
      auto store = Store::Open(std::move(options));
      EXPECT_TRUE(store.ok()) << store.status();
      stores_.push_back(std::move(*store));
    }
  }

  void Push(const ExportTraceServiceRequest& req) {
    for (auto& s : stores_) ASSERT_TRUE(s->Push(kSingleTenant, req).ok());
  }

  // Cuts what the block stores hold into complete blocks.
  void FlushBlocks() {
    for (size_t i = 1; i < stores_.size(); ++i) {
      const bool unkeyed = i == static_cast<size_t>(Holding::kV2Unkeyed);
      if (unkeyed) internal::SetV2KeyedSpanAttributesForTesting(false);
      absl::Status s = stores_[i]->Flush();
      if (unkeyed) internal::SetV2KeyedSpanAttributesForTesting(true);
      ASSERT_TRUE(s.ok()) << s;
    }
  }

  Store& operator[](Holding h) { return *stores_[static_cast<size_t>(h)]; }

 private:
  std::vector<std::unique_ptr<testing::TempDir>> dirs_;
  std::vector<std::unique_ptr<Store>> stores_;
};

// A random span attribute: int `n`, string `s`, double `f` or bool `b`,
// present or not.
void AddRandomAttributes(std::mt19937_64& rng, Span* span) {
  auto add = [&](const std::string& key) {
    auto* kv = span->add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  };
  if (rng() % 4 != 0) add("n")->set_int_value(static_cast<int64_t>(rng() % 50));
  if (rng() % 3 != 0) add("s")->set_string_value(absl::StrCat("s", rng() % kStrings));
  if (rng() % 5 == 0) add("f")->set_double_value(static_cast<double>(rng() % 100) / 4);
  if (rng() % 6 == 0) add("b")->set_bool_value(rng() % 2 == 0);
  // Same key, another type, now and then (typing rules).
  if (rng() % 17 == 0) add("n")->set_string_value("text");
}

// Adds `spans` spans of `trace` under one random service; the first one is
// the root when `with_root`, the others hang off earlier ones.
void AddSpans(std::mt19937_64& rng, const TraceId& trace, uint64_t start,
              int spans, bool with_root, std::vector<SpanId>* ids,
              ExportTraceServiceRequest* req) {
  auto* rs = testing::AddResource(
      *req, absl::StrCat("svc", rng() % kServices));
  for (int k = 0; k < spans; ++k) {
    SpanId id = testing::RandomSpanId(rng);
    Span* span = testing::AddSpan(
        rs, trace, id, absl::StrCat("op", rng() % kNames),
        start + (rng() % 1000) * 1'000'000,
        static_cast<int64_t>((rng() % 3000 + 1) * 1'000'000));
    span->set_kind(static_cast<Span::SpanKind>(rng() % 6));
    if (rng() % 7 == 0) span->mutable_status()->set_code(Status::STATUS_CODE_ERROR);
    if (rng() % 11 == 0) span->mutable_status()->set_code(Status::STATUS_CODE_OK);
    if (!(with_root && k == 0 && ids->empty())) {
      SpanId parent = ids->empty() ? testing::RandomSpanId(rng)
                                   : (*ids)[rng() % ids->size()];
      span->set_parent_span_id(parent.ToBytes());
    }
    AddRandomAttributes(rng, span);
    ids->push_back(id);
  }
}

std::vector<std::string> RandomQueries(std::mt19937_64& rng, int n) {
  std::vector<std::string> out = {
      "{ }",
      "{ span.n = 7 }",
      "{ span.s = \"s2\" }",
      "{ span.s = \"absent-everywhere\" }",
      "{ span.nokey = 1 }",
      "{ resource.service.name = \"svc1\" && span.n > 40 }",
      "{ span.n >= 10 && span.n < 12 }",
      "{ .s = \"s1\" && status = error }",
      "{ span.n = 3 } && { span.s = \"s4\" }",
      "{ span.n < 5 } >> { name = \"op2\" }",
      "{ span.n = 1 || span.s = \"s0\" }",
      "{ duration > 2500ms }",
      "{ span.f > 20.0 }",
      "{ span.b = true && kind = server }",
      "{ rootServiceName = \"svc2\" && span.n > 45 }",
      "{ span.s =~ \"s[12]\" && span.n != 3 }",
      "{ } | count() > 6",
      "{ span.n > 30 } | count() > 1",
      "{ span.n = 4 } ~ { span.n = 5 }",
      "{ span.n = \"text\" }",
      "{ traceDuration > 900ms && span.n < 3 }",
  };
  static const char* const kOps[] = {"=", "!=", "<", "<=", ">", ">="};
  for (int i = 0; i < n; ++i) {
    std::string a = absl::StrCat("span.n ", kOps[rng() % 6], " ", rng() % 50);
    std::string b = absl::StrCat("span.s = \"s", rng() % (kStrings + 1), "\"");
    std::string c = absl::StrCat("resource.service.name = \"svc",
                                 rng() % (kServices + 1), "\"");
    std::string d = absl::StrCat("name = \"op", rng() % kNames, "\"");
    switch (rng() % 5) {
      case 0:
        out.push_back(absl::StrCat("{ ", a, " && ", b, " }"));
        break;
      case 1:
        out.push_back(absl::StrCat("{ ", c, " && ", a, " }"));
        break;
      case 2:
        out.push_back(absl::StrCat("{ ", a, " } && { ", d, " }"));
        break;
      case 3:
        out.push_back(absl::StrCat("{ ", b, " || ", d, " }"));
        break;
      default:
        out.push_back(absl::StrCat("{ ", c, " } > { ", a, " }"));
        break;
    }
  }
  return out;
}

// Every match, every matching span: what the differential tests compare.
SearchOptions EveryMatch() {
  SearchOptions options;
  options.limit = 1000;
  options.spans_per_spanset = 0;
  return options;
}

// Everything of an answer that depends on the data read.
std::string Describe(const SearchResult& r) {
  std::string out;
  for (const SearchTrace& t : r.traces) {
    absl::StrAppend(&out, t.trace_id_hex, " root=", t.root_service_name, "/",
                    t.root_trace_name, " start=", t.start_unix_nanos,
                    " dur=", t.duration_ms, "\n");
    for (const auto& [service, stats] : t.service_stats) {
      absl::StrAppend(&out, "  stats ", service, " ", stats.span_count, " ",
                      stats.error_count, "\n");
    }
    for (const SearchSpanSet& set : t.span_sets) {
      absl::StrAppend(&out, "  set matched=", set.matched, "\n");
      for (const traceql::NamedValue& a : set.attributes) {
        absl::StrAppend(&out, "    attr ", a.name, "=",
                        traceql::ValueToString(a.value), "\n");
      }
      // Spans in ID order: the order within a set is presentation.
      std::vector<std::string> spans;
      for (const SearchSpan& s : set.spans) {
        std::string line = absl::StrCat("    span ", s.span_id_hex, " ", s.name,
                                        " ", s.start_unix_nanos, " ",
                                        s.duration_nanos, "\n");
        for (const traceql::NamedValue& a : s.attributes) {
          absl::StrAppend(&line, "      ", a.name, "=",
                          traceql::ValueToString(a.value), "\n");
        }
        spans.push_back(std::move(line));
      }
      std::sort(spans.begin(), spans.end());
      for (const std::string& line : spans) out += line;
    }
  }
  return out;
}

TEST(ScanDifferentialTest, ColumnScannerAndTraceDecodingAgreeWithLiveData) {
  std::mt19937_64 rng(20261207);
  Stores stores;
  struct Split {
    TraceId id;
    uint64_t start;
    std::vector<SpanId> ids;
  };
  std::vector<Split> pending;  // traces whose second part comes later
  std::vector<TraceId> split_ids;
  int matched_any = 0;
  for (int round = 0; round < 4; ++round) {
    ExportTraceServiceRequest req;
    for (int t = 0; t < 150; ++t) {
      TraceId id = testing::RandomTraceId(rng);
      uint64_t start = kBase + (round * 150 + t) * 2'000'000'000ull;
      std::vector<SpanId> ids;
      AddSpans(rng, id, start, 1 + static_cast<int>(rng() % 8), rng() % 10 != 0,
               &ids, &req);
      if (rng() % 6 == 0) {
        pending.push_back({id, start, ids});
        split_ids.push_back(id);
      }
    }
    // Second parts of earlier traces: they land in a later block.
    if (round > 0) {
      for (Split& s : pending) {
        AddSpans(rng, s.id, s.start, 1 + static_cast<int>(rng() % 3), false,
                 &s.ids, &req);
      }
      pending.clear();
    }
    stores.Push(req);
    stores.FlushBlocks();
  }

  for (const std::string& text : RandomQueries(rng, 60)) {
    SCOPED_TRACE(text);
    auto query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    for (uint32_t limit : {5u, 1000u}) {
      SearchOptions options;
      options.limit = limit;
      options.spans_per_spanset = 0;
      auto live = stores[Holding::kLive].Search(kSingleTenant, *query, options);
      auto v1 = stores[Holding::kV1Blocks].Search(kSingleTenant, *query, options);
      auto v2 = stores[Holding::kV2Blocks].Search(kSingleTenant, *query, options);
      auto unkeyed =
          stores[Holding::kV2Unkeyed].Search(kSingleTenant, *query, options);
      ASSERT_TRUE(live.ok()) << live.status();
      ASSERT_TRUE(v1.ok()) << v1.status();
      ASSERT_TRUE(v2.ok()) << v2.status();
      ASSERT_TRUE(unkeyed.ok()) << unkeyed.status();
      if (!live->traces.empty()) ++matched_any;
      EXPECT_EQ(Describe(*v1), Describe(*live)) << "v1 blocks, limit " << limit;
      EXPECT_EQ(Describe(*v2), Describe(*live)) << "v2 blocks, limit " << limit;
      EXPECT_EQ(Describe(*unkeyed), Describe(*live))
          << "v2 unkeyed blocks, limit " << limit;
      EXPECT_GT(v2->metrics.total_blocks, 1u);
    }
  }
  // The queries are not all trivially empty.
  EXPECT_GT(matched_any, 60);

  // Count bounds that parts of split traces reach only together: v2 pages
  // whose candidates are too few are passed over on the blocks' split memos
  // once a search has read their trace tables, so each query runs three
  // times (memos filled, then used).
  int split_matches = 0;
  for (const char* text :
       {"{ span.n > 40 } | count() > 1", "{ span.n > 30 } | count() > 2",
        "{ duration > 2500ms } | count() > 1",
        "{ span.s = \"s3\" && span.n < 20 } | count() > 1",
        "{ kind = server } | count() > 2"}) {
    SCOPED_TRACE(text);
    auto query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    const SearchOptions options = EveryMatch();
    auto live = stores[Holding::kLive].Search(kSingleTenant, *query, options);
    ASSERT_TRUE(live.ok()) << live.status();
    for (const TraceId& id : split_ids) {
      if (Describe(*live).find(id.ToHex().substr(
              id.ToHex().find_first_not_of('0'))) != std::string::npos) {
        ++split_matches;
      }
    }
    for (int run = 0; run < 3; ++run) {
      for (Holding h : {Holding::kV2Blocks, Holding::kV2Unkeyed}) {
        auto got = stores[h].Search(kSingleTenant, *query, options);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(Describe(*got), Describe(*live))
            << "run " << run << ", holding " << static_cast<int>(h);
      }
    }
  }
  // Split traces are among the matches.
  EXPECT_GT(split_matches, 5);
}

// The v2 index's span-attribute key statistics (key sets, int bounds and
// distinct int values per page and block) must never skip a page holding a
// match: values at the bounds, just past them, between listed values, keys
// some blocks lack, ints mixed with floats and strings, the same key on the
// resource (unscoped lookups), several conditions on one key.
TEST(ScanDifferentialTest, KeyStatisticsNeverSkipAMatch) {
  std::mt19937_64 rng(77);
  Stores stores;
  for (int round = 0; round < 4; ++round) {
    ExportTraceServiceRequest req;
    const int64_t base = round * 100;
    for (int t = 0; t < 120; ++t) {
      TraceId id = testing::RandomTraceId(rng);
      const uint64_t start = kBase + (round * 120 + t) * 2'000'000'000ull;
      auto* rs = testing::AddResource(req, absl::StrCat("svc", rng() % 3));
      if (rng() % 9 == 0) {
        auto* kv = rs->mutable_resource()->add_attributes();
        kv->set_key("k");
        kv->mutable_value()->set_int_value(5000);
      }
      const int spans = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < spans; ++k) {
        Span* span = testing::AddSpan(
            rs, id, testing::RandomSpanId(rng), absl::StrCat("op", rng() % 3),
            start + k * 1'000'000, 1'000'000);
        auto add = [&](const std::string& key) {
          auto* kv = span->add_attributes();
          kv->set_key(key);
          return kv->mutable_value();
        };
        // k: three values per block, 10 apart (listed values).
        if (rng() % 5 != 0) {
          add("k")->set_int_value(base + static_cast<int64_t>(rng() % 3) * 10);
        }
        // m: many distinct values (bounds only), negative in round 0.
        add("m")->set_int_value(round * 1000 - 500 +
                                static_cast<int64_t>(rng() % 1000));
        // Now and then m twice on one span (OTLP allows duplicate keys).
        if (t % 17 == 0) add("m")->set_int_value(round * 1000 - 493);
        // g: ints, and in odd rounds sometimes the float 7.0.
        if (round % 2 == 1 && rng() % 4 == 0) {
          add("g")->set_double_value(7.0);
        } else {
          add("g")->set_int_value(static_cast<int64_t>(rng() % 5) + 1);
        }
        // h: int, or now and then the string "12".
        if (rng() % 7 == 0) {
          add("h")->set_string_value("12");
        } else {
          add("h")->set_int_value(static_cast<int64_t>(rng() % 4) + 10);
        }
        // rare: only in round 2, once in a while.
        if (round == 2 && rng() % 40 == 0) add("rare")->set_int_value(42);
      }
    }
    stores.Push(req);
    stores.FlushBlocks();
  }

  std::vector<std::string> queries = {
      "{ span.m < -500 }", "{ span.m <= -500 }", "{ span.m = -500 }",
      "{ span.m > 3499 }", "{ span.m >= 3499 }", "{ span.m = 3499 }",
      "{ span.m > 1000 && span.m < 1010 }", "{ span.m = 507 }",
      "{ span.m = 1507 && span.m > 1600 }",
      "{ span.g = 7 }", "{ span.g > 6 }", "{ span.g >= 5 }", "{ span.g = 5 }",
      "{ span.h = 12 }", "{ span.h = \"12\" }", "{ span.h > 13 }",
      "{ span.h >= 13 }", "{ span.h < 10 }", "{ span.h <= 10 }",
      "{ span.rare = 42 }", "{ span.rare > 41 }", "{ span.rare != nil }",
      "{ span.rare = 41 }", "{ span.rare < 42 }",
      "{ .k = 5000 }", "{ span.k = 5000 }", "{ resource.k = 5000 }",
      "{ .k = 5000 && span.k = 0 }",
      "{ span.k = 100 || span.m = 5 }", "{ span.k = 5 || span.rare = 42 }",
      "{ span.k = 300 } && { span.k = 0 }", "{ span.k = 20 } >> { span.k = 20 }",
      "{ span.k != 10 }", "{ span.k = 10 } | count() > 1",
  };
  for (int64_t base : {0, 100, 200, 300}) {
    for (int64_t d : {-1, 0, 5, 10, 15, 20, 21}) {
      for (const char* op : {"=", "<", "<=", ">", ">="}) {
        queries.push_back(absl::StrCat("{ span.k ", op, " ", base + d, " }"));
      }
    }
    queries.push_back(absl::StrCat("{ span.k > ", base, " && span.k < ",
                                   base + 10, " }"));
    queries.push_back(absl::StrCat("{ span.k >= ", base + 10, " && span.k <= ",
                                   base + 10, " }"));
  }
  int matched = 0, skipped_everything = 0;
  for (const std::string& text : queries) {
    SCOPED_TRACE(text);
    auto query = traceql::Query::Parse(text);
    ASSERT_TRUE(query.ok()) << query.status();
    const SearchOptions options = EveryMatch();
    auto live = stores[Holding::kLive].Search(kSingleTenant, *query, options);
    auto v1 = stores[Holding::kV1Blocks].Search(kSingleTenant, *query, options);
    auto v2 = stores[Holding::kV2Blocks].Search(kSingleTenant, *query, options);
    auto unkeyed =
        stores[Holding::kV2Unkeyed].Search(kSingleTenant, *query, options);
    ASSERT_TRUE(live.ok() && v1.ok() && v2.ok() && unkeyed.ok());
    if (!live->traces.empty()) ++matched;
    if (v2->metrics.inspected_spans == 0) ++skipped_everything;
    EXPECT_EQ(Describe(*v1), Describe(*live)) << "v1 blocks";
    EXPECT_EQ(Describe(*v2), Describe(*live)) << "v2 blocks";
    EXPECT_EQ(Describe(*unkeyed), Describe(*live)) << "v2 unkeyed blocks";
  }
  // Both outcomes are exercised: queries that match, and queries the
  // statistics answer without reading a span.
  EXPECT_GT(matched, 60);
  EXPECT_GT(skipped_everything, 30);
}

}  // namespace
}  // namespace andante
