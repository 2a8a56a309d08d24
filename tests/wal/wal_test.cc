// Wal: appends, rotation, deletion, reads, concurrency, fsync policies and
// failures. Power loss is simulated with a file system that remembers how
// much of each file was fsynced and can cut files back to that (leveldb's
// db/fault_injection_test.cc does the same).
#include "wal/wal.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/wal/wal_file_system_wrapper.h"
#include "util/log.h"
#include "wal/wal_file.h"
#include "wal/wal_format.h"

namespace andante::internal {
namespace {

namespace fmt = wal_format;
using ::andante::testing::TempDir;
using ::andante::testing::WalFileSystemWrapper;

std::string Payload(int i, size_t size) {
  std::string s = "record-" + std::to_string(i) + ":";
  std::mt19937 rng(i);
  while (s.size() < size) s.push_back(static_cast<char>(rng()));
  s.resize(size);
  return s;
}

std::string SegmentPath(const std::string& dir, uint64_t segment) {
  return dir + "/" + WalSegmentFileName(segment);
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    total += e.file_size();
  }
  return total;
}

WalOptions Options(WalFsync fsync, uint64_t segment_bytes = 64 << 20) {
  WalOptions options;
  options.fsync = fsync;
  options.segment_bytes = segment_bytes;
  options.fsync_interval = absl::Milliseconds(5);
  return options;
}

std::unique_ptr<Wal> OpenWal(const WalOptions& options, const std::string& dir,
                             WalFileSystem* fs = WalFileSystem::Default()) {
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(options, dir, fs);
  EXPECT_TRUE(wal.ok()) << wal.status();
  return wal.ok() ? std::move(*wal) : nullptr;
}

std::vector<std::string> ReplayAll(const std::string& dir,
                                   WalReplayReport* report = nullptr) {
  std::vector<std::string> payloads;
  absl::StatusOr<WalReplayReport> r =
      ReplayWal(dir, [&](const WalRecordRef&, std::string_view payload) {
        payloads.emplace_back(payload);
        return absl::OkStatus();
      });
  EXPECT_TRUE(r.ok()) << r.status();
  if (report != nullptr && r.ok()) *report = *r;
  return payloads;
}

// Wraps the POSIX file system. Remembers, per file, how many bytes the last
// successful Sync covered; DropUnsyncedData cuts every file back to that,
// which is what a power loss may do. Can also fail writes (after writing
// half the bytes, like a full disk) and fsyncs.
class FaultFileSystem : public WalFileSystemWrapper {
 public:
  std::atomic<bool> fail_writes{false};
  std::atomic<bool> fail_syncs{false};
  std::atomic<int> syncs{0};
  // While set, every fsync of `hold_path` waits (a slow disk); `held`
  // counts the fsyncs that started waiting. Set hold_path first.
  std::string hold_path;
  std::atomic<bool> hold_syncs{false};
  std::atomic<int> held{0};

  void RecordSynced(const std::string& path, uint64_t size) {
    absl::MutexLock lock(&mu_);
    uint64_t& synced = synced_[path];
    synced = std::max(synced, size);
  }

  uint64_t SyncedBytes(const std::string& path) {
    absl::MutexLock lock(&mu_);
    auto it = synced_.find(path);
    return it == synced_.end() ? 0 : it->second;
  }

  // Simulates power loss for files created through this file system.
  void DropUnsyncedData() {
    absl::MutexLock lock(&mu_);
    for (const auto& [path, synced] : synced_) {
      if (std::filesystem::exists(path)) {
        std::filesystem::resize_file(path, synced);
      }
    }
  }

  absl::StatusOr<std::unique_ptr<WalFile>> CreateFile(
      const std::string& path) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, uint64_t> synced_ ABSL_GUARDED_BY(mu_);
};

class FaultFile : public testing::WalFileWrapper {
 public:
  FaultFile(std::unique_ptr<WalFile> base, FaultFileSystem* fs,
            std::string path)
      : WalFileWrapper(std::move(base)), fs_(fs), path_(std::move(path)) {}

  absl::Status WriteAt(uint64_t offset, std::string_view a,
                       std::string_view b) override {
    if (fs_->fail_writes) {
      // A partial write, then the error.
      absl::Status s = base()->WriteAt(offset, a.substr(0, a.size() / 2), {});
      if (!s.ok()) return s;
      return absl::ResourceExhaustedError("injected: no space left");
    }
    return base()->WriteAt(offset, a, b);
  }
  absl::Status Sync() override {
    if (fs_->fail_syncs) return absl::InternalError("injected: fsync failed");
    if (fs_->hold_syncs && path_ == fs_->hold_path) {
      ++fs_->held;
      while (fs_->hold_syncs) absl::SleepFor(absl::Milliseconds(1));
    }
    // Only what was written before the fsync started is covered by it.
    absl::StatusOr<uint64_t> size = base()->Size();
    if (!size.ok()) return size.status();
    absl::Status s = base()->Sync();
    if (!s.ok()) return s;
    ++fs_->syncs;
    fs_->RecordSynced(path_, *size);
    return absl::OkStatus();
  }

 private:
  FaultFileSystem* const fs_;
  const std::string path_;
};

absl::StatusOr<std::unique_ptr<WalFile>> FaultFileSystem::CreateFile(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<WalFile>> file = base()->CreateFile(path);
  if (!file.ok()) return file.status();
  RecordSynced(path, 0);
  return std::make_unique<FaultFile>(std::move(*file), this, path);
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogLevel(LogLevel::kError); }
  TempDir tmp_{"andante_wal_test"};
};

TEST_F(WalTest, SegmentFileNamesAreFixedWidth) {
  EXPECT_EQ(WalSegmentFileName(1), "000000000001.wal");
  EXPECT_EQ(WalSegmentFileName(123456789012), "123456789012.wal");
}

TEST_F(WalTest, OpenCreatesDirectoryAndFirstSegment) {
  const std::string dir = tmp_.path() + "/tenant/a";
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), dir);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(wal->current_segment(), 1u);
  EXPECT_EQ(*ListWalSegments(dir), std::vector<uint64_t>{1});
  EXPECT_EQ(wal->bytes_on_disk(), fmt::kSegmentHeaderSize);
  EXPECT_EQ(wal->bytes_written(), fmt::kSegmentHeaderSize);
}

TEST_F(WalTest, OpenRejectsBadOptions) {
  WalOptions options = Options(WalFsync::kInterval);
  options.fsync_interval = absl::ZeroDuration();
  EXPECT_EQ(Wal::Open(options, tmp_.path()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Wal::Open(Options(WalFsync::kNever), "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(WalTest, OpenFailsOnFileInPlaceOfDirectory) {
  const std::string path = tmp_.path() + "/file";
  std::ofstream(path) << "x";
  EXPECT_FALSE(Wal::Open(Options(WalFsync::kNever), path).ok());
}

// Many records, random sizes (some larger than a segment), across many
// rotations: ReadPayload and replay give back exactly what went in.
TEST_F(WalTest, RoundTripAcrossRotations) {
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kNever, /*segment_bytes=*/8192), tmp_.path());
  std::mt19937 rng(5);
  std::vector<std::string> payloads;
  std::vector<WalRecordRef> refs;
  for (int i = 0; i < 2000; ++i) {
    const size_t size = i % 100 == 0 ? 20000 : rng() % 3000;
    payloads.push_back(Payload(i, size));
    absl::StatusOr<WalRecordRef> ref = wal->Append(payloads.back());
    ASSERT_TRUE(ref.ok()) << ref.status();
    if (!refs.empty()) {
      EXPECT_GE(ref->segment, refs.back().segment);
    }
    refs.push_back(*ref);
  }
  EXPECT_GT(wal->current_segment(), 100u);
  for (size_t i = 0; i < refs.size(); ++i) {
    absl::StatusOr<std::string> got = wal->ReadPayload(refs[i]);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(*got, payloads[i]) << i;
  }
  // Segments stay under segment_bytes unless one record alone exceeds it.
  const std::vector<uint64_t> segments = *ListWalSegments(tmp_.path());
  for (uint64_t segment : segments) {
    const uint64_t size =
        std::filesystem::file_size(SegmentPath(tmp_.path(), segment));
    if (size > 8192) {
      int records_in_segment = 0;
      for (const WalRecordRef& ref : refs) {
        records_in_segment += ref.segment == segment;
      }
      EXPECT_EQ(records_in_segment, 1) << segment;
    }
  }
  EXPECT_EQ(wal->bytes_on_disk(), DirBytes(tmp_.path()));
  ASSERT_TRUE(wal->Close().ok());

  std::vector<WalRecordRef> replayed_refs;
  std::vector<std::string> replayed;
  absl::StatusOr<WalReplayReport> report = ReplayWal(
      tmp_.path(), [&](const WalRecordRef& ref, std::string_view payload) {
        replayed_refs.push_back(ref);
        replayed.emplace_back(payload);
        return absl::OkStatus();
      });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(replayed, payloads);
  ASSERT_EQ(replayed_refs.size(), refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    EXPECT_EQ(replayed_refs[i].segment, refs[i].segment);
    EXPECT_EQ(replayed_refs[i].offset, refs[i].offset);
    EXPECT_EQ(replayed_refs[i].length, refs[i].length);
  }
  EXPECT_EQ(report->records, payloads.size());
  EXPECT_EQ(report->segments, ListWalSegments(tmp_.path())->size());
  EXPECT_EQ(report->corrupt_records, 0u);
  EXPECT_FALSE(report->torn_tail);
  EXPECT_TRUE(report->problems.empty());
}

TEST_F(WalTest, AppendRejectsOversizePayload) {
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
  std::string big(fmt::kMaxRecordPayload + 1, 'x');
  EXPECT_EQ(wal->Append(big).status().code(),
            absl::StatusCode::kInvalidArgument);
  big.pop_back();  // exactly the limit is fine
  absl::StatusOr<WalRecordRef> ref = wal->Append(big);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->length, fmt::kMaxRecordPayload);
  EXPECT_EQ(*wal->ReadPayload(*ref), big);
}

TEST_F(WalTest, ReadPayloadFromCurrentAndClosedSegments) {
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
  WalRecordRef a = *wal->Append("in segment one");
  ASSERT_EQ(*wal->Rotate(), 2u);
  WalRecordRef b = *wal->Append("in segment two");
  WalRecordRef empty = *wal->Append("");
  EXPECT_EQ(a.segment, 1u);
  EXPECT_EQ(b.segment, 2u);
  EXPECT_EQ(*wal->ReadPayload(a), "in segment one");
  EXPECT_EQ(*wal->ReadPayload(b), "in segment two");
  EXPECT_EQ(*wal->ReadPayload(empty), "");
  ASSERT_TRUE(wal->Close().ok());
  // Still readable after Close, from the files.
  EXPECT_EQ(*wal->ReadPayload(b), "in segment two");
}

// The ingester keeps refs to byte ranges inside a payload (one per trace
// fragment); ReadPayload is a plain pread of any such range.
TEST_F(WalTest, ReadPayloadOfByteRangeInsidePayload) {
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
  WalRecordRef a = *wal->Append("header|fragment-one|fragment-two");
  const WalRecordRef one{a.segment, a.offset + 7, 12};
  const WalRecordRef two{a.segment, a.offset + 20, 12};
  EXPECT_EQ(*wal->ReadPayload(one), "fragment-one");
  EXPECT_EQ(*wal->ReadPayload(two), "fragment-two");
  ASSERT_TRUE(wal->Rotate().ok());
  EXPECT_EQ(*wal->ReadPayload(two), "fragment-two");  // from a closed segment
}

TEST_F(WalTest, ReadPayloadRejectsBadRefs) {
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
  WalRecordRef a = *wal->Append("first record");
  WalRecordRef b = *wal->Append("second record");
  ASSERT_TRUE(wal->Rotate().ok());

  WalRecordRef past_end = b;
  past_end.offset += 1000;
  EXPECT_EQ(wal->ReadPayload(past_end).status().code(),
            absl::StatusCode::kDataLoss);
  WalRecordRef too_long = b;
  too_long.length += 1;
  EXPECT_EQ(wal->ReadPayload(too_long).status().code(),
            absl::StatusCode::kDataLoss);
  WalRecordRef missing = a;
  missing.segment = 99;
  EXPECT_EQ(wal->ReadPayload(missing).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(wal->ReadPayload(WalRecordRef{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  WalRecordRef huge = a;
  huge.length = fmt::kMaxRecordPayload + 1;
  EXPECT_EQ(wal->ReadPayload(huge).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(wal->DeleteSegmentsBefore(2).ok());
  EXPECT_EQ(wal->ReadPayload(a).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(WalTest, RotateStartsNewSegment) {
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kAlways), tmp_.path());
  EXPECT_EQ(wal->Append("a")->segment, 1u);
  absl::StatusOr<uint64_t> next = wal->Rotate();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, 2u);
  EXPECT_EQ(wal->current_segment(), 2u);
  EXPECT_EQ(wal->Append("b")->segment, 2u);
  EXPECT_EQ(*wal->Rotate(), 3u);
  EXPECT_EQ(*wal->Rotate(), 4u);  // empty segments are fine
  EXPECT_EQ(*ListWalSegments(tmp_.path()), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(wal->bytes_on_disk(), DirBytes(tmp_.path()));
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(ReplayAll(tmp_.path()), (std::vector<std::string>{"a", "b"}));
}

TEST_F(WalTest, ReopenStartsNewSegmentAndKeepsOldOnes) {
  {
    std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
    ASSERT_TRUE(wal->Append("one").ok());
    ASSERT_TRUE(wal->Rotate().ok());
    ASSERT_TRUE(wal->Append("two").ok());
  }  // destructor closes
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
  EXPECT_EQ(wal->current_segment(), 3u);
  EXPECT_EQ(wal->bytes_on_disk(), DirBytes(tmp_.path()));
  EXPECT_EQ(wal->bytes_written(), fmt::kSegmentHeaderSize);
  EXPECT_EQ(wal->Append("three")->segment, 3u);
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(ReplayAll(tmp_.path()),
            (std::vector<std::string>{"one", "two", "three"}));
}

// A crash leaves a torn record at the end of the then-current segment.
// Reopening must not append after it.
TEST_F(WalTest, ReopenAfterTornTailLeavesItInPlace) {
  {
    std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
    ASSERT_TRUE(wal->Append("kept").ok());
    ASSERT_TRUE(wal->Append("torn by the crash").ok());
  }
  const std::string first = SegmentPath(tmp_.path(), 1);
  std::filesystem::resize_file(first, std::filesystem::file_size(first) - 4);
  const uint64_t torn_size = std::filesystem::file_size(first);
  {
    std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
    EXPECT_EQ(wal->Append("after restart")->segment, 2u);
  }
  EXPECT_EQ(std::filesystem::file_size(first), torn_size);
  WalReplayReport report;
  EXPECT_EQ(ReplayAll(tmp_.path(), &report),
            (std::vector<std::string>{"kept", "after restart"}));
  EXPECT_TRUE(report.torn_tail);
  EXPECT_EQ(report.corrupt_records, 0u);
}

TEST_F(WalTest, DeleteSegmentsBefore) {
  {  // segments 1 and 2 from an earlier run
    std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kNever), tmp_.path());
    ASSERT_TRUE(wal->Append("s1").ok());
    ASSERT_TRUE(wal->Rotate().ok());
    ASSERT_TRUE(wal->Append("s2").ok());
  }
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kInterval), tmp_.path());
  for (int i = 3; i <= 5; ++i) {
    ASSERT_TRUE(wal->Append(absl::StrCat("s", i)).ok());
    if (i < 5) {
      ASSERT_TRUE(wal->Rotate().ok());
    }
  }
  ASSERT_EQ(wal->current_segment(), 5u);
  std::ofstream(tmp_.path() + "/unrelated.txt") << "keep me";

  ASSERT_TRUE(wal->DeleteSegmentsBefore(3).ok());
  EXPECT_EQ(*ListWalSegments(tmp_.path()), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(wal->bytes_on_disk() + 7, DirBytes(tmp_.path()));
  ASSERT_TRUE(wal->DeleteSegmentsBefore(3).ok());  // nothing left to do

  // Never the current segment, however high the bound.
  ASSERT_TRUE(wal->DeleteSegmentsBefore(1000).ok());
  EXPECT_EQ(*ListWalSegments(tmp_.path()), std::vector<uint64_t>{5});
  EXPECT_TRUE(std::filesystem::exists(tmp_.path() + "/unrelated.txt"));
  EXPECT_EQ(wal->bytes_on_disk() + 7, DirBytes(tmp_.path()));
  ASSERT_TRUE(wal->Append("s5b").ok());
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(ReplayAll(tmp_.path()), (std::vector<std::string>{"s5", "s5b"}));
}

TEST_F(WalTest, BytesWrittenIsMonotonic) {
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kNever, /*segment_bytes=*/256), tmp_.path());
  uint64_t last = wal->bytes_written();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(wal->Append(Payload(i, 100)).ok());
    const uint64_t now = wal->bytes_written();
    EXPECT_GT(now, last);
    last = now;
    if (i == 25) {
      ASSERT_TRUE(wal->DeleteSegmentsBefore(wal->current_segment()).ok());
    }
  }
  EXPECT_LT(wal->bytes_on_disk(), wal->bytes_written());
  EXPECT_EQ(wal->bytes_on_disk(), DirBytes(tmp_.path()));
}

TEST_F(WalTest, CloseIsIdempotentAndRejectsLaterWrites) {
  std::unique_ptr<Wal> wal = OpenWal(Options(WalFsync::kInterval), tmp_.path());
  ASSERT_TRUE(wal->Append("x").ok());
  EXPECT_TRUE(wal->Close().ok());
  EXPECT_TRUE(wal->Close().ok());
  EXPECT_EQ(wal->Append("y").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(wal->Rotate().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(wal->Sync().code(), absl::StatusCode::kFailedPrecondition);
}

// Several threads appending under kAlways: every acknowledged record is
// durable (survives a simulated power loss right after the last ack),
// readable, and replayed exactly once.
TEST_F(WalTest, ConcurrentAppendsWithAlwaysAreDurable) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal = OpenWal(
      Options(WalFsync::kAlways, /*segment_bytes=*/32 << 10), tmp_.path(), &fs);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::vector<std::vector<std::pair<WalRecordRef, std::string>>> acked(
      kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string payload = Payload(t * 100000 + i, 100 + (i * 37) % 900);
        absl::StatusOr<WalRecordRef> ref = wal->Append(payload);
        ASSERT_TRUE(ref.ok()) << ref.status();
        acked[t].emplace_back(*ref, std::move(payload));
        if (t == 0 && i % 50 == 49) {
          ASSERT_TRUE(wal->Rotate().ok());
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const int records = kThreads * kPerThread;
  // Group commit: never more fsyncs than records (plus rotations); usually
  // far fewer. Logged for information.
  std::cerr << records << " records, " << fs.syncs.load() << " fsyncs\n";
  EXPECT_LE(fs.syncs.load(), records + 20);

  fs.DropUnsyncedData();  // power loss

  std::multiset<std::string> expected;
  for (const auto& per_thread : acked) {
    for (const auto& [ref, payload] : per_thread) {
      expected.insert(payload);
      absl::StatusOr<std::string> got = wal->ReadPayload(ref);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(*got, payload);
    }
  }
  // Order within one thread is preserved.
  for (const auto& per_thread : acked) {
    for (size_t i = 1; i < per_thread.size(); ++i) {
      const WalRecordRef& a = per_thread[i - 1].first;
      const WalRecordRef& b = per_thread[i].first;
      EXPECT_TRUE(a.segment < b.segment ||
                  (a.segment == b.segment && a.offset < b.offset));
    }
  }
  wal.reset();
  WalReplayReport report;
  std::vector<std::string> replayed = ReplayAll(tmp_.path(), &report);
  EXPECT_EQ(std::multiset<std::string>(replayed.begin(), replayed.end()),
            expected);
  EXPECT_EQ(report.corrupt_records, 0u);
  EXPECT_FALSE(report.torn_tail);
}

// The fault file system really does lose unsynced data: without fsync the
// records are gone, so the tests above prove something.
TEST_F(WalTest, NeverPolicyLosesUnsyncedDataOnPowerLoss) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kNever), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("volatile").ok());
  fs.DropUnsyncedData();
  wal.reset();
  EXPECT_TRUE(ReplayAll(tmp_.path()).empty());
  EXPECT_EQ(fs.syncs.load(), 0);
}

// Rotation fsyncs the finished segment under every policy, and Sync covers
// the current one.
TEST_F(WalTest, RotationAndSyncMakeRecordsDurableUnderNever) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kNever), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("before rotate").ok());
  ASSERT_TRUE(wal->Rotate().ok());
  ASSERT_TRUE(wal->Append("before sync").ok());
  ASSERT_TRUE(wal->Sync().ok());
  ASSERT_TRUE(wal->Append("unsynced").ok());
  fs.DropUnsyncedData();
  wal.reset();
  EXPECT_EQ(ReplayAll(tmp_.path()),
            (std::vector<std::string>{"before rotate", "before sync"}));
}

TEST_F(WalTest, IntervalPolicySyncsInBackground) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kInterval), tmp_.path(), &fs);
  const int at_open = fs.syncs.load();  // the new segment's header
  ASSERT_TRUE(wal->Append("soon durable").ok());
  // The background thread fsyncs every 5 ms; give it plenty of time.
  for (int i = 0; i < 200 && fs.syncs.load() == at_open; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GT(fs.syncs.load(), at_open);
  fs.DropUnsyncedData();
  wal.reset();
  EXPECT_EQ(ReplayAll(tmp_.path()), std::vector<std::string>{"soon durable"});
}

TEST_F(WalTest, CloseSyncsUnderInterval) {
  FaultFileSystem fs;
  WalOptions options = Options(WalFsync::kInterval);
  options.fsync_interval = absl::Hours(1);
  std::unique_ptr<Wal> wal = OpenWal(options, tmp_.path(), &fs);
  const int at_open = fs.syncs.load();
  ASSERT_TRUE(wal->Append("flushed by close").ok());
  EXPECT_EQ(fs.syncs.load(), at_open);
  ASSERT_TRUE(wal->Close().ok());
  fs.DropUnsyncedData();
  EXPECT_EQ(ReplayAll(tmp_.path()),
            std::vector<std::string>{"flushed by close"});
}

// A failed write leaves the segment's tail unknown: the next append starts
// a new segment and nothing acknowledged is lost.
TEST_F(WalTest, WriteFailureStartsNewSegment) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kAlways), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("acked 1").ok());
  fs.fail_writes = true;
  absl::StatusOr<WalRecordRef> failed = wal->Append("never acked");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted);
  fs.fail_writes = false;
  absl::StatusOr<WalRecordRef> ref = wal->Append("acked 2");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->segment, 2u);
  wal.reset();
  WalReplayReport report;
  EXPECT_EQ(ReplayAll(tmp_.path(), &report),
            (std::vector<std::string>{"acked 1", "acked 2"}));
  EXPECT_TRUE(report.torn_tail);  // the half-written record
  // After a power loss too (the half-written bytes were never fsynced, so
  // they may be gone).
  fs.DropUnsyncedData();
  EXPECT_EQ(ReplayAll(tmp_.path()),
            (std::vector<std::string>{"acked 1", "acked 2"}));
}

// fsync errors are sticky: the WAL refuses further writes rather than
// acknowledging data the kernel may already have dropped.
TEST_F(WalTest, SyncFailureIsSticky) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kAlways), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("ok").ok());
  fs.fail_syncs = true;
  EXPECT_EQ(wal->Append("fails").status().code(), absl::StatusCode::kInternal);
  fs.fail_syncs = false;
  EXPECT_EQ(wal->Append("still fails").status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(wal->Sync().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(wal->Rotate().status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(wal->Close().code(), absl::StatusCode::kInternal);
  // Reopening recovers.
  wal = OpenWal(Options(WalFsync::kAlways), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("after reopen").ok());
}

TEST_F(WalTest, RotateSyncFailureIsSticky) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kNever), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("ok").ok());
  fs.fail_syncs = true;
  EXPECT_EQ(wal->Rotate().status().code(), absl::StatusCode::kInternal);
  fs.fail_syncs = false;
  EXPECT_EQ(wal->Append("refused").status().code(),
            absl::StatusCode::kInternal);
  // The new segment was started before the finished one's fsync failed.
  EXPECT_EQ(wal->current_segment(), 2u);
}

// Waits (up to 10 s) until `done` is set; returns whether it was.
bool WaitFor(const std::atomic<bool>& done) {
  for (int i = 0; i < 10'000 && !done; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return done;
}

// Issue 14: a rotation fsynced the finished segment under the Wal's lock,
// stalling every append for the whole segment's writeback (55-123 ms at max
// rate). The fsync now runs without the lock: an append to the new segment
// returns while it is still running, and Rotate returns once it is done.
TEST_F(WalTest, AppendIsNotBlockedBySlowFsyncOfRotatedSegment) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kInterval), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("before").ok());
  fs.hold_path = SegmentPath(tmp_.path(), 1);
  fs.hold_syncs = true;
  std::atomic<bool> rotated{false};
  std::thread rotator([&] {
    EXPECT_EQ(wal->Rotate().value_or(0), 2u);
    rotated = true;
  });
  while (fs.held == 0) absl::SleepFor(absl::Milliseconds(1));
  std::atomic<bool> appended{false};
  std::thread appender([&] {
    absl::StatusOr<WalRecordRef> ref = wal->Append("after");
    EXPECT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(ref.ok() ? ref->segment : 0, 2u);
    appended = true;
  });
  EXPECT_TRUE(WaitFor(appended)) << "append waited for the rotation's fsync";
  EXPECT_FALSE(rotated) << "Rotate returned before its fsync";
  fs.hold_syncs = false;
  appender.join();
  rotator.join();
  EXPECT_TRUE(rotated);
  // Rotate's fsync covered the whole finished segment.
  fs.DropUnsyncedData();
  wal.reset();
  EXPECT_EQ(ReplayAll(tmp_.path()).front(), "before");
}

// The other side of the contract: under kAlways an append is acknowledged
// only once every earlier record is durable, so a record in the new segment
// waits for the queued fsync of the rotated one.
TEST_F(WalTest, AlwaysAppendWaitsForQueuedFsyncOfRotatedSegment) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kAlways), tmp_.path(), &fs);
  const std::string segment1 = SegmentPath(tmp_.path(), 1);
  // "first" leads a group commit whose fsync is held; "second" is written
  // meanwhile and waits for the next one; the rotation then leaves it in
  // segment 1 with no fsync done.
  fs.hold_path = segment1;
  fs.hold_syncs = true;
  std::thread first([&] { EXPECT_TRUE(wal->Append("first").ok()); });
  while (fs.held == 0) absl::SleepFor(absl::Milliseconds(1));
  uint64_t written = wal->bytes_written();
  std::thread second([&] { EXPECT_TRUE(wal->Append("second").ok()); });
  while (wal->bytes_written() == written) absl::SleepFor(absl::Milliseconds(1));
  absl::StatusOr<uint64_t> rotated = wal->RotateWithoutSync();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(*rotated, 2u);
  const uint64_t segment1_bytes = std::filesystem::file_size(segment1);
  uint64_t segment1_synced_at_ack = 0;
  std::thread third([&] {
    EXPECT_TRUE(wal->Append("third").ok());
    segment1_synced_at_ack = fs.SyncedBytes(segment1);
  });
  fs.hold_syncs = false;
  first.join();
  second.join();
  third.join();
  EXPECT_EQ(segment1_synced_at_ack, segment1_bytes)
      << "a record in segment 2 was acknowledged before segment 1 was durable";
  fs.DropUnsyncedData();
  wal.reset();
  std::vector<std::string> replayed = ReplayAll(tmp_.path());
  EXPECT_EQ(replayed.size(), 3u);
  EXPECT_EQ(replayed.back(), "third");
}

// Records written to a segment that is then rotated without an fsync become
// durable by the next Sync, as by Rotate.
TEST_F(WalTest, SyncCoversSegmentsRotatedWithoutSync) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kNever), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("a").ok());
  ASSERT_TRUE(wal->RotateWithoutSync().ok());
  ASSERT_TRUE(wal->Append("b").ok());
  ASSERT_TRUE(wal->RotateWithoutSync().ok());
  ASSERT_TRUE(wal->Append("c").ok());
  ASSERT_TRUE(wal->Sync().ok());
  fs.DropUnsyncedData();
  wal.reset();
  EXPECT_EQ(ReplayAll(tmp_.path()), (std::vector<std::string>{"a", "b", "c"}));
}

// A segment started just before a power loss is durable and empty, not torn.
TEST_F(WalTest, NewSegmentSurvivesPowerLossWithoutTornTail) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kAlways), tmp_.path(), &fs);
  ASSERT_TRUE(wal->Append("acked").ok());
  ASSERT_TRUE(wal->Rotate().ok());
  fs.DropUnsyncedData();
  wal.reset();
  WalReplayReport report;
  EXPECT_EQ(ReplayAll(tmp_.path(), &report), std::vector<std::string>{"acked"});
  EXPECT_EQ(report.segments, 2u);
  EXPECT_FALSE(report.torn_tail);
  EXPECT_TRUE(report.problems.empty());
}

TEST_F(WalTest, IntervalSyncFailureSurfacesOnAppend) {
  FaultFileSystem fs;
  std::unique_ptr<Wal> wal =
      OpenWal(Options(WalFsync::kInterval), tmp_.path(), &fs);
  fs.fail_syncs = true;
  ASSERT_TRUE(wal->Append("written").ok());
  absl::Status status;
  for (int i = 0; i < 200; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    status = wal->Append("more").status();
    if (!status.ok()) break;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
}

// Readers run alongside appenders and rotations.
TEST_F(WalTest, ReadPayloadConcurrentWithAppend) {
  std::unique_ptr<Wal> wal = OpenWal(
      Options(WalFsync::kNever, /*segment_bytes=*/16 << 10), tmp_.path());
  absl::Mutex mu;
  std::vector<std::pair<WalRecordRef, std::string>> written;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 3000; ++i) {
      std::string payload = Payload(i, 50 + i % 500);
      absl::StatusOr<WalRecordRef> ref = wal->Append(payload);
      ASSERT_TRUE(ref.ok()) << ref.status();
      absl::MutexLock lock(&mu);
      written.emplace_back(*ref, std::move(payload));
    }
    done = true;
  });
  std::mt19937 rng(9);
  int reads = 0;
  while (!done || reads < 100) {
    std::pair<WalRecordRef, std::string> pick;
    {
      absl::MutexLock lock(&mu);
      if (written.empty()) continue;
      pick = written[rng() % written.size()];
    }
    absl::StatusOr<std::string> got = wal->ReadPayload(pick.first);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(*got, pick.second);
    ++reads;
  }
  writer.join();
}

}  // namespace
}  // namespace andante::internal
