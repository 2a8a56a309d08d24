// The andante server's configuration: Tempo's tempo.yaml, loaded the way
// Tempo loads it (flags -config.file / -config.expand-env, strict keys).
//
// Keys the server implements map onto Config. Keys of features that are not
// implemented yet are accepted and listed in Config::unsupported so the server
// can warn about them; unknown keys are an error naming the key, as Tempo's
// strict YAML unmarshalling does.
#ifndef ANDANTE_SERVER_CONFIG_H_
#define ANDANTE_SERVER_CONFIG_H_

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
#include "andante/options.h"
#include "andante/s3.h"
#include "generator_config.h"

namespace andante::server {

// One network listener. `endpoint` is "host:port" as in collector configs
// ("0.0.0.0:4317", "localhost:4318", ":4317", "tempo:4317").
struct Listener {
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

struct ServerSection {
  std::string http_listen_address;  // "" = all interfaces
  int http_listen_port = 3200;
  std::string grpc_listen_address;
  int grpc_listen_port = 9095;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  absl::Duration http_server_read_timeout = absl::Seconds(30);
  absl::Duration http_server_write_timeout = absl::Seconds(30);
  absl::Duration http_server_idle_timeout = absl::Minutes(2);
  absl::Duration graceful_shutdown_timeout = absl::Seconds(30);
  uint64_t grpc_server_max_recv_msg_size = 16 << 20;
  bool register_instrumentation = true;
};

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

struct Config {
  ServerSection server;
  ReceiversSection receivers;
  bool multitenancy_enabled = false;  // also `auth_enabled`
  // The gRPC query API (StreamingQuerier) also on the HTTP port, as
  // cleartext HTTP/2 next to HTTP/1.1.
  bool stream_over_http_enabled = false;
  std::string http_api_prefix;
  absl::Duration shutdown_delay = absl::ZeroDuration();
  std::string target = "all";

  // storage.trace
  std::string backend = "local";
  std::string local_path = "./data/blocks";
  // storage.trace.s3 (and storage.trace.pool), used when backend is "s3".
  S3Options s3;
  // wal, block and ingester options land in the store options; the backend
  // pointer is left empty for the server to create.
  StoreOptions store;
  // compactor: compactor.compaction.* one to one (retention_duration is an
  // alias of block_retention). The server opens a Compactor unless
  // compactor.disabled; instance_id and instance_ring (compactor.ring.*,
  // default: the host name, alone) land in store.blocklist too.
  CompactionOptions compaction;
  bool compactor_disabled = false;
  std::string instance_id;  // empty: the host name
  std::vector<std::string> instance_ring;
  // overrides.defaults.compaction.block_retention (or the legacy
  // overrides.block_retention): when non-zero, every tenant's retention.
  absl::Duration overrides_block_retention = absl::ZeroDuration();

  // metrics_generator and the generator keys of overrides.
  GeneratorConfig metrics_generator;

  // Dotted paths of keys that were accepted but whose feature is not
  // implemented yet ("storage.trace.s3.bucket", "metrics_generator").
  std::vector<std::string> unsupported;
};

// The embedded defaults: no config file. Every receiver (OTLP gRPC and HTTP
// now, Jaeger and Zipkin once implemented) is enabled on its default port,
// blocks under ./data/blocks and the WAL under ./data/wal.
Config DefaultConfig();

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// Expands ${VAR}, ${VAR:-default} (and the other forms of
// reference/config.md §1.2) in `text`. INVALID_ARGUMENT on malformed syntax.
absl::StatusOr<std::string> ExpandEnv(std::string_view text,
                                      const EnvLookup& env);

// Parses tempo.yaml text (already expanded) on top of DefaultConfig() minus
// the receivers (a config file enables only the receivers it names).
// INVALID_ARGUMENT naming the key on unknown keys, wrong types or bad values.
absl::StatusOr<Config> ParseConfig(std::string_view yaml);

// Command-line flags the server understands.
struct Flags {
  std::optional<std::string> config_file;  // -config.file=PATH
  bool expand_env = false;                 // -config.expand-env=true
  bool verify = false;                     // -config.verify=true
  bool version = false;                    // -version
  std::string target = "all";              // -target=all
  // Per-field flags given on the command line, in order, as (flag name
  // without dashes, value): {"server.http-listen-port", "3300"}. -target is
  // recorded here too. LoadConfig applies them after the file (flags win).
  std::vector<std::pair<std::string, std::string>> field_flags;
};

// Parses Go-flag-style arguments (-x=v, --x=v, -x v). Unknown flags are an
// error naming the flag.
absl::StatusOr<Flags> ParseFlags(int argc, const char* const* argv);

// Flags -> Config: reads and expands the file (if any) and parses it.
absl::StatusOr<Config> LoadConfig(const Flags& flags, const EnvLookup& env);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_CONFIG_H_
