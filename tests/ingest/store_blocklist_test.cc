// The store wired to blocklist polling and compaction: instances sharing a
// bucket find each other's traces after one poll, read-your-writes holds
// across polls and compactions, and an unreachable bucket does not stop
// ingest.
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/env.h"
#include "andante/compaction.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/testing/manual_env.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_backend.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using testing::MakeRequest;

class StoreBlocklistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    faults_ = std::make_shared<testing::FaultBackend>(
        std::shared_ptr<Backend>(OpenMemoryBackend()));
  }

  StoreOptions Options(const std::string& id) {
    StoreOptions options =
        testing::TestStoreOptions(tmp_.path() + "/" + id, faults_);
    options.blocklist.instance_id = id;
    options.blocklist.instance_ring = {"a", "b"};
    options.blocklist.blocklist_poll = absl::Seconds(10);
    return options;
  }

  std::shared_ptr<Compactor> MakeCompactor(const std::string& id) {
    CompactionOptions options;
    options.instance_id = id;
    options.instance_ring = {id};
    options.block_retention = absl::ZeroDuration();  // old test timestamps
    options.compacted_block_retention = absl::Minutes(1);
    auto compactor = Compactor::Open(options, faults_);
    EXPECT_TRUE(compactor.ok()) << compactor.status();
    return compactor.ok() ? std::shared_ptr<Compactor>(std::move(*compactor))
                          : nullptr;
  }

  std::unique_ptr<Store> OpenStore(StoreOptions options) {
    auto store = Store::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // The objects of the tenant's blocks ("block/object").
  std::vector<std::string> BlockObjects() {
    std::vector<std::string> out;
    auto blocks = faults_->List(kSingleTenant);
    EXPECT_TRUE(blocks.ok());
    for (const std::string& b : blocks.ok() ? *blocks : out) {
      auto objects = faults_->List(std::string(kSingleTenant) + "/" + b);
      if (!objects.ok()) continue;  // a file, such as the tenant index
      for (const std::string& o : *objects) out.push_back(b + "/" + o);
    }
    return out;
  }

  // Pushes `traces` traces of `spans` spans; records the expected counts.
  void Push(Store& store, int traces, int spans) {
    std::vector<TraceId> ids;
    auto request = MakeRequest(rng_, traces, spans, &ids);
    ASSERT_TRUE(store.Push(kSingleTenant, request).ok());
    for (const TraceId& id : ids) expected_[id] += spans;
  }

  uint64_t SpansOf(Store& store, const TraceId& id) {
    auto found = store.FindTraceById(kSingleTenant, id);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->span_count : 0;
  }

  // Number of expected traces `store` finds with exactly their span count.
  size_t FoundExactly(Store& store) {
    size_t n = 0;
    for (const auto& [id, spans] : expected_) n += SpansOf(store, id) == spans;
    return n;
  }

  testing::TempDir tmp_{"andante-store-blocklist"};
  std::shared_ptr<testing::FaultBackend> faults_;
  std::mt19937_64 rng_{7};
  std::map<TraceId, uint64_t> expected_;
};

TEST_F(StoreBlocklistTest, InstancesSharingABucketFindEachOthersTraces) {
  auto a = OpenStore(Options("a"));
  auto b = OpenStore(Options("b"));
  ASSERT_TRUE(a && b);
  Push(*a, 5, 3);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_EQ(FoundExactly(*b), 0u) << "b has not polled yet";
  ASSERT_TRUE(b->PollBlocklist().ok());
  EXPECT_EQ(FoundExactly(*b), expected_.size());
  EXPECT_EQ(b->Stats().blocklist_length.at(std::string(kSingleTenant)), 1u);

  std::map<TraceId, uint64_t> from_a = expected_;
  expected_.clear();
  Push(*b, 4, 2);
  ASSERT_TRUE(b->Flush().ok());
  ASSERT_TRUE(a->PollBlocklist().ok());
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  expected_.insert(from_a.begin(), from_a.end());
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  EXPECT_EQ(FoundExactly(*b), expected_.size());
  EXPECT_EQ(a->Stats().blocklist_polls, 1u);
}

TEST_F(StoreBlocklistTest, PollThatMissesAFreshFlushKeepsIt) {
  auto a = OpenStore(Options("a"));
  ASSERT_TRUE(a);
  Push(*a, 6, 2);
  ASSERT_TRUE(a->Flush().ok());
  // The poll cannot read the new block's meta.json (as if it listed before
  // the flush finished): the block must stay readable anyway.
  faults_->Hide("meta.json");
  ASSERT_TRUE(a->PollBlocklist().ok());
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  faults_->ClearFaults();
  ASSERT_TRUE(a->PollBlocklist().ok());
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  EXPECT_EQ(a->Stats().blocks_in_backend, 1u);
}

TEST_F(StoreBlocklistTest, PollReusesOpenReaders) {
  auto a = OpenStore(Options("a"));
  ASSERT_TRUE(a);
  Push(*a, 8, 2);
  ASSERT_TRUE(a->Flush().ok());
  ASSERT_TRUE(a->PollBlocklist().ok());
  const TraceId id = expected_.begin()->first;
  EXPECT_EQ(SpansOf(*a, id), 2u);  // loads bloom shard and index
  faults_->ResetCounts();
  EXPECT_EQ(SpansOf(*a, id), 2u);
  const uint64_t warm = faults_->counts().reads;
  ASSERT_TRUE(a->PollBlocklist().ok());
  faults_->ResetCounts();
  EXPECT_EQ(SpansOf(*a, id), 2u);
  EXPECT_EQ(faults_->counts().reads, warm)
      << "a poll must not drop the block's loaded bloom and index";
}

TEST_F(StoreBlocklistTest, CompactionSwapsBlocksAndLosesNothing) {
  StoreOptions options = Options("a");
  options.compactor = MakeCompactor("a");
  auto a = OpenStore(std::move(options));
  auto b = OpenStore(Options("b"));
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 3; ++i) {
    Push(*a, 4, 3);
    ASSERT_TRUE(a->Flush().ok());
  }
  ASSERT_TRUE(b->PollBlocklist().ok());
  ASSERT_EQ(a->Stats().blocks_in_backend, 3u);

  absl::StatusOr<CompactionCycleReport> report =
      a->RunCompactionCycle();
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->compactions.size(), 1u);
  StoreStats stats = a->Stats();
  EXPECT_EQ(stats.blocks_in_backend, 1u) << "outputs replace inputs at once";
  EXPECT_EQ(stats.compaction_cycles, 1u);
  EXPECT_EQ(stats.compaction_blocks, 3u);
  EXPECT_EQ(stats.compaction_objects_written, expected_.size());
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  // b still reads the (compacted, not yet deleted) inputs until it polls.
  EXPECT_EQ(FoundExactly(*b), expected_.size());
  ASSERT_TRUE(b->PollBlocklist().ok());
  EXPECT_EQ(b->Stats().blocks_in_backend, 1u);
  EXPECT_EQ(FoundExactly(*b), expected_.size());
}

// A compaction cycle judges retention by the store's Env clock, so a test
// (or an embedder replaying old data) moves time instead of sleeping: the
// compacted inputs stay through compacted_block_retention and go after it.
TEST_F(StoreBlocklistTest, CompactionCycleTakesItsTimeFromTheEnv) {
  testing::ManualEnv env;
  StoreOptions options = Options("a");
  options.env = &env;
  options.compactor = MakeCompactor("a");  // compacted_block_retention 1 min
  auto a = OpenStore(std::move(options));
  ASSERT_TRUE(a);
  for (int i = 0; i < 3; ++i) {
    Push(*a, 4, 3);
    ASSERT_TRUE(a->Flush().ok());
  }
  const size_t objects_per_block = BlockObjects().size() / 3;
  ASSERT_GT(objects_per_block, 0u);
  absl::StatusOr<CompactionCycleReport> report = a->RunCompactionCycle();
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->compactions.size(), 1u);
  const size_t after_compaction = BlockObjects().size();
  ASSERT_GT(after_compaction, objects_per_block) << "inputs still stored";

  // 59 s of manual time later the inputs are inside their retention, though
  // the real clock may have passed any stamp the test took.
  env.AdvanceBy(absl::Seconds(59));
  ASSERT_TRUE(a->RunCompactionCycle().ok());
  EXPECT_EQ(BlockObjects().size(), after_compaction);

  env.AdvanceBy(absl::Seconds(2));
  ASSERT_TRUE(a->RunCompactionCycle().ok());
  std::vector<std::string> left = BlockObjects();
  std::set<std::string> blocks;
  for (const std::string& o : left) blocks.insert(o.substr(0, o.find('/')));
  EXPECT_EQ(blocks.size(), 1u) << "only the compacted output is left";
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  a.reset();  // before env
}

// After a burst the compaction task catches up at once: a cycle whose jobs
// compacted something is followed by another right away, so the outputs of
// one level are merged without waiting a compaction_cycle each. Four blocks
// merged two at a time take two cycles; one period of the task does both
// (before, one cycle a period: two blocks were left).
TEST_F(StoreBlocklistTest, CompactionTaskCatchesUpWithoutWaitingAPeriod) {
  testing::ManualEnv env;
  StoreOptions options = Options("a");
  options.env = &env;
  CompactionOptions compaction;
  compaction.instance_id = "a";
  compaction.instance_ring = {"a"};
  compaction.block_retention = absl::ZeroDuration();
  compaction.compacted_block_retention = absl::Minutes(1);
  compaction.max_input_blocks = 2;
  auto compactor = Compactor::Open(compaction, faults_);
  ASSERT_TRUE(compactor.ok()) << compactor.status();
  options.compactor = std::shared_ptr<Compactor>(std::move(*compactor));
  const absl::Duration cycle = compaction.compaction_cycle;
  auto a = OpenStore(std::move(options));
  ASSERT_TRUE(a);
  for (int i = 0; i < 4; ++i) {
    Push(*a, 4, 3);
    ASSERT_TRUE(a->Flush().ok());
  }
  ASSERT_EQ(a->Stats().blocks_in_backend, 4u);
  env.AdvanceBy(cycle);
  StoreStats stats = a->Stats();
  EXPECT_EQ(stats.blocks_in_backend, 1u)
      << "the second level waited for the next period";
  EXPECT_EQ(stats.compaction_blocks, 6u);  // 2 + 2, then the 2 outputs
  EXPECT_EQ(stats.compaction_cycles, 3u);  // the last finds nothing to do
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  a.reset();  // before env
}

// Uploads a killed writer left open are aborted by the compaction cycle's
// cleanup and counted in the store's stats (andante_backend_aborted_uploads_total).
TEST_F(StoreBlocklistTest, AbortedLeftoverUploadsAreCounted) {
  // The bucket holds two such uploads until they are aborted.
  class LeftoverUploads : public testing::FaultBackend {
   public:
    using FaultBackend::FaultBackend;
    absl::StatusOr<uint64_t> AbortIncompleteWrites(std::string_view,
                                                   absl::Time) override {
      return std::exchange(open_, 0);
    }
    uint64_t open_ = 2;
  };
  faults_ = std::make_shared<LeftoverUploads>(
      std::shared_ptr<Backend>(OpenMemoryBackend()));
  StoreOptions options = Options("a");
  options.compactor = MakeCompactor("a");
  auto a = OpenStore(std::move(options));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->Stats().backend_aborted_uploads, 0u);
  ASSERT_TRUE(a->RunCompactionCycle().ok());
  EXPECT_EQ(a->Stats().backend_aborted_uploads, 2u);
  ASSERT_TRUE(a->RunCompactionCycle().ok());
  EXPECT_EQ(a->Stats().backend_aborted_uploads, 2u);
}

// Close (what SIGTERM calls) while the background compaction cycle hangs
// on an input read: it abandons the job instead of waiting for it. Without
// cancellation Close would wait until the read is released, i.e. forever,
// so the 20 s bound cannot flake; the bucket is left as a crash would.
TEST_F(StoreBlocklistTest, CloseAbandonsACompactionStuckOnARead) {
  std::vector<std::string> before;
  {
    auto writer = OpenStore(Options("a"));
    ASSERT_TRUE(writer);
    for (int i = 0; i < 3; ++i) {
      Push(*writer, 4, 3);
      ASSERT_TRUE(writer->Flush().ok());
    }
    before = BlockObjects();
    // meta.json, index, bloom, data, tags (the tag summary)
    ASSERT_EQ(before.size(), 3u * 5);
  }
  faults_->HoldReads("/data");
  StoreOptions options = Options("c");
  options.env = Env::Default();  // the cycle runs on its own thread
  CompactionOptions compaction;
  compaction.instance_id = "c";
  compaction.instance_ring = {"c"};
  compaction.block_retention = absl::ZeroDuration();
  compaction.compacted_block_retention = absl::Minutes(1);
  compaction.compaction_cycle = absl::Milliseconds(10);
  auto compactor = Compactor::Open(compaction, faults_);
  ASSERT_TRUE(compactor.ok());
  options.compactor = std::shared_ptr<Compactor>(std::move(*compactor));
  auto store = OpenStore(std::move(options));
  ASSERT_TRUE(store);
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (faults_->held_reads() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GT(faults_->held_reads(), 0) << "no compaction read the blocks";

  absl::Notification closed;
  std::thread closer([&] {
    store->Close().IgnoreError();
    closed.Notify();
  });
  EXPECT_TRUE(closed.WaitForNotificationWithTimeout(absl::Seconds(20)))
      << "Close still waiting for the compaction 20 s later";
  faults_->ReleaseReads();
  closer.join();
  store.reset();
  // Nothing published, nothing marked: the blocks are what they were.
  EXPECT_EQ(BlockObjects(), before);
}

TEST_F(StoreBlocklistTest, CompactedRetentionMustCoverTwoPolls) {
  StoreOptions options = Options("a");
  options.blocklist.blocklist_poll = absl::Seconds(45);
  options.compactor = MakeCompactor("a");  // compacted_block_retention 1m
  auto store = Store::Open(std::move(options));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("compacted_block_retention"),
            std::string::npos)
      << store.status();
}

TEST_F(StoreBlocklistTest, UnreachableBucketDoesNotStopIngest) {
  {
    auto seed = OpenStore(Options("a"));
    Push(*seed, 3, 2);
    ASSERT_TRUE(seed->Flush().ok());
  }
  std::map<TraceId, uint64_t> in_bucket = expected_;
  faults_->FailLists();
  auto a = OpenStore(Options("b"));
  ASSERT_TRUE(a) << "Open must not need the bucket";
  expected_.clear();
  Push(*a, 4, 2);  // acknowledged into the WAL
  EXPECT_EQ(FoundExactly(*a), expected_.size());
  EXPECT_FALSE(a->PollBlocklist().ok());
  EXPECT_EQ(a->Stats().blocklist_poll_failures, 1u);
  faults_->ClearFaults();
  ASSERT_TRUE(a->PollBlocklist().ok());
  expected_.insert(in_bucket.begin(), in_bucket.end());
  EXPECT_EQ(FoundExactly(*a), expected_.size());
}

TEST_F(StoreBlocklistTest, SharedBucketStartLeavesBlocksWithoutMetaAlone) {
  // Another instance's flush in progress: data written, meta.json not yet.
  const std::string key =
      std::string(kSingleTenant) + "/0f0e0d0c-0b0a-4908-8706-050403020100/data";
  ASSERT_TRUE(faults_->Write(key, "partial").ok());
  auto a = OpenStore(Options("a"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(faults_->Read(key).ok()) << "deleted another instance's block";
  EXPECT_EQ(a->Stats().blocks_damaged, 0u);
}

// Trace by ID over many warm blocks: one backend read (the page) for a hit,
// none for a miss; a small cache stays within its bound and still answers.
TEST_F(StoreBlocklistTest, WarmLookupsCostOneReadPerHitAndNonePerMiss) {
  for (uint64_t cache_bytes : {uint64_t{64} << 20, uint64_t{256}}) {
    SCOPED_TRACE(cache_bytes);
    SetUp();
    expected_.clear();
    StoreOptions options = Options(cache_bytes > 256 ? "big" : "small");
    options.blocklist.instance_ring = {};
    options.block.bloom_filter_false_positive = 1e-6;
    options.block_cache_bytes = cache_bytes;
    auto a = OpenStore(std::move(options));
    ASSERT_TRUE(a);
    constexpr int kBlocks = 20;
    for (int i = 0; i < kBlocks; ++i) {
      Push(*a, 5, 2);
      ASSERT_TRUE(a->Flush().ok());
    }
    ASSERT_EQ(a->Stats().blocks_in_backend, uint64_t{kBlocks});
    ASSERT_EQ(FoundExactly(*a), expected_.size());  // warms the cache
    faults_->ResetCounts();
    ASSERT_EQ(FoundExactly(*a), expected_.size());
    const uint64_t hit_reads = faults_->counts().reads;
    std::vector<TraceId> misses;
    MakeRequest(rng_, 50, 1, &misses);
    faults_->ResetCounts();
    for (const TraceId& id : misses) EXPECT_EQ(SpansOf(*a, id), 0u);
    const uint64_t miss_reads = faults_->counts().reads;
    StoreStats stats = a->Stats();
    EXPECT_LE(stats.block_cache_bytes, cache_bytes);
    if (cache_bytes > 256) {
      EXPECT_EQ(hit_reads, expected_.size()) << "one page read per hit";
      EXPECT_EQ(miss_reads, 0u);
      EXPECT_GT(stats.block_cache_hits, 0u);
    } else {
      // Evictions make lookups read bloom shards and indexes again.
      EXPECT_GT(hit_reads, expected_.size());
      EXPECT_GT(stats.block_cache_misses, uint64_t{kBlocks});
    }
  }
}

}  // namespace
}  // namespace andante
