// Tenant IDs. Every read and write in Andante is scoped to one tenant; with
// multitenancy off the tenant is "single-tenant", as in Tempo.
#ifndef ANDANTE_TENANT_H_
#define ANDANTE_TENANT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace andante {

// The tenant used when multitenancy is disabled.
inline constexpr std::string_view kSingleTenant = "single-tenant";

// OK when `tenant` is a legal tenant ID: 1-150 bytes of ASCII letters, digits
// and ! - _ . * ' ( ), and neither "." nor "..". Anything else is
// INVALID_ARGUMENT naming the problem. A valid ID is safe as a path segment.
absl::Status ValidateTenantId(std::string_view tenant);

// Most distinct tenants one read may name in "a|b|c". Each tenant is one
// lookup whose answer is merged into the response, so the bound caps the
// work and memory of a single request; well above any Grafana data source's
// tenant list.
inline constexpr size_t kMaxTenantsPerRead = 100;

// Parses the X-Scope-OrgID value of a read: tenant IDs separated by '|'.
// Returns the distinct tenants sorted, as Tempo (dskit's NormalizeTenantIDs)
// does: "b|a|b" reads a and b once each. INVALID_ARGUMENT naming the problem
// if any tenant is invalid (see ValidateTenantId) or more than
// kMaxTenantsPerRead distinct tenants are named.
absl::StatusOr<std::vector<std::string>> ParseTenantIds(
    std::string_view header);

}  // namespace andante

#endif  // ANDANTE_TENANT_H_
