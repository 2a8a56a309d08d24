#include "config/generator_config.h"

#include <set>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/strings.h"
#include "yaml-cpp/yaml.h"

namespace andante::internal {
namespace {

absl::Status Bad(const std::string& key, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "metrics generator config: ", key, ": ", ToAbsl(what)));
}

// Every key of `node` must be in `known`.
absl::Status CheckKeys(const YAML::Node& node, const std::string& path,
                       std::initializer_list<std::string_view> known) {
  if (!node.IsMap()) return Bad(path, "must be a mapping");
  for (const auto& kv : node) {
    const std::string k = kv.first.Scalar();
    bool ok = false;
    for (std::string_view n : known) ok = ok || n == k;
    if (!ok) {
      return Bad(absl::StrCat(path, ".", k),
                 absl::StrCat("unknown key (line ", kv.first.Mark().line + 1,
                              ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status GetString(const YAML::Node& n, const std::string& key,
                       std::string* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsScalar()) return Bad(key, "must be a string");
  *out = n.Scalar();
  return absl::OkStatus();
}

absl::Status GetBool(const YAML::Node& n, const std::string& key, bool* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  const std::string& s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") {
    *out = true;
  } else if (s == "false" || s == "False" || s == "FALSE" || s == "no" ||
             s == "off") {
    *out = false;
  } else {
    return Bad(key, "must be a bool");
  }
  return absl::OkStatus();
}

template <typename Int>
absl::Status GetInt(const YAML::Node& n, const std::string& key, Int* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  int64_t v = 0;
  if (!n.IsScalar() || !absl::SimpleAtoi(n.Scalar(), &v) || v < 0) {
    return Bad(key, "must be a non-negative integer");
  }
  *out = static_cast<Int>(v);
  return absl::OkStatus();
}

absl::Status GetDuration(const YAML::Node& n, const std::string& key,
                         absl::Duration* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  absl::Duration d;
  if (!n.IsScalar() || !absl::ParseDuration(n.Scalar(), &d) ||
      d < absl::ZeroDuration()) {
    return Bad(key, "must be a duration such as 15s or 1m");
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status GetStrings(const YAML::Node& n, const std::string& key,
                        std::vector<std::string>* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsSequence()) return Bad(key, "must be a list of strings");
  out->clear();
  for (const auto& e : n) {
    if (!e.IsScalar()) return Bad(key, "must be a list of strings");
    out->push_back(e.Scalar());
  }
  return absl::OkStatus();
}

absl::Status GetFloats(const YAML::Node& n, const std::string& key,
                       std::vector<double>* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsSequence()) return Bad(key, "must be a list of numbers");
  out->clear();
  for (const auto& e : n) {
    double v = 0;
    if (!e.IsScalar() || !absl::SimpleAtod(e.Scalar(), &v) || !(v > 0)) {
      return Bad(key, "must be a list of positive numbers");
    }
    out->push_back(v);
  }
  return absl::OkStatus();
}

absl::Status GetStringMap(
    const YAML::Node& n, const std::string& key,
    std::vector<std::pair<std::string, std::string>>* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsMap()) return Bad(key, "must be a mapping of strings");
  for (const auto& kv : n) {
    if (!kv.second.IsScalar()) return Bad(key, "must be a mapping of strings");
    out->emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  return absl::OkStatus();
}

#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    if (absl::Status s_ = (expr); !s_.ok()) { \
      return s_;                              \
    }                                         \
  } while (0)

absl::Status ParseSpanMetrics(const YAML::Node& n, const std::string& path,
                              SpanMetricsOptions* o,
                              std::vector<std::string>* unsupported) {
  if (!n || n.IsNull()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckKeys(
      n, path,
      {"histogram_buckets", "dimensions", "intrinsic_dimensions",
       "enable_target_info", "target_info_excluded_dimensions",
       "enable_instance_label", "span_multiplier_key", "dimension_mappings",
       "filter_policies", "enable_tracestate_span_multiplier",
       "native_histogram_bucket_factor", "native_histogram_max_bucket_number",
       "native_histogram_min_reset_duration"}));
  RETURN_IF_ERROR(GetFloats(n["histogram_buckets"], path + ".histogram_buckets",
                            &o->histogram_buckets));
  RETURN_IF_ERROR(
      GetStrings(n["dimensions"], path + ".dimensions", &o->dimensions));
  if (const YAML::Node i = n["intrinsic_dimensions"]; i && !i.IsNull()) {
    const std::string ip = path + ".intrinsic_dimensions";
    RETURN_IF_ERROR(CheckKeys(i, ip,
                              {"service", "span_name", "span_kind",
                               "status_code", "status_message"}));
    auto& d = o->intrinsic_dimensions;
    RETURN_IF_ERROR(GetBool(i["service"], ip + ".service", &d.service));
    RETURN_IF_ERROR(GetBool(i["span_name"], ip + ".span_name", &d.span_name));
    RETURN_IF_ERROR(GetBool(i["span_kind"], ip + ".span_kind", &d.span_kind));
    RETURN_IF_ERROR(
        GetBool(i["status_code"], ip + ".status_code", &d.status_code));
    RETURN_IF_ERROR(GetBool(i["status_message"], ip + ".status_message",
                            &d.status_message));
  }
  RETURN_IF_ERROR(GetBool(n["enable_target_info"], path + ".enable_target_info",
                          &o->enable_target_info));
  RETURN_IF_ERROR(GetStrings(n["target_info_excluded_dimensions"],
                             path + ".target_info_excluded_dimensions",
                             &o->target_info_excluded_dimensions));
  RETURN_IF_ERROR(GetBool(n["enable_instance_label"],
                          path + ".enable_instance_label",
                          &o->enable_instance_label));
  RETURN_IF_ERROR(GetString(n["span_multiplier_key"],
                            path + ".span_multiplier_key",
                            &o->span_multiplier_key));
  for (const char* k : {"dimension_mappings", "filter_policies",
                        "enable_tracestate_span_multiplier"}) {
    if (n[k]) unsupported->push_back(absl::StrCat(path, ".", k));
  }
  return absl::OkStatus();
}

absl::Status ParseServiceGraphs(const YAML::Node& n, const std::string& path,
                                ServiceGraphOptions* o,
                                std::vector<std::string>* unsupported) {
  if (!n || n.IsNull()) return absl::OkStatus();
  RETURN_IF_ERROR(
      CheckKeys(n, path,
                {"histogram_buckets", "dimensions", "wait", "max_items",
                 "workers", "peer_attributes", "database_name_attributes",
                 "enable_client_server_prefix", "enable_virtual_node_label",
                 "enable_messaging_system_latency_histogram", "filter_policies",
                 "span_multiplier_key", "native_histogram_bucket_factor",
                 "native_histogram_max_bucket_number",
                 "native_histogram_min_reset_duration"}));
  RETURN_IF_ERROR(GetFloats(n["histogram_buckets"], path + ".histogram_buckets",
                            &o->histogram_buckets));
  RETURN_IF_ERROR(
      GetStrings(n["dimensions"], path + ".dimensions", &o->dimensions));
  RETURN_IF_ERROR(GetDuration(n["wait"], path + ".wait", &o->wait));
  RETURN_IF_ERROR(GetInt(n["max_items"], path + ".max_items", &o->max_items));
  RETURN_IF_ERROR(GetStrings(n["peer_attributes"], path + ".peer_attributes",
                             &o->peer_attributes));
  RETURN_IF_ERROR(GetStrings(n["database_name_attributes"],
                             path + ".database_name_attributes",
                             &o->database_name_attributes));
  RETURN_IF_ERROR(GetBool(n["enable_client_server_prefix"],
                          path + ".enable_client_server_prefix",
                          &o->enable_client_server_prefix));
  RETURN_IF_ERROR(GetBool(n["enable_virtual_node_label"],
                          path + ".enable_virtual_node_label",
                          &o->enable_virtual_node_label));
  RETURN_IF_ERROR(GetString(n["span_multiplier_key"],
                            path + ".span_multiplier_key",
                            &o->span_multiplier_key));
  for (const char* k :
       {"enable_messaging_system_latency_histogram", "filter_policies"}) {
    if (n[k]) unsupported->push_back(absl::StrCat(path, ".", k));
  }
  return absl::OkStatus();
}

absl::Status ParseRemoteWrite(const YAML::Node& n, const std::string& path,
                              GeneratorConfig* out) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsSequence())
    return Bad(path, "must be a list of remote_write entries");
  int i = 0;
  for (const auto& e : n) {
    const std::string p = absl::StrCat(path, "[", i++, "]");
    RETURN_IF_ERROR(CheckKeys(
        e, p,
        {"url", "name", "send_exemplars", "headers", "remote_timeout",
         "queue_config", "basic_auth", "authorization", "tls_config",
         "write_relabel_configs", "send_native_histograms", "metadata_config",
         "proxy_url", "oauth2", "sigv4", "follow_redirects", "enable_http2"}));
    RemoteWriteOptions rw;
    rw.send_exemplars = false;  // Prometheus' default
    RETURN_IF_ERROR(GetString(e["url"], p + ".url", &rw.url));
    if (rw.url.empty()) return Bad(p + ".url", "is required");
    RETURN_IF_ERROR(GetBool(e["send_exemplars"], p + ".send_exemplars",
                            &rw.send_exemplars));
    RETURN_IF_ERROR(GetStringMap(e["headers"], p + ".headers", &rw.headers));
    RETURN_IF_ERROR(
        GetDuration(e["remote_timeout"], p + ".remote_timeout", &rw.timeout));
    if (const YAML::Node q = e["queue_config"]; q && q.IsMap()) {
      RETURN_IF_ERROR(GetBool(q["retry_on_http_429"],
                              p + ".queue_config.retry_on_http_429",
                              &rw.retry_on_http_429));
      RETURN_IF_ERROR(GetInt(q["max_samples_per_send"],
                             p + ".queue_config.max_samples_per_send",
                             &rw.max_samples_per_send));
      RETURN_IF_ERROR(GetDuration(
          q["min_backoff"], p + ".queue_config.min_backoff", &rw.min_backoff));
      RETURN_IF_ERROR(GetDuration(
          q["max_backoff"], p + ".queue_config.max_backoff", &rw.max_backoff));
      if (rw.max_samples_per_send == 0) rw.max_samples_per_send = 2000;
    }
    if (const YAML::Node a = e["basic_auth"]; a && a.IsMap()) {
      // Prometheus' basic_auth: sent as an Authorization header.
      std::string user, pass;
      RETURN_IF_ERROR(
          GetString(a["username"], p + ".basic_auth.username", &user));
      RETURN_IF_ERROR(
          GetString(a["password"], p + ".basic_auth.password", &pass));
      const std::string raw = user + ":" + pass;
      std::string b64;
      static constexpr char k[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      size_t j = 0;
      for (; j + 2 < raw.size(); j += 3) {
        const unsigned v = (static_cast<unsigned char>(raw[j]) << 16) |
                           (static_cast<unsigned char>(raw[j + 1]) << 8) |
                           static_cast<unsigned char>(raw[j + 2]);
        b64 += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
      }
      if (j + 1 == raw.size()) {
        const unsigned v = static_cast<unsigned char>(raw[j]) << 16;
        b64 += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
      } else if (j + 2 == raw.size()) {
        const unsigned v = (static_cast<unsigned char>(raw[j]) << 16) |
                           (static_cast<unsigned char>(raw[j + 1]) << 8);
        b64 += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
      }
      rw.headers.emplace_back("Authorization", "Basic " + b64);
    }
    for (const char* k : {"tls_config", "write_relabel_configs", "oauth2",
                          "sigv4", "proxy_url", "authorization"}) {
      if (e[k]) out->unsupported.push_back(absl::StrCat(p, ".", k));
    }
    out->remote_write.push_back(std::move(rw));
  }
  return absl::OkStatus();
}

// The generator keys of one overrides entry (new form: the value of
// `metrics_generator`; legacy: the flat keys of the entry itself).
absl::Status ParseTenantEntry(const YAML::Node& entry, const std::string& path,
                              std::vector<std::string>* processors,
                              bool* has_processors, int64_t* max_series,
                              MetricsGeneratorOptions* o,
                              std::vector<std::string>* unsupported) {
  if (!entry || !entry.IsMap()) return absl::OkStatus();
  if (const YAML::Node mg = entry["metrics_generator"]; mg && mg.IsMap()) {
    const std::string p = path + ".metrics_generator";
    if (mg["processors"]) {
      *has_processors = true;
      RETURN_IF_ERROR(
          GetStrings(mg["processors"], p + ".processors", processors));
    }
    RETURN_IF_ERROR(
        GetInt(mg["max_active_series"], p + ".max_active_series", max_series));
    if (o != nullptr) {
      RETURN_IF_ERROR(GetDuration(mg["collection_interval"],
                                  p + ".collection_interval",
                                  &o->collection_interval));
      RETURN_IF_ERROR(GetString(mg["trace_id_label_name"],
                                p + ".trace_id_label_name",
                                &o->registry.exemplar_label_name));
      RETURN_IF_ERROR(GetDuration(mg["ingestion_time_range_slack"],
                                  p + ".ingestion_time_range_slack",
                                  &o->ingestion_time_range_slack));
      if (const YAML::Node proc = mg["processor"]; proc && proc.IsMap()) {
        RETURN_IF_ERROR(ParseSpanMetrics(proc["span_metrics"],
                                         p + ".processor.span_metrics",
                                         &o->span_metrics, unsupported));
        RETURN_IF_ERROR(ParseServiceGraphs(proc["service_graphs"],
                                           p + ".processor.service_graphs",
                                           &o->service_graphs, unsupported));
      }
    }
    if (const YAML::Node g = mg["generate_native_histograms"];
        g && g.IsScalar() && g.Scalar() != "classic") {
      unsupported->push_back(p + ".generate_native_histograms: " + g.Scalar());
    }
  }
  if (entry["metrics_generator_processors"]) {
    *has_processors = true;
    RETURN_IF_ERROR(GetStrings(entry["metrics_generator_processors"],
                               path + ".metrics_generator_processors",
                               processors));
  }
  RETURN_IF_ERROR(GetInt(entry["metrics_generator_max_active_series"],
                         path + ".metrics_generator_max_active_series",
                         max_series));
  if (o != nullptr) {
    RETURN_IF_ERROR(GetDuration(entry["metrics_generator_collection_interval"],
                                path + ".metrics_generator_collection_interval",
                                &o->collection_interval));
    RETURN_IF_ERROR(GetString(entry["metrics_generator_trace_id_label_name"],
                              path + ".metrics_generator_trace_id_label_name",
                              &o->registry.exemplar_label_name));
  }
  return absl::OkStatus();
}

absl::Status ParseAll(const YAML::Node& root, GeneratorConfig* out) {
  MetricsGeneratorOptions& o = out->options;
  const YAML::Node mg = root["metrics_generator"];
  if (mg && mg.IsMap()) {
    out->enabled = true;
    const std::string p = "metrics_generator";
    if (const YAML::Node reg = mg["registry"]; reg && reg.IsMap()) {
      RETURN_IF_ERROR(GetStringMap(reg["external_labels"],
                                   p + ".registry.external_labels",
                                   &o.registry.external_labels));
      RETURN_IF_ERROR(GetDuration(reg["collection_interval"],
                                  p + ".registry.collection_interval",
                                  &o.collection_interval));
      RETURN_IF_ERROR(GetDuration(reg["stale_duration"],
                                  p + ".registry.stale_duration",
                                  &o.registry.stale_duration));
      RETURN_IF_ERROR(GetString(reg["inject_tenant_id_as"],
                                p + ".registry.inject_tenant_id_as",
                                &o.inject_tenant_id_as));
      RETURN_IF_ERROR(GetInt(reg["max_label_name_length"],
                             p + ".registry.max_label_name_length",
                             &o.registry.max_label_name_length));
      RETURN_IF_ERROR(GetInt(reg["max_label_value_length"],
                             p + ".registry.max_label_value_length",
                             &o.registry.max_label_value_length));
    }
    if (const YAML::Node st = mg["storage"]; st && st.IsMap()) {
      RETURN_IF_ERROR(
          GetString(st["path"], p + ".storage.path", &out->storage_path));
      RETURN_IF_ERROR(ParseRemoteWrite(st["remote_write"],
                                       p + ".storage.remote_write", out));
      bool add_org = true;
      RETURN_IF_ERROR(GetBool(st["remote_write_add_org_id_header"],
                              p + ".storage.remote_write_add_org_id_header",
                              &add_org));
      for (auto& rw : out->remote_write) rw.add_org_id_header = add_org;
      RETURN_IF_ERROR(GetDuration(st["remote_write_flush_deadline"],
                                  p + ".storage.remote_write_flush_deadline",
                                  &out->flush_deadline));
    }
    if (const YAML::Node proc = mg["processor"]; proc && proc.IsMap()) {
      RETURN_IF_ERROR(ParseSpanMetrics(proc["span_metrics"],
                                       p + ".processor.span_metrics",
                                       &o.span_metrics, &out->unsupported));
      RETURN_IF_ERROR(ParseServiceGraphs(proc["service_graphs"],
                                         p + ".processor.service_graphs",
                                         &o.service_graphs, &out->unsupported));
    }
    RETURN_IF_ERROR(GetDuration(mg["metrics_ingestion_time_range_slack"],
                                p + ".metrics_ingestion_time_range_slack",
                                &o.ingestion_time_range_slack));
  }
  // Andante only (Tempo finds its generators through the ring): where an
  // ingest instance forwards its spans.
  if (const YAML::Node mgc = root["metrics_generator_client"];
      mgc && mgc.IsMap()) {
    const std::string p = "metrics_generator_client";
    RETURN_IF_ERROR(
        GetStrings(mgc["endpoints"], p + ".endpoints", &out->forward_endpoints));
    RETURN_IF_ERROR(GetInt(mgc["queue_size"], p + ".queue_size",
                           &out->forward_queue_size));
    if (out->forward_queue_size < 1) {
      return Bad(p + ".queue_size", "must be at least 1");
    }
    RETURN_IF_ERROR(GetDuration(mgc["remote_timeout"], p + ".remote_timeout",
                                &out->forward_timeout));
    RETURN_IF_ERROR(GetDuration(mgc["batch_wait"], p + ".batch_wait",
                                &out->forward_batch_wait));
  }
  const YAML::Node ov = root["overrides"];
  if (ov && ov.IsMap()) {
    bool has = false;
    int64_t max_series = o.registry.max_active_series;
    std::vector<std::string> processors;
    RETURN_IF_ERROR(ParseTenantEntry(ov["defaults"], "overrides.defaults",
                                     &processors, &has, &max_series, &o,
                                     &out->unsupported));
    RETURN_IF_ERROR(ParseTenantEntry(ov, "overrides", &processors, &has,
                                     &max_series, &o, &out->unsupported));
    if (has) {
      out->processors_configured = true;
      o.processors = processors;
    }
    o.registry.max_active_series = max_series;
    RETURN_IF_ERROR(GetString(ov["per_tenant_override_config"],
                              "overrides.per_tenant_override_config",
                              &out->tenant_overrides_path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseGeneratorConfig(const YAML::Node& root,
                                  GeneratorConfig* out) {
  try {
    return ParseAll(root, out);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics generator config: ", e.what()));
  }
}

absl::Status ParseGeneratorTenantOverrides(const YAML::Node& root,
                                           GeneratorConfig* out) {
  try {
    const YAML::Node ov = root["overrides"];
    if (!ov || !ov.IsMap()) return absl::OkStatus();
    for (const auto& kv : ov) {
      const std::string tenant = kv.first.Scalar();
      bool has = false;
      int64_t max_series = -1;
      std::vector<std::string> processors;
      RETURN_IF_ERROR(ParseTenantEntry(kv.second, "overrides." + tenant,
                                       &processors, &has, &max_series, nullptr,
                                       &out->unsupported));
      if (has) {
        out->processors_configured = true;
        out->options.tenant_processors[tenant] = processors;
      }
      if (max_series >= 0) {
        out->options.tenant_max_active_series[tenant] = max_series;
      }
    }
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("per-tenant overrides: ", e.what()));
  }
}

}  // namespace andante::internal
