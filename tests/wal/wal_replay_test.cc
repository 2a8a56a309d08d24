// Replay of damaged WALs, in the spirit of leveldb's db/log_test.cc and
// db/corruption_test.cc: torn tails, flipped bits, garbage, bad headers —
// each test asserts exactly which records survive.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/wal/wal_file_system_wrapper.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

namespace andante::internal {
namespace {

namespace fmt = wal_format;
using ::andante::testing::TempDir;
using ::andante::testing::WalFileSystemWrapper;

constexpr char kTempPrefix[] = "andante_wal_replay_test";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string SegmentPath(const std::string& dir, uint64_t segment) {
  return dir + "/" + WalSegmentFileName(segment);
}

// Deterministic payload `i`, `size` bytes, distinct per record.
std::string Payload(int i, size_t size) {
  std::string s = "record-" + std::to_string(i) + ":";
  std::mt19937 rng(i);
  while (s.size() < size) s.push_back(static_cast<char>('a' + rng() % 26));
  s.resize(size);
  return s;
}

struct Replayed {
  WalReplayReport report;
  std::vector<std::string> payloads;
  std::vector<WalRecordRef> refs;
};

Replayed Replay(const std::string& dir) {
  Replayed r;
  absl::StatusOr<WalReplayReport> report =
      ReplayWal(dir, [&](const WalRecordRef& ref, std::string_view payload) {
        r.refs.push_back(ref);
        r.payloads.emplace_back(payload);
        return absl::OkStatus();
      });
  EXPECT_TRUE(report.ok()) << report.status();
  if (report.ok()) r.report = *report;
  return r;
}

// Writes `payloads` with a fresh Wal (one segment unless segment_bytes is
// small) and returns their refs.
std::vector<WalRecordRef> WriteRecords(const std::string& dir,
                                       const std::vector<std::string>& payloads,
                                       uint64_t segment_bytes = 64 << 20) {
  WalOptions options;
  options.fsync = WalFsync::kNever;
  options.segment_bytes = segment_bytes;
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(options, dir);
  EXPECT_TRUE(wal.ok()) << wal.status();
  std::vector<WalRecordRef> refs;
  for (const std::string& p : payloads) {
    absl::StatusOr<WalRecordRef> ref = (*wal)->Append(p);
    EXPECT_TRUE(ref.ok()) << ref.status();
    refs.push_back(*ref);
  }
  EXPECT_TRUE((*wal)->Close().ok());
  return refs;
}

std::vector<std::string> MakePayloads(int n, size_t size) {
  std::vector<std::string> payloads;
  for (int i = 0; i < n; ++i) payloads.push_back(Payload(i, size));
  return payloads;
}

class WalReplayTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogLevel(LogLevel::kError); }
};

std::vector<std::string> Without(std::vector<std::string> v, size_t i) {
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
  return v;
}

TEST_F(WalReplayTest, MissingDirectoryIsEmpty) {
  TempDir tmp(kTempPrefix);
  const std::string missing = tmp.path() + "/does/not/exist";
  absl::StatusOr<std::vector<uint64_t>> segments = ListWalSegments(missing);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_TRUE(segments->empty());
  Replayed r = Replay(missing);
  EXPECT_EQ(r.report.segments, 0u);
  EXPECT_EQ(r.report.records, 0u);
  EXPECT_FALSE(r.report.torn_tail);
}

TEST_F(WalReplayTest, EmptyDirectoryIsEmpty) {
  TempDir tmp(kTempPrefix);
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.report.segments, 0u);
  EXPECT_EQ(r.report.records, 0u);
  EXPECT_TRUE(r.report.problems.empty());
}

TEST_F(WalReplayTest, ListIgnoresOtherFiles) {
  TempDir tmp(kTempPrefix);
  for (const char* name :
       {"000000000003.wal", "000000000010.wal", "000000000002.wal", "1.wal",
        "000000000004.wal.tmp", "00000000000x.wal", "notes.txt",
        "0000000000005.wal"}) {
    WriteFile(tmp.path() + "/" + name, "");
  }
  absl::StatusOr<std::vector<uint64_t>> segments = ListWalSegments(tmp.path());
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_EQ(*segments, (std::vector<uint64_t>{2, 3, 10}));
}

TEST_F(WalReplayTest, OpenedButUnusedWalReplaysEmpty) {
  TempDir tmp(kTempPrefix);
  WriteRecords(tmp.path(), {});
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.report.segments, 1u);
  EXPECT_EQ(r.report.records, 0u);
  EXPECT_FALSE(r.report.torn_tail);
  EXPECT_TRUE(r.report.problems.empty());
}

TEST_F(WalReplayTest, RoundTripIncludingEmptyAndLargePayloads) {
  TempDir tmp(kTempPrefix);
  std::vector<std::string> payloads = {
      "", "x", Payload(1, 100), "", Payload(2, 1 << 20), Payload(3, 5000)};
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), payloads);
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, payloads);
  ASSERT_EQ(r.refs.size(), refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    EXPECT_EQ(r.refs[i].segment, refs[i].segment);
    EXPECT_EQ(r.refs[i].offset, refs[i].offset);
    EXPECT_EQ(r.refs[i].length, refs[i].length);
  }
  EXPECT_EQ(r.report.records, payloads.size());
  uint64_t bytes = 0;
  for (const std::string& p : payloads) bytes += p.size();
  EXPECT_EQ(r.report.bytes, bytes);
  EXPECT_EQ(r.report.corrupt_records, 0u);
  EXPECT_FALSE(r.report.torn_tail);
}

TEST_F(WalReplayTest, SegmentLayoutMatchesFormatHeader) {
  TempDir tmp(kTempPrefix);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), {"abc"});
  const std::string data = ReadFile(SegmentPath(tmp.path(), 1));
  ASSERT_EQ(data.size(), fmt::kSegmentHeaderSize + fmt::kRecordHeaderSize + 3);
  EXPECT_EQ(data.substr(0, 4), "AWAL");
  EXPECT_EQ(data[4], 1);  // version, little-endian
  EXPECT_EQ(data[8], 1);  // segment number
  EXPECT_EQ(refs[0].offset, fmt::kSegmentHeaderSize + fmt::kRecordHeaderSize);
  const char* rec = data.data() + fmt::kSegmentHeaderSize;
  EXPECT_EQ(static_cast<uint8_t>(rec[0]), 0x5c);  // kRecordMagic LE
  EXPECT_EQ(rec[fmt::kRecordLengthOffset], 3);
  EXPECT_EQ(rec[fmt::kRecordTypeOffset], fmt::kFullType);
  // CRC covers length, type and payload.
  uint32_t stored = 0;
  for (int i = 3; i >= 0; --i) {
    stored =
        (stored << 8) | static_cast<uint8_t>(rec[fmt::kRecordCrcOffset + i]);
  }
  EXPECT_EQ(UnmaskCrc(stored),
            Crc32c(std::string_view(rec + fmt::kRecordLengthOffset, 5 + 3)));
  EXPECT_EQ(data.substr(refs[0].offset), "abc");
}

// Truncating the last segment anywhere inside its last record loses exactly
// that record and reports a torn tail; truncating at its first byte is a
// clean end.
TEST_F(WalReplayTest, TornTailAtEveryOffsetOfLastRecord) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(6, 150);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  const std::string original = ReadFile(path);
  const size_t start = refs.back().offset - fmt::kRecordHeaderSize;
  ASSERT_EQ(original.size(), refs.back().offset + refs.back().length);
  const std::vector<std::string> expected(payloads.begin(), payloads.end() - 1);
  for (size_t cut = start; cut < original.size(); ++cut) {
    WriteFile(path, std::string_view(original).substr(0, cut));
    Replayed r = Replay(tmp.path());
    ASSERT_EQ(r.payloads, expected) << "cut at " << cut;
    EXPECT_EQ(r.report.torn_tail, cut > start) << "cut at " << cut;
    EXPECT_EQ(r.report.corrupt_records, 0u) << "cut at " << cut;
  }
  WriteFile(path, original);
  EXPECT_EQ(Replay(tmp.path()).payloads, payloads);
}

// The same over a multi-segment WAL: only the last segment is cut.
TEST_F(WalReplayTest, TornTailOfLastSegmentKeepsEarlierSegments) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(40, 300);
  std::vector<WalRecordRef> refs =
      WriteRecords(tmp.path(), payloads, /*segment_bytes=*/2048);
  const uint64_t last = refs.back().segment;
  ASSERT_GT(last, 3u);
  const std::string path = SegmentPath(tmp.path(), last);
  const std::string original = ReadFile(path);
  const size_t start = refs.back().offset - fmt::kRecordHeaderSize;
  const std::vector<std::string> expected(payloads.begin(), payloads.end() - 1);
  for (size_t cut = start; cut < original.size(); ++cut) {
    WriteFile(path, std::string_view(original).substr(0, cut));
    Replayed r = Replay(tmp.path());
    ASSERT_EQ(r.payloads, expected) << "cut at " << cut;
    EXPECT_EQ(r.report.torn_tail, cut > start);
    EXPECT_EQ(r.report.segments, last);
  }
}

// After a crash the torn segment is not the last one: reopening starts a new
// segment. Replay still reads both.
TEST_F(WalReplayTest, TornTailInEarlierSegment) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> first = MakePayloads(3, 100);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), first);
  const std::string path = SegmentPath(tmp.path(), 1);
  std::string data = ReadFile(path);
  data.resize(data.size() - 10);
  WriteFile(path, data);
  const std::vector<std::string> second = {"after", "the", "crash"};
  std::vector<WalRecordRef> refs2 = WriteRecords(tmp.path(), second);
  EXPECT_EQ(refs2[0].segment, 2u);
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, (std::vector<std::string>{first[0], first[1], "after",
                                                  "the", "crash"}));
  EXPECT_TRUE(r.report.torn_tail);
  EXPECT_EQ(r.report.corrupt_records, 0u);
  ASSERT_EQ(r.report.problems.size(), 1u);
  EXPECT_NE(r.report.problems[0].find("segment 000001: torn tail"),
            std::string::npos)
      << r.report.problems[0];
}

// Flipping any one bit of a middle record — magic, CRC, length, type or
// payload — loses exactly that record.
TEST_F(WalReplayTest, BitFlipInMiddleRecordLosesOnlyThatRecord) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(7, 64);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  const std::string original = ReadFile(path);
  const size_t victim = 3;
  const size_t begin = refs[victim].offset - fmt::kRecordHeaderSize;
  const size_t end = refs[victim].offset + refs[victim].length;
  const std::vector<std::string> expected = Without(payloads, victim);
  for (size_t pos = begin; pos < end; ++pos) {
    for (int bit : {0, 3, 7}) {
      std::string damaged = original;
      damaged[pos] = static_cast<char>(damaged[pos] ^ (1 << bit));
      WriteFile(path, damaged);
      Replayed r = Replay(tmp.path());
      ASSERT_EQ(r.payloads, expected) << "byte " << pos << " bit " << bit;
      EXPECT_EQ(r.report.corrupt_records, 1u) << "byte " << pos;
      EXPECT_FALSE(r.report.torn_tail) << "byte " << pos;
      ASSERT_EQ(r.report.problems.size(), 1u);
      EXPECT_NE(
          r.report.problems[0].find("at offset " + std::to_string(begin) +
                                    ", resynced at " + std::to_string(end)),
          std::string::npos)
          << r.report.problems[0];
    }
  }
}

TEST_F(WalReplayTest, BitFlipInLastRecordPayloadIsCorruptNotTorn) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(4, 64);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  std::string data = ReadFile(path);
  data[refs.back().offset + 10] ^= 0x10;
  WriteFile(path, data);
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, Without(payloads, 3));
  EXPECT_EQ(r.report.corrupt_records, 1u);
  EXPECT_FALSE(r.report.torn_tail);
}

// A length field blown up past the end of the segment must not swallow the
// records after it.
TEST_F(WalReplayTest, HugeLengthFieldResyncs) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(5, 80);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  for (uint32_t length : {0xffffffffu, fmt::kMaxRecordPayload, 100000u}) {
    std::string data = ReadFile(path);
    const size_t len_at =
        refs[1].offset - fmt::kRecordHeaderSize + fmt::kRecordLengthOffset;
    const std::string saved = data.substr(len_at, 4);
    for (int i = 0; i < 4; ++i)
      data[len_at + i] = static_cast<char>(length >> (8 * i));
    WriteFile(path, data);
    Replayed r = Replay(tmp.path());
    EXPECT_EQ(r.payloads, Without(payloads, 1)) << length;
    EXPECT_EQ(r.report.corrupt_records, 1u);
    EXPECT_FALSE(r.report.torn_tail);
    data.replace(len_at, 4, saved);
    WriteFile(path, data);
  }
}

// A damaged region spanning several records counts once: replay cannot tell
// how many records it held.
TEST_F(WalReplayTest, GarbageOverwritingTwoRecordsIsOneRegion) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(6, 50);
  std::vector<WalRecordRef> refs = WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  std::string data = ReadFile(path);
  const size_t from = refs[2].offset + 5;
  const size_t to = refs[3].offset + 5;
  for (size_t i = from; i < to; ++i) data[i] = static_cast<char>(0xee);
  WriteFile(path, data);
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, (std::vector<std::string>{payloads[0], payloads[1],
                                                  payloads[4], payloads[5]}));
  EXPECT_EQ(r.report.corrupt_records, 1u);
  EXPECT_FALSE(r.report.torn_tail);
}

TEST_F(WalReplayTest, GarbageAppendedIsTornTail) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(5, 120);
  WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  const std::string original = ReadFile(path);
  std::mt19937 rng(42);
  for (size_t n : {1, 12, 13, 100, 4096}) {
    std::string garbage;
    for (size_t i = 0; i < n; ++i) garbage.push_back(static_cast<char>(rng()));
    WriteFile(path, original + garbage);
    Replayed r = Replay(tmp.path());
    EXPECT_EQ(r.payloads, payloads) << n;
    EXPECT_EQ(r.report.corrupt_records, 0u) << n;
    EXPECT_TRUE(r.report.torn_tail) << n;
  }
}

// Preallocated or zero-filled space after a power loss.
TEST_F(WalReplayTest, ZerosAppendedIsTornTail) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(3, 120);
  WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  WriteFile(path, ReadFile(path) + std::string(8192, '\0'));
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, payloads);
  EXPECT_EQ(r.report.corrupt_records, 0u);
  EXPECT_TRUE(r.report.torn_tail);
}

TEST_F(WalReplayTest, DamagedSegmentHeaderKeepsRecords) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(3, 40);
  WriteRecords(tmp.path(), payloads);
  const std::string path = SegmentPath(tmp.path(), 1);
  for (size_t pos : {0, 5, 9, 21}) {
    std::string data = ReadFile(path);
    data[pos] ^= 0x01;
    WriteFile(path, data);
    Replayed r = Replay(tmp.path());
    EXPECT_EQ(r.payloads, payloads) << pos;
    EXPECT_EQ(r.report.corrupt_records, 0u);
    ASSERT_EQ(r.report.problems.size(), 1u);
    EXPECT_EQ(r.report.problems[0], "segment 000001: bad segment header");
    data[pos] ^= 0x01;
    WriteFile(path, data);
  }
}

TEST_F(WalReplayTest, SegmentNumberMismatchIsReported) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(2, 40);
  WriteRecords(tmp.path(), payloads);
  std::filesystem::rename(SegmentPath(tmp.path(), 1),
                          SegmentPath(tmp.path(), 7));
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, payloads);
  ASSERT_EQ(r.report.problems.size(), 1u);
  EXPECT_EQ(r.report.problems[0], "segment 000007: header names segment 1");
  EXPECT_EQ(r.refs[0].segment, 7u);
}

TEST_F(WalReplayTest, UnknownFormatVersionFailsReplay) {
  TempDir tmp(kTempPrefix);
  WriteRecords(tmp.path(), {"a"});
  const std::string path = SegmentPath(tmp.path(), 1);
  std::string data = ReadFile(path);
  data[4] = 2;  // version 2, with a valid header CRC
  const uint32_t crc = MaskCrc(
      Crc32c(std::string_view(data.data(), fmt::kSegmentHeaderCrcOffset)));
  for (int i = 0; i < 4; ++i) {
    data[fmt::kSegmentHeaderCrcOffset + i] = static_cast<char>(crc >> (8 * i));
  }
  WriteFile(path, data);
  absl::StatusOr<WalReplayReport> report = ReplayWal(
      tmp.path(),
      [](const WalRecordRef&, std::string_view) { return absl::OkStatus(); });
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition)
      << report.status();
}

TEST_F(WalReplayTest, IncompleteSegmentHeaderIsTornTail) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(2, 40);
  WriteRecords(tmp.path(), payloads);
  // A crash right after creating segment 2.
  const std::string header = ReadFile(SegmentPath(tmp.path(), 1)).substr(0, 10);
  WriteFile(SegmentPath(tmp.path(), 2), header);
  WriteFile(SegmentPath(tmp.path(), 3), "");
  Replayed r = Replay(tmp.path());
  EXPECT_EQ(r.payloads, payloads);
  EXPECT_EQ(r.report.segments, 3u);
  EXPECT_TRUE(r.report.torn_tail);
  EXPECT_EQ(r.report.corrupt_records, 0u);
  EXPECT_EQ(r.report.problems.size(), 2u);
}

TEST_F(WalReplayTest, CallbackErrorStopsReplay) {
  TempDir tmp(kTempPrefix);
  WriteRecords(tmp.path(), MakePayloads(5, 10));
  int calls = 0;
  absl::StatusOr<WalReplayReport> report =
      ReplayWal(tmp.path(), [&](const WalRecordRef&, std::string_view) {
        return ++calls == 3 ? absl::AbortedError("enough") : absl::OkStatus();
      });
  EXPECT_EQ(report.status(), absl::AbortedError("enough"));
  EXPECT_EQ(calls, 3);
}

// A file system whose segment opens fail, as a permission or I/O error
// would (a permission test cannot be used: CI runs as root).
class UnopenableFileSystem : public WalFileSystemWrapper {
 public:
  absl::StatusOr<std::unique_ptr<WalFile>> OpenFile(
      const std::string& path) override {
    return absl::PermissionDeniedError("open " + path + ": permission denied");
  }
};

TEST_F(WalReplayTest, UnreadableSegmentFailsReplay) {
  TempDir tmp(kTempPrefix);
  WriteRecords(tmp.path(), {"a"});
  UnopenableFileSystem fs;
  absl::StatusOr<WalReplayReport> report = ReplayWal(
      tmp.path(),
      [](const WalRecordRef&, std::string_view) { return absl::OkStatus(); },
      &fs);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kPermissionDenied)
      << report.status();
}

// Random damage anywhere never fails replay and never yields a record that
// was not written.
TEST_F(WalReplayTest, RandomDamageNeverInventsRecords) {
  TempDir tmp(kTempPrefix);
  const std::vector<std::string> payloads = MakePayloads(30, 90);
  WriteRecords(tmp.path(), payloads, /*segment_bytes=*/1024);
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    paths.push_back(e.path());
  }
  std::vector<std::string> originals;
  for (const std::string& p : paths) originals.push_back(ReadFile(p));
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    for (size_t f = 0; f < paths.size(); ++f) {
      std::string data = originals[f];
      switch (rng() % 3) {
        case 0:  // flip a few bits
          for (int k = 0; k < 3; ++k)
            data[rng() % data.size()] ^= 1 << (rng() % 8);
          break;
        case 1:  // truncate
          data.resize(rng() % data.size());
          break;
        default:  // unchanged
          break;
      }
      WriteFile(paths[f], data);
    }
    Replayed r = Replay(tmp.path());
    size_t next = 0;  // survivors must be a subsequence of what was written
    for (const std::string& p : r.payloads) {
      while (next < payloads.size() && payloads[next] != p) ++next;
      ASSERT_LT(next, payloads.size()) << "round " << round;
      ++next;
    }
  }
}

}  // namespace
}  // namespace andante::internal
