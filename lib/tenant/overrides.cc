#include "andante/limits.h"

#include <utility>

namespace andante {

Overrides::Overrides(TenantLimits defaults) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->defaults =
      std::make_shared<const TenantLimits>(std::move(defaults));
  snapshot_ = std::move(snapshot);
}

void Overrides::Set(TenantLimits defaults,
                    std::map<std::string, TenantLimits> tenants) {
  auto next = std::make_shared<Snapshot>();
  next->defaults = std::make_shared<const TenantLimits>(std::move(defaults));
  for (auto& [tenant, limits] : tenants) {
    next->tenants.emplace(tenant,
                          std::make_shared<const TenantLimits>(std::move(limits)));
  }
  absl::MutexLock lock(&mu_);
  next->generation = snapshot_->generation + 1;
  snapshot_ = std::move(next);
}

std::shared_ptr<const Overrides::Snapshot> Overrides::Current() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

std::shared_ptr<const TenantLimits> Overrides::ForTenant(
    std::string_view tenant) const {
  std::shared_ptr<const Snapshot> s = Current();
  if (auto it = s->tenants.find(tenant); it != s->tenants.end()) {
    return it->second;
  }
  if (auto it = s->tenants.find(std::string_view("*"));
      it != s->tenants.end()) {
    return it->second;
  }
  return s->defaults;
}

std::shared_ptr<const TenantLimits> Overrides::Defaults() const {
  return Current()->defaults;
}

uint64_t Overrides::generation() const { return Current()->generation; }

}  // namespace andante
