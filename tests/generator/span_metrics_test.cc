#include "andante/span_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "andante/otlp.h"
#include "tests/generator/fixture.h"
#include "tests/generator/samples.h"

namespace andante {
namespace {

using testing::CountNamed;
using testing::Fixture;
using testing::SeriesOf;
using testing::ValueOf;

constexpr int64_t kBase = 1700000040;  // a multiple of 60

std::vector<Label> Red(const std::string& service, const std::string& kind,
                       const std::string& name, const std::string& status) {
  return {{"service", service},
          {"span_kind", kind},
          {"span_name", name},
          {"status_code", status}};
}

std::vector<Label> With(std::vector<Label> l, const std::string& k,
                        const std::string& v) {
  l.emplace_back(k, v);
  return l;
}

class SpanMetricsTest : public ::testing::Test {
 protected:
  std::vector<CollectedSample> Run(const SpanMetricsOptions& options) {
    SpanMetricsProcessor p(options, &registry_);
    PushRequest(&p, Fixture(kBase), now_);
    return registry_.Collect(now_ + absl::Seconds(4));
  }
  MetricsRegistry registry_{RegistryOptions{}};
  absl::Time now_ = absl::FromUnixSeconds(kBase + 83);
};

TEST_F(SpanMetricsTest, CallsPerDefaultLabelSet) {
  std::vector<CollectedSample> s = Run(SpanMetricsOptions{});
  const std::string calls = "traces_spanmetrics_calls_total";
  EXPECT_EQ(ValueOf(s, calls,
                    Red("frontend", "SPAN_KIND_SERVER", "GET /checkout",
                        "STATUS_CODE_UNSET")),
            1);
  EXPECT_EQ(ValueOf(s, calls,
                    Red("frontend", "SPAN_KIND_CLIENT", "POST /charge",
                        "STATUS_CODE_UNSET")),
            1);
  EXPECT_EQ(ValueOf(s, calls,
                    Red("payments", "SPAN_KIND_SERVER", "charge",
                        "STATUS_CODE_ERROR")),
            1);
  EXPECT_EQ(ValueOf(s, calls,
                    Red("payments", "SPAN_KIND_INTERNAL", "compute-risk",
                        "STATUS_CODE_UNSET")),
            1);
  EXPECT_EQ(ValueOf(s, calls,
                    Red("frontend", "SPAN_KIND_SERVER", "GET /health",
                        "STATUS_CODE_OK")),
            1);
  EXPECT_EQ(ValueOf(s, calls,
                    Red("batch", "SPAN_KIND_INTERNAL", "nightly-job",
                        "STATUS_CODE_UNSET")),
            1);
  EXPECT_EQ(ValueOf(s, calls,
                    Red("batch", "SPAN_KIND_CLIENT", "SELECT orders",
                        "STATUS_CODE_ERROR")),
            1);
  // 7 label sets, each a new counter: initial zero + value.
  EXPECT_EQ(CountNamed(s, calls), 14u);
  // Per label set: 15 buckets x 2, _sum 1, _count 2.
  EXPECT_EQ(CountNamed(s, "traces_spanmetrics_latency_bucket"), 7u * 30);
  EXPECT_EQ(CountNamed(s, "traces_spanmetrics_latency_sum"), 7u);
  EXPECT_EQ(CountNamed(s, "traces_spanmetrics_latency_count"), 14u);
  EXPECT_EQ(s.size(), 7u * 37);
}

TEST_F(SpanMetricsTest, LatencyBucketsAndExemplarOfCharge) {
  std::vector<CollectedSample> s = Run(SpanMetricsOptions{});
  const auto charge =
      Red("payments", "SPAN_KIND_SERVER", "charge", "STATUS_CODE_ERROR");
  const std::string bucket = "traces_spanmetrics_latency_bucket";
  // 38 ms: first bucket with le >= 0.038 is 0.064.
  for (const char* le : {"0.002", "0.004", "0.008", "0.016", "0.032"}) {
    EXPECT_EQ(ValueOf(s, bucket, With(charge, "le", le)), 0) << le;
  }
  for (const char* le : {"0.064", "0.128", "0.256", "0.512", "1.024", "2.048",
                         "4.096", "8.192", "16.384", "+Inf"}) {
    EXPECT_EQ(ValueOf(s, bucket, With(charge, "le", le)), 1) << le;
  }
  EXPECT_DOUBLE_EQ(*ValueOf(s, "traces_spanmetrics_latency_sum", charge),
                   0.038);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_latency_count", charge), 1);
  // Exactly one exemplar for this label set, on le="0.064".
  int exemplars = 0;
  for (const char* le :
       {"0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256",
        "0.512", "1.024", "2.048", "4.096", "8.192", "16.384", "+Inf"}) {
    for (const CollectedSample& x :
         SeriesOf(s, bucket, With(charge, "le", le))) {
      if (!x.exemplar.has_value()) continue;
      ++exemplars;
      EXPECT_STREQ(le, "0.064");
      EXPECT_EQ(x.exemplar->labels, (std::vector<Label>{{"traceID", "a01"}}));
      EXPECT_DOUBLE_EQ(x.exemplar->value, 0.038);
      EXPECT_EQ(x.exemplar->timestamp_ms, (kBase + 87) * 1000);
    }
  }
  EXPECT_EQ(exemplars, 1);
  // Boundary: 2 ms lands in le="0.002"; 4 s in le="4.096".
  const auto health =
      Red("frontend", "SPAN_KIND_SERVER", "GET /health", "STATUS_CODE_OK");
  EXPECT_EQ(ValueOf(s, bucket, With(health, "le", "0.002")), 1);
  const auto select =
      Red("batch", "SPAN_KIND_CLIENT", "SELECT orders", "STATUS_CODE_ERROR");
  EXPECT_EQ(ValueOf(s, bucket, With(select, "le", "2.048")), 0);
  EXPECT_EQ(ValueOf(s, bucket, With(select, "le", "4.096")), 1);
}

TEST_F(SpanMetricsTest, SizeIsEncodedSpanBytes) {
  std::vector<CollectedSample> s = Run(SpanMetricsOptions{});
  const auto req = Fixture(kBase);
  const size_t s3 =
      req.resource_spans(1).scope_spans(0).spans(0).SerializeAsString().size();
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_size_total",
                    Red("payments", "SPAN_KIND_SERVER", "charge",
                        "STATUS_CODE_ERROR")),
            static_cast<double>(s3));
}

TEST_F(SpanMetricsTest, DimensionsSanitizedResourceFirstAndClashPrefixed) {
  SpanMetricsOptions o;
  o.dimensions = {"http.status_code", "deployment.environment", "status.code",
                  "service.name"};
  o.intrinsic_dimensions.status_message = true;
  std::vector<CollectedSample> s = Run(o);
  const std::string calls = "traces_spanmetrics_calls_total";
  // Int attribute stringified; resource attribute found; absent ones
  // produce no label; status.code -> __status_code (absent here).
  auto s1 =
      Red("frontend", "SPAN_KIND_SERVER", "GET /checkout", "STATUS_CODE_UNSET");
  s1.emplace_back("http_status_code", "200");
  s1.emplace_back("deployment_environment", "prod");
  s1.emplace_back("service_name", "frontend");
  EXPECT_EQ(ValueOf(s, calls, s1), 1);
  auto s3 = Red("payments", "SPAN_KIND_SERVER", "charge", "STATUS_CODE_ERROR");
  s3.emplace_back("status_message", "declined");
  s3.emplace_back("service_name", "payments");
  EXPECT_EQ(ValueOf(s, calls, s3), 1);
}

TEST_F(SpanMetricsTest, ClashingDimensionGetsDoubleUnderscore) {
  SpanMetricsOptions o;
  o.dimensions = {"span.kind"};  // sanitizes to span_kind, an intrinsic
  SpanMetricsProcessor p(o, &registry_);
  auto req = Fixture(kBase);
  testing::AddStr(req.mutable_resource_spans(0)
                      ->mutable_scope_spans(0)
                      ->mutable_spans(0)
                      ->mutable_attributes(),
                  "span.kind", "custom");
  PushRequest(&p, req, now_);
  auto s = registry_.Collect(now_);
  auto s1 =
      Red("frontend", "SPAN_KIND_SERVER", "GET /checkout", "STATUS_CODE_UNSET");
  s1.emplace_back("__span_kind", "custom");
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total", s1), 1);
}

TEST_F(SpanMetricsTest, SpanMultiplierScalesCountsNotSize) {
  SpanMetricsOptions o;
  o.span_multiplier_key = "sample.ratio";
  SpanMetricsProcessor p(o, &registry_);
  auto req = Fixture(kBase);
  auto* kv = req.mutable_resource_spans(1)
                 ->mutable_scope_spans(0)
                 ->mutable_spans(0)
                 ->mutable_attributes()
                 ->Add();
  kv->set_key("sample.ratio");
  kv->mutable_value()->set_double_value(0.25);
  PushRequest(&p, req, now_);
  auto s = registry_.Collect(now_);
  const auto charge =
      Red("payments", "SPAN_KIND_SERVER", "charge", "STATUS_CODE_ERROR");
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total", charge), 4);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_latency_count", charge), 4);
  EXPECT_DOUBLE_EQ(*ValueOf(s, "traces_spanmetrics_latency_sum", charge),
                   0.038 * 4);
  const size_t bytes =
      req.resource_spans(1).scope_spans(0).spans(0).SerializeAsString().size();
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_size_total", charge),
            static_cast<double>(bytes));
}

TEST_F(SpanMetricsTest, MissingServiceNameOmitsTheLabel) {
  SpanMetricsProcessor p(SpanMetricsOptions{}, &registry_);
  testing::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  rs->add_scope_spans();
  testing::AddSpan(rs, 9, 9, 0, "orphan", testing::Span::SPAN_KIND_SERVER,
                   testing::Status::STATUS_CODE_UNSET, 1, 1000);
  PushRequest(&p, req, now_);
  auto s = registry_.Collect(now_);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total",
                    {{"span_kind", "SPAN_KIND_SERVER"},
                     {"span_name", "orphan"},
                     {"status_code", "STATUS_CODE_UNSET"}}),
            1);
}

TEST_F(SpanMetricsTest, CustomBucketsAndProcessorsSubset) {
  SpanMetricsOptions o;
  o.histogram_buckets = {0.5, 0.01, 0.1};  // unsorted on purpose
  o.enable_size = false;
  o.enable_count = false;
  std::vector<CollectedSample> s = Run(o);
  EXPECT_EQ(CountNamed(s, "traces_spanmetrics_calls_total"), 0u);
  EXPECT_EQ(CountNamed(s, "traces_spanmetrics_size_total"), 0u);
  const auto s1 =
      Red("frontend", "SPAN_KIND_SERVER", "GET /checkout", "STATUS_CODE_UNSET");
  const std::string bucket = "traces_spanmetrics_latency_bucket";
  EXPECT_EQ(ValueOf(s, bucket, With(s1, "le", "0.01")), 0);
  EXPECT_EQ(ValueOf(s, bucket, With(s1, "le", "0.1")), 0);
  EXPECT_EQ(ValueOf(s, bucket, With(s1, "le", "0.5")), 1);
  EXPECT_EQ(ValueOf(s, bucket, With(s1, "le", "+Inf")), 1);
  EXPECT_EQ(CountNamed(s, bucket), 7u * 4 * 2);
}

TEST_F(SpanMetricsTest, TargetInfoAndJobLabel) {
  SpanMetricsOptions o;
  o.enable_target_info = true;
  SpanMetricsProcessor p(o, &registry_);
  testing::ExportTraceServiceRequest req;
  auto* rs = testing::AddResource(&req, "api", "prod");
  testing::AddStr(rs->mutable_resource()->mutable_attributes(),
                  "service.namespace", "shop");
  testing::AddStr(rs->mutable_resource()->mutable_attributes(),
                  "service.instance.id", "pod-1");
  testing::AddSpan(rs, 1, 1, 0, "op", testing::Span::SPAN_KIND_SERVER,
                   testing::Status::STATUS_CODE_UNSET, 1, 1000);
  PushRequest(&p, req, now_);
  auto s = registry_.Collect(now_);
  EXPECT_EQ(ValueOf(s, "traces_target_info",
                    {{"deployment_environment", "prod"},
                     {"instance", "pod-1"},
                     {"job", "shop/api"}}),
            1);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total",
                    {{"service", "api"},
                     {"span_kind", "SPAN_KIND_SERVER"},
                     {"span_name", "op"},
                     {"status_code", "STATUS_CODE_UNSET"},
                     {"job", "shop/api"},
                     {"instance", "pod-1"}}),
            1);
}

// Once max_active_series is reached, new label sets fold into the
// metric_overflow="true" series span by span, as if each span were recorded
// alone: the float _sum adds the latencies in span order and the exemplar
// is the last span's, even though the processor groups a batch's updates
// by label set (here B's two spans before C's one).
TEST_F(SpanMetricsTest, OverflowFoldsSpanBySpanInBatchOrder) {
  RegistryOptions ro;
  // Label set A takes calls (1) + latency (2 buckets + _sum + _count = 4)
  // + size (1) = 6 series: the limit.
  ro.max_active_series = 6;
  MetricsRegistry registry(ro);
  SpanMetricsOptions o;
  o.histogram_buckets = {1};
  SpanMetricsProcessor p(o, &registry);
  testing::ExportTraceServiceRequest req;
  auto* rs = testing::AddResource(&req, "svc");
  const uint64_t ms = 1000000;
  const auto server = testing::Span::SPAN_KIND_SERVER;
  const auto unset = testing::Status::STATUS_CODE_UNSET;
  testing::AddSpan(rs, 1, 1, 0, "a", server, unset, 1000 * ms, 50 * ms);
  testing::AddSpan(rs, 2, 2, 0, "b", server, unset, 1000 * ms, 300 * ms);
  testing::AddSpan(rs, 3, 3, 0, "c", server, unset, 1000 * ms, 100 * ms);
  testing::AddSpan(rs, 4, 4, 0, "b", server, unset, 1000 * ms, 200 * ms);
  PushRequest(&p, req, now_);
  EXPECT_EQ(registry.overflowed(), 6);  // b's and c's 3 series each
  auto s = registry.Collect(now_);
  const std::vector<Label> overflow = {{"metric_overflow", "true"}};
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total", overflow), 3);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_latency_count", overflow), 3);
  // (0.3 + 0.1) + 0.2 in doubles is 0.6000000000000001; b's spans first,
  // (0.3 + 0.2) + 0.1, would give 0.6.
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_latency_sum", overflow),
            0.6000000000000001);
  const std::vector<CollectedSample> le1 = SeriesOf(
      s, "traces_spanmetrics_latency_bucket", With(overflow, "le", "1"));
  ASSERT_FALSE(le1.empty());
  EXPECT_EQ(le1.back().value, 3);
  // The last span folded in is trace 4's (b's second), not trace 3's (c).
  ASSERT_TRUE(le1.back().exemplar.has_value());
  EXPECT_EQ(le1.back().exemplar->labels,
            (std::vector<Label>{{"traceID", "a04"}}));
  EXPECT_EQ(le1.back().exemplar->value, 0.2);
  // A's own series are untouched.
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_latency_sum",
                    Red("svc", "SPAN_KIND_SERVER", "a", "STATUS_CODE_UNSET")),
            0.05);
}

}  // namespace
}  // namespace andante
