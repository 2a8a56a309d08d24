// include/andante/wal.h: the public WriteAheadLog over a real directory.
#include "andante/wal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

std::string RandomPayload(std::mt19937_64& rng) {
  std::string s(1 + rng() % 3000, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

WalOptions Options() {
  WalOptions options;
  options.fsync = WalFsync::kNever;
  options.segment_bytes = 16 * 1024;  // several segments per test
  return options;
}

struct Replayed {
  std::vector<WalPosition> positions;
  std::vector<std::string> payloads;
  WalReplayStats stats;
};

Replayed Replay(const std::string& dir) {
  Replayed r;
  auto stats = ReplayWriteAheadLog(
      dir, [&](const WalPosition& at, std::string_view payload) {
        r.positions.push_back(at);
        r.payloads.emplace_back(payload);
        return absl::OkStatus();
      });
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (stats.ok()) r.stats = *stats;
  return r;
}

TEST(PublicWalTest, AppendReadReplayRoundTrip) {
  std::mt19937_64 rng(std::random_device{}());
  testing::TempDir tmp("andante-public-wal");
  const std::string dir = tmp.path() + "/wal";
  auto wal = WriteAheadLog::Open(Options(), dir);
  ASSERT_TRUE(wal.ok()) << wal.status();
  const int n = 20 + static_cast<int>(rng() % 40);
  std::vector<std::string> payloads;
  std::vector<WalPosition> positions;
  for (int i = 0; i < n; ++i) {
    payloads.push_back(RandomPayload(rng));
    auto at = (*wal)->Append(payloads.back());
    ASSERT_TRUE(at.ok()) << at.status();
    EXPECT_EQ(at->length, payloads.back().size());
    positions.push_back(*at);
  }
  for (int i = 0; i < n; ++i) {
    auto back = (*wal)->Read(positions[i]);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, payloads[i]) << i;
  }
  // A range inside a payload reads that range.
  WalPosition inner = positions[0];
  if (inner.length > 2) {
    inner.offset += 1;
    inner.length -= 2;
    auto part = (*wal)->Read(inner);
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(*part, payloads[0].substr(1, payloads[0].size() - 2));
  }
  EXPECT_GT((*wal)->current_segment(), 1u);  // 16 KiB segments rotated
  EXPECT_GT((*wal)->bytes_written(), 0u);
  ASSERT_TRUE((*wal)->Sync().ok());
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_EQ((*wal)->Append("late").status().code(),
            absl::StatusCode::kFailedPrecondition);

  Replayed r = Replay(dir);
  EXPECT_EQ(r.payloads, payloads);
  EXPECT_EQ(r.positions, positions);
  EXPECT_EQ(r.stats.records, static_cast<uint64_t>(n));
  EXPECT_FALSE(r.stats.torn_tail);
  EXPECT_EQ(r.stats.corrupt_records, 0u);
}

TEST(PublicWalTest, RotateAndDeleteSegmentsBefore) {
  testing::TempDir tmp("andante-public-wal");
  const std::string dir = tmp.path() + "/wal";
  auto wal = WriteAheadLog::Open(Options(), dir);
  ASSERT_TRUE(wal.ok());
  auto old_record = (*wal)->Append("old");
  ASSERT_TRUE(old_record.ok());
  auto next = (*wal)->Rotate();
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, old_record->segment);
  auto new_record = (*wal)->Append("new");
  ASSERT_TRUE(new_record.ok());
  EXPECT_GE(new_record->segment, *next);
  ASSERT_TRUE((*wal)->DeleteSegmentsBefore(*next).ok());
  EXPECT_EQ((*wal)->Read(*old_record).status().code(),
            absl::StatusCode::kNotFound);
  auto still = (*wal)->Read(*new_record);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(*still, "new");
  ASSERT_TRUE((*wal)->Close().ok());
  Replayed r = Replay(dir);
  EXPECT_EQ(r.payloads, std::vector<std::string>{"new"});
}

TEST(PublicWalTest, TornTailIsReportedAndEarlierRecordsKept) {
  testing::TempDir tmp("andante-public-wal");
  const std::string dir = tmp.path() + "/wal";
  WalOptions options = Options();
  options.segment_bytes = 1 << 20;  // one segment
  WalPosition last;
  {
    auto wal = WriteAheadLog::Open(options, dir);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append("first").ok());
    ASSERT_TRUE((*wal)->Append("second").ok());
    auto at = (*wal)->Append("third record, cut short");
    ASSERT_TRUE(at.ok());
    last = *at;
    ASSERT_TRUE((*wal)->Close().ok());
  }
  // Cut the last record in the middle of its payload, as a crash would.
  std::string segment;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    segment = entry.path();
  }
  ASSERT_FALSE(segment.empty());
  ASSERT_EQ(::truncate(segment.c_str(),
                       static_cast<off_t>(last.offset + last.length / 2)),
            0);
  Replayed r = Replay(dir);
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(r.stats.torn_tail);
}

TEST(PublicWalTest, ReplayStopsAtTheCallbacksError) {
  testing::TempDir tmp("andante-public-wal");
  const std::string dir = tmp.path() + "/wal";
  {
    auto wal = WriteAheadLog::Open(Options(), dir);
    ASSERT_TRUE(wal.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*wal)->Append("x").ok());
  }  // the destructor closes
  int calls = 0;
  auto stats = ReplayWriteAheadLog(dir, [&](const WalPosition&, std::string_view) {
    return ++calls == 3 ? absl::AbortedError("enough") : absl::OkStatus();
  });
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, 3);
}

TEST(PublicWalTest, BadOptionsAreRejected) {
  testing::TempDir tmp("andante-public-wal");
  WalOptions options;
  options.fsync = WalFsync::kInterval;
  options.fsync_interval = absl::ZeroDuration();
  EXPECT_EQ(WriteAheadLog::Open(options, tmp.path() + "/wal").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace andante
