// How Go's yaml.v2 (which reads tempo.yaml in Tempo) resolves a plain
// scalar into a bool, an integer or a float, so that a value Tempo accepts
// is read the same here and a value it rejects is rejected. One
// implementation for the tempo.yaml loader (config/) and the overrides
// files (tenant/overrides_yaml).
//
// Quoted scalars are the caller's business: go-yaml never resolves them.
#ifndef ANDANTE_UTIL_GO_YAML_SCALARS_H_
#define ANDANTE_UTIL_GO_YAML_SCALARS_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace andante::internal {

// YAML 1.1 booleans as go-yaml v2 knows them: y/yes/true/on and
// n/no/false/off in lower, Title and UPPER case. nullopt for anything else.
std::optional<bool> ParseYamlBool(std::string_view s);

// A sign and magnitude, so that callers decide how wide a field is and
// whether it may be negative.
struct YamlInt {
  bool negative = false;
  uint64_t magnitude = 0;
};

// go-yaml v2 integer resolution: '_' separators dropped, an optional sign,
// then Go's ParseInt with base 0 (0x, 0o, 0b, leading-0 octal). nullopt if
// that is not an integer or its magnitude exceeds 64 bits.
std::optional<YamlInt> ParseYamlInt(std::string_view in);

// go-yaml v2 float resolution:
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? plus the .inf and .nan
// spellings. nullopt for anything else.
std::optional<double> ParseYamlFloat(std::string_view in);

}  // namespace andante::internal

#endif  // ANDANTE_UTIL_GO_YAML_SCALARS_H_
