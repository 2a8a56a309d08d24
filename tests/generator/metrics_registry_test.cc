#include "andante/metrics_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "tests/generator/samples.h"

namespace andante {
namespace {

using testing::CountNamed;
using testing::SeriesOf;
using testing::ValueOf;

// 12:00:03 and 12:00:07.5 of some day.
const absl::Time kCreated = absl::FromUnixSeconds(1700006400 + 3);
const absl::Time kCollected = absl::FromUnixMillis(1700006400000 + 7500);

TEST(MetricsRegistryTest, FirstCollectionPrecededByZeroAtEndOfPreviousMinute) {
  MetricsRegistry r{RegistryOptions{}};
  int c = r.NewCounter("c_total");
  int h = r.NewHistogram("h", {1});
  r.AddCounter(c, {{"a", "1"}}, 1, kCreated);
  r.ObserveHistogram(h, {{"a", "1"}}, 0.5, 1, "", kCreated);
  auto s = r.Collect(kCollected);
  auto counter = SeriesOf(s, "c_total", {{"a", "1"}});
  ASSERT_EQ(counter.size(), 2u);
  EXPECT_EQ(counter[0].value, 0);
  EXPECT_EQ(counter[0].timestamp_ms, 1700006400000 - 1000);
  EXPECT_EQ(counter[1].value, 1);
  EXPECT_EQ(counter[1].timestamp_ms, 1700006400000 + 7500);
  EXPECT_EQ(SeriesOf(s, "h_sum", {{"a", "1"}}).size(), 1u);  // no zero
  EXPECT_EQ(SeriesOf(s, "h_count", {{"a", "1"}}).size(), 2u);
  EXPECT_EQ(SeriesOf(s, "h_bucket", {{"a", "1"}, {"le", "1"}}).size(), 2u);
  EXPECT_EQ(SeriesOf(s, "h_bucket", {{"a", "1"}, {"le", "+Inf"}}).size(), 2u);
  // The next collection re-sends every series once, unchanged or not.
  auto again = r.Collect(kCollected + absl::Seconds(15));
  EXPECT_EQ(again.size(), 1u + 2 + 2);
  EXPECT_EQ(ValueOf(again, "c_total", {{"a", "1"}}), 1);
}

TEST(MetricsRegistryTest, LabelRules) {
  RegistryOptions o;
  o.external_labels = {{"cluster", "prod"}, {"a", "ext"}};
  o.max_label_value_length = 4;
  MetricsRegistry r(o);
  int c = r.NewCounter("c_total");
  // Empty value dropped; duplicate: last wins; external overrides "a";
  // value truncated to 4 bytes.
  r.AddCounter(c,
               {{"empty", ""},
                {"dup", "x"},
                {"dup", "y"},
                {"a", "mine"},
                {"long", "abcdefgh"}},
               2, kCreated);
  // An empty later value removes an earlier one.
  r.AddCounter(c, {{"b", "1"}, {"b", ""}}, 5, kCreated);
  auto s = r.Collect(kCollected);
  EXPECT_EQ(
      ValueOf(
          s, "c_total",
          {{"a", "ext"}, {"cluster", "prod"}, {"dup", "y"}, {"long", "abcd"}}),
      2);
  EXPECT_EQ(ValueOf(s, "c_total", {{"a", "ext"}, {"cluster", "prod"}}), 5);
  // Labels come out sorted by name with __name__ among them.
  for (const CollectedSample& x : s) {
    EXPECT_TRUE(std::is_sorted(x.labels.begin(), x.labels.end()));
  }
}

TEST(MetricsRegistryTest, StaleSeriesDeletedAndRecreatedWithZero) {
  RegistryOptions o;
  o.stale_duration = absl::Minutes(15);
  MetricsRegistry r(o);
  int c = r.NewCounter("c_total");
  r.AddCounter(c, {{"a", "1"}}, 3, kCreated);
  r.AddCounter(c, {{"a", "2"}}, 1, kCreated + absl::Minutes(10));
  EXPECT_EQ(r.Collect(kCollected).size(), 4u);
  auto later = r.Collect(kCreated + absl::Minutes(16));
  EXPECT_EQ(ValueOf(later, "c_total", {{"a", "1"}}), std::nullopt);
  EXPECT_EQ(ValueOf(later, "c_total", {{"a", "2"}}), 1);
  EXPECT_EQ(r.active_series(), 1);
  r.AddCounter(c, {{"a", "1"}}, 1, kCreated + absl::Minutes(17));
  auto back = r.Collect(kCreated + absl::Minutes(17));
  auto s1 = SeriesOf(back, "c_total", {{"a", "1"}});
  ASSERT_EQ(s1.size(), 2u);  // new series: zero again, value restarts at 1
  EXPECT_EQ(s1[0].value, 0);
  EXPECT_EQ(s1[1].value, 1);
}

TEST(MetricsRegistryTest, SeriesLimitFoldsNewLabelSetsIntoOverflow) {
  RegistryOptions o;
  o.max_active_series = 2;
  MetricsRegistry r(o);
  int c = r.NewCounter("c_total");
  r.AddCounter(c, {{"a", "1"}}, 1, kCreated);
  r.AddCounter(c, {{"a", "2"}}, 1, kCreated);
  r.AddCounter(c, {{"a", "3"}}, 1, kCreated);
  r.AddCounter(c, {{"a", "4"}}, 1, kCreated);
  r.AddCounter(c, {{"a", "1"}}, 1, kCreated);  // existing keeps updating
  auto s = r.Collect(kCollected);
  EXPECT_EQ(ValueOf(s, "c_total", {{"a", "1"}}), 2);
  EXPECT_EQ(ValueOf(s, "c_total", {{"a", "2"}}), 1);
  EXPECT_EQ(ValueOf(s, "c_total", {{"a", "3"}}), std::nullopt);
  EXPECT_EQ(ValueOf(s, "c_total", {{"metric_overflow", "true"}}), 2);
  EXPECT_EQ(r.overflowed(), 2);
}

TEST(MetricsRegistryTest, ExemplarOnSmallestBucketLastWinsSentOnce) {
  MetricsRegistry r{RegistryOptions{}};
  int h = r.NewHistogram("h", {0.1, 1, 10});
  const std::string t1(
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0f\xab\x01", 16);
  const std::string t2(
      "\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02", 16);
  r.ObserveHistogram(h, {}, 0.5, 1, t1, kCreated);
  r.ObserveHistogram(h, {}, 0.7, 1, t2, kCreated);  // same bucket: replaces
  auto s = r.Collect(kCollected);
  int n = 0;
  for (const CollectedSample& x : s) {
    if (!x.exemplar.has_value()) continue;
    ++n;
    EXPECT_EQ(x.labels, testing::LabelSet("h_bucket", {{"le", "1"}}));
    EXPECT_EQ(
        x.exemplar->labels,
        (std::vector<Label>{{"traceID", "10000000000000000000000000000002"}}));
    EXPECT_DOUBLE_EQ(x.exemplar->value, 0.7);
  }
  EXPECT_EQ(n, 1);
  r.ObserveHistogram(h, {}, 0.05, 1, t1, kCreated);
  s = r.Collect(kCollected + absl::Seconds(15));
  n = 0;
  for (const CollectedSample& x : s) {
    if (!x.exemplar.has_value()) continue;
    ++n;
    EXPECT_EQ(x.labels, testing::LabelSet("h_bucket", {{"le", "0.1"}}));
    EXPECT_EQ(x.exemplar->labels[0].second, "fab01");  // zeros trimmed
  }
  EXPECT_EQ(n, 1);
  EXPECT_EQ(ValueOf(s, "h_bucket", {{"le", "1"}}), 3);
  EXPECT_EQ(ValueOf(s, "h_bucket", {{"le", "10"}}), 3);
  EXPECT_EQ(ValueOf(s, "h_count", {}), 3);
}

// Two label sets the label rules make one series (an external label
// overrides the label that told them apart): once the registry knows, a
// batched update gets their updates in the callers' original order
// (LabelSetUpdates::order), not set by set.
TEST(MetricsRegistryTest, UpdateManyKeepsOriginalOrderOnASharedSeries) {
  RegistryOptions o;
  o.external_labels = {{"env", "prod"}};
  MetricsRegistry r(o);
  int h = r.NewHistogram("h", {1});
  const LabelView a[] = {{"x", "1"}, {"env", "a"}};
  const LabelView b[] = {{"x", "1"}, {"env", "b"}};
  // First batch: both sets reach the series (observations of 0).
  const MetricsRegistry::MetricUpdate zero[] = {{h, 0, 1, {}}};
  const uint32_t first[] = {0}, second[] = {1};
  const MetricsRegistry::LabelSetUpdates batch1[] = {{a, 1, zero, first},
                                                     {b, 2, zero, second}};
  r.UpdateMany(batch1, kCreated);
  // Second batch, in the callers' order: a 0.3, b 0.1, a 0.2.
  const std::string t2(16, '\x02'), t3(16, '\x03'), t4(16, '\x04');
  const MetricsRegistry::MetricUpdate ua[] = {{h, 0.3, 1, t2},
                                              {h, 0.2, 1, t4}};
  const MetricsRegistry::MetricUpdate ub[] = {{h, 0.1, 1, t3}};
  const uint32_t order_a[] = {0, 2}, order_b[] = {1};
  const MetricsRegistry::LabelSetUpdates batch2[] = {{a, 1, ua, order_a},
                                                     {b, 2, ub, order_b}};
  r.UpdateMany(batch2, kCreated);
  auto s = r.Collect(kCollected);
  const std::vector<Label> labels = {{"env", "prod"}, {"x", "1"}};
  EXPECT_EQ(ValueOf(s, "h_count", labels), 5);
  // ((0.3 + 0.1) + 0.2) = 0.6000000000000001; set by set, (0.3 + 0.2) + 0.1
  // would be 0.6.
  EXPECT_EQ(ValueOf(s, "h_sum", labels), 0.6000000000000001);
  std::vector<CollectedSample> le1 =
      SeriesOf(s, "h_bucket", {{"env", "prod"}, {"le", "1"}, {"x", "1"}});
  ASSERT_FALSE(le1.empty());
  ASSERT_TRUE(le1.back().exemplar.has_value());
  EXPECT_EQ(le1.back().exemplar->labels,
            (std::vector<Label>{{"traceID", "4040404040404040404040404040404"}}));
  EXPECT_EQ(le1.back().exemplar->value, 0.2);
}

TEST(MetricsRegistryTest, ExpositionText) {
  RegistryOptions o;
  o.external_labels = {{"cluster", "x"}};
  MetricsRegistry r(o);
  int c = r.NewCounter("c_total");
  r.AddCounter(c, {{"q", "say \"hi\""}}, 1.5, kCreated);
  EXPECT_EQ(r.ExpositionText(),
            "# TYPE c_total counter\n"
            "c_total{cluster=\"x\",q=\"say \\\"hi\\\"\"} 1.5\n");
}

TEST(MetricsRegistryTest, UnderOneKilobytePerActiveSeries) {
  // Span-metrics-like series: 6 labels, histogram with 14 buckets.
  struct mallinfo2 before = mallinfo2();
  auto r = std::make_unique<MetricsRegistry>(RegistryOptions{});
  int h = r->NewHistogram("traces_spanmetrics_latency",
                          {0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128,
                           0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384});
  int c = r->NewCounter("traces_spanmetrics_calls_total");
  constexpr int kLabelSets = 10000;
  for (int i = 0; i < kLabelSets; ++i) {
    const std::string op = absl::StrCat("GET /api/v1/items/", i);
    const std::string svc = absl::StrCat("service-", i % 50);
    std::vector<LabelView> l = {{"service", svc},
                                {"span_name", op},
                                {"span_kind", "SPAN_KIND_SERVER"},
                                {"status_code", "STATUS_CODE_UNSET"},
                                {"deployment_environment", "prod"},
                                {"http_method", "GET"}};
    r->ObserveHistogram(h, l, 0.01, 1, "", kCreated);
    r->AddCounter(c, l, 1, kCreated);
  }
  struct mallinfo2 after = mallinfo2();
  const double used = static_cast<double>(after.uordblks) -
                      static_cast<double>(before.uordblks);
  // Active series as Prometheus counts them: 17 per histogram + 1 counter.
  const double series = static_cast<double>(r->active_series());
  EXPECT_EQ(series, kLabelSets * 18.0);
  EXPECT_LT(used / series, 1024.0);
  // Per label set (both metrics) it stays under 1 KB as well.
  EXPECT_LT(used / kLabelSets, 1024.0) << used / kLabelSets;
  std::printf("heap bytes per label set %.0f, per active series %.1f\n",
              used / kLabelSets, used / series);
  EXPECT_LT(static_cast<double>(r->ApproximateMemoryBytes()) / kLabelSets,
            1024.0);
}

}  // namespace
}  // namespace andante
