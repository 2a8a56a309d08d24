// A cut freezes the live traces' fragments shard by shard, letting pushes
// in between (issue 14 item 7: a cut used to hold every push for as long as
// it took to walk all live traces). Pushes that land meanwhile write to the
// new WAL segment and must stay live; those before it must be frozen. Every
// acknowledged span must end up in exactly one block.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/store.h"
#include "block/block_meta.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"
#include "util/log.h"

namespace andante {
namespace {

using testing::AddResource;
using testing::AddSpan;
using testing::ExportTraceServiceRequest;
using testing::RandomSpanId;
using testing::RandomTraceId;

// Spans in the backend's blocks of `tenant`, from their meta.json.
uint64_t SpansInBlocks(Backend& backend, const std::string& tenant) {
  uint64_t spans = 0;
  auto blocks = backend.List(tenant);
  EXPECT_TRUE(blocks.ok()) << blocks.status();
  if (!blocks.ok()) return 0;
  for (const std::string& block : *blocks) {
    auto json = backend.Read(internal::BlockKey(tenant, block, "meta.json"));
    EXPECT_TRUE(json.ok()) << json.status();
    if (!json.ok()) continue;
    auto meta = internal::BlockMeta::FromJson(*json);
    EXPECT_TRUE(meta.ok()) << meta.status();
    if (meta.ok()) spans += meta->total_spans;
  }
  return spans;
}

TEST(CutWhilePushingTest, EveryAcknowledgedSpanIsInExactlyOneBlock) {
  internal::SetLogLevel(internal::LogLevel::kError);
  testing::TempDir tmp("andante-cut-while-pushing");
  auto backend = std::shared_ptr<Backend>(OpenMemoryBackend());
  StoreOptions options = testing::TestStoreOptions(tmp.path(), backend);
  options.env = Env::Default();  // real time: the sweep runs beside pushes
  options.ingester.flush_check_period = absl::Milliseconds(2);
  // Traces never go idle during the test: every cut freezes parts of live
  // traces, as the early cuts near a memory bound do.
  options.ingester.trace_idle_period = absl::Minutes(10);
  options.ingester.trace_live_period = absl::Minutes(10);
  // Half of this unflushed makes the sweep cut; all of it refuses pushes
  // until the workers catch up, so cuts happen whatever the timing.
  options.ingester.max_unflushed_bytes_per_tenant = 4 << 10;
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();

  // 40 traces, each given one span per push by 8 pushes.
  constexpr int kTraces = 40;
  constexpr int kSpansEach = 8;
  std::mt19937_64 rng(17);
  std::vector<TraceId> ids;
  for (int t = 0; t < kTraces; ++t) ids.push_back(RandomTraceId(rng));
  uint64_t acked_spans = 0;
  int refused = 0;
  for (int round = 0; round < kSpansEach; ++round) {
    // A few traces per request, so a cut falls between the fragments of
    // one trace and across requests.
    for (int first = 0; first < kTraces; first += 4) {
      ExportTraceServiceRequest request;
      auto* rs = AddResource(request, "svc");
      for (int t = first; t < first + 4; ++t) {
        AddSpan(rs, ids[t], RandomSpanId(rng), "op" + std::to_string(round),
                1'700'000'000'000'000'000ull + round * 1000);
      }
      while (true) {
        auto pushed = (*store)->Push("t", request);
        if (pushed.ok()) break;
        ASSERT_EQ(pushed.status().code(), absl::StatusCode::kResourceExhausted)
            << pushed.status();
        ++refused;
        absl::SleepFor(absl::Milliseconds(1));
      }
      acked_spans += 4;
      absl::SleepFor(absl::Milliseconds(1));  // let the sweep in
    }
  }
  ASSERT_TRUE((*store)->Flush().ok());

  // Several cuts happened while the traces were live.
  EXPECT_GE((*store)->Stats().blocks_flushed, 3u) << refused << " refused";
  // No fragment lost ...
  for (const TraceId& id : ids) {
    auto found = (*store)->FindTraceById("t", id);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->span_count, static_cast<uint64_t>(kSpansEach))
        << id.ToHex();
  }
  // ... and none frozen twice (reads deduplicate spans, the blocks do not).
  EXPECT_EQ(SpansInBlocks(*backend, "t"), acked_spans);
}

}  // namespace
}  // namespace andante
