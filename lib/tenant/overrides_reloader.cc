#include "tenant/overrides_reloader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tenant/overrides_yaml.h"
#include "util/log.h"

namespace andante::internal {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open per-tenant overrides ",
                                            path, ": ", std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read per-tenant overrides ", path));
  }
  return out.str();
}

}  // namespace

OverridesReloader::OverridesReloader(std::shared_ptr<Overrides> overrides,
                                     TenantLimits defaults, std::string path,
                                     absl::Duration period)
    : overrides_(std::move(overrides)),
      defaults_(std::move(defaults)),
      path_(std::move(path)),
      period_(period) {}

absl::StatusOr<std::unique_ptr<OverridesReloader>> OverridesReloader::Start(
    std::shared_ptr<Overrides> overrides, TenantLimits defaults,
    std::string path, absl::Duration period) {
  if (overrides == nullptr) {
    return absl::InvalidArgumentError("OverridesReloader: overrides is null");
  }
  if (period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "per_tenant_override_period must be positive");
  }
  std::unique_ptr<OverridesReloader> r(new OverridesReloader(
      std::move(overrides), std::move(defaults), std::move(path), period));
  if (absl::Status s = r->ReloadNow(); !s.ok()) return s;
  OverridesReloader* raw = r.get();
  r->thread_ = std::thread([raw] {
    while (!raw->stop_.WaitForNotificationWithTimeout(raw->period_)) {
      raw->ReloadNow().IgnoreError();  // logged and counted
    }
  });
  return r;
}

OverridesReloader::~OverridesReloader() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status OverridesReloader::ReloadNow() {
  absl::MutexLock lock(&mu_);
  reloads_.fetch_add(1);
  absl::StatusOr<std::string> text = ReadWholeFile(path_);
  absl::Status status = text.status();
  if (text.ok() && loaded_ && *text == last_good_) {
    last_ok_.store(true);
    return absl::OkStatus();  // unchanged
  }
  if (text.ok()) {
    absl::StatusOr<std::map<std::string, TenantLimits>> tenants =
        ParsePerTenantOverrides(*text, defaults_);
    status = tenants.status();
    if (tenants.ok()) {
      overrides_->Set(defaults_, *std::move(tenants));
      last_good_ = *std::move(text);
      loaded_ = true;
      last_ok_.store(true);
      ANDANTE_LOG(kInfo, "per-tenant overrides loaded", {{"path", path_}});
      return absl::OkStatus();
    }
  }
  failures_.fetch_add(1);
  last_ok_.store(false);
  status = absl::Status(
      status.code(),
      absl::StrCat("per-tenant overrides ", path_, ": ", status.message()));
  ANDANTE_LOG(kError,
              loaded_ ? "per-tenant overrides reload failed; keeping the last "
                        "good version"
                      : "per-tenant overrides cannot be loaded",
              {{"path", path_}, {"error", std::string(status.message())}});
  return status;
}

}  // namespace andante::internal
