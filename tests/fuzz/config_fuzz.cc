// Fuzzes the tempo.yaml loader (include/andante/config.h): any text must give
// a config or an INVALID_ARGUMENT, never a crash, a hang or an exception;
// ${...} expansion likewise. A config that loads renders (/status/config) to
// text that loads again and renders the same.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "andante/config.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

std::optional<std::string> Env(std::string_view name) {
  if (name == "HOME") return "/home/tempo";
  if (name == "EMPTY") return "";
  if (name == "PORT") return "3200";
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> expanded = andante::ExpandEnv(in, Env);
  Check(expanded.ok() ||
        expanded.status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<andante::Config> cfg = andante::ParseConfig(in);
  if (!cfg.ok()) {
    Check(cfg.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string text = andante::RenderConfigYaml(*cfg);
  absl::StatusOr<andante::Config> again = andante::ParseConfig(text);
  Check(again.ok());
  Check(andante::RenderConfigYaml(*again) == text);
  for (std::string_view mode : {"diff", "defaults"}) {
    Check(andante::StatusConfigPage(*cfg, mode).ok());
  }
  return 0;
}
