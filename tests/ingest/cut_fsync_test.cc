// A cut rotates the tenant's WAL while pushes are held off; the finished
// segment's fsync used to run inside that window, so at max rate every push
// stalled for the whole segment's writeback (55-123 ms, issue 14). The fsync
// now runs after the window: a push must complete while it is still running.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/store.h"
#include "gtest/gtest.h"
#include "ingest/store_counters.h"
#include "ingest/tenant_instance.h"
#include "model/trace_split.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/wal/wal_file_system_wrapper.h"
#include "util/log.h"
#include "wal/wal.h"

namespace andante {
namespace {

using internal::TenantInstance;
using internal::WalFile;

// The POSIX file system, with every fsync waiting while `hold` is set (a
// slow disk); `held` counts fsyncs that waited.
class SlowSyncFileSystem : public testing::WalFileSystemWrapper {
 public:
  std::atomic<bool> hold{false};
  std::atomic<int> held{0};

  absl::StatusOr<std::unique_ptr<WalFile>> CreateFile(
      const std::string& path) override {
    return Wrap(base()->CreateFile(path));
  }
  absl::StatusOr<std::unique_ptr<WalFile>> OpenFile(
      const std::string& path) override {
    return Wrap(base()->OpenFile(path));
  }
  absl::StatusOr<std::unique_ptr<WalFile>> OpenFileForWrite(
      const std::string& path) override {
    return Wrap(base()->OpenFileForWrite(path));
  }

 private:
  class File : public testing::WalFileWrapper {
   public:
    File(std::unique_ptr<WalFile> base, SlowSyncFileSystem* fs)
        : WalFileWrapper(std::move(base)), fs_(fs) {}
    absl::Status Sync() override {
      if (fs_->hold) {
        ++fs_->held;
        while (fs_->hold) absl::SleepFor(absl::Milliseconds(1));
      }
      return base()->Sync();
    }

   private:
    SlowSyncFileSystem* const fs_;
  };

  absl::StatusOr<std::unique_ptr<WalFile>> Wrap(
      absl::StatusOr<std::unique_ptr<WalFile>> file) {
    if (!file.ok()) return file.status();
    return std::make_unique<File>(std::move(*file), this);
  }
};

std::vector<internal::TraceFragment> OneSpan(uint64_t seed) {
  std::mt19937_64 rng(seed);
  testing::ExportTraceServiceRequest request;
  auto* rs = testing::AddResource(request, "svc");
  testing::AddSpan(rs, testing::RandomTraceId(rng), testing::RandomSpanId(rng),
                   "op", 1'700'000'000'000'000'000ull);
  auto fragments = internal::SplitByTrace(request);
  EXPECT_TRUE(fragments.ok()) << fragments.status();
  return fragments.ok() ? std::move(*fragments)
                        : std::vector<internal::TraceFragment>{};
}

TEST(CutFsyncTest, PushIsNotBlockedBySlowFsyncOfCutSegment) {
  internal::SetLogLevel(internal::LogLevel::kError);
  testing::TempDir tmp("andante-cut-fsync");
  auto backend = std::shared_ptr<Backend>(OpenMemoryBackend());
  StoreOptions options = testing::TestStoreOptions(tmp.path(), backend);
  options.wal.fsync = WalFsync::kInterval;
  options.wal.fsync_interval = absl::Hours(1);  // only the cut fsyncs
  SlowSyncFileSystem fs;
  internal::WalShared shared;
  shared.fs = &fs;
  internal::StoreCounters counters;
  auto instance = TenantInstance::Open("t", tmp.path() + "/wal/t", options,
                                       shared, &counters);
  ASSERT_TRUE(instance.ok()) << instance.status();
  TenantLimits limits;
  TenantInstance::PushLimits push_limits;
  push_limits.limits = &limits;
  const absl::Time now = absl::Now();
  ASSERT_TRUE((*instance)->Push(OneSpan(1), now, push_limits).ok());

  fs.hold = true;
  std::atomic<bool> cut{false};
  std::thread cutter([&] {
    absl::Status s = (*instance)->MoveAndCut(now, /*force=*/true);
    EXPECT_TRUE(s.ok()) << s;
    cut = true;
  });
  while (fs.held == 0) absl::SleepFor(absl::Milliseconds(1));
  std::atomic<bool> pushed{false};
  std::thread pusher([&] {
    auto result = (*instance)->Push(OneSpan(2), now, push_limits);
    EXPECT_TRUE(result.ok()) << result.status();
    pushed = true;
  });
  for (int i = 0; i < 10'000 && !pushed; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_TRUE(pushed) << "the push waited for the cut segment's fsync";
  EXPECT_FALSE(cut) << "the cut returned before its segment was fsynced";
  fs.hold = false;
  pusher.join();
  cutter.join();
  // Both spans are kept: the first in the cut block, the second live.
  ASSERT_TRUE((*instance)->Sweep(now, /*force=*/true).ok());
  EXPECT_EQ(counters.blocks_flushed.load(), 2u);
}

}  // namespace
}  // namespace andante
