// Many tenants must not exhaust the process: every tenant has its own WAL
// directory, but open WAL files are bounded by wal.max_open_files and the
// fsync threads by wal.sync_threads, whatever the number of tenants; a
// restart reopens them all and every tenant reads its own data back.
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "andante/backend.h"
#include "andante/store.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"
#include "util/log.h"

namespace andante {
namespace {

using testing::MakeRequest;

constexpr int kTenants = 5000;
constexpr uint64_t kMaxOpenFiles = 32;
constexpr int kSyncThreads = 4;
// Slack over the baseline for descriptors and threads a store needs
// whatever the tenant count (transient directory scans, in-flight calls).
constexpr size_t kFdSlack = 16;
constexpr size_t kThreadSlack = 2;

size_t CountEntries(const char* dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir)) {
    ++n;
  }
  return n;
}
size_t OpenFds() { return CountEntries("/proc/self/fd"); }
size_t Threads() { return CountEntries("/proc/self/task"); }

std::string TenantName(int i) { return "tenant-" + std::to_string(i); }

class ManyTenantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    internal::SetLogLevel(internal::LogLevel::kWarn);
    // Blocks in memory (shared by the stores a test opens, so they survive
    // its restarts): the subject is the WAL, and 5,000 local blocks would
    // spend the test's time in fsyncs.
    backend_ = OpenMemoryBackend();
    base_fds_ = OpenFds();
    base_threads_ = Threads();
  }

  StoreOptions Options(WalFsync fsync) const {
    StoreOptions options = testing::TestStoreOptions(tmp_.path(), backend_);
    options.wal.fsync = fsync;
    options.wal.fsync_interval = absl::Milliseconds(5);
    options.wal.max_open_files = kMaxOpenFiles;
    options.wal.sync_threads = kSyncThreads;
    return options;
  }

  std::unique_ptr<Store> OpenStore(WalFsync fsync) {
    auto store = Store::Open(Options(fsync));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  void ExpectBounded(const char* when) {
    EXPECT_LE(OpenFds(), base_fds_ + kMaxOpenFiles + kFdSlack) << when;
    EXPECT_LE(Threads(), base_threads_ + kSyncThreads + kThreadSlack) << when;
  }

  // Every tenant finds its own trace with `spans` spans, and not its
  // neighbour's.
  void ExpectEveryTenantReadsBack(Store& store, const std::vector<TraceId>& ids,
                                  int spans, int tenants) {
    for (int i = 0; i < tenants; ++i) {
      auto found = store.FindTraceById(TenantName(i), ids[i]);
      ASSERT_TRUE(found.ok()) << TenantName(i) << ": " << found.status();
      ASSERT_EQ(found->span_count, static_cast<uint64_t>(spans))
          << TenantName(i);
      auto other = store.FindTraceById(TenantName((i + 1) % tenants), ids[i]);
      ASSERT_TRUE(other.ok()) << other.status();
      ASSERT_EQ(other->span_count, 0u) << "tenant isolation, " << i;
    }
  }

  testing::TempDir tmp_{"andante-many-tenants"};
  std::shared_ptr<Backend> backend_;
  std::mt19937_64 rng_{42};
  size_t base_fds_ = 0;
  size_t base_threads_ = 0;
};

TEST_F(ManyTenantsTest, FilesAndThreadsStayBoundedAcrossPushAndRestart) {
  std::vector<TraceId> ids;
  {
    auto store = OpenStore(WalFsync::kInterval);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < kTenants; ++i) {
      auto pushed = store->Push(TenantName(i), MakeRequest(rng_, 1, 3, &ids));
      ASSERT_TRUE(pushed.ok()) << TenantName(i) << ": " << pushed.status();
      if (i % 1000 == 999) ExpectBounded("while pushing");
    }
    ExpectBounded("after pushing");
    // A second push to every tenant reopens files the cache closed.
    for (int i = 0; i < kTenants; ++i) {
      auto pushed =
          store->Push(TenantName(i), MakeRequest(rng_, 1, 2, nullptr));
      ASSERT_TRUE(pushed.ok()) << TenantName(i) << ": " << pushed.status();
    }
    ExpectBounded("after a second round");
  }  // dropped without a flush: only the WALs hold the spans
  ASSERT_EQ(ids.size(), static_cast<size_t>(kTenants));
  auto store = OpenStore(WalFsync::kInterval);
  ASSERT_NE(store, nullptr);
  ExpectBounded("after restart");
  ExpectEveryTenantReadsBack(*store, ids, 3, kTenants);
  ExpectBounded("after reading every tenant from its WAL");
}

// Flushing every tenant keeps the bound, and the emptied WAL directories are
// gone after the next start (a flush costs a few fsyncs per tenant, hence
// fewer tenants here).
TEST_F(ManyTenantsTest, FlushedTenantsLeaveNoWalDirectoriesAndReadBack) {
  constexpr int kFlushed = 300;
  std::vector<TraceId> ids;
  {
    auto store = OpenStore(WalFsync::kInterval);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < kFlushed; ++i) {
      ASSERT_TRUE(
          store->Push(TenantName(i), MakeRequest(rng_, 1, 3, &ids)).ok());
    }
    ASSERT_TRUE(store->Flush().ok());
    ExpectBounded("after flushing every tenant");
    EXPECT_EQ(store->Stats().blocks_flushed, static_cast<uint64_t>(kFlushed));
  }
  auto store = OpenStore(WalFsync::kInterval);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CountEntries((tmp_.path() + "/wal").c_str()), 0u);
  ExpectEveryTenantReadsBack(*store, ids, 3, kFlushed);
  ExpectBounded("after reading every tenant from its block");
}

// Concurrent pushers under fsync-always, with far fewer file slots than
// tenants: handles are evicted while other threads write and fsync them.
TEST_F(ManyTenantsTest, ConcurrentPushesWithEvictionAreDurableAndIsolated) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::vector<std::vector<std::pair<std::string, TraceId>>> pushed(kThreads);
  {
    StoreOptions options = Options(WalFsync::kAlways);
    options.wal.max_open_files = 4;
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(t);
        for (int i = 0; i < kPerThread; ++i) {
          // Threads share tenants, so one tenant's WAL sees several writers.
          const std::string tenant = TenantName((i * 7 + t) % 150);
          std::vector<TraceId> ids;
          auto result = (*store)->Push(tenant, MakeRequest(rng, 1, 2, &ids));
          if (!result.ok()) {
            ADD_FAILURE() << result.status();
            return;
          }
          pushed[t].emplace_back(tenant, ids[0]);
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_LE(OpenFds(), base_fds_ + 4 + kFdSlack);
  }
  auto store = OpenStore(WalFsync::kAlways);
  ASSERT_NE(store, nullptr);
  for (const auto& list : pushed) {
    for (const auto& [tenant, id] : list) {
      auto found = store->FindTraceById(tenant, id);
      ASSERT_TRUE(found.ok()) << found.status();
      EXPECT_EQ(found->span_count, 2u) << tenant << " " << id.ToHex();
    }
  }
}

// A tenant directory with nothing in it (as pushes that failed used to
// leave) is removed at start, and a push that writes nothing creates none.
TEST_F(ManyTenantsTest, NoWalDirectoryWithoutWalData) {
  const std::string wal = tmp_.path() + "/wal";
  std::filesystem::create_directories(wal + "/left-by-a-failed-push");
  StoreOptions options = Options(WalFsync::kInterval);
  options.ingester.max_bytes_per_trace = 10;  // every span is too large
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE(std::filesystem::exists(wal + "/left-by-a-failed-push"));
  auto result = (*store)->Push("refused", MakeRequest(rng_, 1, 2, nullptr));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->spans_accepted, 0u);
  EXPECT_FALSE(std::filesystem::exists(wal + "/refused"));
}

}  // namespace
}  // namespace andante
