// RenderConfigYaml / StatusConfigPage (Tempo's GET /status/config): the text
// parses back into the same config, secrets are masked, defaults and diff.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "andante/config.h"
#include "fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace andante {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::filesystem::path TestDataDir() {
  return std::filesystem::path(__FILE__).parent_path() / "testdata";
}

Config MustParse(std::string_view yaml) {
  absl::StatusOr<Config> cfg = ParseConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status() << "\n" << yaml;
  return cfg.ok() ? *std::move(cfg) : Config();
}

// Dotted paths of every scalar and sequence in a YAML text.
void Leaves(const YAML::Node& n, const std::string& path,
            std::set<std::string>* out) {
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      Leaves(kv.second, path.empty() ? k : path + "." + k, out);
    }
    return;
  }
  out->insert(path);
}

std::set<std::string> LeafPaths(const std::string& yaml) {
  std::set<std::string> out;
  Leaves(YAML::Load(yaml), "", &out);
  return out;
}

TEST(ConfigRenderTest, EveryTestdataConfigRoundTrips) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TestDataDir())) {
    if (entry.path().extension() != ".yaml") continue;
    ConfigLoadOptions load;
    load.expand_env = true;
    load.env = FakeEnv({{"AWS_ACCESS_KEY_ID", "ak"}, {"AWS_SECRET_ACCESS_KEY", "sk"}});
    absl::StatusOr<Config> cfg = LoadConfigFile(entry.path().string(), load);
    ASSERT_TRUE(cfg.ok()) << entry.path() << ": " << cfg.status();
    const std::string text = RenderConfigYaml(*cfg);
    // The rendering is itself a valid tempo.yaml, and reading it back gives
    // a config that renders the same.
    absl::StatusOr<Config> again = ParseConfig(text);
    ASSERT_TRUE(again.ok()) << entry.path() << ": " << again.status() << "\n"
                            << text;
    EXPECT_EQ(RenderConfigYaml(*again), text) << entry.path();
    EXPECT_EQ(again->store.wal.path, cfg->store.wal.path);
    EXPECT_EQ(again->local_path, cfg->local_path);
    EXPECT_EQ(again->store.ingester.max_block_bytes,
              cfg->store.ingester.max_block_bytes);
    EXPECT_EQ(again->compaction.block_retention, cfg->compaction.block_retention);
    EXPECT_EQ(again->receivers.otlp_grpc.endpoint,
              cfg->receivers.otlp_grpc.endpoint);
    EXPECT_EQ(again->metrics_generator.options.span_metrics.histogram_buckets,
              cfg->metrics_generator.options.span_metrics.histogram_buckets);
    ++files;
  }
  EXPECT_GE(files, 8);
}

TEST(ConfigRenderTest, ValuesInTempoSyntax) {
  Config cfg = MustParse(
      "server:\n  http_listen_port: 3300\n"
      "ingester:\n  trace_idle_period: 1500ms\n  max_block_duration: 90m\n"
      "storage:\n  trace:\n    block:\n      bloom_filter_false_positive: 0.05\n"
      "overrides:\n  defaults:\n    compaction:\n      block_retention: 14d\n");
  const YAML::Node n = YAML::Load(RenderConfigYaml(cfg));
  EXPECT_EQ(n["server"]["http_listen_port"].Scalar(), "3300");
  EXPECT_EQ(n["ingester"]["trace_idle_period"].Scalar(), "1.5s");
  EXPECT_EQ(n["ingester"]["max_block_duration"].Scalar(), "1h30m0s");
  EXPECT_EQ(n["storage"]["trace"]["block"]["bloom_filter_false_positive"]
                .Scalar(),
            "0.05");
  EXPECT_EQ(n["overrides"]["defaults"]["compaction"]["block_retention"]
                .Scalar(),
            "2w");
  // A file enables only the receivers it names.
  EXPECT_EQ(n["distributor"]["receivers"].size(), 0u);
}

TEST(ConfigRenderTest, SecretsAreMasked) {
  Config cfg = MustParse(
      "storage:\n  trace:\n    backend: s3\n    s3:\n"
      "      bucket: traces\n      endpoint: s3.local:9000\n"
      "      access_key: visible-access-key\n"
      "      secret_key: hidden-secret-1\n"
      "      session_token: hidden-session-2\n"
      "metrics_generator:\n  storage:\n    path: /tmp/g\n    remote_write:\n"
      "      - url: http://prom/api/v1/write\n"
      "        headers:\n          Authorization: Bearer hidden-bearer-3\n"
      "          X-Scope-OrgID: team-a\n"
      "          X-Api-Token: hidden-header-4\n"
      "      - url: http://prom2/api/v1/write\n"
      "        basic_auth:\n          username: alice\n"
      "          password: hidden-password-5\n");
  for (ConfigView view : {ConfigView::kEffective, ConfigView::kDiff}) {
    const std::string text = RenderConfigYaml(cfg, view);
    for (const char* secret : {"hidden-secret-1", "hidden-session-2",
                               "hidden-bearer-3", "hidden-header-4"}) {
      EXPECT_THAT(text, Not(HasSubstr(secret)));
    }
    // basic_auth travels as an Authorization header: neither the password
    // nor its base64 form shows.
    EXPECT_THAT(text, Not(HasSubstr("hidden-password-5")));
    EXPECT_THAT(text, Not(HasSubstr("YWxpY2U6aGlkZGVuLXBhc3N3b3JkLTU=")));
    const YAML::Node n = YAML::Load(text);
    EXPECT_EQ(n["storage"]["trace"]["s3"]["secret_key"].Scalar(), "********");
    EXPECT_EQ(n["storage"]["trace"]["s3"]["session_token"].Scalar(),
              "********");
    EXPECT_EQ(n["storage"]["trace"]["s3"]["access_key"].Scalar(),
              "visible-access-key");
    const YAML::Node rw = n["metrics_generator"]["storage"]["remote_write"];
    ASSERT_EQ(rw.size(), 2u);
    EXPECT_EQ(rw[0]["headers"]["Authorization"].Scalar(), "********");
    EXPECT_EQ(rw[0]["headers"]["X-Api-Token"].Scalar(), "********");
    EXPECT_EQ(rw[0]["headers"]["X-Scope-OrgID"].Scalar(), "team-a");
    EXPECT_EQ(rw[1]["headers"]["Authorization"].Scalar(), "********");
  }
  // An empty secret stays empty (nothing to hide, and the diff is honest).
  const YAML::Node d = YAML::Load(RenderConfigYaml(DefaultConfig()));
  EXPECT_EQ(d["storage"]["trace"]["s3"]["secret_key"].Scalar(), "");
}

TEST(ConfigRenderTest, DefaultsAndDiff) {
  Config cfg = MustParse(
      "server:\n  http_listen_port: 3300\n"
      "ingester:\n  max_block_bytes: 1000\n"
      "distributor:\n  receivers:\n    otlp:\n      protocols:\n"
      "        grpc:\n          endpoint: 0.0.0.0:4317\n");
  EXPECT_EQ(RenderConfigYaml(cfg, ConfigView::kDefaults),
            RenderConfigYaml(DefaultConfig()));
  EXPECT_EQ(LeafPaths(RenderConfigYaml(cfg, ConfigView::kDiff)),
            (std::set<std::string>{
                "server.http_listen_port", "ingester.max_block_bytes",
                "distributor.receivers.otlp.protocols.grpc.endpoint"}));
  EXPECT_EQ(LeafPaths(RenderConfigYaml(DefaultConfig(), ConfigView::kDiff)),
            std::set<std::string>{});
}

TEST(ConfigRenderTest, StatusConfigPage) {
  Config cfg = MustParse("server:\n  http_listen_port: 3300\n");
  absl::StatusOr<std::string> page = StatusConfigPage(cfg, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(*page, StartsWith("GET /status/config\n---\n"));
  EXPECT_EQ(page->substr(std::string_view("GET /status/config\n---\n").size()),
            RenderConfigYaml(cfg));
  page = StatusConfigPage(cfg, "diff");
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(*page, HasSubstr("http_listen_port: 3300"));
  EXPECT_THAT(*page, Not(HasSubstr("grpc_listen_port")));
  page = StatusConfigPage(cfg, "defaults");
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(*page, HasSubstr("http_listen_port: 3200"));
  page = StatusConfigPage(cfg, "everything");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(page.status().message(),
            "unknown value for mode query parameter: everything");
}

}  // namespace
}  // namespace andante
