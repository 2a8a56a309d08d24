#include "andante/store.h"

#include <sys/stat.h>

#include <random>
#include <string>

#include "andante/backend.h"
#include "andante/search.h"
#include "andante/span_tap.h"
#include "andante/tenant.h"
#include "andante/testing/manual_env.h"
#include "andante/traceql.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using testing::AddResource;
using testing::AddSpan;
using testing::MakeRequest;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = OpenMemoryBackend(); }

  StoreOptions Options() {
    StoreOptions options = testing::TestStoreOptions(tmp_.path(), backend_);
    options.ingester.trace_idle_period = absl::Seconds(5);
    options.ingester.max_block_duration = absl::Minutes(5);
    return options;
  }

  std::unique_ptr<Store> OpenStore(StoreOptions options) {
    auto store = Store::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  uint64_t SpansOf(Store& store, const TraceId& id,
                   std::string_view tenant = kSingleTenant) {
    auto found = store.FindTraceById(tenant, id);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->span_count : 0;
  }

  // First, so it is removed after everything that may use it.
  testing::TempDir tmp_{"andante-store"};
  std::shared_ptr<Backend> backend_;
  std::mt19937_64 rng_{42};
};

TEST_F(StoreTest, FindsLiveTrace) {
  auto store = OpenStore(Options());
  std::vector<TraceId> ids;
  auto request = MakeRequest(rng_, 3, 4, &ids);
  auto pushed = store->Push(kSingleTenant, request);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->spans_accepted, 12u);
  for (const TraceId& id : ids) EXPECT_EQ(SpansOf(*store, id), 4u);
  EXPECT_EQ(store->Stats().live_traces, 3u);
  EXPECT_EQ(SpansOf(*store, testing::RandomTraceId(rng_)), 0u);
}

TEST_F(StoreTest, TraceMovesThroughHeadIntoBlock) {
  // The sweep runs every second of the test's clock, which starts in 2001:
  // pushes are stamped with it, not with the real time.
  testing::ManualEnv env(absl::FromUnixSeconds(1'000'000'000));
  StoreOptions options = Options();
  options.env = &env;
  options.ingester.flush_check_period = absl::Seconds(1);
  // No blocklist poll within the test: one running beside the flusher (both
  // fall due in the 10-minute step below) may list the block between its
  // meta.json write and its publication, and the tenant then reads it twice
  // until the next poll (TenantInstance::ApplyBlocklist keeps the polled
  // reader, the flusher adds its own).
  options.blocklist.blocklist_poll = absl::Hours(1);
  auto store = OpenStore(std::move(options));
  std::vector<TraceId> ids;
  ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 50, 3, &ids)).ok());
  // Not idle yet (1 s of 5): stays live.
  env.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(store->Stats().live_traces, 50u);
  // Idle: moves to the head block but the block is not cut yet.
  env.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(store->Stats().live_traces, 0u);
  EXPECT_EQ(store->Stats().blocks_flushed, 0u);
  for (const TraceId& id : ids) EXPECT_EQ(SpansOf(*store, id), 3u);
  // Old enough: cut, and built by the flusher.
  env.AdvanceBy(absl::Minutes(10));
  EXPECT_TRUE(testing::WaitUntil(
      absl::Seconds(30), [&] { return store->Stats().blocks_flushed == 1; }));
  EXPECT_EQ(store->Stats().blocks_flushed, 1u);
  EXPECT_EQ(store->Stats().blocks_in_backend, 1u);
  for (const TraceId& id : ids) EXPECT_EQ(SpansOf(*store, id), 3u);
}

// At a high push rate the trace index reaches its bound in a few seconds.
// The store then sweeps the tenant within a second (not at the next
// flush_check_period): its idle traces move out, the head block is cut and
// built, and pushes are admitted again. Before, pushes were refused until
// the period was up while the server sat idle (half of a 10-minute
// max-rate run: 5 s admitted, 5 s refused).
TEST_F(StoreTest, MemoryBoundIsFreedBeforeTheSweepPeriod) {
  testing::ManualEnv env(absl::FromUnixSeconds(1'000'000'000));
  StoreOptions options = Options();
  options.env = &env;
  options.ingester.flush_check_period = absl::Seconds(10);
  options.ingester.trace_idle_period = absl::Seconds(1);
  options.ingester.max_trace_index_bytes = 256 << 10;
  options.ingester.max_unflushed_bytes = 0;
  options.ingester.max_unflushed_bytes_per_tenant = 0;
  options.blocklist.blocklist_poll = absl::Hours(1);
  auto store = OpenStore(std::move(options));
  int pushes = 0;
  absl::Status refused;
  while (pushes < 10'000) {
    refused = store->Push(kSingleTenant, MakeRequest(rng_, 100, 1, nullptr)).status();
    if (!refused.ok()) break;
    ++pushes;
  }
  ASSERT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  ASSERT_GT(pushes, 0);
  // Two seconds on: every trace is idle, and no full sweep is due yet.
  env.AdvanceBy(absl::Seconds(2));
  EXPECT_TRUE(testing::WaitUntil(absl::Seconds(30), [&] {
    return store->Stats().blocks_flushed >= 1;
  })) << "nothing was cut and built before the sweep period";
  EXPECT_TRUE(
      store->Push(kSingleTenant, MakeRequest(rng_, 100, 1, nullptr)).ok());
  EXPECT_LT(store->Stats().trace_index_bytes, 256u << 10);
}

// Near the trace index's bound, live traces move out after a quarter of
// trace_idle_period instead of waiting it out (at a high push rate the live
// table filled the bound alone, and pushes were refused in ~5 s stretches).
// A trace moved out early and appended to again is split over a block and
// the live table, then over two blocks: a lookup by ID and a search that
// needs both of its parts still see it whole.
TEST_F(StoreTest, UnderIndexPressureLiveTracesMoveOutEarlyAndStayWhole) {
  testing::ManualEnv env(absl::FromUnixSeconds(1'000'000'000));
  StoreOptions options = Options();
  options.env = &env;
  options.ingester.flush_check_period = absl::Seconds(10);
  options.ingester.trace_idle_period = absl::Seconds(8);  // 2 s under pressure
  options.ingester.trace_live_period = absl::Hours(1);
  options.ingester.max_block_duration = absl::Hours(1);
  constexpr uint64_t kBound = 256 << 10;
  options.ingester.max_trace_index_bytes = kBound;
  options.ingester.max_unflushed_bytes = 0;
  options.ingester.max_unflushed_bytes_per_tenant = 0;
  options.blocklist.blocklist_poll = absl::Hours(1);
  auto store = OpenStore(std::move(options));
  ASSERT_TRUE(store);
  constexpr uint64_t kStart = 1'700'000'000'000'000'000ull;
  const TraceId x = testing::RandomTraceId(rng_);
  auto push_x = [&](const std::string& name, int spans) {
    testing::ExportTraceServiceRequest req;
    auto* rs = AddResource(req, "svc");
    for (int i = 0; i < spans; ++i) {
      AddSpan(rs, x, testing::RandomSpanId(rng_), name, kStart + i * 1000);
    }
    return store->Push(kSingleTenant, req).status();
  };
  ASSERT_TRUE(push_x("first", 2).ok());
  // Other traces, one a push, until the bound refuses one.
  for (int i = 0; i < 100'000; ++i) {
    if (!store->Push(kSingleTenant, MakeRequest(rng_, 1, 1, nullptr)).ok()) {
      break;
    }
  }
  ASSERT_GE(store->Stats().trace_index_bytes, kBound);
  ASSERT_GT(store->Stats().live_traces, 50u);
  // A second on, a pressure sweep cuts what was pushed (the live traces'
  // parts) and the block is built; the live table itself keeps the index
  // at half its bound or more.
  env.AdvanceBy(absl::Seconds(1));
  ASSERT_TRUE(testing::WaitUntil(absl::Seconds(30), [&] {
    return store->Stats().blocks_flushed >= 1;
  }));
  ASSERT_GT(store->Stats().live_traces, 50u);
  ASSERT_GE(store->Stats().trace_index_bytes * 2, kBound);
  // Two more seconds, one at a time: idle by the pressure rule, not by
  // trace_idle_period, and no full sweep is due.
  for (int i = 0; i < 2; ++i) env.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(store->Stats().live_traces, 0u)
      << "live traces waited out trace_idle_period under pressure";
  EXPECT_LT(store->Stats().trace_index_bytes * 2, kBound);

  ASSERT_TRUE(push_x("second", 3).ok());
  auto search_x = [&] {
    auto query =
        traceql::Query::Parse(R"({ name = "first" } && { name = "second" })");
    EXPECT_TRUE(query.ok()) << query.status();
    auto found = store->Search(kSingleTenant, *query, SearchOptions{});
    EXPECT_TRUE(found.ok()) << found.status();
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const auto& t : found->traces) ids.push_back(t.trace_id.ToHex());
    }
    return ids;
  };
  EXPECT_EQ(SpansOf(*store, x), 5u) << "a block's part and the live part";
  EXPECT_THAT(search_x(), ::testing::ElementsAre(x.ToHex()));
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(SpansOf(*store, x), 5u) << "two blocks";
  EXPECT_THAT(search_x(), ::testing::ElementsAre(x.ToHex()));
  store.reset();  // before env
}

// The store's periodic work is scheduled on StoreOptions.env while the
// store is open, and cancelled by Close.
TEST_F(StoreTest, SchedulesItsPeriodicWorkOnTheEnvUntilClosed) {
  testing::ManualEnv env;
  StoreOptions options = Options();
  options.env = &env;
  auto store = OpenStore(std::move(options));
  EXPECT_EQ(env.scheduled_tasks(), 2u);  // the sweep and blocklist polls
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(env.scheduled_tasks(), 0u);
  env.AdvanceBy(absl::Hours(1));  // nothing left to run
}

TEST_F(StoreTest, RefusesANullEnv) {
  StoreOptions options = Options();
  options.env = nullptr;
  auto store = Store::Open(std::move(options));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, FlushWritesBlockAndDeletesWal) {
  auto store = OpenStore(Options());
  std::vector<TraceId> ids;
  ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 20, 5, &ids)).ok());
  uint64_t wal_before = store->Stats().wal_bytes_on_disk;
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->Stats().blocks_flushed, 1u);
  EXPECT_LT(store->Stats().wal_bytes_on_disk, wal_before);
  for (const TraceId& id : ids) EXPECT_EQ(SpansOf(*store, id), 5u);
  auto tenants = backend_->List("");
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, std::vector<std::string>{"single-tenant"});
}

TEST_F(StoreTest, TraceSplitAcrossStagesIsCombinedAndDeduplicated) {
  auto store = OpenStore(Options());
  TraceId id = testing::RandomTraceId(rng_);
  andante::otlp::collector::trace::v1::ExportTraceServiceRequest first;
  AddSpan(AddResource(first, "a"), id, SpanId(1), "root", 1000);
  ASSERT_TRUE(store->Push(kSingleTenant, first).ok());
  ASSERT_TRUE(store->Flush().ok());
  andante::otlp::collector::trace::v1::ExportTraceServiceRequest second;
  auto* rs = AddResource(second, "b");
  AddSpan(rs, id, SpanId(2), "child", 2000);
  AddSpan(rs, id, SpanId(1), "root", 1000);  // a retry of the first span
  ASSERT_TRUE(store->Push(kSingleTenant, second).ok());
  auto found = store->FindTraceById(kSingleTenant, id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->span_count, 2u);
}

TEST_F(StoreTest, RejectsBadIdsForWholeRequest) {
  auto store = OpenStore(Options());
  andante::otlp::collector::trace::v1::ExportTraceServiceRequest request;
  auto* rs = AddResource(request, "svc");
  TraceId good = testing::RandomTraceId(rng_);
  AddSpan(rs, good, SpanId(7), "fine", 1000);
  AddSpan(rs, good, SpanId(8), "bad", 1000)->set_trace_id("short");
  auto pushed = store->Push(kSingleTenant, request);
  EXPECT_EQ(pushed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SpansOf(*store, good), 0u);
}

TEST_F(StoreTest, TenantsAreIsolated) {
  auto store = OpenStore(Options());
  std::vector<TraceId> ids;
  ASSERT_TRUE(store->Push("team-a", MakeRequest(rng_, 1, 2, &ids)).ok());
  EXPECT_EQ(SpansOf(*store, ids[0], "team-a"), 2u);
  EXPECT_EQ(SpansOf(*store, ids[0], "team-b"), 0u);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(SpansOf(*store, ids[0], "team-b"), 0u);
  EXPECT_EQ(store->Push("../etc", MakeRequest(rng_, 1, 1, nullptr))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, DropsSpansOfTracesOverTheSizeLimit) {
  StoreOptions options = Options();
  options.ingester.max_bytes_per_trace = 2000;
  auto store = OpenStore(std::move(options));
  TraceId id = testing::RandomTraceId(rng_);
  uint64_t accepted = 0, dropped = 0;
  for (int i = 0; i < 40; ++i) {
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest r;
    AddSpan(AddResource(r, "svc"), id, SpanId(100 + i), "span", 1000);
    auto pushed = store->Push(kSingleTenant, r);
    ASSERT_TRUE(pushed.ok());
    accepted += pushed->spans_accepted;
    dropped += pushed->spans_discarded_trace_too_large;
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(accepted + dropped, 40u);
  EXPECT_EQ(SpansOf(*store, id), accepted);
  EXPECT_EQ(store->Stats().spans_discarded_trace_too_large, dropped);
}

TEST_F(StoreTest, EmptyPushSucceedsAndStoresNothing) {
  auto store = OpenStore(Options());
  andante::otlp::collector::trace::v1::ExportTraceServiceRequest empty;
  auto pushed = store->Push(kSingleTenant, empty);
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ(pushed->spans_accepted, 0u);
  EXPECT_EQ(store->Stats().spans_received, 0u);
}

class CountingTap : public SpanTap {
 public:
  void OnSpans(std::string_view tenant, std::string_view bytes) override {
    last_tenant = std::string(tenant);
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest request;
    ASSERT_TRUE(request.ParseFromArray(bytes.data(),
                                       static_cast<int>(bytes.size())));
    for (const auto& rs : request.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) spans += ss.spans_size();
    }
  }
  std::string last_tenant;
  int spans = 0;
};

TEST_F(StoreTest, TapSeesAcceptedPushes) {
  auto store = OpenStore(Options());
  CountingTap tap;
  store->AddSpanTap(&tap);
  ASSERT_TRUE(store->Push("t1", MakeRequest(rng_, 2, 3, nullptr)).ok());
  EXPECT_EQ(tap.spans, 6);
  EXPECT_EQ(tap.last_tenant, "t1");
  store->RemoveSpanTap(&tap);
  ASSERT_TRUE(store->Push("t1", MakeRequest(rng_, 1, 1, nullptr)).ok());
  EXPECT_EQ(tap.spans, 6);
}

TEST_F(StoreTest, LookupRespectsBlockTimeRange) {
  auto store = OpenStore(Options());
  std::vector<TraceId> ids;
  ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 1, 1, &ids)).ok());
  ASSERT_TRUE(store->Flush().ok());
  // Spans start at 1.7e9 s.
  TraceLookupOptions inside{1'699'999'000, 1'700'001'000};
  TraceLookupOptions before{1'600'000'000, 1'600'001'000};
  EXPECT_EQ(store->FindTraceById(kSingleTenant, ids[0], inside)->span_count, 1u);
  EXPECT_EQ(store->FindTraceById(kSingleTenant, ids[0], before)->span_count, 0u);
}


// SpanBatch::FromProto: the receivers' path for protobuf bytes.

TEST_F(StoreTest, BatchFromProtoStoresWhatThePushOfTheRequestStores) {
  auto store = OpenStore(Options());
  std::vector<TraceId> ids;
  auto request = MakeRequest(rng_, 5, 3, &ids);
  const std::string bytes = request.SerializeAsString();
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->span_count(), 15u);
  auto pushed = store->Push(kSingleTenant, *batch);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->spans_accepted, 15u);

  // The same request pushed as a message to another tenant reads back the
  // same, before and after a flush.
  ASSERT_TRUE(store->Push("other", request).ok());
  for (int round = 0; round < 2; ++round) {
    for (const TraceId& id : ids) {
      auto a = store->FindTraceById(kSingleTenant, id);
      auto b = store->FindTraceById("other", id);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->span_count, 3u);
      EXPECT_EQ(a->SerializeAsTracesData(), b->SerializeAsTracesData());
    }
    ASSERT_TRUE(store->Flush().ok());
  }
}

TEST_F(StoreTest, BatchFromProtoRejectsMalformedBytesLikeAParse) {
  absl::StatusOr<SpanBatch> batch =
      SpanBatch::FromProto(std::string("\x0a\xff\xff\xff\xff\x0f\x12\x34", 8));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.status().message(),
            "proto: cannot parse invalid wire-format data");

  // Invalid UTF-8 in a string field: protobuf's reason is in the message.
  auto request = MakeRequest(rng_, 1, 1, nullptr);
  request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)
      ->set_name("bad \xff name");
  std::string bytes;
  {
    google::protobuf::LogSilencer quiet;
    bytes = request.SerializeAsString();
  }
  batch = SpanBatch::FromProto(bytes);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(batch.status().message()),
              ::testing::HasSubstr("opentelemetry.proto.trace.v1.Span.name"));
}

TEST_F(StoreTest, BatchWithBadIdsIsRejectedByPushWithTempoMessage) {
  auto store = OpenStore(Options());
  auto request = MakeRequest(rng_, 2, 2, nullptr);
  request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(3)
      ->set_trace_id(std::string(12, 'x'));
  const std::string bytes = request.SerializeAsString();
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  ASSERT_TRUE(batch.ok()) << "ID errors surface at Push, after tenancy";
  EXPECT_EQ(batch->span_count(), 4u);
  auto pushed = store->Push(kSingleTenant, *batch);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pushed.status().message(),
            "trace ids must be 128 bit, received 96 bits");
  EXPECT_EQ(store->Stats().spans_received, 0u);
}

TEST_F(StoreTest, TapSeesPushesOfBatchesFromProto) {
  auto store = OpenStore(Options());
  CountingTap tap;
  store->AddSpanTap(&tap);
  const std::string bytes = MakeRequest(rng_, 3, 2, nullptr).SerializeAsString();
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(store->Push("t2", *batch).ok());
  EXPECT_EQ(tap.spans, 6);
  EXPECT_EQ(tap.last_tenant, "t2");
  store->RemoveSpanTap(&tap);
}

// A tap gets the bytes of a push made from bytes as they were pushed, and a
// push of a parsed request serialized.
class BytesTap : public SpanTap {
 public:
  void OnSpans(std::string_view tenant, std::string_view request) override {
    last_tenant = std::string(tenant);
    bytes = std::string(request);
    ++calls;
  }
  std::string last_tenant, bytes;
  int calls = 0;
};

TEST_F(StoreTest, TapGetsThePushedBytes) {
  auto store = OpenStore(Options());
  CountingTap counting_tap;
  BytesTap bytes_tap;
  store->AddSpanTap(&counting_tap);
  store->AddSpanTap(&bytes_tap);
  const std::string bytes = MakeRequest(rng_, 3, 2, nullptr).SerializeAsString();
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(store->Push("t3", *batch).ok());
  EXPECT_EQ(bytes_tap.bytes, bytes);
  EXPECT_EQ(bytes_tap.last_tenant, "t3");
  EXPECT_EQ(counting_tap.spans, 6);
  // A push of a parsed request: the same request, serialized.
  const auto request = MakeRequest(rng_, 1, 1, nullptr);
  ASSERT_TRUE(store->Push("t3", request).ok());
  EXPECT_EQ(bytes_tap.calls, 2);
  EXPECT_EQ(bytes_tap.bytes, request.SerializeAsString());
  EXPECT_EQ(counting_tap.spans, 7);
  store->RemoveSpanTap(&bytes_tap);
  store->RemoveSpanTap(&counting_tap);
}

TEST_F(StoreTest, ForcedFlushHandsLiveTracesOverWhole) {
  // A /flush with an empty head block swaps the live map into it; traces
  // already partly frozen by a cut must still come out whole.
  StoreOptions options = Options();
  options.ingester.max_block_bytes = 1;  // every sweep that moves a trace cuts
  auto store = OpenStore(std::move(options));
  std::vector<TraceId> ids;
  ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 20, 2, &ids)).ok());
  ASSERT_TRUE(store->Flush().ok());
  auto more = MakeRequest(rng_, 0, 0, nullptr);
  for (const TraceId& id : ids) {
    AddSpan(more.mutable_resource_spans(0), id, testing::RandomSpanId(rng_),
            "late", 1'700'000'000'000'000'000ull);
  }
  ASSERT_TRUE(store->Push(kSingleTenant, more).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->Stats().live_traces, 0u);
  for (const TraceId& id : ids) EXPECT_EQ(SpansOf(*store, id), 3u);
}

}  // namespace
}  // namespace andante
