// The metrics generator's part of tempo.yaml (GeneratorConfig in
// andante/config.h): the `metrics_generator` section and the generator keys
// of `overrides`, plus the per-tenant overrides file's generator keys.
#ifndef ANDANTE_CONFIG_GENERATOR_CONFIG_H_
#define ANDANTE_CONFIG_GENERATOR_CONFIG_H_

#include "absl/status/status.h"
#include "andante/config.h"

namespace YAML {
class Node;
}

namespace andante::internal {

// Reads the generator keys of a parsed tempo.yaml document into *out.
// INVALID_ARGUMENT naming the key (and its line) on a wrong type or unknown
// key inside the blocks it owns (remote_write entries, processor blocks).
absl::Status ParseGeneratorConfig(const YAML::Node& root, GeneratorConfig* out);

// Reads the per-tenant overrides file's generator keys
// (`overrides: {<tenant>: {metrics_generator: {processors: [...]}}}` or the
// legacy `metrics_generator_processors`).
absl::Status ParseGeneratorTenantOverrides(const YAML::Node& root,
                                           GeneratorConfig* out);

}  // namespace andante::internal

#endif  // ANDANTE_CONFIG_GENERATOR_CONFIG_H_
