// tempo.yaml loading: the configs users copy load; strictness, scalars,
// receivers, unsupported keys, flags.
#include "andante/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/flags.h"
#include "fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

using internal::Flags;
using internal::LoadConfig;
using internal::ParseFlags;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::filesystem::path TestData(const std::string& name) {
  // __FILE__ is relative to the build directory meson runs tests from.
  std::filesystem::path here = std::filesystem::path(__FILE__).parent_path();
  return here / "testdata" / name;
}

std::string ReadTestData(const std::string& name) {
  std::ifstream in(TestData(name));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Config MustParse(std::string_view yaml) {
  absl::StatusOr<Config> cfg = ParseConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status() << "\n" << yaml;
  return cfg.ok() ? *std::move(cfg) : Config();
}

std::string ParseError(std::string_view yaml) {
  absl::StatusOr<Config> cfg = ParseConfig(yaml);
  EXPECT_FALSE(cfg.ok()) << yaml;
  if (cfg.ok()) return "";
  EXPECT_EQ(cfg.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(cfg.status().message());
}

absl::StatusOr<Flags> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "andante");
  return ParseFlags(static_cast<int>(args.size()), args.data());
}

// --- configs users have --------------------------------------------------

TEST(ConfigTest, EveryTestdataConfigLoads) {
  const EnvLookup env =
      FakeEnv({{"AWS_ACCESS_KEY_ID", "ak"}, {"AWS_SECRET_ACCESS_KEY", "sk"}});
  ASSERT_TRUE(std::filesystem::is_directory(TestData("")))
      << TestData("") << " not found; run the test from the build directory";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TestData(""))) {
    if (entry.path().extension() != ".yaml") continue;
    ++n;
    Flags flags;
    flags.config_file = entry.path().string();
    flags.expand_env = true;
    absl::StatusOr<Config> cfg = LoadConfig(flags, env);
    EXPECT_TRUE(cfg.ok()) << entry.path() << ": " << cfg.status();
  }
  EXPECT_GE(n, 8);
}

TEST(ConfigTest, SharedExampleV210) {
  Config cfg = MustParse(ReadTestData("tempo_v2_10_shared.yaml"));
  EXPECT_EQ(cfg.server.http_listen_port, 3200);
  EXPECT_EQ(cfg.server.log_level, "info");
  EXPECT_TRUE(cfg.receivers.otlp_grpc.enabled);
  EXPECT_EQ(cfg.receivers.otlp_grpc.endpoint, "tempo:4317");
  EXPECT_TRUE(cfg.receivers.otlp_http.enabled);
  EXPECT_EQ(cfg.receivers.otlp_http.endpoint, "tempo:4318");
  EXPECT_FALSE(cfg.receivers.jaeger_grpc.enabled);
  EXPECT_FALSE(cfg.receivers.zipkin.enabled);
  EXPECT_EQ(cfg.store.ingester.max_block_duration, absl::Minutes(5));
  EXPECT_EQ(cfg.backend, "local");
  EXPECT_EQ(cfg.local_path, "/var/tempo/blocks");
  EXPECT_EQ(cfg.store.wal.path, "/var/tempo/wal");
  EXPECT_THAT(cfg.unsupported, Not(Contains("stream_over_http_enabled")));
  EXPECT_TRUE(cfg.stream_over_http_enabled);
  EXPECT_THAT(cfg.unsupported,
              Not(Contains("compactor.compaction.block_retention")));
  EXPECT_EQ(cfg.compaction.block_retention, absl::Hours(1));
  EXPECT_THAT(cfg.unsupported,
              Contains("query_frontend.search.throughput_bytes_slo"));
  // The metrics generator's keys are implemented (generator_config.cc).
  EXPECT_THAT(cfg.unsupported,
              Not(Contains("metrics_generator.storage.remote_write")));
  EXPECT_THAT(cfg.unsupported,
              Not(Contains("overrides.defaults.metrics_generator")));
  EXPECT_THAT(cfg.unsupported, Contains("metrics_generator.traces_storage"));
  EXPECT_THAT(cfg.unsupported,
              Contains("overrides.defaults.metrics_generator."
                       "generate_native_histograms: both"));
  const GeneratorConfig& g = cfg.metrics_generator;
  EXPECT_TRUE(g.enabled);
  ASSERT_EQ(g.remote_write.size(), 1u);
  EXPECT_EQ(g.remote_write[0].url, "http://prometheus:9090/api/v1/write");
  EXPECT_TRUE(g.remote_write[0].send_exemplars);
  EXPECT_EQ(g.storage_path, "/var/tempo/generator/wal");
  EXPECT_THAT(g.options.registry.external_labels,
              ElementsAre(std::pair<std::string, std::string>("source", "tempo"),
                          std::pair<std::string, std::string>(
                              "cluster", "docker-compose")));
  EXPECT_TRUE(g.processors_configured);
  EXPECT_THAT(g.options.processors,
              ElementsAre("service-graphs", "span-metrics", "local-blocks"));
  // Implemented keys are not listed.
  EXPECT_THAT(cfg.unsupported, Not(Contains("server.http_listen_port")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("storage.trace.backend: local")));
}

TEST(ConfigTest, S3BackendLoads) {
  Config cfg = MustParse(ReadTestData("tempo_v2_10_s3.yaml"));
  EXPECT_EQ(cfg.backend, "s3");
  EXPECT_EQ(cfg.s3.bucket, "tempo");
  EXPECT_EQ(cfg.s3.endpoint, "minio:9000");
  EXPECT_EQ(cfg.s3.access_key, "tempo");
  EXPECT_EQ(cfg.s3.secret_key, "supersecret");
  EXPECT_TRUE(cfg.s3.insecure);
  EXPECT_FALSE(cfg.s3.forcepathstyle);
  EXPECT_THAT(cfg.unsupported, Not(Contains("storage.trace.backend: s3")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("storage.trace.s3.bucket")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("storage.trace.s3.secret_key")));
  // usage_report is cluster plumbing: accepted silently.
  EXPECT_THAT(cfg.unsupported, Not(Contains("usage_report")));
}

TEST(ConfigTest, V15LocalExampleWithLegacyKeys) {
  Config cfg = MustParse(ReadTestData("tempo_v1_5_local.yaml"));
  EXPECT_EQ(cfg.store.ingester.trace_idle_period, absl::Seconds(10));
  EXPECT_EQ(cfg.store.ingester.max_block_bytes, 1'000'000u);
  EXPECT_DOUBLE_EQ(cfg.store.block.bloom_filter_false_positive, 0.05);
  // Null-valued receiver keys enable the receiver on its default endpoint.
  EXPECT_TRUE(cfg.receivers.jaeger_thrift_http.enabled);
  EXPECT_EQ(cfg.receivers.jaeger_thrift_http.endpoint, "localhost:14268");
  EXPECT_TRUE(cfg.receivers.jaeger_grpc.enabled);
  EXPECT_TRUE(cfg.receivers.jaeger_thrift_binary.enabled);
  EXPECT_EQ(cfg.receivers.jaeger_thrift_binary.endpoint, "localhost:6832");
  EXPECT_TRUE(cfg.receivers.jaeger_thrift_compact.enabled);
  EXPECT_EQ(cfg.receivers.jaeger_thrift_compact.endpoint, "localhost:6831");
  EXPECT_TRUE(cfg.receivers.zipkin.enabled);
  EXPECT_EQ(cfg.receivers.zipkin.endpoint, "localhost:9411");
  EXPECT_TRUE(cfg.receivers.otlp_grpc.enabled);
  EXPECT_EQ(cfg.receivers.otlp_grpc.endpoint, "localhost:4317");
  EXPECT_TRUE(cfg.receivers.otlp_http.enabled);
  EXPECT_EQ(cfg.receivers.otlp_http.endpoint, "localhost:4318");
  EXPECT_THAT(cfg.unsupported, Contains("distributor.receivers.opencensus"));
  EXPECT_THAT(cfg.unsupported, Contains("storage.trace.pool.max_workers"));
  // 1.x keys are accepted without a warning.
  EXPECT_THAT(cfg.unsupported, Not(Contains("search_enabled")));
  EXPECT_THAT(cfg.unsupported,
              Not(Contains("storage.trace.block.index_downsample_bytes")));
}

TEST(ConfigTest, SeedConfigs) {
  Config basic = MustParse(ReadTestData("seed_basic.yaml"));
  EXPECT_EQ(basic.receivers.zipkin.endpoint, "0.0.0.0:9411");
  EXPECT_TRUE(basic.receivers.jaeger_thrift_http.enabled);
  EXPECT_FALSE(basic.receivers.jaeger_thrift_compact.enabled);
  EXPECT_EQ(basic.local_path, "/tmp/tempo/traces");
  EXPECT_EQ(basic.store.ingester.max_block_bytes, 1048576u);
  // retention_duration: the seeds' alias of block_retention.
  EXPECT_THAT(basic.unsupported,
              Not(Contains("compactor.compaction.retention_duration")));
  EXPECT_EQ(basic.compaction.block_retention, absl::Hours(72));
  EXPECT_EQ(basic.compaction.max_compaction_objects, 1'000'000u);
  EXPECT_THAT(basic.unsupported,
              Contains("compactor.compaction.v2_out_buffer_bytes"));
  // querier.frontend_worker is plumbing.
  EXPECT_THAT(basic.unsupported, Not(Contains("querier.frontend_worker")));

  Config mt = MustParse(ReadTestData("seed_multitenant.yaml"));
  EXPECT_TRUE(mt.multitenancy_enabled);
  EXPECT_THAT(mt.unsupported, Contains("auth"));
  EXPECT_THAT(mt.unsupported, Contains("limits"));

  Config blog = MustParse(ReadTestData("seed_blog_v1_5.yaml"));
  EXPECT_TRUE(blog.receivers.otlp_grpc.enabled);
  EXPECT_FALSE(blog.receivers.otlp_http.enabled);
}

TEST(ConfigTest, SeedS3NeedsExpansion) {
  Flags flags;
  flags.config_file = TestData("seed_s3.yaml").string();
  flags.expand_env = true;
  absl::StatusOr<Config> cfg = LoadConfig(flags, FakeEnv({}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->backend, "s3");
  EXPECT_THAT(cfg->unsupported,
              Not(Contains("metrics_generator.processor.service_graphs")));
  const GeneratorConfig& g = cfg->metrics_generator;
  EXPECT_THAT(g.options.span_metrics.dimensions,
              ElementsAre("service.name", "operation", "status_code"));
  EXPECT_THAT(g.options.span_metrics.histogram_buckets,
              ElementsAre(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                          2.5, 5, 10));
  EXPECT_THAT(g.options.service_graphs.dimensions,
              ElementsAre("service.name", "service.namespace"));
  EXPECT_FALSE(g.processors_configured);
}

// Andante's own key: where an ingest instance forwards to generator
// instances (-target=metrics-generator).
TEST(ConfigTest, MetricsGeneratorClientEndpoints) {
  Config cfg = MustParse(
      "target: distributor\n"
      "metrics_generator_client:\n"
      "  endpoints: [\"http://gen-a:4318\", \"http://gen-b:4318\"]\n"
      "  queue_size: 50\n"
      "  remote_timeout: 2s\n"
      "  batch_wait: 0s\n"
      "  grpc_client_config: {max_send_msg_size: 1}\n");  // Tempo's; ignored
  const GeneratorConfig& g = cfg.metrics_generator;
  EXPECT_THAT(g.forward_endpoints,
              ElementsAre("http://gen-a:4318", "http://gen-b:4318"));
  EXPECT_EQ(g.forward_queue_size, 50);
  EXPECT_EQ(g.forward_timeout, absl::Seconds(2));
  EXPECT_EQ(g.forward_batch_wait, absl::ZeroDuration());
  EXPECT_EQ(MustParse("").metrics_generator.forward_batch_wait,
            absl::Milliseconds(100));
  EXPECT_FALSE(g.enabled);  // no metrics_generator section
  EXPECT_TRUE(MustParse("").metrics_generator.forward_endpoints.empty());
  EXPECT_THAT(ParseError("metrics_generator_client:\n  endpoints: http://a\n"),
              HasSubstr("metrics_generator_client.endpoints"));
  EXPECT_THAT(ParseError("metrics_generator_client:\n  queue_size: 0\n"),
              HasSubstr("metrics_generator_client.queue_size"));
}

TEST(ConfigTest, MetricsGeneratorSectionAndOverrides) {
  Config cfg = MustParse(
      "metrics_generator:\n"
      "  registry:\n"
      "    collection_interval: 5s\n"
      "    stale_duration: 1m\n"
      "    inject_tenant_id_as: tenant\n"
      "  storage:\n"
      "    remote_write:\n"
      "      - url: http://a/api/v1/write\n"
      "        headers: {X-Key: k}\n"
      "        queue_config: {retry_on_http_429: false}\n"
      "      - url: http://b/api/v1/write\n"
      "        send_exemplars: true\n"
      "        basic_auth: {username: u, password: p}\n"
      "    remote_write_add_org_id_header: false\n"
      "  processor:\n"
      "    span_metrics:\n"
      "      intrinsic_dimensions: {status_message: true}\n"
      "    service_graphs:\n"
      "      wait: 3s\n"
      "      max_items: 50\n"
      "overrides:\n"
      "  metrics_generator_processors: [span-metrics]\n"
      "  metrics_generator_max_active_series: 1000\n");
  const GeneratorConfig& g = cfg.metrics_generator;
  EXPECT_EQ(g.options.collection_interval, absl::Seconds(5));
  EXPECT_EQ(g.options.registry.stale_duration, absl::Minutes(1));
  EXPECT_EQ(g.options.inject_tenant_id_as, "tenant");
  ASSERT_EQ(g.remote_write.size(), 2u);
  EXPECT_FALSE(g.remote_write[0].send_exemplars);
  EXPECT_FALSE(g.remote_write[0].retry_on_http_429);
  EXPECT_FALSE(g.remote_write[0].add_org_id_header);
  EXPECT_THAT(g.remote_write[0].headers,
              ElementsAre(std::pair<std::string, std::string>("X-Key", "k")));
  EXPECT_TRUE(g.remote_write[1].send_exemplars);
  EXPECT_THAT(g.remote_write[1].headers,
              ElementsAre(std::pair<std::string, std::string>(
                  "Authorization", "Basic dTpw")));
  EXPECT_TRUE(g.options.span_metrics.intrinsic_dimensions.status_message);
  EXPECT_EQ(g.options.service_graphs.wait, absl::Seconds(3));
  EXPECT_EQ(g.options.service_graphs.max_items, 50);
  EXPECT_THAT(g.options.processors, ElementsAre("span-metrics"));
  EXPECT_EQ(g.options.registry.max_active_series, 1000);
  EXPECT_TRUE(cfg.unsupported.empty());

  absl::StatusOr<Config> bad = ParseConfig(
      "metrics_generator:\n  storage:\n    remote_write:\n"
      "      - {url: http://a, sned_exemplars: true}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("remote_write[0].sned_exemplars"));
  bad = ParseConfig(
      "metrics_generator:\n  processor:\n    span_metrics:\n"
      "      histogram_buckets: [fast]\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("histogram_buckets"));
}

TEST(ConfigTest, DistributedStyleConfig) {
  Config cfg = MustParse(ReadTestData("tempo_distributed_2_8.yaml"));
  EXPECT_EQ(cfg.server.log_format, "json");
  EXPECT_EQ(cfg.server.log_level, "warn");
  EXPECT_TRUE(cfg.store.ingester.flush_all_on_shutdown);
  EXPECT_EQ(cfg.receivers.otlp_grpc_max_recv_msg_size, 16u << 20);
  EXPECT_EQ(cfg.store.ingester.max_bytes_per_trace, 20'000'000u);
  EXPECT_EQ(cfg.store.block.bloom_filter_shard_size_bytes, 204'800u);
  EXPECT_DOUBLE_EQ(cfg.store.block.bloom_filter_false_positive, 0.001);
  EXPECT_THAT(cfg.unsupported, Contains("cache"));
  EXPECT_THAT(cfg.unsupported, Contains("ingest"));
  EXPECT_THAT(cfg.unsupported,
              Contains("distributor.receivers.otlp.protocols.http.cors"));
  EXPECT_THAT(cfg.unsupported,
              Not(Contains("overrides.defaults.compaction.block_retention")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("memberlist")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("ingester.lifecycler")));
}

TEST(ConfigTest, AllDocumentedKeys) {
  Config cfg = MustParse(ReadTestData("tempo_all_documented_keys.yaml"));
  EXPECT_TRUE(cfg.receivers.jaeger_thrift_binary.enabled);
  EXPECT_EQ(cfg.receivers.jaeger_thrift_binary.endpoint, "0.0.0.0:6832");
  EXPECT_FALSE(cfg.store.ingester.flush_all_on_shutdown);
  EXPECT_EQ(cfg.store.ingester.max_bytes_per_trace, 5'000'000u);
  // Every storage.trace.s3 key loads; what the S3 backend cannot apply is
  // reported.
  EXPECT_EQ(cfg.s3.bucket, "tempo");
  EXPECT_EQ(cfg.s3.prefix, "p");
  EXPECT_EQ(cfg.s3.endpoint, "s3.us-east-2.amazonaws.com");
  EXPECT_EQ(cfg.s3.region, "us-east-2");
  EXPECT_EQ(cfg.s3.session_token, "t");
  EXPECT_EQ(cfg.s3.storage_class, "STANDARD");
  EXPECT_EQ(cfg.s3.tls_ca_path, "/ca");
  EXPECT_EQ(cfg.s3.bucket_lookup, S3BucketLookup::kAuto);
  for (const char* key :
       {"storage.trace.s3.bucket", "storage.trace.s3.endpoint",
        "storage.trace.s3.secret_key", "storage.trace.s3.part_size",
        "storage.trace.s3.forcepathstyle"}) {
    EXPECT_THAT(cfg.unsupported, Not(Contains(key)));
  }
  for (const char* key :
       {"storage.trace.s3.sse", "storage.trace.s3.tags",
        "storage.trace.s3.metadata", "storage.trace.s3.signature_v2",
        "storage.trace.s3.hedge_requests_at",
        "storage.trace.s3.tls_server_name",
        "storage.trace.s3.list_blocks_concurrency"}) {
    EXPECT_THAT(cfg.unsupported, Contains(key));
  }
  EXPECT_THAT(cfg.unsupported, Contains("distributor.receivers.kafka"));
  // The overrides section is read by lib/tenant/overrides_yaml (issue 12).
  EXPECT_THAT(cfg.unsupported,
              Not(Contains("overrides.per_tenant_override_period")));
  EXPECT_THAT(cfg.unsupported,
              Contains("overrides.defaults.read.max_metrics_duration"));
  EXPECT_THAT(cfg.unsupported, Not(Contains("storage.trace.block.version")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("memberlist")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("ingester.lifecycler")));

  Config legacy = MustParse(ReadTestData("tempo_legacy_overrides.yaml"));
  EXPECT_EQ(legacy.store.ingester.max_bytes_per_trace, 5'000'000u);
  EXPECT_THAT(legacy.unsupported, Not(Contains("overrides.block_retention")));
  EXPECT_GT(legacy.overrides_block_retention, absl::ZeroDuration());
  EXPECT_THAT(
      legacy.unsupported,
      Contains("overrides.metrics_generator_processor_local_blocks_max_live_"
               "traces"));
}

// --- strictness ------------------------------------------------------------

TEST(ConfigTest, UnknownKeyNamesThePath) {
  std::string err =
      ParseError("compactor:\n  compaction:\n    blok_retention: 1h\n");
  EXPECT_THAT(err, HasSubstr("field blok_retention not found in type "
                             "compactor.compaction"));
  EXPECT_THAT(err, HasSubstr("compactor.compaction.blok_retention"));
  EXPECT_THAT(err, HasSubstr("line 3"));

  EXPECT_THAT(ParseError("servr:\n  http_listen_port: 1\n"),
              HasSubstr("field servr not found"));
  EXPECT_THAT(ParseError("log_level: info\n"),
              HasSubstr("field log_level not found"));
  EXPECT_THAT(
      ParseError("distributor:\n  receivers:\n    otlp:\n      protocols:\n"
                 "        grpcc:\n"),
      HasSubstr("distributor.receivers.otlp.protocols.grpcc"));
  EXPECT_THAT(ParseError("storage:\n  trace:\n    s3:\n      buckett: x\n"),
              HasSubstr("storage.trace.s3.buckett"));
}

TEST(ConfigTest, DuplicateKeyIsAnError) {
  EXPECT_THAT(ParseError("server:\n  http_listen_port: 1\n"
                         "  http_listen_port: 2\n"),
              HasSubstr("key \"http_listen_port\" already set in map server"));
  EXPECT_THAT(ParseError("server: {}\nserver: {}\n"), HasSubstr("already set"));
}

TEST(ConfigTest, MergeKeysAndAnchors) {
  Config cfg = MustParse(
      "distributor:\n  receivers:\n    otlp:\n      protocols:\n"
      "        grpc: &ep\n          endpoint: 0.0.0.0:9999\n"
      "        http:\n          <<: *ep\n          endpoint: 0.0.0.0:4318\n"
      "    zipkin:\n      <<: *ep\n");
  EXPECT_EQ(cfg.receivers.otlp_grpc.endpoint, "0.0.0.0:9999");
  EXPECT_EQ(cfg.receivers.otlp_http.endpoint, "0.0.0.0:4318");
  EXPECT_EQ(cfg.receivers.zipkin.endpoint, "0.0.0.0:9999");
  EXPECT_THAT(ParseError("server:\n  <<: 5\n"), HasSubstr("map merge"));
}

TEST(ConfigTest, YamlSyntaxErrorIsWrapped) {
  EXPECT_THAT(ParseError("server: [1\n"), HasSubstr("yaml: line"));
  EXPECT_THAT(ParseError("server:\n  http_listen_port: [1, 2]\n"),
              HasSubstr("cannot unmarshal !!seq into int"));
  EXPECT_THAT(ParseError("server: 5\n"), HasSubstr("server"));
  EXPECT_THAT(ParseError("- a\n- b\n"), HasSubstr("cannot unmarshal"));
}

TEST(ConfigTest, EmptyDocumentIsDefaultsWithoutReceivers) {
  for (const char* doc : {"", "# only a comment\n", "---\n"}) {
    Config cfg = MustParse(doc);
    EXPECT_FALSE(cfg.receivers.otlp_grpc.enabled) << doc;
    EXPECT_FALSE(cfg.receivers.zipkin.enabled) << doc;
    EXPECT_EQ(cfg.server.http_listen_port, 3200);
    EXPECT_EQ(cfg.backend, "local");
    EXPECT_TRUE(cfg.unsupported.empty());
  }
}

// --- scalars ---------------------------------------------------------------

TEST(ConfigTest, Yaml11Booleans) {
  for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y",
                        "on", "On", "ON"}) {
    Config cfg = MustParse(std::string("multitenancy_enabled: ") + t + "\n");
    EXPECT_TRUE(cfg.multitenancy_enabled) << t;
  }
  for (const char* f : {"false", "False", "no", "NO", "n", "off", "Off"}) {
    Config cfg = MustParse(std::string("ingester:\n  flush_all_on_shutdown: ") +
                           f + "\n");
    EXPECT_FALSE(cfg.store.ingester.flush_all_on_shutdown) << f;
  }
  EXPECT_THAT(ParseError("multitenancy_enabled: \"true\"\n"),
              HasSubstr("cannot unmarshal !!str"));
  EXPECT_THAT(ParseError("multitenancy_enabled: maybe\n"),
              HasSubstr("into bool"));
}

TEST(ConfigTest, AuthEnabledIsAnAlias) {
  EXPECT_TRUE(MustParse("auth_enabled: true\n").multitenancy_enabled);
  EXPECT_TRUE(MustParse("auth_enabled: true\nmultitenancy_enabled: false\n")
                  .multitenancy_enabled);
  EXPECT_FALSE(MustParse("auth_enabled: false\n").multitenancy_enabled);
}

TEST(ConfigTest, Integers) {
  EXPECT_EQ(MustParse("ingester:\n  max_block_bytes: 1_000_000\n")
                .store.ingester.max_block_bytes,
            1'000'000u);
  EXPECT_EQ(MustParse("ingester:\n  max_block_bytes: 0x10\n")
                .store.ingester.max_block_bytes,
            16u);
  EXPECT_EQ(MustParse("ingester:\n  max_block_bytes: 1e6\n")
                .store.ingester.max_block_bytes,
            1'000'000u);
  EXPECT_THAT(ParseError("ingester:\n  max_block_bytes: -1\n"),
              HasSubstr("into uint64"));
  EXPECT_THAT(ParseError("ingester:\n  max_block_bytes: 10MiB\n"),
              HasSubstr("ingester.max_block_bytes"));
  EXPECT_THAT(ParseError("server:\n  http_listen_port: \"3200\"\n"),
              HasSubstr("cannot unmarshal !!str"));
  EXPECT_THAT(ParseError("server:\n  http_listen_port: 70000\n"),
              HasSubstr("out of range"));
  EXPECT_THAT(ParseError("server:\n  grpc_listen_port: -1\n"),
              HasSubstr("out of range"));
  EXPECT_EQ(
      MustParse("server:\n  http_listen_port: 0\n").server.http_listen_port, 0);
}

TEST(ConfigTest, Floats) {
  EXPECT_DOUBLE_EQ(MustParse("storage:\n  trace:\n    block:\n"
                             "      bloom_filter_false_positive: .05\n")
                       .store.block.bloom_filter_false_positive,
                   0.05);
  EXPECT_DOUBLE_EQ(MustParse("storage:\n  trace:\n    block:\n"
                             "      bloom_filter_false_positive: 5e-3\n")
                       .store.block.bloom_filter_false_positive,
                   0.005);
  EXPECT_THAT(ParseError("storage:\n  trace:\n    block:\n"
                         "      bloom_filter_false_positive: 1\n"),
              HasSubstr("between 0 and 1"));
  EXPECT_THAT(ParseError("storage:\n  trace:\n    block:\n"
                         "      bloom_filter_false_positive: 0\n"),
              HasSubstr("between 0 and 1"));
  EXPECT_THAT(ParseError("query_frontend:\n  search:\n"
                         "    throughput_bytes_slo: lots\n"),
              HasSubstr("into float64"));
}

TEST(ConfigTest, GoDurations) {
  auto idle = [](const std::string& v) {
    return MustParse("ingester:\n  trace_idle_period: " + v + "\n")
        .store.ingester.trace_idle_period;
  };
  EXPECT_EQ(idle("10s"), absl::Seconds(10));
  EXPECT_EQ(idle("1h30m"), absl::Minutes(90));
  EXPECT_EQ(idle("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(idle("300ms"), absl::Milliseconds(300));
  EXPECT_EQ(idle("2us"), absl::Microseconds(2));
  EXPECT_EQ(idle("2µs"), absl::Microseconds(2));
  EXPECT_EQ(idle("0"), absl::ZeroDuration());
  EXPECT_EQ(idle("\"5m\""), absl::Minutes(5));
  // A bare integer is nanoseconds, as in Tempo.
  EXPECT_EQ(idle("10"), absl::Nanoseconds(10));
  EXPECT_THAT(ParseError("ingester:\n  trace_idle_period: 14d\n"),
              HasSubstr("unknown unit \"d\""));
  EXPECT_THAT(ParseError("ingester:\n  trace_idle_period: 14d\n"),
              HasSubstr("ingester.trace_idle_period"));
  EXPECT_THAT(ParseError("ingester:\n  trace_idle_period: \"10\"\n"),
              HasSubstr("missing unit"));
  EXPECT_THAT(ParseError("ingester:\n  trace_idle_period: s\n"),
              HasSubstr("invalid duration"));
  EXPECT_THAT(ParseError("compactor:\n  compaction:\n"
                         "    block_retention: 7d\n"),
              HasSubstr("unknown unit"));
  EXPECT_EQ(MustParse("shutdown_delay: 2m\n").shutdown_delay, absl::Minutes(2));
}

TEST(ConfigTest, PrometheusDurationsInOverrides) {
  Config cfg = MustParse(
      "overrides:\n  defaults:\n    compaction:\n      block_retention: 14d\n"
      "    read:\n      max_search_duration: 1w\n"
      "  per_tenant_override_period: 10s\n");
  EXPECT_EQ(cfg.overrides_block_retention, absl::Hours(14 * 24));
  EXPECT_EQ(MustParse("overrides:\n  block_retention: 1d12h\n")
                .overrides_block_retention,
            absl::Hours(36));
  MustParse("overrides:\n  block_retention: 0\n");
  EXPECT_THAT(ParseError("overrides:\n  block_retention: 1.5d\n"),
              HasSubstr("not a valid duration"));
  EXPECT_THAT(ParseError("overrides:\n  block_retention: 12h1d\n"),
              HasSubstr("not a valid duration"));
}

// --- receivers ---------------------------------------------------------------

TEST(ConfigTest, ReceiversEnabledOnlyWhenPresent) {
  Config cfg = MustParse(
      "distributor:\n  receivers:\n    otlp:\n      protocols:\n"
      "        http:\n");
  EXPECT_TRUE(cfg.receivers.otlp_http.enabled);
  EXPECT_EQ(cfg.receivers.otlp_http.endpoint, "localhost:4318");
  EXPECT_FALSE(cfg.receivers.otlp_grpc.enabled);
  EXPECT_FALSE(cfg.receivers.jaeger_grpc.enabled);
  EXPECT_FALSE(cfg.receivers.jaeger_thrift_http.enabled);
  EXPECT_FALSE(cfg.receivers.jaeger_thrift_compact.enabled);
  EXPECT_FALSE(cfg.receivers.jaeger_thrift_binary.enabled);
  EXPECT_FALSE(cfg.receivers.zipkin.enabled);

  Config none = MustParse("server:\n  http_listen_port: 3200\n");
  EXPECT_FALSE(none.receivers.otlp_grpc.enabled);
  EXPECT_FALSE(none.receivers.otlp_http.enabled);
}

TEST(ConfigTest, ReceiverOptions) {
  Config cfg = MustParse(
      "distributor:\n  receivers:\n    otlp:\n      protocols:\n"
      "        grpc:\n          endpoint: 0.0.0.0:4317\n"
      "          max_recv_msg_size_mib: 64\n"
      "          tls:\n            cert_file: /c\n"
      "        http:\n          endpoint: \"[::1]:4318\"\n"
      "          traces_url_path: /otlp/v1/traces\n"
      "          max_request_body_size: 1048576\n"
      "    zipkin: {}\n");
  EXPECT_EQ(cfg.receivers.otlp_grpc.endpoint, "0.0.0.0:4317");
  EXPECT_EQ(cfg.receivers.otlp_grpc_max_recv_msg_size, 64u << 20);
  EXPECT_EQ(cfg.receivers.otlp_http.endpoint, "[::1]:4318");
  EXPECT_EQ(cfg.receivers.otlp_http_traces_url_path, "/otlp/v1/traces");
  EXPECT_EQ(cfg.receivers.otlp_http_max_request_body_size, 1048576u);
  EXPECT_TRUE(cfg.receivers.zipkin.enabled);
  EXPECT_THAT(cfg.unsupported,
              Contains("distributor.receivers.otlp.protocols.grpc.tls"));

  EXPECT_THAT(ParseError("distributor:\n  receivers:\n    otlp:\n"
                         "      protocols:\n        grpc:\n"
                         "          endpoint: 0.0.0.0\n"),
              HasSubstr("host:port"));
  EXPECT_THAT(ParseError("distributor:\n  receivers:\n    otlp:\n"),
              HasSubstr("at least one protocol"));
  EXPECT_THAT(ParseError("distributor:\n  receivers:\n    jaeger:\n"
                         "      protocols:\n"),
              HasSubstr("at least one protocol"));
}

TEST(ConfigTest, DefaultConfigEnablesEveryReceiver) {
  Config cfg = DefaultConfig();
  const std::pair<const Listener*, const char*> want[] = {
      {&cfg.receivers.otlp_grpc, "localhost:4317"},
      {&cfg.receivers.otlp_http, "localhost:4318"},
      {&cfg.receivers.jaeger_grpc, "localhost:14250"},
      {&cfg.receivers.jaeger_thrift_http, "localhost:14268"},
      {&cfg.receivers.jaeger_thrift_compact, "localhost:6831"},
      {&cfg.receivers.jaeger_thrift_binary, "localhost:6832"},
      {&cfg.receivers.zipkin, "localhost:9411"},
  };
  for (const auto& [l, ep] : want) {
    EXPECT_TRUE(l->enabled) << ep;
    EXPECT_EQ(l->endpoint, ep);
  }
  EXPECT_EQ(cfg.backend, "local");
  EXPECT_EQ(cfg.local_path, "./data/blocks");
  EXPECT_EQ(cfg.store.wal.path, "./data/wal");
  EXPECT_EQ(cfg.target, "all");
  EXPECT_TRUE(cfg.unsupported.empty());
}

// --- other validation
// ---------------------------------------------------------

TEST(ConfigTest, Validation) {
  EXPECT_THAT(ParseError("http_api_prefix: tempo\n"), HasSubstr("'/'"));
  EXPECT_EQ(MustParse("http_api_prefix: /tempo\n").http_api_prefix, "/tempo");
  EXPECT_THAT(ParseError("storage:\n  trace:\n    backend: ftp\n"),
              HasSubstr("unknown backend"));
  EXPECT_THAT(ParseError("server:\n  log_level: verbose\n"),
              HasSubstr("log level"));
  EXPECT_THAT(ParseError("target: everything\n"), HasSubstr("module"));
  EXPECT_EQ(MustParse("target: scalable-single-binary\n").target,
            "scalable-single-binary");
  for (const char* v :
       {"vParquet", "vParquet2", "vParquet3", "vParquet4", "vParquet5", "v2"}) {
    MustParse(std::string("storage:\n  trace:\n    block:\n      version: ") +
              v + "\n");
  }
  EXPECT_THAT(ParseError("storage:\n  trace:\n    block:\n      version: v9\n"),
              HasSubstr("block version"));
}

TEST(ConfigTest, MaxBytesPerTraceBothForms) {
  EXPECT_EQ(MustParse("overrides:\n  defaults:\n    global:\n"
                      "      max_bytes_per_trace: 123\n")
                .store.ingester.max_bytes_per_trace,
            123u);
  EXPECT_EQ(MustParse("overrides:\n  max_bytes_per_trace: 456\n"
                      "  ingestion_rate_limit_bytes: 1\n"
                      "  metrics_generator_processor_span_metrics_dimensions:"
                      " [a]\n")
                .store.ingester.max_bytes_per_trace,
            456u);
}

TEST(ConfigTest, UnsupportedKeysListedOnceInDocumentOrder) {
  Config cfg = MustParse(
      "compactor:\n  compaction:\n    max_time_per_tenant: 5m\n"
      "    v2_prefetch_traces_count: 1000\n"
      "memberlist:\n  join_members: [a]\n"
      "metrics_generator:\n  traces_storage:\n    path: /x\n");
  const std::vector<std::string> want = {
      "compactor.compaction.max_time_per_tenant",
      "compactor.compaction.v2_prefetch_traces_count",
      "metrics_generator.traces_storage"};
  EXPECT_EQ(cfg.unsupported, want);
}

// --- flags -------------------------------------------------------------------

TEST(FlagsTest, GoFlagSyntax) {
  absl::StatusOr<Flags> f = Parse({"-config.file=/etc/tempo.yaml"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->config_file, "/etc/tempo.yaml");
  EXPECT_FALSE(f->expand_env);

  f = Parse({"--config.file", "/a.yaml", "-config.expand-env=true",
             "-config.verify"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->config_file, "/a.yaml");
  EXPECT_TRUE(f->expand_env);
  EXPECT_TRUE(f->verify);

  f = Parse({"-config.expand-env", "-config.expand-env=false", "-version"});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->expand_env);
  EXPECT_TRUE(f->version);

  f = Parse({"-target=scalable-single-binary"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->target, "scalable-single-binary");

  f = Parse({});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->config_file.has_value());
  EXPECT_EQ(f->target, "all");
}

TEST(FlagsTest, CompatibilityFlags) {
  absl::StatusOr<Flags> f =
      Parse({"-config.file=", "-mem-ballast-size-mbs=1024"});
  ASSERT_TRUE(f.ok()) << f.status();
  // An empty -config.file means no file, as in Tempo.
  absl::StatusOr<Config> cfg = LoadConfig(*f, FakeEnv({}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_TRUE(cfg->receivers.otlp_grpc.enabled);

  f = Parse({"-storage.trace.backend=s3", "-multitenancy.enabled=false"});
  ASSERT_TRUE(f.ok()) << f.status();
  cfg = LoadConfig(*f, FakeEnv({}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->backend, "s3");
  EXPECT_THAT(cfg->unsupported, Not(Contains("storage.trace.backend: s3")));
  EXPECT_FALSE(cfg->multitenancy_enabled);
}

TEST(FlagsTest, Errors) {
  absl::StatusOr<Flags> f = Parse({"-config.fil=/x"});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()),
              HasSubstr("flag provided but not defined: -config.fil"));
  f = Parse({"-config.file"});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()),
              HasSubstr("flag needs an argument"));
  f = Parse({"-config.expand-env=maybe"});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("invalid boolean"));
  // Boolean flags never consume the next argument.
  f = Parse({"-config.expand-env", "true"});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()),
              HasSubstr("unexpected argument \"true\""));
  f = Parse({"---x"});
  ASSERT_FALSE(f.ok());
}

TEST(FlagsTest, FieldFlagsWinOverTheFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "andante_config_flags_test.yaml";
  {
    std::ofstream out(path);
    out << "server:\n  http_listen_port: 3200\n"
           "storage:\n  trace:\n    backend: s3\n    wal:\n"
           "      path: /from/file\n"
           "target: querier\n";
  }
  absl::StatusOr<Flags> f =
      Parse({"-config.file", path.c_str(), "-server.http-listen-port=3300",
             "-storage.trace.backend", "local", "--storage.trace.wal.path=/w",
             "-multitenancy.enabled", "-log.level=debug"});
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<Config> cfg = LoadConfig(*f, FakeEnv({}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->server.http_listen_port, 3300);
  EXPECT_EQ(cfg->backend, "local");
  EXPECT_THAT(cfg->unsupported, Not(Contains("storage.trace.backend: s3")));
  EXPECT_EQ(cfg->store.wal.path, "/w");
  EXPECT_TRUE(cfg->multitenancy_enabled);
  EXPECT_EQ(cfg->server.log_level, "debug");
  EXPECT_EQ(cfg->target, "querier");  // from the file: no -target given

  f = Parse({"-config.file", path.c_str(), "-target=all"});
  ASSERT_TRUE(f.ok());
  cfg = LoadConfig(*f, FakeEnv({}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->target, "all");

  f = Parse({"-server.http-listen-port=http"});
  ASSERT_TRUE(f.ok());
  cfg = LoadConfig(*f, FakeEnv({}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(std::string(cfg.status().message()),
              HasSubstr("-server.http-listen-port"));
  std::filesystem::remove(path);
}

// --- LoadConfig
// -----------------------------------------------------------------

TEST(LoadConfigTest, NoFileIsDefaults) {
  absl::StatusOr<Config> cfg = LoadConfig(Flags(), FakeEnv({}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->receivers.otlp_grpc.enabled);
  EXPECT_TRUE(cfg->receivers.zipkin.enabled);
}

TEST(LoadConfigTest, MissingFile) {
  Flags flags;
  flags.config_file = "/nonexistent/tempo.yaml";
  absl::StatusOr<Config> cfg = LoadConfig(flags, FakeEnv({}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(std::string(cfg.status().message()),
            "failed parsing config: open /nonexistent/tempo.yaml: no such "
            "file or directory");
}

TEST(LoadConfigTest, ExpandsOnlyWhenAsked) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "andante_config_env_test.yaml";
  {
    std::ofstream out(path);
    out << "storage:\n  trace:\n    local:\n"
           "      path: ${BLOCKS:-/default/blocks}\n";
  }
  Flags flags;
  flags.config_file = path.string();
  absl::StatusOr<Config> cfg = LoadConfig(flags, FakeEnv({{"BLOCKS", "/b"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->local_path, "${BLOCKS:-/default/blocks}");

  flags.expand_env = true;
  cfg = LoadConfig(flags, FakeEnv({{"BLOCKS", "/b"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->local_path, "/b");
  cfg = LoadConfig(flags, FakeEnv({}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->local_path, "/default/blocks");

  {
    std::ofstream out(path);
    out << "target: ${TARGET-all}\n";
  }
  cfg = LoadConfig(flags, FakeEnv({}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(std::string(cfg.status().message()),
              HasSubstr("failed parsing config:"));
  EXPECT_THAT(std::string(cfg.status().message()),
              HasSubstr("missing closing brace"));
  std::filesystem::remove(path);
}

TEST(LoadConfigTest, ParseErrorNamesFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "andante_config_bad_test.yaml";
  {
    std::ofstream out(path);
    out << "storage:\n  trace:\n    retention: 1h\n";
  }
  Flags flags;
  flags.config_file = path.string();
  absl::StatusOr<Config> cfg = LoadConfig(flags, FakeEnv({}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(std::string(cfg.status().message()),
              HasSubstr("failed parsing config: " + path.string()));
  EXPECT_THAT(std::string(cfg.status().message()),
              HasSubstr("storage.trace.retention"));
  std::filesystem::remove(path);
}

TEST(ConfigTest, CompactorAndBlocklistKeys) {
  Config cfg = MustParse(
      "compactor:\n  disabled: true\n  compaction:\n"
      "    block_retention: 48h\n    compacted_block_retention: 30m\n"
      "    compaction_window: 2h\n    max_compaction_objects: 1000\n"
      "    max_block_bytes: 1048576\n    retention_concurrency: 3\n"
      "    compaction_cycle: 0s\n    v2_in_buffer_bytes: 4096\n"
      "  ring:\n    instance_id: andante-1\n"
      "    instance_ring: \"andante-0, andante-1,andante-2\"\n"
      "    kvstore: {store: memberlist}\n"
      "storage:\n  trace:\n    blocklist_poll: 45s\n"
      "    blocklist_poll_fallback: false\n"
      "    blocklist_poll_tenant_index_builders: 1\n"
      "    blocklist_poll_stale_tenant_index: 10m\n");
  EXPECT_TRUE(cfg.compactor_disabled);
  EXPECT_EQ(cfg.compaction.block_retention, absl::Hours(48));
  EXPECT_EQ(cfg.compaction.compacted_block_retention, absl::Minutes(30));
  EXPECT_EQ(cfg.compaction.compaction_window, absl::Hours(2));
  EXPECT_EQ(cfg.compaction.max_compaction_objects, 1000u);
  EXPECT_EQ(cfg.compaction.max_block_bytes, 1048576u);
  EXPECT_EQ(cfg.compaction.retention_concurrency, 3);
  EXPECT_EQ(cfg.compaction.compaction_cycle, absl::Seconds(30));  // 0: default
  EXPECT_EQ(cfg.compaction.v2_in_buffer_bytes, 4096u);
  EXPECT_EQ(cfg.instance_id, "andante-1");
  EXPECT_EQ(cfg.instance_ring,
            (std::vector<std::string>{"andante-0", "andante-1", "andante-2"}));
  EXPECT_EQ(cfg.store.blocklist.blocklist_poll, absl::Seconds(45));
  EXPECT_FALSE(cfg.store.blocklist.blocklist_poll_fallback);
  EXPECT_EQ(cfg.store.blocklist.blocklist_poll_tenant_index_builders, 1);
  EXPECT_EQ(cfg.store.blocklist.blocklist_poll_stale_tenant_index,
            absl::Minutes(10));
  EXPECT_THAT(cfg.unsupported, Not(Contains("compactor.disabled")));
  EXPECT_THAT(cfg.unsupported, Not(Contains("storage.trace.blocklist_poll")));

  EXPECT_THAT(ParseError("compactor:\n  compaction:\n"
                         "    compaction_window: 0s\n"),
              HasSubstr("compaction window can't be 0"));
  EXPECT_THAT(ParseError("storage:\n  trace:\n    blocklist_poll: 0s\n"),
              HasSubstr("storage.trace.blocklist_poll"));
}

}  // namespace
}  // namespace andante

namespace andante {
namespace {

// Andante's own keys for StoreOptions and CompactionOptions fields Tempo has
// no key for (docs/configuration.md, "Andante extensions").
// Flush workers (Tempo's ingester.concurrent_flushes), the trace index
// bound and the flush retry backoff (docs/configuration.md).
TEST(ConfigTest, FlushWorkerAndBackoffKeys) {
  absl::StatusOr<Config> cfg = ParseConfig(
      "ingester:\n  concurrent_flushes: 3\n"
      "  max_trace_index_bytes: 1048576\n"
      "  flush_retry_min_backoff: 250ms\n  flush_retry_max_backoff: 2m\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const IngesterOptions& ing = cfg->store.ingester;
  EXPECT_EQ(ing.concurrent_flushes, 3);
  EXPECT_EQ(ing.max_trace_index_bytes, 1048576u);
  EXPECT_EQ(ing.flush_retry_min_backoff, absl::Milliseconds(250));
  EXPECT_EQ(ing.flush_retry_max_backoff, absl::Minutes(2));
  EXPECT_FALSE(ParseConfig("ingester:\n  concurrent_flushes: -1\n").ok());
  EXPECT_FALSE(ParseConfig("ingester:\n  flush_retry_min_backoff: 0s\n").ok());
  // Defaults: one worker per core (resolved by the store), 64 MiB, 1s / 1m.
  absl::StatusOr<Config> defaults = ParseConfig("");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->store.ingester.concurrent_flushes, 0);
  EXPECT_EQ(defaults->store.ingester.max_trace_index_bytes, 64u << 20);
  EXPECT_EQ(defaults->store.ingester.flush_retry_min_backoff, absl::Seconds(1));
  EXPECT_EQ(defaults->store.ingester.flush_retry_max_backoff, absl::Minutes(1));
}

TEST(ConfigTest, AndanteExtensionKeys) {
  absl::StatusOr<Config> cfg = ParseConfig(
      "ingester:\n  max_pending_block_bytes: 123456\n"
      "compactor:\n  compaction:\n    min_input_blocks: 3\n"
      "    max_input_blocks: 5\n    incomplete_block_timeout: 2h\n"
      "storage:\n  trace:\n    block_cache_bytes: 1048576\n"
      "    wal:\n      fsync: always\n      fsync_interval: 250ms\n"
      "      segment_bytes: 8388608\n      max_open_files: 7\n"
      "      sync_threads: 3\n"
      "    block:\n      page_size_bytes: 262144\n      zstd_level: 6\n"
      "    s3:\n      max_retries: 2\n      min_backoff: 50ms\n"
      "      max_backoff: 2s\n      connect_timeout: 3s\n"
      "      request_timeout: 20s\n      list_max_keys: 500\n"
      "      list_objects_v1: true\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const StoreOptions& st = cfg->store;
  EXPECT_EQ(st.ingester.max_pending_block_bytes, 123456u);
  EXPECT_EQ(st.block_cache_bytes, 1048576u);
  EXPECT_EQ(st.wal.fsync, WalFsync::kAlways);
  EXPECT_EQ(st.wal.fsync_interval, absl::Milliseconds(250));
  EXPECT_EQ(st.wal.segment_bytes, 8388608u);
  EXPECT_EQ(st.wal.max_open_files, 7u);
  EXPECT_EQ(st.wal.sync_threads, 3);
  EXPECT_EQ(st.block.page_size_bytes, 262144u);
  EXPECT_EQ(st.block.zstd_level, 6);
  EXPECT_EQ(cfg->compaction.min_input_blocks, 3);
  EXPECT_EQ(cfg->compaction.max_input_blocks, 5);
  EXPECT_EQ(cfg->compaction.incomplete_block_timeout, absl::Hours(2));
  EXPECT_EQ(cfg->s3.max_retries, 2);
  EXPECT_EQ(cfg->s3.min_backoff, absl::Milliseconds(50));
  EXPECT_EQ(cfg->s3.max_backoff, absl::Seconds(2));
  EXPECT_EQ(cfg->s3.connect_timeout, absl::Seconds(3));
  EXPECT_EQ(cfg->s3.request_timeout, absl::Seconds(20));
  EXPECT_EQ(cfg->s3.list_max_keys, 500);
  EXPECT_TRUE(cfg->s3.list_objects_v1);
  EXPECT_TRUE(cfg->unsupported.empty());

  // Defaults stay when the keys are absent.
  absl::StatusOr<Config> plain = ParseConfig("");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->store.wal.fsync, StoreOptions().wal.fsync);
  EXPECT_EQ(plain->store.block_cache_bytes, StoreOptions().block_cache_bytes);

  auto error = [](std::string_view yaml) {
    absl::StatusOr<Config> c = ParseConfig(yaml);
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  EXPECT_THAT(error("storage:\n  trace:\n    wal:\n      fsync: sometimes\n"),
              HasSubstr("unknown fsync policy \"sometimes\""));
  EXPECT_THAT(error("storage:\n  trace:\n    block:\n      zstd_level: 30\n"),
              HasSubstr("storage.trace.block.zstd_level: must be between"));
  EXPECT_THAT(error("storage:\n  trace:\n    wal:\n      sync_threads: 0\n"),
              HasSubstr("line 4"));
  EXPECT_THAT(error("compactor:\n  compaction:\n    min_input_blocks: 9\n"),
              HasSubstr("must not exceed max_input_blocks (8)"));
}

// The metrics generator's blocks are strict too, and say where.
TEST(ConfigTest, GeneratorUnknownKeyNamesKeyAndLine) {
  absl::StatusOr<Config> cfg = ParseConfig(
      "metrics_generator:\n  processor:\n    span_metrics:\n"
      "      dimensons: [a]\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.status().message(),
              HasSubstr("metrics_generator.processor.span_metrics.dimensons"));
  EXPECT_THAT(cfg.status().message(), HasSubstr("line 4"));
}

}  // namespace
}  // namespace andante
