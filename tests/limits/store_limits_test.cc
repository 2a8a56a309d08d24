// The Store's enforcement of per-tenant limits (andante/limits.h) and of the
// memory bound (IngesterOptions.max_unflushed_bytes*).
#include <random>
#include <string>

#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/search.h"
#include "andante/traceql.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using ::testing::HasSubstr;
using testing::AddResource;
using testing::AddSpan;
using testing::MakeRequest;
using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

class StoreLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = OpenMemoryBackend(); }

  std::unique_ptr<Store> Open(const TenantLimits& limits,
                              std::map<std::string, TenantLimits> tenants = {},
                              IngesterOptions ingester = {}) {
    overrides_ = std::make_shared<Overrides>(limits);
    overrides_->Set(limits, std::move(tenants));
    StoreOptions options = testing::TestStoreOptions(tmp_.path(), backend_);
    options.ingester = ingester;
    options.ingester.flush_all_on_shutdown = false;
    options.overrides = overrides_;
    options.env = &env_;
    auto store = Store::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static uint64_t Discarded(const StoreStats& stats, const std::string& tenant,
                            const std::string& reason) {
    auto t = stats.discarded_spans.find(tenant);
    if (t == stats.discarded_spans.end()) return 0;
    auto r = t->second.find(reason);
    return r == t->second.end() ? 0 : r->second;
  }

  testing::TempDir tmp_{"andante-limits"};
  // The stores' clock; the sweep runs when a test advances it.
  testing::ManualEnv env_;
  std::shared_ptr<Backend> backend_;
  std::shared_ptr<Overrides> overrides_;
  std::mt19937_64 rng_{7};
};

TEST_F(StoreLimitsTest, RateLimitRefusesWholePushAndNamesTheLimit) {
  auto request = MakeRequest(rng_, 2, 3, nullptr);
  const uint64_t size = request.ByteSizeLong();
  TenantLimits limits;
  limits.rate_limit_bytes = 1;  // ~nothing refills during the test
  limits.burst_size_bytes = size * 2 + size / 2;
  auto store = Open(limits);
  EXPECT_TRUE(store->Push("a", request).ok());
  EXPECT_TRUE(store->Push("a", request).ok());
  absl::StatusOr<PushResult> third = store->Push("a", request);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(third.status().message(),
            absl::StrCat("RATE_LIMITED: ingestion rate limit (local: 1 "
                         "bytes/s, global: 1 bytes/s, burst: ",
                         limits.burst_size_bytes,
                         " bytes) exceeded while adding ", size,
                         " bytes for user a"));
  // Another tenant has a bucket of its own.
  EXPECT_TRUE(store->Push("b", request).ok());
  StoreStats stats = store->Stats();
  EXPECT_EQ(Discarded(stats, "a", "rate_limited"), 6u);
  EXPECT_EQ(Discarded(stats, "b", "rate_limited"), 0u);
}

TEST_F(StoreLimitsTest, ZeroRateRefusesEveryPushAndOverrideSwapApplies) {
  TenantLimits limits;
  limits.rate_limit_bytes = 0;
  limits.burst_size_bytes = 0;
  auto store = Open(limits);
  auto request = MakeRequest(rng_, 1, 1, nullptr);
  absl::StatusOr<PushResult> r = store->Push("a", request);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("RATE_LIMITED: batch size"));
  TenantLimits open;  // Tempo's defaults: 15 MB/s
  overrides_->Set(limits, {{"a", open}});
  // The bucket refills at the new rate as the store's clock moves.
  env_.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(store->Push("a", request).ok());
  EXPECT_FALSE(store->Push("b", request).ok());
}

TEST_F(StoreLimitsTest, LiveTraceLimitDropsNewTracesSilently) {
  TenantLimits limits;
  limits.max_traces_per_user = 3;
  auto store = Open(limits);
  std::vector<TraceId> ids;
  absl::StatusOr<PushResult> r =
      store->Push("a", MakeRequest(rng_, 5, 2, &ids));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->spans_accepted, 6u);
  EXPECT_EQ(r->spans_discarded_live_traces_exceeded, 4u);
  int found = 0;
  for (const TraceId& id : ids) {
    auto t = store->FindTraceById("a", id);
    ASSERT_TRUE(t.ok());
    if (t->span_count > 0) ++found;
  }
  EXPECT_EQ(found, 3);
  // A live trace still takes more spans.
  ExportTraceServiceRequest more;
  auto* rs = AddResource(more, "svc");
  AddSpan(rs, ids[0], testing::RandomSpanId(rng_), "x", 1);
  r = store->Push("a", more);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spans_accepted, 1u);
  StoreStats stats = store->Stats();
  EXPECT_EQ(Discarded(stats, "a", "live_traces_exceeded"), 4u);
  EXPECT_EQ(stats.live_traces_per_tenant["a"], 3u);
  // Idle traces leave room again (at the next sweep).
  env_.AdvanceBy(absl::Minutes(1));
  r = store->Push("a", MakeRequest(rng_, 3, 1, nullptr));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->spans_accepted, 3u);
}

TEST_F(StoreLimitsTest, OversizeTraceKeepsWhatFitsAndReadsPartial) {
  auto one = [&](const TraceId& id) {
    ExportTraceServiceRequest req;
    auto* rs = AddResource(req, "svc");
    AddSpan(rs, id, testing::RandomSpanId(rng_), std::string(200, 'n'), 1);
    return req;
  };
  TraceId id = testing::RandomTraceId(rng_);
  TraceId small = testing::RandomTraceId(rng_);
  TenantLimits limits;
  limits.max_bytes_per_trace = 1000;
  auto store = Open(limits);
  uint64_t accepted = 0, dropped = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = store->Push("a", one(id));
    ASSERT_TRUE(r.ok()) << r.status();  // dropped silently, as Tempo does
    accepted += r->spans_accepted;
    dropped += r->spans_discarded_trace_too_large;
  }
  ASSERT_TRUE(store->Push("a", one(small)).ok());
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(accepted + dropped, 10u);
  auto found = store->FindTraceById("a", id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->span_count, accepted);
  EXPECT_TRUE(found->partial);
  EXPECT_EQ(found->message,
            "Trace exceeds maximum size of 1000 bytes, a partial trace is "
            "returned");
  auto complete = store->FindTraceById("a", small);
  ASSERT_TRUE(complete.ok());
  EXPECT_FALSE(complete->partial);
  EXPECT_TRUE(complete->message.empty());
  EXPECT_EQ(Discarded(store->Stats(), "a", "trace_too_large"), dropped);

  // After a flush the trace is in a block; a lowered limit cuts the read.
  ASSERT_TRUE(store->Flush().ok());
  TenantLimits lower = limits;
  lower.max_bytes_per_trace = 1;
  overrides_->Set(lower, {});
  found = store->FindTraceById("a", small);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->span_count, 1u);  // the first part is always answered
  EXPECT_FALSE(found->partial);
}

TEST_F(StoreLimitsTest, AttributesTruncatedAtIngest) {
  TenantLimits limits;
  limits.max_attribute_bytes = 16;
  auto store = Open(limits);
  TraceId id = testing::RandomTraceId(rng_);
  ExportTraceServiceRequest req;
  auto* rs = AddResource(req, "svc");
  auto* span = AddSpan(rs, id, testing::RandomSpanId(rng_), "op", 1);
  auto* kv = span->add_attributes();
  kv->set_key("long");
  kv->mutable_value()->set_string_value(std::string(100, 'v') + "\xC3\xA9");
  auto r = store->Push("a", req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attributes_truncated, 1u);
  auto found = store->FindTraceById("a", id);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->span_count, 1u);
  const auto& s = TracesDataOf(*found).resource_spans(0).scope_spans(0).spans(0);
  bool seen = false;
  for (const auto& a : s.attributes()) {
    if (a.key() == "long") {
      EXPECT_EQ(a.value().string_value(), std::string(16, 'v'));
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(store->Stats().attributes_truncated["a"], 1u);
}

TEST_F(StoreLimitsTest, MemoryBoundPushesBackUntilFlushed) {
  TenantLimits limits;
  IngesterOptions ingester;
  ingester.max_unflushed_bytes_per_tenant = 20'000;
  ingester.max_unflushed_bytes = 30'000;
  auto store = Open(limits, {}, ingester);
  auto big = [&] {
    ExportTraceServiceRequest req;
    auto* rs = AddResource(req, "svc");
    AddSpan(rs, testing::RandomTraceId(rng_), testing::RandomSpanId(rng_),
            std::string(4000, 'x'), 1);
    return req;
  };
  // Every push stores one fragment of the same size.
  ASSERT_TRUE(store->Push("a", big()).ok());
  const uint64_t per = store->Stats().unflushed_bytes;
  ASSERT_GT(per, 4000u);
  const int fit_a = static_cast<int>(20'000 / per);
  const int fit_b = static_cast<int>((30'000 - fit_a * per) / per);
  int ok = 1;
  absl::Status refused;
  for (int i = 0; i < 20 && refused.ok(); ++i) {
    auto r = store->Push("a", big());
    if (r.ok()) {
      ++ok;
    } else {
      refused = r.status();
    }
  }
  EXPECT_EQ(ok, fit_a);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              HasSubstr("MEMORY_LIMIT_EXCEEDED: per-tenant unflushed bytes "
                        "limit (20000 bytes"));
  EXPECT_LE(store->Stats().unflushed_bytes, 20'000u);
  // The store-wide bound: tenant b gets what is left of it, then is
  // refused too.
  int ok_b = 0;
  absl::Status refused_b;
  for (int i = 0; i < 20 && refused_b.ok(); ++i) {
    auto r = store->Push("b", big());
    if (r.ok()) ++ok_b; else refused_b = r.status();
  }
  EXPECT_EQ(ok_b, fit_b);
  EXPECT_THAT(refused_b.message(), HasSubstr("of all tenants"));
  EXPECT_LE(store->Stats().unflushed_bytes, 30'000u);
  EXPECT_EQ(Discarded(store->Stats(), "a", "memory_limit_exceeded"), 1u);
  // Past half the bound the sweep cuts early; flushed bytes free room.
  env_.AdvanceBy(ingester.flush_check_period);
  EXPECT_TRUE(testing::WaitUntil(
      absl::Seconds(30), [&] { return store->Stats().unflushed_bytes == 0; }));
  EXPECT_EQ(store->Stats().unflushed_bytes, 0u);
  EXPECT_TRUE(store->Push("a", big()).ok());
}

TEST_F(StoreLimitsTest, SearchDurationAndTagValuesBytes) {
  TenantLimits limits;
  limits.max_search_duration = absl::Hours(1);
  limits.max_bytes_per_tag_values_query = 40;
  auto store = Open(limits);
  ExportTraceServiceRequest req;
  auto* rs = AddResource(req, "svc");
  for (int i = 0; i < 50; ++i) {
    auto* span = AddSpan(rs, testing::RandomTraceId(rng_),
                         testing::RandomSpanId(rng_), "op", 1);
    auto* kv = span->add_attributes();
    kv->set_key("color");
    kv->mutable_value()->set_string_value("value-" + std::to_string(i));
  }
  ASSERT_TRUE(store->Push("a", req).ok());
  absl::StatusOr<traceql::Query> q = traceql::Query::Parse("{ }");
  ASSERT_TRUE(q.ok()) << q.status();
  SearchOptions options;
  options.start_unix_seconds = 1'700'000'000;
  options.end_unix_seconds = options.start_unix_seconds + 7200;
  auto r = store->Search("a", *q, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "range specified by start and end exceeds 1h0m0s. received "
            "start=1700000000 end=1700007200");
  options.end_unix_seconds = options.start_unix_seconds + 3600;
  EXPECT_TRUE(store->Search("a", *q, options).ok());

  absl::StatusOr<TagName> tag_or = TagName::Parse("span.color");
  ASSERT_TRUE(tag_or.ok()) << tag_or.status();
  const TagName& tag = *tag_or;
  TagSearchOptions tag_options;  // asks for the 1 MB default
  auto values = store->SearchTagValues("a", tag, tag_options);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_GT(values->values.size(), 0u);
  EXPECT_LT(values->values.size(), 10u);  // cut off near 40 bytes, not 50
  overrides_->Set(TenantLimits(), {});
  values = store->SearchTagValues("a", tag, tag_options);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->values.size(), 50u);
}

}  // namespace
}  // namespace andante
