#include "tenant/overrides_yaml.h"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "util/go_yaml_scalars.h"

namespace andante::internal {
namespace {

using Setter = absl::Status (*)(const YAML::Node&, TenantLimits*);

absl::StatusOr<std::string> Scalar(const YAML::Node& n) {
  if (!n.IsScalar()) return absl::InvalidArgumentError("expected a scalar");
  return n.Scalar();
}

// A non-negative integer field as go-yaml v2 resolves it (see
// util/go_yaml_scalars.h), including a float with an integral value ("1e6"),
// which Go's yaml truncates into an int field.
absl::StatusOr<uint64_t> Uint(const YAML::Node& n) {
  absl::StatusOr<std::string> text = Scalar(n);
  if (!text.ok()) return text.status();
  const absl::Status bad = absl::InvalidArgumentError(absl::StrCat(
      "cannot unmarshal \"", *text, "\" into a non-negative int"));
  if (std::optional<YamlInt> i = ParseYamlInt(*text); i.has_value()) {
    if (i->negative && i->magnitude != 0) return bad;
    return i->magnitude;
  }
  const std::optional<double> d = ParseYamlFloat(*text);
  if (!d.has_value() || !(*d >= 0) || *d >= 1.8e19 ||
      *d != static_cast<double>(static_cast<uint64_t>(*d))) {
    return bad;
  }
  return static_cast<uint64_t>(*d);
}

template <uint64_t TenantLimits::*kField>
absl::Status SetUint(const YAML::Node& n, TenantLimits* l) {
  absl::StatusOr<uint64_t> v = Uint(n);
  if (!v.ok()) return v.status();
  l->*kField = *v;
  return absl::OkStatus();
}

template <absl::Duration TenantLimits::*kField>
absl::Status SetDuration(const YAML::Node& n, TenantLimits* l) {
  absl::StatusOr<std::string> s = Scalar(n);
  if (!s.ok()) return s.status();
  absl::StatusOr<absl::Duration> d = ParsePromDuration(*s);
  if (!d.ok()) return d.status();
  l->*kField = *d;
  return absl::OkStatus();
}

absl::Status SetStrategy(const YAML::Node& n, TenantLimits* l) {
  absl::StatusOr<std::string> s = Scalar(n);
  if (!s.ok()) return s.status();
  if (*s == "local") {
    l->rate_strategy = RateStrategy::kLocal;
  } else if (*s == "global") {
    l->rate_strategy = RateStrategy::kGlobal;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid rate strategy \"", *s, "\" (want local or global)"));
  }
  return absl::OkStatus();
}

absl::Status SetProcessors(const YAML::Node& n, TenantLimits* l) {
  std::vector<std::string> out;
  if (!n.IsNull()) {
    if (!n.IsSequence()) return absl::InvalidArgumentError("expected a list");
    for (const YAML::Node& e : n) {
      absl::StatusOr<std::string> s = Scalar(e);
      if (!s.ok()) return s.status();
      out.push_back(*s);
    }
  }
  l->metrics_generator_processors = std::move(out);
  return absl::OkStatus();
}

absl::Status Ignore(const YAML::Node&, TenantLimits*) {
  return absl::OkStatus();
}

struct Key {
  std::string_view name;
  Setter set;
};

// New form: section -> keys.
struct Section {
  std::string_view name;
  std::vector<Key> keys;  // empty + any_keys: a section not looked into
  bool any_keys = false;
};

const std::vector<Section>& NestedSchema() {
  static const auto* kSchema = new std::vector<Section>{
      {"ingestion",
       {{"rate_strategy", SetStrategy},
        {"rate_limit_bytes", SetUint<&TenantLimits::rate_limit_bytes>},
        {"burst_size_bytes", SetUint<&TenantLimits::burst_size_bytes>},
        {"max_traces_per_user", SetUint<&TenantLimits::max_traces_per_user>},
        {"max_global_traces_per_user",
         SetUint<&TenantLimits::max_global_traces_per_user>},
        {"max_attribute_bytes", SetUint<&TenantLimits::max_attribute_bytes>},
        {"tenant_shard_size", Ignore},
        {"artificial_delay", Ignore},
        {"retry_info_enabled", Ignore}}},
      {"read",
       {{"max_bytes_per_tag_values_query",
         SetUint<&TenantLimits::max_bytes_per_tag_values_query>},
        {"max_blocks_per_tag_values_query",
         SetUint<&TenantLimits::max_blocks_per_tag_values_query>},
        {"max_search_duration",
         SetDuration<&TenantLimits::max_search_duration>},
        {"max_metrics_duration", Ignore},
        {"unsafe_query_hints", Ignore},
        {"left_pad_trace_ids", Ignore}}},
      {"compaction",
       {{"block_retention", SetDuration<&TenantLimits::block_retention>},
        {"compaction_window", Ignore},
        {"compaction_disabled", Ignore}}},
      {"metrics_generator",
       {{"processors", SetProcessors},
        {"max_active_series",
         SetUint<&TenantLimits::metrics_generator_max_active_series>}},
       /*any_keys=*/true},  // the rest is the generator config's business
      {"global",
       {{"max_bytes_per_trace", SetUint<&TenantLimits::max_bytes_per_trace>}}},
      {"forwarders", {}, true},
      {"storage", {}, true},
      {"cost_attribution", {}, true},
  };
  return *kSchema;
}

const std::vector<Key>& LegacySchema() {
  static const auto* kKeys = new std::vector<Key>{
      {"ingestion_rate_strategy", SetStrategy},
      {"ingestion_rate_limit_bytes", SetUint<&TenantLimits::rate_limit_bytes>},
      {"ingestion_burst_size_bytes", SetUint<&TenantLimits::burst_size_bytes>},
      {"max_traces_per_user", SetUint<&TenantLimits::max_traces_per_user>},
      {"max_global_traces_per_user",
       SetUint<&TenantLimits::max_global_traces_per_user>},
      {"ingestion_max_attribute_bytes",
       SetUint<&TenantLimits::max_attribute_bytes>},
      {"max_bytes_per_trace", SetUint<&TenantLimits::max_bytes_per_trace>},
      {"max_bytes_per_tag_values_query",
       SetUint<&TenantLimits::max_bytes_per_tag_values_query>},
      {"max_blocks_per_tag_values_query",
       SetUint<&TenantLimits::max_blocks_per_tag_values_query>},
      {"max_search_duration", SetDuration<&TenantLimits::max_search_duration>},
      {"block_retention", SetDuration<&TenantLimits::block_retention>},
      {"metrics_generator_processors", SetProcessors},
      {"metrics_generator_max_active_series",
       SetUint<&TenantLimits::metrics_generator_max_active_series>},
      {"ingestion_tenant_shard_size", Ignore},
      {"ingestion_artificial_delay", Ignore},
      {"ingestion_retry_info_enabled", Ignore},
      {"max_metrics_duration", Ignore},
      {"compaction_window", Ignore},
      {"compaction_disabled", Ignore},
      {"forwarders", Ignore},
      {"parquet_dedicated_columns", Ignore},
      {"cost_attribution", Ignore},
      {"max_search_bytes_per_trace", Ignore},  // 1.x
      {"search_tags_allow_list", Ignore},      // 1.x
  };
  return *kKeys;
}

// Legacy keys with this prefix are the generator's (generator_config).
constexpr std::string_view kLegacyGeneratorPrefix = "metrics_generator_";

const Section* FindSection(std::string_view name) {
  for (const Section& s : NestedSchema()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::Status KeyError(std::string_view path, const absl::Status& cause) {
  return absl::InvalidArgumentError(
      absl::StrCat(absl::string_view(path.data(), path.size()), ": ",
                   cause.message()));
}

absl::Status ApplyNested(const YAML::Node& entry, TenantLimits* limits) {
  for (const auto& kv : entry) {
    const std::string section_name = kv.first.Scalar();
    const Section* section = FindSection(section_name);
    if (section == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", section_name, " not found"));
    }
    const YAML::Node& body = kv.second;
    if (body.IsNull()) continue;
    if (!body.IsMap()) {
      if (section->any_keys) continue;
      return absl::InvalidArgumentError(
          absl::StrCat(section_name, ": expected a map"));
    }
    for (const auto& field : body) {
      const std::string key = field.first.Scalar();
      const Key* found = nullptr;
      for (const Key& k : section->keys) {
        if (k.name == key) found = &k;
      }
      if (found == nullptr) {
        if (section->any_keys) continue;
        return absl::InvalidArgumentError(
            absl::StrCat("field ", key, " not found in ", section_name));
      }
      absl::Status s = found->set(field.second, limits);
      if (!s.ok()) return KeyError(absl::StrCat(section_name, ".", key), s);
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyLegacy(const YAML::Node& entry, TenantLimits* limits) {
  for (const auto& kv : entry) {
    const std::string key = kv.first.Scalar();
    const Key* found = nullptr;
    for (const Key& k : LegacySchema()) {
      if (k.name == key) found = &k;
    }
    if (found == nullptr) {
      if (key.rfind(kLegacyGeneratorPrefix, 0) == 0) continue;
      return absl::InvalidArgumentError(absl::StrCat("field ", key, " not found"));
    }
    absl::Status s = found->set(kv.second, limits);
    if (!s.ok()) return KeyError(key, s);
  }
  return absl::OkStatus();
}

// Nested if any key names a section only the nested form has.
bool LooksNested(const YAML::Node& entry) {
  for (const auto& kv : entry) {
    const std::string key = kv.first.Scalar();
    if (key == "ingestion" || key == "read" || key == "compaction" ||
        key == "metrics_generator" || key == "global" || key == "storage") {
      return true;
    }
  }
  return false;
}

std::string GoDuration(absl::Duration d) {
  if (d == absl::ZeroDuration()) return "0s";
  return absl::FormatDuration(d);
}

}  // namespace

absl::StatusOr<absl::Duration> ParsePromDuration(std::string_view in) {
  const absl::Status bad = absl::InvalidArgumentError(absl::StrCat(
      "not a valid duration string: \"", absl::string_view(in.data(), in.size()),
      "\""));
  if (in == "0") return absl::ZeroDuration();
  if (in.empty()) return absl::InvalidArgumentError("empty duration string");
  struct Unit {
    std::string_view name;
    absl::Duration d;
  };
  static const Unit kUnits[] = {
      {"y", absl::Hours(24 * 365)}, {"w", absl::Hours(24 * 7)},
      {"d", absl::Hours(24)},       {"h", absl::Hours(1)},
      {"m", absl::Minutes(1)},      {"s", absl::Seconds(1)},
      {"ms", absl::Milliseconds(1)}};
  std::string_view s = in;
  size_t next_unit = 0;
  absl::Duration total;
  while (!s.empty()) {
    size_t k = 0;
    int64_t v = 0;
    for (; k < s.size() && absl::ascii_isdigit(s[k]); ++k) {
      if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) return bad;
      v = v * 10 + (s[k] - '0');
    }
    if (k == 0) return bad;
    s.remove_prefix(k);
    size_t u = 0;
    while (u < s.size() && absl::ascii_isalpha(s[u])) ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    bool found = false;
    for (; next_unit < std::size(kUnits); ++next_unit) {
      if (kUnits[next_unit].name == unit) {
        total += v * kUnits[next_unit].d;
        ++next_unit;
        found = true;
        break;
      }
    }
    if (!found) return bad;
  }
  return total;
}

absl::Status ApplyLimitsYaml(const YAML::Node& entry, TenantLimits* limits) {
  try {
    if (entry.IsNull()) return absl::OkStatus();
    if (!entry.IsMap()) return absl::InvalidArgumentError("expected a map");
    // Work on a copy so a failed entry changes nothing.
    TenantLimits out = *limits;
    absl::Status s =
        LooksNested(entry) ? ApplyNested(entry, &out) : ApplyLegacy(entry, &out);
    if (!s.ok()) return s;
    *limits = std::move(out);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
}

absl::StatusOr<OverridesConfig> ParseOverridesConfig(const YAML::Node& section) {
  OverridesConfig out;
  try {
    if (!section.IsDefined() || section.IsNull()) return out;
    if (!section.IsMap()) {
      return absl::InvalidArgumentError("overrides: expected a map");
    }
    YAML::Node legacy(YAML::NodeType::Map);
    const YAML::Node* defaults = nullptr;
    YAML::Node defaults_node;
    for (const auto& kv : section) {
      const std::string key = kv.first.Scalar();
      if (key == "per_tenant_override_config") {
        absl::StatusOr<std::string> s = Scalar(kv.second);
        if (!s.ok()) return KeyError("overrides." + key, s.status());
        out.per_tenant_override_config = *s;
      } else if (key == "per_tenant_override_period") {
        absl::StatusOr<std::string> s = Scalar(kv.second);
        absl::StatusOr<absl::Duration> d =
            s.ok() ? ParsePromDuration(*s) : s.status();
        if (!d.ok()) return KeyError("overrides." + key, d.status());
        if (*d <= absl::ZeroDuration()) {
          return absl::InvalidArgumentError(
              "overrides.per_tenant_override_period: must be positive");
        }
        out.per_tenant_override_period = *d;
      } else if (key == "user_configurable_overrides") {
        // Not implemented; accepted.
      } else if (key == "defaults") {
        defaults_node = kv.second;
        defaults = &defaults_node;
      } else {
        legacy[key] = kv.second;
      }
    }
    if (defaults != nullptr && legacy.size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "overrides: the nested form (defaults) and the legacy flat form (",
          legacy.begin()->first.Scalar(), ") cannot be mixed"));
    }
    absl::Status s;
    if (defaults != nullptr) {
      if (!defaults->IsNull() && !defaults->IsMap()) {
        return absl::InvalidArgumentError(
            "overrides.defaults: expected a map");
      }
      if (!defaults->IsNull()) s = ApplyNested(*defaults, &out.defaults);
      if (!s.ok()) return KeyError("overrides.defaults", s);
    } else {
      s = ApplyLegacy(legacy, &out.defaults);
      if (!s.ok()) return KeyError("overrides", s);
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("overrides: ", e.what()));
  }
  return out;
}

absl::StatusOr<std::map<std::string, TenantLimits>> ParsePerTenantOverrides(
    std::string_view yaml, const TenantLimits& defaults) {
  std::map<std::string, TenantLimits> out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return out;
    if (!root.IsMap()) {
      return absl::InvalidArgumentError("expected a map with key overrides");
    }
    YAML::Node tenants;
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      if (key != "overrides") {
        return absl::InvalidArgumentError(
            absl::StrCat("field ", key, " not found (want overrides)"));
      }
      tenants = kv.second;
    }
    if (!tenants.IsDefined() || tenants.IsNull()) return out;
    if (!tenants.IsMap()) {
      return absl::InvalidArgumentError("overrides: expected a map of tenants");
    }
    for (const auto& kv : tenants) {
      const std::string tenant = kv.first.Scalar();
      TenantLimits limits = defaults;
      absl::Status s = ApplyLimitsYaml(kv.second, &limits);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "overrides.\"", tenant, "\": ", s.message()));
      }
      out[tenant] = std::move(limits);
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.msg));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
  return out;
}

std::string TenantLimitsToJson(const TenantLimits& l) {
  nlohmann::ordered_json j;
  j["ingestion"]["rate_strategy"] =
      l.rate_strategy == RateStrategy::kGlobal ? "global" : "local";
  j["ingestion"]["rate_limit_bytes"] = l.rate_limit_bytes;
  j["ingestion"]["burst_size_bytes"] = l.burst_size_bytes;
  j["ingestion"]["max_traces_per_user"] = l.max_traces_per_user;
  j["ingestion"]["max_global_traces_per_user"] = l.max_global_traces_per_user;
  j["ingestion"]["max_attribute_bytes"] = l.max_attribute_bytes;
  j["read"]["max_bytes_per_tag_values_query"] =
      l.max_bytes_per_tag_values_query;
  j["read"]["max_blocks_per_tag_values_query"] =
      l.max_blocks_per_tag_values_query;
  j["read"]["max_search_duration"] = GoDuration(l.max_search_duration);
  j["compaction"]["block_retention"] = GoDuration(l.block_retention);
  j["metrics_generator"]["processors"] = l.metrics_generator_processors;
  j["metrics_generator"]["max_active_series"] =
      l.metrics_generator_max_active_series;
  j["global"]["max_bytes_per_trace"] = l.max_bytes_per_trace;
  // Replace, not throw: names from an overrides file need not be UTF-8.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace andante::internal
