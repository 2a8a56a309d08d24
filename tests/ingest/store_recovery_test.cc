// What survives a crash: the store is dropped without flushing (the kernel
// has every acknowledged record, as after kill -9) and reopened.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "andante/backend.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "block/block_list.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using testing::MakeRequest;

class StoreRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = OpenLocalBackend(tmp_.path() + "/blocks");
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
  }

  std::unique_ptr<Store> OpenStore() {
    StoreOptions options = testing::TestStoreOptions(tmp_.path(), backend_);
    options.env = &env_;
    auto store = Store::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  void ExpectAllFound(Store& store, const std::vector<TraceId>& ids,
                      uint64_t spans) {
    for (const TraceId& id : ids) {
      auto found = store.FindTraceById(kSingleTenant, id);
      ASSERT_TRUE(found.ok()) << found.status();
      EXPECT_EQ(found->span_count, spans) << id.ToHex();
    }
  }

  // First, so it is removed after everything that may use it.
  testing::TempDir tmp_{"andante-recovery"};
  // The stores' clock; the sweep runs when a test advances it.
  testing::ManualEnv env_;
  std::shared_ptr<Backend> backend_;
  std::mt19937_64 rng_{7};
};

TEST_F(StoreRecoveryTest, ReplaysUnflushedWalAfterCrash) {
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 10, 3, &ids)).ok());
    }
  }  // dropped without Flush: only the WAL has the spans
  auto store = OpenStore();
  ExpectAllFound(*store, ids, 3);
  // The replayed data is flushed after the next sweep, then the WAL is
  // trimmed.
  env_.AdvanceBy(absl::Seconds(10));
  EXPECT_TRUE(testing::WaitUntil(
      absl::Seconds(30), [&] { return store->Stats().blocks_flushed == 1; }));
  EXPECT_EQ(store->Stats().blocks_flushed, 1u);
  ExpectAllFound(*store, ids, 3);
}

TEST_F(StoreRecoveryTest, NothingIsDuplicatedOrLostAcrossRepeatedRestarts) {
  std::vector<TraceId> ids;
  for (int round = 0; round < 3; ++round) {
    auto store = OpenStore();
    ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 5, 2, &ids)).ok());
    if (round == 1) {
      ASSERT_TRUE(store->Flush().ok());
    }
  }
  auto store = OpenStore();
  ExpectAllFound(*store, ids, 2);
  ASSERT_TRUE(store->Flush().ok());
  ExpectAllFound(*store, ids, 2);
  // Reads deduplicate, so count what the blocks hold: every span exactly once.
  auto listed = internal::ListTenantBlocks(*backend_, "single-tenant");
  ASSERT_TRUE(listed.ok());
  uint64_t stored = 0;
  for (const auto& meta : listed->complete) stored += meta.total_spans;
  EXPECT_EQ(stored, ids.size() * 2);
}

TEST_F(StoreRecoveryTest, PartialBlockFromCrashedFlushIsKeptAndWalReplayed) {
  // A crash mid-flush leaves a block directory (a UUID, so the listing sees
  // it) with part of its objects and no meta.json; the WAL still has the
  // data. The directory cannot be told apart from the remains of a block
  // whose meta.json was lost, so it is kept, and the WAL is replayed.
  const std::string block = "0b5e7a2c-1d3f-4e5a-9b7c-8d9e0f1a2b3c";
  ASSERT_TRUE(
      backend_->Write("single-tenant/" + block + "/data", "partial").ok());
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 3, 1, &ids)).ok());
  }
  auto store = OpenStore();
  auto listed = internal::ListTenantBlocks(*backend_, "single-tenant");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->incomplete, std::vector<std::string>{block});
  EXPECT_EQ(store->Stats().blocks_damaged, 1u);
  ExpectAllFound(*store, ids, 1);
  ASSERT_TRUE(store->Flush().ok());
  ExpectAllFound(*store, ids, 1);
}

TEST_F(StoreRecoveryTest, CrashBetweenBloomAndMetaFindsEverySpanOnce) {
  // The block's data, index and bloom are written, meta.json is not, and the
  // WAL is intact: the block is recovered and the WAL replayed; reads see
  // every span once.
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 50, 2, &ids)).ok());
  }
  const std::string wal = tmp_.path() + "/wal";
  const std::string saved = tmp_.path() + "/wal-saved";
  std::filesystem::copy(wal, saved, std::filesystem::copy_options::recursive);
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Flush().ok());
  }
  auto listed = internal::ListTenantBlocks(*backend_, "single-tenant");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->complete.size(), 1u);
  ASSERT_TRUE(backend_
                  ->Delete("single-tenant/" + listed->complete[0].block_id +
                           "/meta.json")
                  .ok());
  std::filesystem::remove_all(wal);
  std::filesystem::rename(saved, wal);

  auto store = OpenStore();
  ExpectAllFound(*store, ids, 2);
  ASSERT_TRUE(store->Flush().ok());
  ExpectAllFound(*store, ids, 2);
  EXPECT_EQ(store->Stats().blocks_damaged, 0u);
}

TEST_F(StoreRecoveryTest, FlushedMarkerCompletesInterruptedWalDeletion) {
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 4, 2, &ids)).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  // Simulate a crash after the block was written but before the WAL was
  // trimmed: re-create a segment's worth of the same data and a marker that
  // says "everything below segment 1000000 is in a block".
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 1, 1, nullptr)).ok());
  }
  std::string marker = tmp_.path() + "/wal/single-tenant/flushed-1000000";
  int fd = ::open(marker.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto store = OpenStore();
  EXPECT_FALSE(std::filesystem::exists(marker));
  ExpectAllFound(*store, ids, 2);
  ASSERT_TRUE(store->Flush().ok());
  // The marked segments were deleted instead of replayed: one block only.
  EXPECT_EQ(store->Stats().blocks_in_backend, 1u);
}

}  // namespace
}  // namespace andante
