// -----------------------------------------------------------------------------
// File: config.h
// -----------------------------------------------------------------------------
//
// Tempo's configuration file, tempo.yaml, loaded into typed options: an
// embedding program (or the andante server) reads the file a Tempo user
// already has and gets the StoreOptions, the S3 options, the compactor's and
// the metrics generator's options, and the server and receiver sections.
//
// Loading follows Tempo: `${VAR}` expansion (drone/envsubst's dialect) when
// asked, go-yaml v2 scalar rules (YAML 1.1 booleans, Go durations) and strict
// keys. A key that Tempo documents but Andante does not implement is accepted
// and listed in Config::unsupported; a key Tempo does not know is an error
// naming the key and its line, as Tempo's yaml.UnmarshalStrict does:
//
//   line 12: field trace_idel_period not found in type ingester
//   (key ingester.trace_idel_period)
//
// Example:
//
//   andante::ConfigLoadOptions load;
//   load.expand_env = true;            // -config.expand-env=true
//   load.env = andante::ProcessEnv();  // or a map, in tests
//   absl::StatusOr<andante::Config> config =
//       andante::LoadConfigFile("/etc/tempo/tempo.yaml", load);
//   if (!config.ok()) return config.status();  // names the key and line
//   andante::StoreOptions options = config->store;  // WAL, blocks, ingester
//   ...
//   // What Tempo's GET /status/config shows, secrets masked:
//   std::string yaml = andante::RenderConfigYaml(*config);
//
// Everything here is a value type; the functions are thread-compatible and
// keep no state.
#ifndef ANDANTE_CONFIG_H_
#define ANDANTE_CONFIG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/compaction.h"
#include "andante/metrics_generator.h"
#include "andante/limits.h"
#include "andante/options.h"
#include "andante/remote_write.h"
#include "andante/s3.h"

namespace andante {

// One network listener of a receiver. `endpoint` is "host:port" as in
// collector configs ("0.0.0.0:4317", "localhost:4318", ":4317",
// "tempo:4317", "[::1]:4317").
struct Listener {
  // True when the file names the receiver (a config file enables only the
  // receivers it lists; DefaultConfig() enables all).
  bool enabled = false;
  std::string endpoint;
};

// The Jaeger agent's UDP server settings (collector defaults).
struct UdpSettings {
  int queue_size = 1000;         // datagrams waiting for a worker
  int max_packet_size = 65000;   // larger datagrams are dropped
  int workers = 10;              // decoding threads
  int socket_buffer_size = 0;    // SO_RCVBUF bytes; 0 = 8 MiB (kernel-capped)
};

// tempo.yaml `server`: the query API's HTTP port and the gRPC port.
struct ServerSection {
  std::string http_listen_address;  // "" = all interfaces
  int http_listen_port = 3200;
  std::string grpc_listen_address;
  int grpc_listen_port = 9095;
  std::string log_level = "info";     // debug, info, warn, error
  std::string log_format = "logfmt";  // logfmt, json
  absl::Duration http_server_read_timeout = absl::Seconds(30);
  absl::Duration http_server_write_timeout = absl::Seconds(30);
  absl::Duration http_server_idle_timeout = absl::Minutes(2);
  absl::Duration graceful_shutdown_timeout = absl::Seconds(30);
  uint64_t grpc_server_max_recv_msg_size = 16 << 20;  // bytes
  bool register_instrumentation = true;
};

// tempo.yaml `distributor.receivers`: the OpenTelemetry Collector receiver
// settings Tempo embeds. Sizes are in bytes (the `_mib` keys converted).
struct ReceiversSection {
  Listener otlp_grpc;                // default endpoint localhost:4317
  uint64_t otlp_grpc_max_recv_msg_size = 4 << 20;  // max_recv_msg_size_mib
  Listener otlp_http;                // default endpoint localhost:4318
  std::string otlp_http_traces_url_path = "/v1/traces";
  uint64_t otlp_http_max_request_body_size = 20 << 20;
  Listener jaeger_grpc;              // localhost:14250
  uint64_t jaeger_grpc_max_recv_msg_size = 4 << 20;
  Listener jaeger_thrift_http;       // localhost:14268
  uint64_t jaeger_thrift_http_max_request_body_size = 20 << 20;
  Listener jaeger_thrift_compact;    // localhost:6831 (UDP)
  UdpSettings jaeger_thrift_compact_udp;
  Listener jaeger_thrift_binary;     // localhost:6832 (UDP)
  UdpSettings jaeger_thrift_binary_udp;
  Listener zipkin;                   // localhost:9411
  uint64_t zipkin_max_request_body_size = 20 << 20;
};

// tempo.yaml `metrics_generator` and the generator keys of `overrides` (new
// form `overrides.defaults.metrics_generator.*`, legacy
// `metrics_generator_*`).
struct GeneratorConfig {
  // True when the file has a metrics_generator section.
  bool enabled = false;
  // Processors, registry, span-metrics and service-graph settings.
  MetricsGeneratorOptions options;
  // True when some overrides entry lists processors. Otherwise the server
  // turns on span-metrics and service-graphs for every tenant (Tempo would
  // generate nothing; see docs/metrics-generator.md).
  bool processors_configured = false;
  // storage.remote_write entries.
  std::vector<RemoteWriteOptions> remote_write;
  std::string storage_path;  // storage.path
  // storage.remote_write_flush_deadline: how long a shutdown waits for the
  // queues to drain.
  absl::Duration flush_deadline = absl::Minutes(1);
  // metrics_generator_client (Andante only; Tempo finds its generators
  // through its ring): an instance with `endpoints` (base URLs of the OTLP/HTTP
  // receivers of -target=metrics-generator instances, "http://gen:4318")
  // forwards every accepted push there and runs no generator itself. Pushes
  // wait in a queue of `queue_size` per endpoint (full: dropped and counted);
  // one POST times out after `remote_timeout`. A tenant's pushes queued
  // within `batch_wait` of each other go in one POST (zero: no waiting).
  std::vector<std::string> forward_endpoints;
  int64_t forward_queue_size = 1000;
  absl::Duration forward_timeout = absl::Seconds(5);
  absl::Duration forward_batch_wait = absl::Milliseconds(100);
  // overrides.per_tenant_override_config: the per-tenant overrides file.
  std::string tenant_overrides_path;
  // Accepted keys whose feature is not implemented (e.g.
  // "metrics_generator.processor.span_metrics.filter_policies"); they are
  // also in Config::unsupported.
  std::vector<std::string> unsupported;
};

// A whole tempo.yaml. Field names follow the keys; where the key lives is
// said when it is not obvious.
struct Config {
  ServerSection server;
  ReceiversSection receivers;
  bool multitenancy_enabled = false;  // also `auth_enabled`
  // The gRPC query API (StreamingQuerier) also on the HTTP port, as
  // cleartext HTTP/2 next to HTTP/1.1.
  bool stream_over_http_enabled = false;
  std::string http_api_prefix;        // "" or "/prefix"
  absl::Duration shutdown_delay = absl::ZeroDuration();
  // -target / `target`: "all" or a comma-separated list of Tempo modules.
  std::string target = "all";

  // storage.trace.backend: "local" or "s3" ("gcs", "azure" are accepted and
  // listed in `unsupported`).
  std::string backend = "local";
  std::string local_path = "./data/blocks";  // storage.trace.local.path
  // storage.trace.s3 (and storage.trace.pool), used when backend is "s3".
  S3Options s3;
  // wal, block, ingester and blocklist options (and the Andante extensions
  // of docs/configuration.md). The backend, compactor and overrides pointers
  // are left empty for the caller to create.
  StoreOptions store;
  // compactor: compactor.compaction.* one to one (retention_duration is an
  // alias of block_retention). A Compactor runs unless compactor.disabled;
  // instance_id and instance_ring (compactor.ring.*, default: the host name,
  // alone) belong in store.blocklist too.
  CompactionOptions compaction;
  bool compactor_disabled = false;
  std::string instance_id;  // empty: the host name
  std::vector<std::string> instance_ring;
  // overrides.defaults.compaction.block_retention (or the legacy
  // overrides.block_retention): when non-zero, every tenant's retention.
  absl::Duration overrides_block_retention = absl::ZeroDuration();
  // The whole `overrides` section (either form) as per-tenant limit
  // defaults, plus the per-tenant overrides file and its reload period.
  OverridesConfig overrides;

  // metrics_generator and the generator keys of overrides.
  GeneratorConfig metrics_generator;

  // Dotted paths of keys that were accepted but whose feature is not
  // implemented yet ("storage.trace.s3.sse", "metrics_generator.storage.wal"),
  // in document order, each once. A server warns about each.
  std::vector<std::string> unsupported;
};

// The embedded defaults: no config file. Every receiver is enabled on its
// default port, blocks under ./data/blocks and the WAL under ./data/wal.
Config DefaultConfig();

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// An EnvLookup over this process's environment (getenv).
EnvLookup ProcessEnv();

// Expands ${VAR}, ${VAR:-default} (and the other forms of drone/envsubst:
// ${#VAR}, ${VAR/a/b}, ${VAR#pat}, ${VAR:1:2}, ${VAR^^}, $$ escapes) in
// `text`. INVALID_ARGUMENT on malformed syntax ("missing closing brace").
absl::StatusOr<std::string> ExpandEnv(std::string_view text,
                                      const EnvLookup& env);

// Parses tempo.yaml text (already expanded) on top of DefaultConfig() minus
// the receivers (a config file enables only the receivers it names).
// INVALID_ARGUMENT naming the key and the line on unknown keys, duplicate
// keys, wrong types or bad values; yaml syntax errors name the line too.
absl::StatusOr<Config> ParseConfig(std::string_view yaml);

// How LoadConfigFile reads the file.
struct ConfigLoadOptions {
  // Expand ${VAR} in the file's text before parsing (-config.expand-env).
  bool expand_env = false;
  // The variables for expand_env. Null: every variable is unset.
  EnvLookup env;
};

// Reads, expands (when asked) and parses the file at `path`. Errors are
// INVALID_ARGUMENT prefixed with "failed parsing config: " and the path, as
// Tempo prints them ("failed parsing config: open x.yaml: no such file or
// directory").
absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      const ConfigLoadOptions& options);

// Which config RenderConfigYaml shows (Tempo's /status/config `mode`).
enum class ConfigView {
  kEffective,  // the whole effective config
  kDefaults,   // DefaultConfig()
  kDiff,       // only the keys whose value differs from DefaultConfig()
};

// The config as tempo.yaml text: every key Andante implements, in Tempo's
// sections, the new overrides form. Secrets (storage.trace.s3.secret_key and
// session_token, remote_write Authorization headers and basic-auth
// passwords, any key named like password, secret or token) print as
// "********". Parsing the text again gives the same config, secrets aside.
std::string RenderConfigYaml(const Config& config,
                             ConfigView view = ConfigView::kEffective);

// The body of Tempo's `GET /status/config?mode=<mode>`:
// "GET /status/config\n---\n" and RenderConfigYaml. `mode` is "" (the
// effective config), "defaults" or "diff"; anything else is INVALID_ARGUMENT
// "unknown value for mode query parameter: <mode>" (Tempo answers it 500).
absl::StatusOr<std::string> StatusConfigPage(const Config& config,
                                             std::string_view mode);

}  // namespace andante

#endif  // ANDANTE_CONFIG_H_
