#include "andante/metrics_generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "andante/otlp.h"
#include "tests/generator/fixture.h"
#include "tests/generator/samples.h"

namespace andante {
namespace {

using testing::CountNamed;
using testing::Fixture;
using testing::ValueOf;

constexpr int64_t kBase = 1700000040;
// Fixture spans end between B+10.3 and B+80; "now" B+83 keeps all of them
// inside the 30 s slack except the T1 spans (ending ~B+10.3).
const absl::Time kNow = absl::FromUnixSeconds(kBase + 83);

const std::vector<CollectedSample>* Tenant(
    const std::vector<MetricsGenerator::TenantSamples>& all,
    const std::string& id) {
  for (const auto& t : all) {
    if (t.tenant == id) return &t.samples;
  }
  return nullptr;
}

TEST(MetricsGeneratorTest, UnknownProcessorIsAnError) {
  MetricsGeneratorOptions o;
  o.processors = {"span-metrics", "spanmetrics"};
  auto g = MetricsGenerator::Create(o);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()),
              ::testing::HasSubstr("spanmetrics"));
}

TEST(MetricsGeneratorTest, PerTenantProcessorsWildcardAndDefaults) {
  MetricsGeneratorOptions o;
  o.ingestion_time_range_slack = absl::ZeroDuration();  // no filter
  o.processors = {"service-graphs"};
  o.tenant_processors["a"] = {"span-metrics-count"};
  o.tenant_processors["*"] = {"span-metrics-latency"};
  o.tenant_processors["off"] = {};
  auto g = MetricsGenerator::Create(o);
  ASSERT_TRUE(g.ok());
  for (const char* t : {"a", "b", "off"}) {
    PushRequest(g->get(), t, Fixture(kBase), kNow);
  }
  auto all = (*g)->Collect(kNow);
  const auto* a = Tenant(all, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(CountNamed(*a, "traces_spanmetrics_calls_total"), 14u);
  EXPECT_EQ(CountNamed(*a, "traces_spanmetrics_latency_count"), 0u);
  EXPECT_EQ(CountNamed(*a, "traces_service_graph_request_total"), 0u);
  const auto* b = Tenant(all, "b");  // "*"
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(CountNamed(*b, "traces_spanmetrics_calls_total"), 0u);
  EXPECT_EQ(CountNamed(*b, "traces_spanmetrics_latency_count"), 14u);
  EXPECT_EQ(Tenant(all, "off"), nullptr);  // empty list: generator off
}

TEST(MetricsGeneratorTest, DefaultsApplyWithoutOverrides) {
  MetricsGeneratorOptions o;
  o.ingestion_time_range_slack = absl::ZeroDuration();
  o.processors = {"service-graphs"};
  auto g = MetricsGenerator::Create(o);
  ASSERT_TRUE(g.ok());
  PushRequest(g->get(), "x", Fixture(kBase), kNow);
  auto all = (*g)->Collect(kNow);
  ASSERT_NE(Tenant(all, "x"), nullptr);
  EXPECT_EQ(ValueOf(*Tenant(all, "x"), "traces_service_graph_request_total",
                    {{"client", "frontend"}, {"server", "payments"}}),
            1);
}

TEST(MetricsGeneratorTest, SpansOutsideTheSlackAreIgnored) {
  MetricsGeneratorOptions o;
  o.processors = {"span-metrics-count"};
  o.ingestion_time_range_slack = absl::Seconds(30);
  auto g = MetricsGenerator::Create(o);
  ASSERT_TRUE(g.ok());
  PushRequest(g->get(), "t", Fixture(kBase), kNow);
  auto s = *Tenant((*g)->Collect(kNow), "t");
  // T1 (ends ~B+10.3) is 72 s old: dropped. R1 (B+70), Q1 (B+80), Q2 (B+80)
  // are kept.
  EXPECT_EQ(CountNamed(s, "traces_spanmetrics_calls_total"), 6u);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total",
                    {{"service", "payments"},
                     {"span_kind", "SPAN_KIND_SERVER"},
                     {"span_name", "charge"},
                     {"status_code", "STATUS_CODE_ERROR"}}),
            std::nullopt);
  EXPECT_EQ(ValueOf(s, "traces_spanmetrics_calls_total",
                    {{"service", "frontend"},
                     {"span_kind", "SPAN_KIND_SERVER"},
                     {"span_name", "GET /health"},
                     {"status_code", "STATUS_CODE_OK"}}),
            1);
}

TEST(MetricsGeneratorTest, TenantLabelAndSeriesLimitPerTenant) {
  MetricsGeneratorOptions o;
  o.ingestion_time_range_slack = absl::ZeroDuration();
  o.processors = {"span-metrics-count"};
  o.inject_tenant_id_as = "tenant";
  o.tenant_max_active_series["small"] = 2;
  auto g = MetricsGenerator::Create(o);
  ASSERT_TRUE(g.ok());
  PushRequest(g->get(), "small", Fixture(kBase), kNow);
  PushRequest(g->get(), "big", Fixture(kBase), kNow);
  auto all = (*g)->Collect(kNow);
  const auto& small = *Tenant(all, "small");
  EXPECT_EQ(ValueOf(small, "traces_spanmetrics_calls_total",
                    {{"metric_overflow", "true"}, {"tenant", "small"}}),
            5);
  EXPECT_EQ((*g)->active_series(), 3 + 7);
  EXPECT_EQ(ValueOf(*Tenant(all, "big"), "traces_spanmetrics_calls_total",
                    {{"service", "batch"},
                     {"span_kind", "SPAN_KIND_INTERNAL"},
                     {"span_name", "nightly-job"},
                     {"status_code", "STATUS_CODE_UNSET"},
                     {"tenant", "big"}}),
            1);
  // The scrape text has both tenants and one TYPE line for the family.
  const std::string text = (*g)->ExpositionText();
  EXPECT_EQ(text.find("# TYPE traces_spanmetrics_calls_total counter"),
            text.rfind("# TYPE traces_spanmetrics_calls_total counter"));
  EXPECT_NE(text.find("tenant=\"small\""), std::string::npos);
  EXPECT_NE(text.find("tenant=\"big\""), std::string::npos);
}

}  // namespace
}  // namespace andante
