// The compaction job: merge, split, dedupe, publish-then-mark, and what
// survives injected failures. Expectations are computed from how the inputs
// were generated, never from the compactor.
#include "compaction/compaction_job.h"

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "compaction/blocklist.h"
#include "compaction/compaction_format.h"
#include "compaction/instance_ring.h"
#include "gtest/gtest.h"
#include "tests/compaction/compaction_test_util.h"
#include "tests/testing/fault_backend.h"

namespace andante::internal {
namespace {

using testutil::Fragment;
using testutil::Id;
using testutil::SpanKey;
using testutil::TraceSpans;

constexpr char kTenant[] = "tenant-a";
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'100);

// Blocks with overlapping traces: trace t lands in a random non-empty subset
// of the blocks, each copy holding a random subset of the trace's spans (so
// copies share some spans). Also records the expected union.
struct Generated {
  std::vector<BlockMeta> blocks;
  std::map<TraceId, std::set<SpanKey>> expected;
  uint64_t expected_spans = 0;
};

Generated Generate(Backend& backend, int blocks, int traces, uint64_t seed,
                   BlockOptions options = {}) {
  std::mt19937_64 rng(seed);
  std::vector<std::map<TraceId, std::string>> contents(blocks);
  Generated g;
  for (int t = 1; t <= traces; ++t) {
    const TraceId id = Id(rng() % 1'000'000'000 + 1);
    if (g.expected.contains(id)) continue;
    const int pool = 1 + static_cast<int>(rng() % 12);
    bool placed = false;
    for (int b = 0; b < blocks; ++b) {
      bool in_block = rng() % 2 == 0 || (!placed && b == blocks - 1);
      if (!in_block) continue;
      std::vector<SpanKey> spans;
      for (int s = 1; s <= pool; ++s) {
        if (rng() % 3 != 0) spans.push_back({s * 1000 + t, 1 + s % 3});
      }
      if (spans.empty()) spans.push_back({1000 + t, 2});
      for (const SpanKey& k : spans) g.expected[id].insert(k);
      contents[b][id] = Fragment(spans, "svc-" + std::to_string(b % 2));
      placed = true;
    }
  }
  for (const auto& [id, spans] : g.expected) g.expected_spans += spans.size();
  for (int b = 0; b < blocks; ++b) {
    if (contents[b].empty()) continue;
    g.blocks.push_back(testutil::WriteBlock(
        backend, kTenant, contents[b], 1'700'000'000'000'000'000ull,
        1'700'000'001'000'000'000ull, options));
  }
  return g;
}

// Every expected span exactly once, and nothing else.
void ExpectExactlyOnce(const TraceSpans& got,
                       const std::map<TraceId, std::set<SpanKey>>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [id, spans] : expected) {
    auto it = got.find(id);
    ASSERT_NE(it, got.end()) << id.ToHex();
    std::multiset<SpanKey> want(spans.begin(), spans.end());
    EXPECT_EQ(it->second, want) << id.ToHex();
  }
}

std::vector<std::string> Ids(const std::vector<BlockMeta>& blocks) {
  std::vector<std::string> ids;
  for (const BlockMeta& m : blocks) ids.push_back(m.block_id);
  return ids;
}

class CompactionJobTest : public ::testing::Test {
 protected:
  TenantBlocklist List() {
    auto list = ListTenantBlocklist(*faults_, kTenant, kNow);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : TenantBlocklist();
  }
  std::shared_ptr<Backend> memory_ = OpenMemoryBackend();
  std::shared_ptr<testing::FaultBackend> faults_ =
      std::make_shared<testing::FaultBackend>(memory_);
  CompactionOptions options_;
};

TEST_F(CompactionJobTest, MergesOverlappingTracesEverySpanOnceSorted) {
  Generated g = Generate(*faults_, 4, 600, 1);
  ASSERT_EQ(g.blocks.size(), 4u);
  uint64_t spans_in_inputs = 0;
  for (const BlockMeta& m : g.blocks) spans_in_inputs += m.total_spans;
  ASSERT_GT(spans_in_inputs, g.expected_spans) << "inputs must overlap";

  auto result = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->output_block_ids.size(), 1u);
  EXPECT_EQ(result->output_level, 1u);
  EXPECT_EQ(result->spans_in, spans_in_inputs);
  EXPECT_EQ(result->spans_out, g.expected_spans);
  EXPECT_EQ(result->traces, g.expected.size());
  EXPECT_GT(result->combined_traces, 0u);

  TenantBlocklist list = List();
  ASSERT_EQ(list.live.size(), 1u);
  const BlockMeta& out = list.live[0];
  EXPECT_EQ(out.block_id, result->output_block_ids[0]);
  EXPECT_EQ(out.compaction_level, 1u);
  EXPECT_EQ(out.total_spans, g.expected_spans);
  EXPECT_EQ(out.total_objects, g.expected.size());
  // Physically: each span once in the output, traces in ID order.
  ExpectExactlyOnce(testutil::ScanBlocks(faults_, list.live), g.expected);
  // Inputs are marked, not deleted: meta.json stays for older readers.
  ASSERT_EQ(list.compacted.size(), 4u);
  for (const CompactedBlockMeta& c : list.compacted) {
    EXPECT_EQ(c.compacted_time, kNow);
    EXPECT_TRUE(
        memory_->Read(BlockKey(kTenant, c.meta.block_id, kMetaObjectName))
            .ok());
  }
}

TEST_F(CompactionJobTest, DropsDuplicateSpansWithinOneBlock) {
  std::map<TraceId, std::string> contents;
  // One trace stored as two fragments that share span 1 (a client retry).
  contents[Id(1)] = Fragment({{1, 1}, {2, 1}}) + Fragment({{1, 1}, {3, 2}});
  contents[Id(2)] = Fragment({{5, 1}});
  BlockMeta a = testutil::WriteBlock(*faults_, kTenant, contents);
  BlockMeta b =
      testutil::WriteBlock(*faults_, kTenant, {{Id(3), Fragment({{9, 1}})}});
  auto result = RunCompactionJob(faults_, kTenant, {a, b}, options_, kNow);
  ASSERT_TRUE(result.ok()) << result.status();
  TraceSpans got = testutil::ScanBlocks(faults_, List().live);
  ExpectExactlyOnce(got, {{Id(1), {{1, 1}, {2, 1}, {3, 2}}},
                          {Id(2), {{5, 1}}},
                          {Id(3), {{9, 1}}}});
  EXPECT_EQ(result->spans_in, 6u);
  EXPECT_EQ(result->spans_out, 5u);
}

TEST_F(CompactionJobTest, SplitsOutputsAtMaxBlockBytes) {
  BlockOptions small;
  small.page_size_bytes = 4096;
  Generated g = Generate(*faults_, 3, 800, 2, small);
  options_.block = small;
  options_.max_block_bytes = 16 * 1024;
  auto result = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_GT(result->output_block_ids.size(), 1u);
  TenantBlocklist list = List();
  ASSERT_EQ(list.live.size(), result->output_block_ids.size());
  // Outputs cover disjoint ID ranges and together every span once.
  std::vector<BlockMeta> live = list.live;
  std::sort(live.begin(), live.end(),
            [](const auto& x, const auto& y) { return x.min_id < y.min_id; });
  for (size_t i = 1; i < live.size(); ++i) {
    EXPECT_LT(live[i - 1].max_id, live[i].min_id);
  }
  ExpectExactlyOnce(testutil::ScanBlocks(faults_, live), g.expected);
}

TEST_F(CompactionJobTest, CrashBeforeMarkingLeavesBothAndReadersDedupe) {
  Generated g = Generate(*faults_, 3, 300, 3);
  faults_->FailWrites(std::string(kCompactedMetaObjectName));
  auto failed = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();

  // The output is published and no input is marked: inputs and output are
  // all live, the same spans stored twice...
  TenantBlocklist list = List();
  EXPECT_EQ(list.live.size(), 4u);
  EXPECT_TRUE(list.compacted.empty());
  uint64_t physical = 0;
  for (const auto& [id, spans] : testutil::ScanBlocks(faults_, list.live)) {
    physical += spans.size();
  }
  EXPECT_GT(physical, g.expected_spans);
  // ...but a reader combining live blocks sees every span exactly once.
  ExpectExactlyOnce(testutil::ReaderView(faults_, list.live), g.expected);

  // The retry writes the same output block (deterministic ID), not a copy.
  faults_->ClearFaults();
  auto retried = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_TRUE(retried.ok()) << retried.status();
  list = List();
  ASSERT_EQ(list.live.size(), 1u);
  EXPECT_EQ(list.compacted.size(), 3u);
  auto names = memory_->List(kTenant);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(std::count_if(names->begin(), names->end(), IsValidBlockId), 4);
  ExpectExactlyOnce(testutil::ScanBlocks(faults_, list.live), g.expected);
}

TEST_F(CompactionJobTest, UploadFailingMidwayPublishesNothingMarksNothing) {
  Generated g = Generate(*faults_, 2, 300, 4);
  std::string out_id = CompactionOutputBlockId(kTenant, Ids(g.blocks), 0);
  faults_->FailWriterAfter(out_id + "/data", 1000);
  faults_->FailWrites(out_id + "/data");
  auto failed = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_FALSE(failed.ok());
  TenantBlocklist list = List();
  // The listing is sorted by block ID, the generated blocks are not.
  const auto live = Ids(list.live);
  const auto inputs = Ids(g.blocks);
  EXPECT_EQ(std::set<std::string>(live.begin(), live.end()),
            std::set<std::string>(inputs.begin(), inputs.end()));
  EXPECT_TRUE(list.compacted.empty());
  EXPECT_FALSE(memory_->Read(BlockKey(kTenant, out_id, kMetaObjectName)).ok());

  faults_->ClearFaults();
  auto retried = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->output_block_ids, std::vector<std::string>{out_id});
  ExpectExactlyOnce(testutil::ScanBlocks(faults_, List().live), g.expected);
}

TEST_F(CompactionJobTest, InputReadFailureMarksNothing) {
  Generated g = Generate(*faults_, 3, 200, 5);
  faults_->FailReads(g.blocks[1].block_id + "/data");
  auto failed = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_FALSE(failed.ok());
  TenantBlocklist list = List();
  EXPECT_EQ(list.live.size(), 3u);
  EXPECT_TRUE(list.compacted.empty());
  faults_->ClearFaults();
  ExpectExactlyOnce(testutil::ReaderView(faults_, list.live), g.expected);
}

TEST_F(CompactionJobTest, InputMissingMarksNothing) {
  Generated g = Generate(*faults_, 2, 50, 6);
  // Deleted between listing and reading, as another instance's retention
  // deletes a block: meta.json first, then the rest.
  faults_->Hide(g.blocks[0].block_id + "/meta.json");
  faults_->Hide(g.blocks[0].block_id + "/index");
  auto failed = RunCompactionJob(faults_, kTenant, g.blocks, options_, kNow);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::IsNotFound(failed.status())) << failed.status();
  EXPECT_TRUE(List().compacted.empty());
}

TEST_F(CompactionJobTest, OutputIdsAreDeterministicAndOrderFree) {
  std::string a = CompactionOutputBlockId("t", {"x", "y", "z"}, 0);
  EXPECT_EQ(a, CompactionOutputBlockId("t", {"z", "x", "y"}, 0));
  EXPECT_NE(a, CompactionOutputBlockId("t", {"x", "y", "z"}, 1));
  EXPECT_NE(a, CompactionOutputBlockId("u", {"x", "y", "z"}, 0));
  EXPECT_NE(a, CompactionOutputBlockId("t", {"x", "y"}, 0));
  EXPECT_TRUE(IsValidBlockId(a));
}

}  // namespace
}  // namespace andante::internal
