// Wals sharing a bounded file cache and an fsync pool (WalShared), as the
// ingester's per-tenant WALs do: evicted handles are reopened transparently,
// acknowledged records stay durable across evictions, lazy Wals touch the
// disk only when they write, and the shared syncer fsyncs in the background.
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/wal/wal_file_system_wrapper.h"
#include "util/log.h"
#include "wal/wal.h"
#include "wal/wal_file_cache.h"
#include "wal/wal_syncer.h"

namespace andante::internal {
namespace {

using ::andante::testing::TempDir;
using ::andante::testing::WalFileSystemWrapper;

// Remembers per file how many bytes the last successful Sync covered,
// through whichever handle (created or reopened), and can cut every file
// back to that as a power loss may. Counts opens.
class PowerLossFileSystem : public WalFileSystemWrapper {
 public:
  std::atomic<int> reopens{0};
  std::atomic<int> syncs{0};
  std::atomic<bool> fail_creates{false};

  void RecordSynced(const std::string& path, uint64_t size) {
    absl::MutexLock lock(&mu_);
    uint64_t& synced = synced_[path];
    synced = std::max(synced, size);
  }
  void DropUnsyncedData() {
    absl::MutexLock lock(&mu_);
    for (const auto& [path, synced] : synced_) {
      if (std::filesystem::exists(path)) {
        std::filesystem::resize_file(path, synced);
      }
    }
  }

  absl::StatusOr<std::unique_ptr<WalFile>> CreateFile(
      const std::string& path) override {
    if (fail_creates) return absl::ResourceExhaustedError("injected: EMFILE");
    auto file = base()->CreateFile(path);
    if (!file.ok()) return file.status();
    RecordSynced(path, 0);
    return Wrap(std::move(*file), path);
  }
  absl::StatusOr<std::unique_ptr<WalFile>> OpenFileForWrite(
      const std::string& path) override {
    ++reopens;
    auto file = base()->OpenFileForWrite(path);
    if (!file.ok()) return file.status();
    return Wrap(std::move(*file), path);
  }

 private:
  class File : public testing::WalFileWrapper {
   public:
    File(std::unique_ptr<WalFile> base, PowerLossFileSystem* fs,
         std::string path)
        : WalFileWrapper(std::move(base)), fs_(fs), path_(std::move(path)) {}
    absl::Status Sync() override {
      absl::StatusOr<uint64_t> size = base()->Size();
      if (!size.ok()) return size.status();
      absl::Status s = base()->Sync();
      if (!s.ok()) return s;
      ++fs_->syncs;
      fs_->RecordSynced(path_, *size);
      return absl::OkStatus();
    }

   private:
    PowerLossFileSystem* const fs_;
    const std::string path_;
  };

  std::unique_ptr<WalFile> Wrap(std::unique_ptr<WalFile> file,
                                const std::string& path) {
    return std::make_unique<File>(std::move(file), this, path);
  }

  absl::Mutex mu_;
  std::map<std::string, uint64_t> synced_ ABSL_GUARDED_BY(mu_);
};

std::vector<std::string> ReplayAll(const std::string& dir) {
  std::vector<std::string> payloads;
  auto report = ReplayWal(dir, [&](const WalRecordRef&, std::string_view p) {
    payloads.emplace_back(p);
    return absl::OkStatus();
  });
  EXPECT_TRUE(report.ok()) << report.status();
  return payloads;
}

WalOptions Options(WalFsync fsync) {
  WalOptions options;
  options.fsync = fsync;
  options.fsync_interval = absl::Milliseconds(5);
  return options;
}

class WalSharedTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogLevel(LogLevel::kError); }
  TempDir tmp_{"andante_wal_shared_test"};
};

// Two Wals with one file slot between them: every append evicts the other
// Wal's handle. Every acknowledged record survives a power loss and reads
// back by reference.
TEST_F(WalSharedTest, EvictedHandlesReopenAndAckedRecordsStayDurable) {
  PowerLossFileSystem fs;
  WalFileCache cache(1);
  WalShared shared{.fs = &fs, .files = &cache, .syncer = nullptr, .lazy = true};
  const std::string dirs[2] = {tmp_.path() + "/a", tmp_.path() + "/b"};
  std::unique_ptr<Wal> wals[2];
  for (int w = 0; w < 2; ++w) {
    auto wal = Wal::Open(Options(WalFsync::kAlways), dirs[w], shared);
    ASSERT_TRUE(wal.ok()) << wal.status();
    wals[w] = std::move(*wal);
  }
  std::vector<std::string> written[2];
  std::vector<WalRecordRef> refs[2];
  for (int i = 0; i < 40; ++i) {
    const int w = i % 2;
    const std::string payload = absl::StrCat("record ", i);
    auto ref = wals[w]->Append(payload);
    ASSERT_TRUE(ref.ok()) << ref.status();
    written[w].push_back(payload);
    refs[w].push_back(*ref);
    EXPECT_LE(cache.size(), 1u);
  }
  EXPECT_GT(fs.reopens.load(), 10);  // the handles really were evicted
  for (int w = 0; w < 2; ++w) {
    for (size_t i = 0; i < refs[w].size(); ++i) {
      auto read = wals[w]->ReadPayload(refs[w][i]);
      ASSERT_TRUE(read.ok()) << read.status();
      EXPECT_EQ(*read, written[w][i]);
    }
  }
  fs.DropUnsyncedData();
  wals[0].reset();
  wals[1].reset();
  for (int w = 0; w < 2; ++w) EXPECT_EQ(ReplayAll(dirs[w]), written[w]);
}

TEST_F(WalSharedTest, LazyWalTouchesTheDiskOnlyToWrite) {
  WalFileCache cache(4);
  WalShared shared{.files = &cache, .lazy = true};
  const std::string dir = tmp_.path() + "/tenant";
  auto wal = Wal::Open(Options(WalFsync::kNever), dir, shared);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ((*wal)->current_segment(), 1u);
  // Rotating a segment nothing was written to creates nothing.
  EXPECT_EQ(*(*wal)->Rotate(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir));
  ASSERT_TRUE((*wal)->Append("first").ok());
  EXPECT_EQ(*ListWalSegments(dir), std::vector<uint64_t>{1});
  EXPECT_EQ(*(*wal)->Rotate(), 2u);
  EXPECT_EQ(*ListWalSegments(dir), std::vector<uint64_t>{1});  // 2 not yet
  ASSERT_TRUE((*wal)->Append("second").ok());
  EXPECT_EQ(*ListWalSegments(dir), (std::vector<uint64_t>{1, 2}));
  wal->reset();
  EXPECT_EQ(ReplayAll(dir), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(cache.size(), 0u);  // a closed Wal leaves nothing in the cache
}

TEST_F(WalSharedTest, FailedFirstSegmentLeavesNoDirectory) {
  PowerLossFileSystem fs;
  fs.fail_creates = true;
  WalFileCache cache(4);
  WalShared shared{.fs = &fs, .files = &cache, .lazy = true};
  const std::string dir = tmp_.path() + "/refused";
  auto wal = Wal::Open(Options(WalFsync::kInterval), dir, shared);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ((*wal)->Append("x").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(std::filesystem::exists(dir));
  // Not sticky: once files can be created again, appends work.
  fs.fail_creates = false;
  ASSERT_TRUE((*wal)->Append("y").ok());
  wal->reset();
  EXPECT_EQ(ReplayAll(dir), std::vector<std::string>{"y"});
}

// Many interval Wals, one pool: each is fsynced in the background without a
// thread of its own, and Drain fsyncs all at once.
TEST_F(WalSharedTest, SharedSyncerFsyncsEveryWalInTheBackground) {
  PowerLossFileSystem fs;
  WalFileCache cache(8);
  WalSyncer syncer(absl::Milliseconds(5), 2);
  WalShared shared{.fs = &fs, .files = &cache, .syncer = &syncer, .lazy = true};
  constexpr int kWals = 50;
  std::vector<std::unique_ptr<Wal>> wals;
  for (int i = 0; i < kWals; ++i) {
    auto wal = Wal::Open(Options(WalFsync::kInterval),
                         absl::StrCat(tmp_.path(), "/", i), shared);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE((*wal)->Append(absl::StrCat("r", i)).ok());
    wals.push_back(std::move(*wal));
  }
  // Without any call into the Wals, the pool makes every record durable.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (fs.syncs.load() < kWals && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GE(fs.syncs.load(), kWals);
  for (int i = 0; i < kWals; ++i) {
    ASSERT_TRUE(wals[i]->Append("again").ok());
  }
  syncer.Drain();
  fs.DropUnsyncedData();
  wals.clear();
  for (int i = 0; i < kWals; ++i) {
    EXPECT_EQ(ReplayAll(absl::StrCat(tmp_.path(), "/", i)),
              (std::vector<std::string>{absl::StrCat("r", i), "again"}));
  }
}

}  // namespace
}  // namespace andante::internal
