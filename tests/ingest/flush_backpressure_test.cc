// Block building runs beside the sweep (issue 14, item 7): while writing a
// block is stuck, the background sweep still moves idle traces out of the
// live map and cuts head blocks on time, and once the cut blocks waiting to
// be built exceed ingester.max_pending_block_bytes, pushes are refused with
// RESOURCE_EXHAUSTED (429) instead of growing the WAL; when building
// catches up, pushes are accepted again and nothing acknowledged is lost.
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/store.h"
#include "gtest/gtest.h"
#include "tests/testing/forwarding_backend.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/push_until_refused.h"
#include "tests/testing/wait_until.h"
#include "util/log.h"

namespace andante {
namespace {

using testing::MakeRequest;
using testing::WaitUntil;

// A memory backend whose writes wait while the gate is closed (a backend
// that cannot keep up).
class GatedBackend : public testing::ForwardingBackend {
 public:
  GatedBackend() : ForwardingBackend(OpenMemoryBackend()) {}

  void Close() {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  int blocked_writes() {
    absl::MutexLock lock(&mu_);
    return blocked_;
  }

  absl::Status Write(std::string_view key, std::string_view data) override {
    {
      absl::MutexLock lock(&mu_);
      ++blocked_;
      mu_.Await(absl::Condition(&open_));
      --blocked_;
    }
    return ForwardingBackend::Write(key, data);
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int blocked_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(FlushBackpressureTest,
     SweepRunsBesideStuckBlockBuildAndPushesBackThenRecovers) {
  internal::SetLogLevel(internal::LogLevel::kError);
  testing::TempDir tmp("andante-backpressure");
  auto backend = std::make_shared<GatedBackend>();
  StoreOptions options = testing::TestStoreOptions(tmp.path(), backend);
  options.env = Env::Default();  // real time, background threads
  options.ingester.flush_check_period = absl::Milliseconds(10);
  options.ingester.trace_idle_period = absl::Milliseconds(20);
  options.ingester.max_block_duration = absl::Milliseconds(50);
  options.ingester.max_pending_block_bytes = 20'000;
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();

  backend->Close();
  std::mt19937_64 rng(3);
  std::vector<TraceId> acked;
  // Push until refused: the first cut block gets stuck in the backend, the
  // sweep keeps cutting, and the pending bytes pass the limit.
  const absl::Status refused =
      testing::PushUntilRefused(**store, "t", rng, 5, 4, absl::Milliseconds(5),
                                absl::Seconds(20), &acked);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("waiting to be written"), std::string::npos)
      << refused;
  // A build is stuck in the backend (a worker may get there a moment after
  // the pending bytes passed the limit on a loaded machine).
  EXPECT_TRUE(WaitUntil(absl::Seconds(5),
                        [&] { return backend->blocked_writes() >= 1; }));
  // The sweep was not held up by the stuck build: idle traces left the live
  // map although no block could be written.
  EXPECT_TRUE(WaitUntil(absl::Seconds(5),
                        [&] { return (*store)->Stats().live_traces == 0; }))
      << (*store)->Stats().live_traces << " live traces";
  EXPECT_EQ((*store)->Stats().blocks_flushed, 0u);

  // Building catches up: pushes are accepted again, and every acknowledged
  // trace is found.
  backend->Open();
  EXPECT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    std::vector<TraceId> ids;
    if (!(*store)->Push("t", MakeRequest(rng, 1, 1, &ids)).ok()) return false;
    acked.insert(acked.end(), ids.begin(), ids.end());
    return true;
  }));
  // The push is accepted once the built block leaves the pending bytes; the
  // flush counter moves a little later (after the WAL segments are deleted).
  EXPECT_TRUE(WaitUntil(absl::Seconds(20),
                        [&] { return (*store)->Stats().blocks_flushed >= 1; }))
      << (*store)->Stats().blocks_flushed;
  for (const TraceId& id : acked) {
    auto found = (*store)->FindTraceById("t", id);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_GT(found->span_count, 0u) << id.ToHex();
  }
}

}  // namespace
}  // namespace andante
