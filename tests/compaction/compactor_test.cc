// The public Compactor: planning by window and level, ownership among
// instances sharing one bucket, and a run on the real local backend.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "compaction/blocklist.h"
#include "compaction/compaction_planner.h"
#include "compaction/instance_ring.h"
#include "gtest/gtest.h"
#include "tests/compaction/compaction_test_util.h"
#include "tests/testing/fault_backend.h"
#include "tests/testing/temp_dir.h"

namespace andante::internal {
namespace {

using testutil::Fragment;
using testutil::Id;
using testutil::SpanKey;

constexpr char kTenant[] = "tenant-a";
constexpr uint64_t kSecond = 1'000'000'000ull;
// Window boundaries at multiples of one hour.
constexpr int64_t kT0 = 1'699'999'200;  // a multiple of 3600

struct Fixture {
  explicit Fixture(std::shared_ptr<Backend> b) : backend(std::move(b)) {}
  std::shared_ptr<Backend> backend;
  std::map<TraceId, std::set<SpanKey>> expected;
  int next_trace = 1;

  // A block of `n` fresh traces plus trace 0 (shared by every block, with a
  // span of its own and span 0 common to all) ending at `end_s`.
  BlockMeta Block(int n, int64_t end_s, const std::string& tenant = kTenant) {
    std::map<TraceId, std::string> contents;
    for (int i = 0; i < n; ++i, ++next_trace) {
      std::vector<SpanKey> spans = {{static_cast<uint64_t>(next_trace), 1}};
      contents[Id(next_trace + 1000)] = Fragment(spans);
      if (tenant == kTenant) expected[Id(next_trace + 1000)].insert(spans[0]);
    }
    std::vector<SpanKey> shared = {{0, 1},
                                   {static_cast<uint64_t>(next_trace), 2}};
    contents[Id(1)] = Fragment(shared);
    if (tenant == kTenant) {
      for (const SpanKey& k : shared) expected[Id(1)].insert(k);
    }
    ++next_trace;
    uint64_t end = static_cast<uint64_t>(end_s) * kSecond;
    return testutil::WriteBlock(*backend, tenant, contents, end - kSecond, end);
  }
};

TenantBlocklist List(Backend& backend, absl::Time now) {
  auto list = ListTenantBlocklist(backend, kTenant, now);
  EXPECT_TRUE(list.ok()) << list.status();
  return list.ok() ? *list : TenantBlocklist();
}

// `reader_view`: combine across blocks as a lookup does (trace 1 is in
// every window, and windows are never merged); otherwise count the spans
// physically stored.
void ExpectEverySpanOnce(std::shared_ptr<Backend> backend,
                         const std::vector<BlockMeta>& live,
                         const std::map<TraceId, std::set<SpanKey>>& expected,
                         bool reader_view = false) {
  testutil::TraceSpans got = reader_view ? testutil::ReaderView(backend, live)
                                         : testutil::ScanBlocks(backend, live);
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [id, spans] : expected) {
    EXPECT_EQ(got[id], std::multiset<SpanKey>(spans.begin(), spans.end()))
        << id.ToHex();
  }
}

TEST(PlannerTest, GroupsByWindowAndLevelInTheActiveWindow) {
  CompactionOptions o;
  o.max_input_blocks = 4;
  const absl::Time now = absl::FromUnixSeconds(kT0 + 3600 + 60);
  auto meta = [](std::string id, int64_t end_s, uint32_t level) {
    BlockMeta m;
    m.block_id = std::move(id);
    m.end_unix_nano = static_cast<uint64_t>(end_s) * kSecond;
    m.compaction_level = level;
    m.total_objects = 10;
    m.data_bytes = 100;
    return m;
  };
  std::vector<BlockMeta> live = {
      // old window: levels mix
      meta("a", kT0 + 10, 0), meta("b", kT0 + 20, 1), meta("c", kT0 + 30, 2),
      // active window: level 0 pair, a lone level 1
      meta("d", kT0 + 3600 + 5, 0), meta("e", kT0 + 3600 + 6, 0),
      meta("f", kT0 + 3600 + 7, 1),
      // a window of its own with one block
      meta("g", kT0 - 3600 + 1, 0)};
  std::vector<CompactionJob> jobs = PlanCompactions(kTenant, live, o, now);
  std::set<std::vector<std::string>> sets;
  for (const CompactionJob& j : jobs) {
    std::vector<std::string> ids;
    for (const BlockMeta& m : j.inputs) ids.push_back(m.block_id);
    sets.insert(ids);
    EXPECT_EQ(j.owner_key.rfind("tenant-a/", 0), 0u);
  }
  EXPECT_EQ(sets,
            (std::set<std::vector<std::string>>{{"a", "b", "c"}, {"d", "e"}}));
}

TEST(PlannerTest, RespectsObjectAndByteBoundsAndInputCount) {
  CompactionOptions o;
  o.max_input_blocks = 3;
  o.max_compaction_objects = 25;
  const absl::Time now = absl::FromUnixSeconds(kT0 + 100);
  std::vector<BlockMeta> live;
  for (int i = 0; i < 7; ++i) {
    BlockMeta m;
    m.block_id = std::string(1, static_cast<char>('a' + i));
    m.start_unix_nano = static_cast<uint64_t>(i);
    m.end_unix_nano = static_cast<uint64_t>(kT0 + 50) * kSecond;
    m.total_objects = 10;
    m.data_bytes = 1;
    live.push_back(m);
  }
  std::vector<CompactionJob> jobs = PlanCompactions(kTenant, live, o, now);
  // 10 + 10 fits 25, a third would not: pairs, and the last block alone.
  ASSERT_EQ(jobs.size(), 3u);
  for (const CompactionJob& j : jobs) {
    EXPECT_EQ(j.inputs.size(), 2u);
    uint64_t objects = 0;
    for (const BlockMeta& m : j.inputs) objects += m.total_objects;
    EXPECT_LE(objects, o.max_compaction_objects);
  }
  o.max_compaction_objects = 1000;
  o.max_block_bytes = 2;
  EXPECT_EQ(PlanCompactions(kTenant, live, o, now).size(), 3u);
}

TEST(InstanceRingTest, EveryMemberAgreesOnOneOwner) {
  std::vector<std::string> members = {"i-0", "i-1", "i-2", "i-3"};
  std::map<std::string, int> owned;
  for (int k = 0; k < 4000; ++k) {
    std::string key = "tenant/" + std::to_string(k);
    int owners = 0;
    for (const std::string& m : members) {
      InstanceRing ring(m, members);
      if (ring.Owns(key)) {
        ++owners;
        ++owned[m];
      }
      EXPECT_EQ(ring.Owner(key), InstanceRing("i-0", members).Owner(key));
    }
    EXPECT_EQ(owners, 1) << key;
  }
  for (const auto& [m, n] : owned) EXPECT_GT(n, 700) << m;  // ~1000 each
}

TEST(InstanceRingTest, LeavingMemberMovesOnlyItsKeys) {
  std::vector<std::string> four = {"i-0", "i-1", "i-2", "i-3"};
  std::vector<std::string> three = {"i-0", "i-1", "i-2"};
  for (int k = 0; k < 2000; ++k) {
    std::string key = std::to_string(k);
    std::string before = InstanceRing("i-0", four).Owner(key);
    if (before != "i-3") {
      EXPECT_EQ(InstanceRing("i-0", three).Owner(key), before);
    }
  }
}

TEST(InstanceRingTest, AmongOwnersPicksExactlyN) {
  std::vector<std::string> members = {"a", "b", "c", "d", "e"};
  for (int k = 0; k < 500; ++k) {
    int n = 0;
    for (const std::string& m : members) {
      n += InstanceRing(m, members).AmongOwners(std::to_string(k), 2);
    }
    EXPECT_EQ(n, 2);
  }
}

TEST(CompactorTest, OpenRejectsUnusableOptions) {
  CompactionOptions o;
  o.compaction_window = absl::ZeroDuration();
  auto c = Compactor::Open(o, OpenMemoryBackend());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "compaction window can't be 0");
  o = CompactionOptions();
  o.min_input_blocks = 1;
  EXPECT_TRUE(absl::IsInvalidArgument(
      Compactor::Open(o, OpenMemoryBackend()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      Compactor::Open(CompactionOptions(), nullptr).status()));
}

TEST(CompactorTest, CycleCompactsLevelByLevelUntilOneBlockPerWindow) {
  Fixture f{OpenMemoryBackend()};
  const absl::Time now = absl::FromUnixSeconds(kT0 + 1800);
  for (int i = 0; i < 9; ++i) f.Block(20, kT0 + 100 + i);
  // Another tenant's blocks are never mixed in.
  f.Block(5, kT0 + 100, "tenant-b");
  f.Block(5, kT0 + 101, "tenant-b");

  CompactionOptions o;
  o.max_input_blocks = 3;
  auto compactor = Compactor::Open(o, f.backend);
  ASSERT_TRUE(compactor.ok());
  // 9 level-0 -> 3 level-1 -> 1 level-2.
  auto first = (*compactor)->RunCycle(now);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->compactions.size(), 4u);  // 3 for tenant-a, 1 for tenant-b
  TenantBlocklist list = List(*f.backend, now);
  ASSERT_EQ(list.live.size(), 3u);
  for (const BlockMeta& m : list.live) EXPECT_EQ(m.compaction_level, 1u);
  auto second = (*compactor)->RunCycle(now);
  ASSERT_TRUE(second.ok());
  list = List(*f.backend, now);
  ASSERT_EQ(list.live.size(), 1u);
  EXPECT_EQ(list.live[0].compaction_level, 2u);
  EXPECT_EQ(list.compacted.size(), 12u);
  ExpectEverySpanOnce(f.backend, list.live, f.expected);
  // Nothing left to do.
  auto third = (*compactor)->RunCycle(now);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->compactions.empty());
}

TEST(CompactorTest, TwoInstancesOnOneBucketRunEachJobOnce) {
  Fixture f{OpenMemoryBackend()};
  const absl::Time now = absl::FromUnixSeconds(kT0 + 1800);
  // Blocks in four windows, so both instances are likely to own some.
  for (int w = 0; w < 4; ++w) {
    for (int i = 0; i < 3; ++i) f.Block(10, kT0 - w * 3600 + 100 + i);
  }
  CompactionOptions o;
  o.instance_ring = {"andante-0", "andante-1"};
  o.instance_id = "andante-0";
  auto a = Compactor::Open(o, f.backend);
  o.instance_id = "andante-1";
  auto b = Compactor::Open(o, f.backend);
  ASSERT_TRUE(a.ok() && b.ok());

  CompactionCycleReport ra, rb;
  std::thread ta([&] { ra = *(*a)->RunCycle(now); });
  std::thread tb([&] { rb = *(*b)->RunCycle(now); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.compactions.size() + rb.compactions.size(), 4u);
  EXPECT_EQ(ra.jobs_failed + rb.jobs_failed, 0u);
  std::set<std::string> inputs;
  for (const auto* r : {&ra, &rb}) {
    for (const CompactionResult& c : r->compactions) {
      for (const std::string& id : c.input_block_ids) {
        EXPECT_TRUE(inputs.insert(id).second) << id << " compacted twice";
      }
    }
  }
  TenantBlocklist list = List(*f.backend, now);
  EXPECT_EQ(list.live.size(), 4u);  // one per window
  ExpectEverySpanOnce(f.backend, list.live, f.expected, /*reader_view=*/true);
  // Within each window's block, physically once: only trace 1 spans windows.
  testutil::TraceSpans physical = testutil::ScanBlocks(f.backend, list.live);
  for (const auto& [id, spans] : physical) {
    if (id == Id(1)) continue;
    EXPECT_EQ(spans.size(), f.expected[id].size()) << id.ToHex();
  }
}

TEST(CompactorTest, InstancesThatDisagreeOnTheRingStillWriteNoCopies) {
  // Misconfigured: each instance believes it is alone, so both run the same
  // job at the same time. Deterministic output IDs make the second run
  // rewrite the first one's block instead of adding a duplicate.
  Fixture f{OpenMemoryBackend()};
  const absl::Time now = absl::FromUnixSeconds(kT0 + 1800);
  for (int i = 0; i < 4; ++i) f.Block(50, kT0 + 100 + i);
  CompactionOptions o;
  o.instance_id = "x";
  auto a = Compactor::Open(o, f.backend);
  o.instance_id = "y";
  auto b = Compactor::Open(o, f.backend);
  ASSERT_TRUE(a.ok() && b.ok());
  std::thread ta([&] { ASSERT_TRUE((*a)->RunCycle(now).ok()); });
  std::thread tb([&] { ASSERT_TRUE((*b)->RunCycle(now).ok()); });
  ta.join();
  tb.join();
  TenantBlocklist list = List(*f.backend, now);
  ASSERT_EQ(list.live.size(), 1u);
  EXPECT_EQ(list.compacted.size(), 4u);
  ExpectEverySpanOnce(f.backend, list.live, f.expected);
}

TEST(CompactorTest, CompactNamedBlocksOnLocalBackend) {
  testing::TempDir dir("andante_compaction_local");
  auto local = OpenLocalBackend(dir.path());
  ASSERT_TRUE(local.ok());
  Fixture f{std::shared_ptr<Backend>(*std::move(local))};
  const absl::Time now = absl::FromUnixSeconds(kT0 + 1800);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(f.Block(100, kT0 + 100 + i).block_id);
  auto compactor = Compactor::Open(CompactionOptions(), f.backend);
  ASSERT_TRUE(compactor.ok());

  auto missing = (*compactor)->Compact(kTenant, {ids[0], "nope"}, now);
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();

  auto result = (*compactor)->Compact(kTenant, ids, now);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->output_block_ids.size(), 1u);
  EXPECT_EQ(result->spans_in, 3u * 100 + 3 * 2);
  EXPECT_EQ(result->spans_out, 3u * 100 + 4);  // trace 1: span 0 shared
  TenantBlocklist list = List(*f.backend, now);
  ASSERT_EQ(list.live.size(), 1u);
  ExpectEverySpanOnce(f.backend, list.live, f.expected);
  // Compacted inputs are still readable until retention removes them.
  EXPECT_EQ(list.compacted.size(), 3u);
  auto gone = (*compactor)->ApplyRetention(kTenant, now + absl::Hours(2));
  ASSERT_TRUE(gone.ok()) << gone.status();
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(gone->deleted_block_ids, sorted);
  for (const std::string& id : ids) {
    EXPECT_FALSE(
        std::filesystem::exists(dir.path() + "/" + kTenant + "/" + id));
  }
  EXPECT_EQ(List(*f.backend, now).live.size(), 1u);
}

// A backend whose unfinished writes are recorded, as S3's open multipart
// uploads: which prefix and cut-off each AbortIncompleteWrites asked for.
class UploadsBackend final : public testing::FaultBackend {
 public:
  using FaultBackend::FaultBackend;
  absl::StatusOr<uint64_t> AbortIncompleteWrites(
      std::string_view prefix, absl::Time started_before) override {
    calls.emplace_back(std::string(prefix), started_before);
    return 2;
  }
  std::vector<std::pair<std::string, absl::Time>> calls;
};

// A writer killed on a tenant's first block leaves no object, so no tenant
// listing finds it: the cycle asks the whole backend, with the timeout.
TEST(CompactorTest, CycleAbortsStaleWritesAcrossTheWholeBackend) {
  auto backend = std::make_shared<UploadsBackend>(OpenMemoryBackend());
  CompactionOptions o;
  o.incomplete_block_timeout = absl::Minutes(7);
  auto compactor = Compactor::Open(o, backend);
  ASSERT_TRUE(compactor.ok());
  const absl::Time now = absl::FromUnixSeconds(kT0);
  auto report = (*compactor)->RunCycle(now);  // an empty bucket
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(backend->calls.size(), 1u);
  EXPECT_EQ(backend->calls[0].first, "");
  EXPECT_EQ(backend->calls[0].second, now - absl::Minutes(7));
  EXPECT_EQ(report->retention.aborted_writes, 2u);
  // Another member of the ring owns it: not asked.
  o.instance_id = "x";
  o.instance_ring = {"x", "y"};
  auto x = Compactor::Open(o, backend);
  o.instance_id = "y";
  auto y = Compactor::Open(o, backend);
  ASSERT_TRUE(x.ok() && y.ok());
  backend->calls.clear();
  ASSERT_TRUE((*x)->RunCycle(now).ok());
  ASSERT_TRUE((*y)->RunCycle(now).ok());
  EXPECT_EQ(backend->calls.size(), 1u);  // exactly one of the two
}

// Cancel abandons a job whose input read hangs: Compact returns at once
// (the bound is far above the 50 ms poll yet far below "never", which is
// what it would be without cancellation), nothing is published or marked,
// and a later compactor redoes the job from the untouched bucket.
TEST(CompactorTest, CancelAbandonsAJobBlockedOnARead) {
  std::shared_ptr<Backend> memory = OpenMemoryBackend();
  auto faults = std::make_shared<testing::FaultBackend>(memory);
  Fixture f{faults};
  const absl::Time now = absl::FromUnixSeconds(kT0 + 1800);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(f.Block(100, kT0 + 100 + i).block_id);
  faults->HoldReads(ids[1] + "/data");
  auto compactor = Compactor::Open(CompactionOptions(), f.backend);
  ASSERT_TRUE(compactor.ok());

  absl::Notification done;
  absl::StatusOr<CompactionResult> result;
  std::thread job([&] {
    result = (*compactor)->Compact(kTenant, ids, now);
    done.Notify();
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (faults->held_reads() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(faults->held_reads(), 1) << "the job never read block 1";
  (*compactor)->Cancel();
  const bool returned = done.WaitForNotificationWithTimeout(absl::Seconds(20));
  EXPECT_TRUE(returned) << "Compact still running 20 s after Cancel";
  EXPECT_EQ(faults->held_reads(), 1);  // the read still hangs
  faults->ReleaseReads();
  job.join();
  EXPECT_TRUE(absl::IsCancelled(result.status())) << result.status();

  TenantBlocklist list = List(*memory, now);
  std::vector<std::string> live;
  for (const BlockMeta& m : list.live) live.push_back(m.block_id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(live, ids);
  EXPECT_TRUE(list.compacted.empty());
  // Cancelled for good: no more jobs, a cycle does nothing.
  EXPECT_TRUE(absl::IsCancelled((*compactor)->Compact(kTenant, ids, now).status()));
  auto cycle = (*compactor)->RunCycle(now);
  ASSERT_TRUE(cycle.ok()) << cycle.status();
  EXPECT_TRUE(cycle->compactions.empty());
  EXPECT_EQ(List(*memory, now).live.size(), 3u);

  auto again = Compactor::Open(CompactionOptions(), f.backend);
  ASSERT_TRUE(again.ok());
  auto redone = (*again)->Compact(kTenant, ids, now);
  ASSERT_TRUE(redone.ok()) << redone.status();
  list = List(*memory, now);
  ASSERT_EQ(list.live.size(), 1u);
  EXPECT_EQ(list.compacted.size(), 3u);
  ExpectEverySpanOnce(f.backend, list.live, f.expected);
}

}  // namespace
}  // namespace andante::internal
