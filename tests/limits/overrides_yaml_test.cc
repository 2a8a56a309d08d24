#include "tenant/overrides_yaml.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace andante::internal {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<OverridesConfig> ParseMain(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseOverridesConfig(root["overrides"]);
}

TEST(OverridesYamlTest, AbsentSectionGivesTempoDefaults) {
  absl::StatusOr<OverridesConfig> c = ParseMain("server: {}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->defaults.rate_limit_bytes, 15'000'000u);
  EXPECT_EQ(c->defaults.burst_size_bytes, 20'000'000u);
  EXPECT_EQ(c->defaults.max_traces_per_user, 10'000u);
  EXPECT_EQ(c->defaults.max_bytes_per_trace, 5'000'000u);
  EXPECT_EQ(c->per_tenant_override_period, absl::Seconds(10));
  EXPECT_TRUE(c->per_tenant_override_config.empty());
}

TEST(OverridesYamlTest, NestedFormInMainFile) {
  absl::StatusOr<OverridesConfig> c = ParseMain(R"(
overrides:
  defaults:
    ingestion:
      rate_strategy: global
      rate_limit_bytes: 1000
      burst_size_bytes: 2000
      max_traces_per_user: 30
      max_global_traces_per_user: 90
      max_attribute_bytes: 64
      tenant_shard_size: 3
    read:
      max_bytes_per_tag_values_query: 4096
      max_search_duration: 1d12h
    compaction: {block_retention: 2w}
    metrics_generator:
      processors: [service-graphs, span-metrics]
      max_active_series: 7
      generate_native_histograms: classic
    global: {max_bytes_per_trace: 12345}
  per_tenant_override_config: /etc/o.yaml
  per_tenant_override_period: 1m
)");
  ASSERT_TRUE(c.ok()) << c.status();
  const TenantLimits& d = c->defaults;
  EXPECT_EQ(d.rate_strategy, RateStrategy::kGlobal);
  EXPECT_EQ(d.rate_limit_bytes, 1000u);
  EXPECT_EQ(d.burst_size_bytes, 2000u);
  EXPECT_EQ(d.max_traces_per_user, 30u);
  EXPECT_EQ(d.max_global_traces_per_user, 90u);
  EXPECT_EQ(d.max_attribute_bytes, 64u);
  EXPECT_EQ(d.max_bytes_per_tag_values_query, 4096u);
  EXPECT_EQ(d.max_search_duration, absl::Hours(36));
  EXPECT_EQ(d.block_retention, absl::Hours(24 * 14));
  EXPECT_THAT(d.metrics_generator_processors,
              ::testing::ElementsAre("service-graphs", "span-metrics"));
  EXPECT_EQ(d.metrics_generator_max_active_series, 7u);
  EXPECT_EQ(d.max_bytes_per_trace, 12345u);
  EXPECT_EQ(c->per_tenant_override_config, "/etc/o.yaml");
  EXPECT_EQ(c->per_tenant_override_period, absl::Minutes(1));
}

TEST(OverridesYamlTest, LegacyFormInMainFile) {
  absl::StatusOr<OverridesConfig> c = ParseMain(R"(
overrides:
  ingestion_rate_strategy: local
  ingestion_rate_limit_bytes: 111
  ingestion_burst_size_bytes: 222
  max_traces_per_user: 3
  max_bytes_per_trace: 444
  ingestion_max_attribute_bytes: 55
  max_search_duration: 5m
  metrics_generator_processors: [span-metrics]
  metrics_generator_collection_interval: 15s
  per_tenant_override_config: /etc/o.yaml
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->defaults.rate_limit_bytes, 111u);
  EXPECT_EQ(c->defaults.burst_size_bytes, 222u);
  EXPECT_EQ(c->defaults.max_traces_per_user, 3u);
  EXPECT_EQ(c->defaults.max_bytes_per_trace, 444u);
  EXPECT_EQ(c->defaults.max_attribute_bytes, 55u);
  EXPECT_EQ(c->defaults.max_search_duration, absl::Minutes(5));
  EXPECT_THAT(c->defaults.metrics_generator_processors,
              ::testing::ElementsAre("span-metrics"));
  EXPECT_EQ(c->per_tenant_override_config, "/etc/o.yaml");
}

TEST(OverridesYamlTest, ErrorsNameTheKey) {
  absl::StatusOr<OverridesConfig> c =
      ParseMain("overrides:\n  defaults:\n    ingestion:\n      rate_limit_byte: 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("rate_limit_byte"));
  c = ParseMain("overrides:\n  ingestion_rate_limit_bytes: lots\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("ingestion_rate_limit_bytes"));
  c = ParseMain("overrides:\n  defaults: {}\n  max_traces_per_user: 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("cannot be mixed"));
  c = ParseMain(
      "overrides:\n  defaults:\n    ingestion: {rate_strategy: sometimes}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("sometimes"));
  c = ParseMain("overrides:\n  defaults:\n    read: {max_search_duration: 3x}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("max_search_duration"));
}

TEST(OverridesYamlTest, PerTenantFileBothFormsAndWildcard) {
  TenantLimits defaults;
  defaults.rate_limit_bytes = 100;
  defaults.max_traces_per_user = 7;
  absl::StatusOr<std::map<std::string, TenantLimits>> t =
      ParsePerTenantOverrides(R"(
overrides:
  "tenant-a":
    ingestion: {rate_limit_bytes: 30000000, burst_size_bytes: 40000000}
    global:    {max_bytes_per_trace: 10000000}
  "*":
    ingestion_rate_limit_bytes: 1000000
)",
                              defaults);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  const TenantLimits& a = t->at("tenant-a");
  EXPECT_EQ(a.rate_limit_bytes, 30'000'000u);
  EXPECT_EQ(a.burst_size_bytes, 40'000'000u);
  EXPECT_EQ(a.max_bytes_per_trace, 10'000'000u);
  // Merged onto the defaults (not Tempo's wholesale replacement).
  EXPECT_EQ(a.max_traces_per_user, 7u);
  EXPECT_EQ(t->at("*").rate_limit_bytes, 1'000'000u);
  EXPECT_EQ(t->at("*").max_traces_per_user, 7u);
}

TEST(OverridesYamlTest, GoYamlIntegerSpellings) {
  auto t = ParsePerTenantOverrides(
      "overrides:\n  a: {max_bytes_per_trace: 20_000_000}\n"
      "  b: {max_bytes_per_trace: 0x10}\n"
      "  c: {max_bytes_per_trace: 1e6}\n",
      TenantLimits());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->at("a").max_bytes_per_trace, 20'000'000u);
  EXPECT_EQ(t->at("b").max_bytes_per_trace, 16u);
  EXPECT_EQ(t->at("c").max_bytes_per_trace, 1'000'000u);
  EXPECT_FALSE(ParsePerTenantOverrides(
                   "overrides:\n  a: {max_bytes_per_trace: 1.5}\n",
                   TenantLimits())
                   .ok());
}

TEST(OverridesYamlTest, ExplicitZeroIsTakenAsWritten) {
  absl::StatusOr<std::map<std::string, TenantLimits>> t =
      ParsePerTenantOverrides(
          "overrides:\n  t:\n    max_traces_per_user: 0\n", TenantLimits());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->at("t").max_traces_per_user, 0u);
  EXPECT_EQ(t->at("t").rate_limit_bytes, 15'000'000u);
}

TEST(OverridesYamlTest, BadPerTenantFilesNameTheProblem) {
  auto bad = [](const std::string& yaml) {
    auto t = ParsePerTenantOverrides(yaml, TenantLimits());
    EXPECT_FALSE(t.ok()) << yaml;
    return t.ok() ? std::string() : std::string(t.status().message());
  };
  EXPECT_THAT(bad("overrides:\n  t:\n    max_trace_per_user: 1\n"),
              HasSubstr("max_trace_per_user"));
  EXPECT_THAT(bad("overrides: [\n"), HasSubstr("yaml"));
  EXPECT_THAT(bad("limits:\n  t: {}\n"), HasSubstr("limits"));
  EXPECT_THAT(bad("overrides:\n  t:\n    ingestion: {rate_limit_bytes: -5}\n"),
              HasSubstr("ingestion.rate_limit_bytes"));
}

TEST(OverridesYamlTest, EmptyFileHasNoTenants) {
  auto t = ParsePerTenantOverrides("", TenantLimits());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->empty());
  t = ParsePerTenantOverrides("overrides:\n", TenantLimits());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->empty());
}

TEST(OverridesYamlTest, PromDurations) {
  EXPECT_EQ(*ParsePromDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParsePromDuration("1d12h"), absl::Hours(36));
  EXPECT_EQ(*ParsePromDuration("1w"), absl::Hours(168));
  EXPECT_EQ(*ParsePromDuration("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParsePromDuration("250ms"), absl::Milliseconds(250));
  EXPECT_FALSE(ParsePromDuration("1h1d").ok());  // units out of order
  EXPECT_FALSE(ParsePromDuration("1.5h").ok());
  EXPECT_FALSE(ParsePromDuration("").ok());
}

TEST(OverridesYamlTest, JsonShowsTheNestedForm) {
  TenantLimits l;
  l.rate_limit_bytes = 42;
  l.max_search_duration = absl::Hours(1);
  nlohmann::json j = nlohmann::json::parse(TenantLimitsToJson(l));
  EXPECT_EQ(j["ingestion"]["rate_limit_bytes"], 42);
  EXPECT_EQ(j["ingestion"]["rate_strategy"], "local");
  EXPECT_EQ(j["global"]["max_bytes_per_trace"], 5000000);
  EXPECT_EQ(j["read"]["max_search_duration"], "1h");
  EXPECT_EQ(j["compaction"]["block_retention"], "0s");
}

}  // namespace
}  // namespace andante::internal
