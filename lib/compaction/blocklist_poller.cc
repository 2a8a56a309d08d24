#include "compaction/blocklist_poller.h"

#include <algorithm>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "block/block_list.h"
#include "compaction/compaction_format.h"
#include "compaction/tenant_index.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

MetaBlocklistPoller::MetaBlocklistPoller(BlocklistOptions options,
                                         std::shared_ptr<Backend> backend)
    : options_(std::move(options)),
      backend_(std::move(backend)),
      ring_(options_.instance_id, options_.instance_ring) {}

absl::Duration MetaBlocklistPoller::StalenessBound() const {
  if (options_.blocklist_poll_stale_tenant_index > absl::ZeroDuration()) {
    return options_.blocklist_poll_stale_tenant_index;
  }
  return 3 * options_.blocklist_poll;
}

bool MetaBlocklistPoller::MustWrite(absl::Time now,
                                    std::optional<absl::Time> written_at,
                                    bool changed, bool present) const {
  return !written_at.has_value() || changed || !present ||
         now - *written_at >= StalenessBound() / 2;
}

bool MetaBlocklistPoller::BuildsIndex(const std::string& tenant) const {
  return ring_.AmongOwners(
      absl::StrCat("tenant-index/", tenant),
      static_cast<size_t>(
          std::max(options_.blocklist_poll_tenant_index_builders, 1)));
}

bool MetaBlocklistPoller::BuildsTenantList() const {
  return ring_.AmongOwners(
      "tenant-list", static_cast<size_t>(std::max(
                         options_.blocklist_poll_tenant_index_builders, 1)));
}

absl::StatusOr<std::vector<std::string>> MetaBlocklistPoller::PollTenants(
    absl::Time now, PollStats& stats) {
  std::vector<std::string> non_tenants;
  auto list = [&]() -> absl::StatusOr<std::vector<std::string>> {
    ++stats.tenant_listings;
    return ListTenants(*backend_, &non_tenants);
  };
  if (BuildsTenantList()) {
    absl::StatusOr<std::vector<std::string>> tenants = list();
    if (!tenants.ok()) return tenants.status();
    const bool present =
        absl::c_linear_search(non_tenants, kTenantListObjectName);
    if (!MustWrite(
            now,
            written_list_.has_value() ? std::optional(written_list_->created_at)
                                      : std::nullopt,
            written_list_.has_value() && written_list_->tenants != *tenants,
            present)) {
      return tenants;
    }
    ++stats.tenant_list_writes;
    TenantList fresh{now, options_.instance_id, *tenants};
    absl::Status written = WriteTenantList(*backend_, fresh);
    if (written.ok()) {
      written_list_ = std::move(fresh);
    } else {
      written_list_.reset();
      ANDANTE_LOG(kWarn, "writing tenant list failed",
                  {{"err", std::string(ToStd(written.message()))}});
    }
    return tenants;
  }
  ++stats.tenant_list_reads;
  absl::StatusOr<TenantList> read = ReadTenantList(*backend_);
  absl::Status unusable = read.status();
  if (read.ok() && now - read->created_at > StalenessBound()) {
    unusable = absl::FailedPreconditionError(
        absl::StrCat("tenant list is stale: written ",
                     absl::FormatDuration(now - read->created_at), " ago"));
  }
  if (unusable.ok()) return std::move(read->tenants);
  if (!absl::IsNotFound(unusable)) {
    ANDANTE_LOG(kWarn, "tenant list unusable, listing instead",
                {{"err", std::string(ToStd(unusable.message()))}});
  }
  // Even without blocklist_poll_fallback (which is about tenant indexes):
  // one LIST finds the tenants, and keeping an old set could miss new ones.
  return list();
}

PollStats MetaBlocklistPoller::last_poll_stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::StatusOr<std::map<std::string, TenantBlocklist>>
MetaBlocklistPoller::Poll(absl::Time now) {
  absl::MutexLock lock(&mu_);
  const absl::Time started = absl::Now();
  PollStats stats;
  absl::StatusOr<std::vector<std::string>> tenants = PollTenants(now, stats);
  if (!tenants.ok()) return tenants.status();

  std::map<std::string, TenantBlocklist> result;
  for (const std::string& tenant : *tenants) {
    ++stats.tenants;
    auto prev_it = previous_.find(tenant);
    const TenantBlocklist* previous =
        prev_it == previous_.end() ? nullptr : &prev_it->second;
    auto keep_previous = [&](const absl::Status& s) {
      ++stats.errors;
      ANDANTE_LOG(
          kWarn, "blocklist poll failed for tenant",
          {{"tenant", tenant}, {"err", std::string(ToStd(s.message()))}});
      if (previous != nullptr) result[tenant] = *previous;
    };
    std::vector<std::string> non_blocks;
    auto list = [&]() -> absl::StatusOr<TenantBlocklist> {
      ++stats.listings;
      return ListTenantBlocklist(*backend_, tenant, now, previous, &non_blocks);
    };

    if (BuildsIndex(tenant)) {
      absl::StatusOr<TenantBlocklist> listed = list();
      if (!listed.ok()) {
        keep_previous(listed.status());
        continue;
      }
      // index_written_at_ holds a time only while the stored index says
      // what previous_ says, so comparing with the previous poll tells
      // whether readers would learn anything from a PUT.
      auto written_it = index_written_at_.find(tenant);
      std::optional<absl::Time> written_at;
      if (written_it != index_written_at_.end())
        written_at = written_it->second;
      if (MustWrite(
              now, written_at, previous == nullptr || *previous != *listed,
              absl::c_linear_search(non_blocks, kTenantIndexObjectName))) {
        ++stats.index_writes;
        absl::Status written = WriteTenantIndex(
            *backend_, {tenant, now, options_.instance_id, *listed});
        if (written.ok()) {
          index_written_at_[tenant] = now;
        } else {
          index_written_at_.erase(tenant);
          ANDANTE_LOG(kWarn, "writing tenant index failed",
                      {{"tenant", tenant},
                       {"err", std::string(ToStd(written.message()))}});
        }
      }
      result[tenant] = *std::move(listed);
      continue;
    }

    ++stats.index_reads;
    absl::StatusOr<TenantIndex> index = ReadTenantIndex(*backend_, tenant);
    absl::Status unusable;
    if (!index.ok()) {
      unusable = index.status();
    } else if (now - index->created_at > StalenessBound()) {
      unusable = absl::FailedPreconditionError(
          absl::StrCat("tenant index is stale: written ",
                       absl::FormatDuration(now - index->created_at), " ago"));
    }
    if (unusable.ok()) {
      result[tenant] = std::move(index->blocks);
      continue;
    }
    if (!options_.blocklist_poll_fallback) {
      keep_previous(unusable);
      continue;
    }
    if (!absl::IsNotFound(unusable)) {
      ANDANTE_LOG(kWarn, "tenant index unusable, listing instead",
                  {{"tenant", tenant},
                   {"err", std::string(ToStd(unusable.message()))}});
    }
    ++stats.fallbacks;
    absl::StatusOr<TenantBlocklist> listed = list();
    if (!listed.ok()) {
      keep_previous(listed.status());
      continue;
    }
    result[tenant] = *std::move(listed);
  }
  // A tenant gone from the listing (or from this poll's result) forgets its
  // write, so that its index is written again if it comes back.
  std::erase_if(index_written_at_, [&](const auto& entry) {
    return !result.contains(entry.first);
  });
  stats.duration = absl::Now() - started;
  stats_ = stats;
  previous_ = result;
  return result;
}

}  // namespace andante::internal
