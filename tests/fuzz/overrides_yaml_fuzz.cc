// The per-tenant overrides file parser (lib/tenant/overrides_yaml): any input
// is an error or a set of tenant limits, never a crash or an exception; a
// parsed set renders as JSON that parses back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nlohmann/json.hpp"
#include "tenant/overrides_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  andante::TenantLimits defaults;
  auto tenants = andante::internal::ParsePerTenantOverrides(text, defaults);
  if (tenants.ok()) {
    for (const auto& [name, limits] : *tenants) {
      nlohmann::json j = nlohmann::json::parse(
          andante::internal::TenantLimitsToJson(limits), nullptr, false);
      if (j.is_discarded()) __builtin_trap();
    }
  }
  (void)andante::internal::ParsePromDuration(text.substr(0, 64));
  return 0;
}
