#include "compaction/trace_stats.h"

#include "gtest/gtest.h"
#include "model/trace_combiner.h"
#include "tests/compaction/compaction_test_util.h"

namespace andante::internal {
namespace {

using testutil::Fragment;

TEST(TraceStatsTest, CountsSpansAndTimesAcrossFragments) {
  std::string data =
      Fragment({{1, 1}, {2, 2}}, "a", 1000) + Fragment({{3, 1}}, "b", 500);
  auto stats = ScanTraceStats(data);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->span_count, 3u);
  EXPECT_EQ(stats->start_unix_nano, 500u);
  EXPECT_EQ(stats->end_unix_nano, 1010u + 1000u);  // second span of "a"
  EXPECT_FALSE(stats->has_duplicate_spans);
}

TEST(TraceStatsTest, DuplicateRuleMatchesTheCombiner) {
  // Same span ID, different kind: not a duplicate (Zipkin shared spans).
  for (const auto& [spans, dup] :
       std::vector<std::pair<std::vector<testutil::SpanKey>, bool>>{
           {{{1, 1}, {1, 2}}, false},
           {{{1, 1}, {1, 1}}, true},
           {{{7, 3}, {8, 3}, {7, 3}}, true}}) {
    std::string data = Fragment(spans);
    auto stats = ScanTraceStats(data);
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->has_duplicate_spans, dup);
    TraceCombiner combiner;
    ASSERT_TRUE(combiner.Add(data).ok());
    uint64_t n = 0;
    combiner.Finish(&n);
    EXPECT_EQ(n < spans.size(), dup);
  }
}

TEST(TraceStatsTest, MalformedBytesAreDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(ScanTraceStats(std::string("\x0a\x05"
                                                          "ab"))
                                   .status()));
  EXPECT_TRUE(absl::IsDataLoss(ScanTraceStats("\xff").status()));
  auto empty = ScanTraceStats("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->span_count, 0u);
}

}  // namespace
}  // namespace andante::internal
