// Tempo's command-line flags (Go `flag` syntax) over the tempo.yaml loader:
// -config.file, -config.expand-env, -config.verify, -version, -target and
// the per-field flags (-server.http-listen-port=3300, ...), which win over
// the file.
#ifndef ANDANTE_CONFIG_FLAGS_H_
#define ANDANTE_CONFIG_FLAGS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/config.h"

namespace andante::internal {

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

// Flags -> Config: reads and expands the file (if any), parses it and
// applies the field flags. No file: DefaultConfig() plus the flags.
absl::StatusOr<Config> LoadConfig(const Flags& flags, const EnvLookup& env);

}  // namespace andante::internal

#endif  // ANDANTE_CONFIG_FLAGS_H_
