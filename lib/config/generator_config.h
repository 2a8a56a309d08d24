// The metrics generator's part of tempo.yaml: the `metrics_generator`
// section and the generator keys of `overrides` (new form
// `overrides.defaults.metrics_generator.*`, legacy `metrics_generator_*`),
// plus the per-tenant file's generator keys.
#ifndef ANDANTE_SERVER_GENERATOR_CONFIG_H_
#define ANDANTE_SERVER_GENERATOR_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "andante/metrics_generator.h"
#include "generator/remote_writer.h"

namespace YAML {
class Node;
}

namespace andante::server {

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
  std::vector<internal::RemoteWriteOptions> remote_write;
  std::string storage_path;  // storage.path
  absl::Duration flush_deadline =
      absl::Minutes(1);  // remote_write_flush_deadline
  // overrides.per_tenant_override_config: read once at start for the
  // tenants' generator keys (ParseGeneratorTenantOverrides).
  std::string tenant_overrides_path;
  // Accepted keys whose feature is not implemented (e.g.
  // "metrics_generator.processor.span_metrics.filter_policies"), for the
  // config's unsupported list.
  std::vector<std::string> unsupported;
};

// Reads the generator keys of a parsed tempo.yaml document into *out.
// INVALID_ARGUMENT naming the key on a wrong type or unknown key inside
// the blocks it owns (remote_write entries, processor blocks).
absl::Status ParseGeneratorConfig(const YAML::Node& root, GeneratorConfig* out);

// Reads the per-tenant overrides file's generator keys
// (`overrides: {<tenant>: {metrics_generator: {processors: [...]}}}` or the
// legacy `metrics_generator_processors`).
absl::Status ParseGeneratorTenantOverrides(const YAML::Node& root,
                                           GeneratorConfig* out);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_GENERATOR_CONFIG_H_
