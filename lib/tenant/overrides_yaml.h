// The `overrides` section of tempo.yaml and the per-tenant overrides file
// (`per_tenant_override_config`), read into TenantLimits (andante/limits.h).
//
// Both of Tempo's syntaxes are accepted in both places, one per document
// (per tenant entry in the per-tenant file): the nested form (2.3+,
// `ingestion.rate_limit_bytes`, `global.max_bytes_per_trace`, ...) and the
// legacy flat form (`ingestion_rate_limit_bytes`, `max_bytes_per_trace`,
// ...). Unknown keys are errors naming the key; keys Andante accepts but
// does not act on (e.g. `ingestion.tenant_shard_size`) are ignored.
//
//   absl::StatusOr<OverridesConfig> main = ParseOverridesConfig(root["overrides"]);
//   absl::StatusOr<std::map<std::string, TenantLimits>> tenants =
//       ParsePerTenantOverrides(file_text, main->defaults);
//   overrides->Set(main->defaults, *tenants);
//
// Merging (a deliberate departure from Tempo): a tenant entry is applied ON
// TOP OF the defaults, field by field; what it does not set keeps the
// default. Tempo replaces the defaults wholesale, so an entry that only
// raises `max_traces_per_user` silently gets a zero rate limit and every
// push fails with RATE_LIMITED (grafana/tempo#2194, #4996, #7238). An
// explicit value, zero included, is still taken as written.
#ifndef ANDANTE_TENANT_OVERRIDES_YAML_H_
#define ANDANTE_TENANT_OVERRIDES_YAML_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/limits.h"
#include "yaml-cpp/yaml.h"

namespace andante::internal {

// The main file's `overrides` section.
// OverridesConfig (the main file's `overrides` section) is public:
// andante/limits.h.

// Reads the main file's `overrides` node (a map, or null for defaults).
// INVALID_ARGUMENT naming the key on an unknown key, a bad value, or both
// forms mixed. Never throws.
absl::StatusOr<OverridesConfig> ParseOverridesConfig(const YAML::Node& section);

// Reads a per-tenant overrides file: `overrides: {<tenant>: <limits>, ...}`
// ("*" is the wildcard entry), each entry merged onto `defaults`. An empty
// document means no tenant entries. INVALID_ARGUMENT naming the tenant and
// key on any error. Never throws.
absl::StatusOr<std::map<std::string, TenantLimits>> ParsePerTenantOverrides(
    std::string_view yaml, const TenantLimits& defaults);

// Applies one tenant entry (either form) to `*limits`. Exposed for tests.
absl::Status ApplyLimitsYaml(const YAML::Node& entry, TenantLimits* limits);

// Prometheus model.Duration ("0", "10s", "1d12h", "2w"). Exposed for tests.
absl::StatusOr<absl::Duration> ParsePromDuration(std::string_view text);

// The limits in the new (nested) form as JSON, e.g. for GET /api/overrides:
// {"ingestion":{"rate_strategy":"local","rate_limit_bytes":15000000,...},
//  "read":{...},"compaction":{...},"metrics_generator":{...},
//  "global":{"max_bytes_per_trace":5000000}}. Durations as Go strings.
std::string TenantLimitsToJson(const TenantLimits& limits);

}  // namespace andante::internal

#endif  // ANDANTE_TENANT_OVERRIDES_YAML_H_
