#include "andante/tenant.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/strings.h"

namespace andante {
namespace {

constexpr size_t kMaxTenantLength = 150;

bool IsTenantChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '-': case '_': case '.': case '*': case '\'':
    case '(': case ')':
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::Status ValidateTenantId(std::string_view tenant) {
  if (tenant.empty()) return absl::InvalidArgumentError("tenant ID is empty");
  if (tenant.size() > kMaxTenantLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tenant ID is too long: max ", kMaxTenantLength, " characters"));
  }
  if (tenant == "." || tenant == "..") {
    return absl::InvalidArgumentError("tenant ID is '.' or '..'");
  }
  for (char c : tenant) {
    if (!IsTenantChar(c)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "tenant ID '%s' contains unsupported character '%c'",
          absl::CHexEscape(internal::ToAbsl(tenant)), c));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseTenantIds(
    std::string_view header) {
  absl::flat_hash_set<std::string_view> seen;
  size_t start = 0;
  while (true) {
    size_t bar = header.find('|', start);
    std::string_view tenant = header.substr(
        start, bar == std::string_view::npos ? std::string_view::npos
                                             : bar - start);
    if (!seen.contains(tenant)) {
      if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
      if (seen.size() == kMaxTenantsPerRead) {
        return absl::InvalidArgumentError(absl::StrCat(
            "too many tenants in X-Scope-OrgID: at most ",
            kMaxTenantsPerRead, " distinct tenants per request"));
      }
      seen.insert(tenant);
    }
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  std::vector<std::string> out(seen.begin(), seen.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace andante
