#include "andante/tenant.h"

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

}  // namespace andante
