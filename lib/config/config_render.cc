// Config -> tempo.yaml text, for Tempo's GET /status/config. The tree is
// built key by key from the typed Config (the schema in config.cc only
// reads), so what is shown is what the server runs with, defaults included.
// Values are written so that ParseConfig reads them back: Go durations for
// time.Duration keys, Prometheus durations for the overrides' model.Duration
// keys, the shortest decimal that round-trips for floats.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "andante/config.h"
#include "yaml-cpp/yaml.h"

namespace andante {
namespace {

constexpr char kMasked[] = "********";

// Go's time.Duration.String, with "us" for microseconds (both parsers here
// read it; absl's does not read "µs").
std::string GoDuration(absl::Duration d) {
  int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : ns;
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string out = absl::StrCat(v / unit);
    if (uint64_t rest = v % unit; rest != 0) {
      std::string digits = absl::StrCat(rest + unit).substr(1);  // zero-padded
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      absl::StrAppend(&out, ".", digits);
    }
    return out;
  };
  constexpr uint64_t kSecond = 1'000'000'000;
  if (u < 1000) return absl::StrCat(sign, u, "ns");
  if (u < 1'000'000) return absl::StrCat(sign, frac(u, 1000), "us");
  if (u < kSecond) return absl::StrCat(sign, frac(u, 1'000'000), "ms");
  std::string out = sign;
  const uint64_t hours = u / (3600 * kSecond);
  u %= 3600 * kSecond;
  const uint64_t minutes = u / (60 * kSecond);
  u %= 60 * kSecond;
  if (hours > 0) absl::StrAppend(&out, hours, "h");
  if (hours > 0 || minutes > 0) absl::StrAppend(&out, minutes, "m");
  absl::StrAppend(&out, frac(u, kSecond), "s");
  return out;
}

// Prometheus model.Duration.String: years and weeks only when exact.
std::string PromDuration(absl::Duration d) {
  int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms <= 0) return "0s";
  std::string out;
  auto unit = [&](const char* name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (int64_t v = ms / mult; v > 0) {
      absl::StrAppend(&out, v, name);
      ms -= v * mult;
    }
  };
  constexpr int64_t kDay = int64_t{1000} * 60 * 60 * 24;
  unit("y", kDay * 365, true);
  unit("w", kDay * 7, true);
  unit("d", kDay, false);
  unit("h", int64_t{1000} * 60 * 60, false);
  unit("m", int64_t{1000} * 60, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}

// The shortest %g that reads back as the same double.
std::string Float(double v) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string Bool(bool b) { return b ? "true" : "false"; }

YAML::Node Strings(const std::vector<std::string>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const std::string& s : v) n.push_back(s);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

YAML::Node Floats(const std::vector<double>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (double d : v) n.push_back(Float(d));
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

YAML::Node Pairs(const std::vector<std::pair<std::string, std::string>>& v) {
  YAML::Node n(YAML::NodeType::Map);
  for (const auto& [k, val] : v) n[k] = val;
  if (v.empty()) n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

void Udp(YAML::Node n, const UdpSettings& u) {
  n["queue_size"] = u.queue_size;
  n["max_packet_size"] = u.max_packet_size;
  n["workers"] = u.workers;
  n["socket_buffer_size"] = u.socket_buffer_size;
}

YAML::Node Receivers(const ReceiversSection& r) {
  YAML::Node n(YAML::NodeType::Map);
  if (r.otlp_grpc.enabled) {
    YAML::Node g = n["otlp"]["protocols"]["grpc"];
    g["endpoint"] = r.otlp_grpc.endpoint;
    g["max_recv_msg_size_mib"] = r.otlp_grpc_max_recv_msg_size >> 20;
  }
  if (r.otlp_http.enabled) {
    YAML::Node h = n["otlp"]["protocols"]["http"];
    h["endpoint"] = r.otlp_http.endpoint;
    h["traces_url_path"] = r.otlp_http_traces_url_path;
    h["max_request_body_size"] = r.otlp_http_max_request_body_size;
  }
  if (r.jaeger_grpc.enabled) {
    YAML::Node g = n["jaeger"]["protocols"]["grpc"];
    g["endpoint"] = r.jaeger_grpc.endpoint;
    g["max_recv_msg_size_mib"] = r.jaeger_grpc_max_recv_msg_size >> 20;
  }
  if (r.jaeger_thrift_http.enabled) {
    YAML::Node h = n["jaeger"]["protocols"]["thrift_http"];
    h["endpoint"] = r.jaeger_thrift_http.endpoint;
    h["max_request_body_size"] = r.jaeger_thrift_http_max_request_body_size;
  }
  if (r.jaeger_thrift_binary.enabled) {
    YAML::Node b = n["jaeger"]["protocols"]["thrift_binary"];
    b["endpoint"] = r.jaeger_thrift_binary.endpoint;
    Udp(b, r.jaeger_thrift_binary_udp);
  }
  if (r.jaeger_thrift_compact.enabled) {
    YAML::Node c = n["jaeger"]["protocols"]["thrift_compact"];
    c["endpoint"] = r.jaeger_thrift_compact.endpoint;
    Udp(c, r.jaeger_thrift_compact_udp);
  }
  if (r.zipkin.enabled) {
    YAML::Node z = n["zipkin"];
    z["endpoint"] = r.zipkin.endpoint;
    z["max_request_body_size"] = r.zipkin_max_request_body_size;
  }
  return n;
}

const char* FsyncName(WalFsync f) {
  switch (f) {
    case WalFsync::kAlways:
      return "always";
    case WalFsync::kNever:
      return "never";
    case WalFsync::kInterval:
      break;
  }
  return "interval";
}

YAML::Node StorageTrace(const Config& c) {
  YAML::Node n(YAML::NodeType::Map);
  const StoreOptions& st = c.store;
  n["backend"] = c.backend;
  n["local"]["path"] = c.local_path;
  YAML::Node wal = n["wal"];
  wal["path"] = st.wal.path;
  wal["fsync"] = FsyncName(st.wal.fsync);
  wal["fsync_interval"] = GoDuration(st.wal.fsync_interval);
  wal["segment_bytes"] = st.wal.segment_bytes;
  wal["max_open_files"] = st.wal.max_open_files;
  wal["sync_threads"] = st.wal.sync_threads;
  YAML::Node block = n["block"];
  block["version"] = st.block.version == 1 ? "v2" : "vParquet4";
  block["bloom_filter_false_positive"] =
      Float(st.block.bloom_filter_false_positive);
  block["bloom_filter_shard_size_bytes"] =
      st.block.bloom_filter_shard_size_bytes;
  block["page_size_bytes"] = st.block.page_size_bytes;
  block["zstd_level"] = st.block.zstd_level;
  n["block_cache_bytes"] = st.block_cache_bytes;
  n["blocklist_poll"] = GoDuration(st.blocklist.blocklist_poll);
  n["blocklist_poll_tenant_index_builders"] =
      st.blocklist.blocklist_poll_tenant_index_builders;
  n["blocklist_poll_fallback"] = Bool(st.blocklist.blocklist_poll_fallback);
  n["blocklist_poll_stale_tenant_index"] =
      GoDuration(st.blocklist.blocklist_poll_stale_tenant_index);
  n["pool"]["max_workers"] = c.s3.max_workers;
  n["pool"]["queue_depth"] = c.s3.queue_depth;
  YAML::Node s3 = n["s3"];
  s3["bucket"] = c.s3.bucket;
  s3["prefix"] = c.s3.prefix;
  s3["endpoint"] = c.s3.endpoint;
  s3["region"] = c.s3.region;
  s3["access_key"] = c.s3.access_key;
  s3["secret_key"] = c.s3.secret_key;
  s3["session_token"] = c.s3.session_token;
  s3["storage_class"] = c.s3.storage_class;
  s3["insecure"] = Bool(c.s3.insecure);
  s3["forcepathstyle"] = Bool(c.s3.forcepathstyle);
  s3["bucket_lookup_type"] = static_cast<int>(c.s3.bucket_lookup);
  s3["part_size"] = c.s3.part_size;
  s3["list_with_delimiter"] = Bool(c.s3.list_with_delimiter);
  s3["list_objects_v1"] = Bool(c.s3.list_objects_v1);
  s3["list_max_keys"] = c.s3.list_max_keys;
  s3["max_retries"] = c.s3.max_retries;
  s3["min_backoff"] = GoDuration(c.s3.min_backoff);
  s3["max_backoff"] = GoDuration(c.s3.max_backoff);
  s3["connect_timeout"] = GoDuration(c.s3.connect_timeout);
  s3["request_timeout"] = GoDuration(c.s3.request_timeout);
  s3["tls_cert_path"] = c.s3.tls_cert_path;
  s3["tls_key_path"] = c.s3.tls_key_path;
  s3["tls_ca_path"] = c.s3.tls_ca_path;
  s3["tls_insecure_skip_verify"] = Bool(c.s3.tls_insecure_skip_verify);
  return n;
}

YAML::Node Generator(const GeneratorConfig& g) {
  YAML::Node n(YAML::NodeType::Map);
  const MetricsGeneratorOptions& o = g.options;
  YAML::Node reg = n["registry"];
  reg["external_labels"] = Pairs(o.registry.external_labels);
  reg["collection_interval"] = GoDuration(o.collection_interval);
  reg["stale_duration"] = GoDuration(o.registry.stale_duration);
  reg["inject_tenant_id_as"] = o.inject_tenant_id_as;
  reg["max_label_name_length"] = o.registry.max_label_name_length;
  reg["max_label_value_length"] = o.registry.max_label_value_length;
  YAML::Node st = n["storage"];
  st["path"] = g.storage_path;
  YAML::Node rws(YAML::NodeType::Sequence);
  for (const RemoteWriteOptions& rw : g.remote_write) {
    YAML::Node e;
    e["url"] = rw.url;
    e["send_exemplars"] = Bool(rw.send_exemplars);
    e["headers"] = Pairs(rw.headers);
    e["remote_timeout"] = GoDuration(rw.timeout);
    e["queue_config"]["retry_on_http_429"] = Bool(rw.retry_on_http_429);
    e["queue_config"]["max_samples_per_send"] = rw.max_samples_per_send;
    e["queue_config"]["min_backoff"] = GoDuration(rw.min_backoff);
    e["queue_config"]["max_backoff"] = GoDuration(rw.max_backoff);
    rws.push_back(e);
  }
  st["remote_write"] = rws;
  st["remote_write_add_org_id_header"] =
      Bool(g.remote_write.empty() || g.remote_write[0].add_org_id_header);
  st["remote_write_flush_deadline"] = GoDuration(g.flush_deadline);
  YAML::Node sm = n["processor"]["span_metrics"];
  const SpanMetricsOptions& s = o.span_metrics;
  sm["histogram_buckets"] = Floats(s.histogram_buckets);
  sm["dimensions"] = Strings(s.dimensions);
  sm["intrinsic_dimensions"]["service"] = Bool(s.intrinsic_dimensions.service);
  sm["intrinsic_dimensions"]["span_name"] =
      Bool(s.intrinsic_dimensions.span_name);
  sm["intrinsic_dimensions"]["span_kind"] =
      Bool(s.intrinsic_dimensions.span_kind);
  sm["intrinsic_dimensions"]["status_code"] =
      Bool(s.intrinsic_dimensions.status_code);
  sm["intrinsic_dimensions"]["status_message"] =
      Bool(s.intrinsic_dimensions.status_message);
  sm["enable_target_info"] = Bool(s.enable_target_info);
  sm["target_info_excluded_dimensions"] =
      Strings(s.target_info_excluded_dimensions);
  sm["enable_instance_label"] = Bool(s.enable_instance_label);
  sm["span_multiplier_key"] = s.span_multiplier_key;
  YAML::Node sg = n["processor"]["service_graphs"];
  const ServiceGraphOptions& v = o.service_graphs;
  sg["histogram_buckets"] = Floats(v.histogram_buckets);
  sg["dimensions"] = Strings(v.dimensions);
  sg["wait"] = GoDuration(v.wait);
  sg["max_items"] = v.max_items;
  sg["peer_attributes"] = Strings(v.peer_attributes);
  sg["database_name_attributes"] = Strings(v.database_name_attributes);
  sg["enable_client_server_prefix"] = Bool(v.enable_client_server_prefix);
  sg["enable_virtual_node_label"] = Bool(v.enable_virtual_node_label);
  sg["span_multiplier_key"] = v.span_multiplier_key;
  n["metrics_ingestion_time_range_slack"] =
      GoDuration(o.ingestion_time_range_slack);
  return n;
}

YAML::Node Build(const Config& c) {
  YAML::Node root(YAML::NodeType::Map);
  root["target"] = c.target;
  root["multitenancy_enabled"] = Bool(c.multitenancy_enabled);
  root["stream_over_http_enabled"] = Bool(c.stream_over_http_enabled);
  root["http_api_prefix"] = c.http_api_prefix;
  root["shutdown_delay"] = GoDuration(c.shutdown_delay);

  YAML::Node srv = root["server"];
  const ServerSection& s = c.server;
  srv["http_listen_address"] = s.http_listen_address;
  srv["http_listen_port"] = s.http_listen_port;
  srv["grpc_listen_address"] = s.grpc_listen_address;
  srv["grpc_listen_port"] = s.grpc_listen_port;
  srv["log_level"] = s.log_level;
  srv["log_format"] = s.log_format;
  srv["http_server_read_timeout"] = GoDuration(s.http_server_read_timeout);
  srv["http_server_write_timeout"] = GoDuration(s.http_server_write_timeout);
  srv["http_server_idle_timeout"] = GoDuration(s.http_server_idle_timeout);
  srv["graceful_shutdown_timeout"] = GoDuration(s.graceful_shutdown_timeout);
  srv["grpc_server_max_recv_msg_size"] = s.grpc_server_max_recv_msg_size;
  srv["register_instrumentation"] = Bool(s.register_instrumentation);

  root["distributor"]["receivers"] = Receivers(c.receivers);

  YAML::Node ing = root["ingester"];
  const IngesterOptions& i = c.store.ingester;
  ing["trace_idle_period"] = GoDuration(i.trace_idle_period);
  ing["trace_live_period"] = GoDuration(i.trace_live_period);
  ing["flush_check_period"] = GoDuration(i.flush_check_period);
  ing["max_block_bytes"] = i.max_block_bytes;
  ing["max_block_duration"] = GoDuration(i.max_block_duration);
  ing["flush_all_on_shutdown"] = Bool(i.flush_all_on_shutdown);
  ing["max_pending_block_bytes"] = i.max_pending_block_bytes;
  ing["max_trace_index_bytes"] = i.max_trace_index_bytes;
  ing["concurrent_flushes"] = i.concurrent_flushes;
  ing["flush_retry_min_backoff"] = GoDuration(i.flush_retry_min_backoff);
  ing["flush_retry_max_backoff"] = GoDuration(i.flush_retry_max_backoff);

  YAML::Node comp = root["compactor"];
  const CompactionOptions& k = c.compaction;
  comp["disabled"] = Bool(c.compactor_disabled);
  YAML::Node cc = comp["compaction"];
  cc["block_retention"] = GoDuration(k.block_retention);
  cc["compacted_block_retention"] = GoDuration(k.compacted_block_retention);
  cc["compaction_window"] = GoDuration(k.compaction_window);
  cc["compaction_cycle"] = GoDuration(k.compaction_cycle);
  cc["max_compaction_objects"] = k.max_compaction_objects;
  cc["max_block_bytes"] = k.max_block_bytes;
  cc["v2_in_buffer_bytes"] = k.v2_in_buffer_bytes;
  cc["retention_concurrency"] = k.retention_concurrency;
  cc["min_input_blocks"] = k.min_input_blocks;
  cc["max_input_blocks"] = k.max_input_blocks;
  cc["incomplete_block_timeout"] = GoDuration(k.incomplete_block_timeout);
  comp["ring"]["instance_id"] = c.instance_id;
  comp["ring"]["instance_ring"] = absl::StrJoin(c.instance_ring, ",");

  root["storage"]["trace"] = StorageTrace(c);

  if (c.metrics_generator.enabled) {
    root["metrics_generator"] = Generator(c.metrics_generator);
  }

  // The new overrides form (the per-tenant limits add their keys here).
  YAML::Node def = root["overrides"]["defaults"];
  def["global"]["max_bytes_per_trace"] = c.store.ingester.max_bytes_per_trace;
  def["compaction"]["block_retention"] =
      PromDuration(c.overrides_block_retention);
  const MetricsGeneratorOptions& g = c.metrics_generator.options;
  if (c.metrics_generator.processors_configured) {
    def["metrics_generator"]["processors"] = Strings(g.processors);
  }
  if (c.metrics_generator.enabled) {
    def["metrics_generator"]["max_active_series"] =
        g.registry.max_active_series;
  }
  return root;
}

bool IsSecretKey(const std::string& key) {
  std::string k = key;
  absl::AsciiStrToLower(&k);
  return absl::StrContains(k, "password") || absl::StrContains(k, "secret") ||
         absl::StrContains(k, "token");
}

bool IsSecretHeader(const std::string& name) {
  std::string k = name;
  absl::AsciiStrToLower(&k);
  return k == "authorization" || k == "proxy-authorization" ||
         k == "cookie" || absl::StrContains(k, "api-key") ||
         absl::StrContains(k, "apikey") || IsSecretKey(k);
}

// Replaces every non-empty scalar under a secret-looking key (and every
// value of a secret header) with kMasked.
void Mask(YAML::Node node, bool in_headers) {
  if (node.IsSequence()) {
    for (YAML::Node e : node) Mask(e, false);
    return;
  }
  if (!node.IsMap()) return;
  for (auto kv : node) {
    const std::string key = kv.first.Scalar();
    YAML::Node value = kv.second;
    const bool secret = in_headers ? IsSecretHeader(key) : IsSecretKey(key);
    if (secret && value.IsScalar() && !value.Scalar().empty()) {
      value = kMasked;
    } else {
      Mask(value, key == "headers");
    }
  }
}

std::string Emit(const YAML::Node& n) {
  YAML::Emitter out;
  out << n;
  return std::string(out.c_str()) + "\n";
}

// The part of `a` that differs from `b`: whole sequences and scalars, maps
// key by key. Null when nothing differs.
YAML::Node Diff(const YAML::Node& a, const YAML::Node& b) {
  if (a.IsMap() && b.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    bool any = false;
    for (const auto& kv : a) {
      const std::string key = kv.first.Scalar();
      YAML::Node d = b[key] ? Diff(kv.second, b[key]) : YAML::Clone(kv.second);
      if (!d.IsNull()) {
        out[key] = d;
        any = true;
      }
    }
    return any ? out : YAML::Node();
  }
  if (Emit(a) == Emit(b)) return YAML::Node();
  return YAML::Clone(a);
}

}  // namespace

std::string RenderConfigYaml(const Config& config, ConfigView view) {
  // yaml-cpp throws only on misuse (e.g. indexing a scalar); nothing a
  // config value can cause, but no exception leaves the library.
  try {
    YAML::Node root;
    switch (view) {
      case ConfigView::kEffective:
        root = Build(config);
        break;
      case ConfigView::kDefaults:
        root = Build(DefaultConfig());
        break;
      case ConfigView::kDiff:
        root = Diff(Build(config), Build(DefaultConfig()));
        if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
        break;
    }
    Mask(root, false);
    return Emit(root);
  } catch (const std::exception& e) {
    return absl::StrCat("# error rendering the config: ", e.what(), "\n");
  }
}

absl::StatusOr<std::string> StatusConfigPage(const Config& config,
                                             std::string_view mode) {
  ConfigView view = ConfigView::kEffective;
  if (mode == "diff") {
    view = ConfigView::kDiff;
  } else if (mode == "defaults") {
    view = ConfigView::kDefaults;
  } else if (!mode.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown value for mode query parameter: ", std::string(mode)));
  }
  return absl::StrCat("GET /status/config\n---\n",
                      RenderConfigYaml(config, view));
}

}  // namespace andante
