// Tenant IDs. Every read and write in Andante is scoped to one tenant; with
// multitenancy off the tenant is "single-tenant", as in Tempo.
#ifndef ANDANTE_TENANT_H_
#define ANDANTE_TENANT_H_

#include <string_view>

#include "absl/status/status.h"

namespace andante {

// The tenant used when multitenancy is disabled.
inline constexpr std::string_view kSingleTenant = "single-tenant";

// OK when `tenant` is a legal tenant ID: 1-150 bytes of ASCII letters, digits
// and ! - _ . * ' ( ), and neither "." nor "..". Anything else is
// INVALID_ARGUMENT naming the problem. A valid ID is safe as a path segment.
absl::Status ValidateTenantId(std::string_view tenant);

}  // namespace andante

#endif  // ANDANTE_TENANT_H_
