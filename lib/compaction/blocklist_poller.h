// The poller behind andante::BlocklistPoller, in terms of block metas so that
// the store can open readers on what it returns. Which instances build a
// tenant's index, and when the others trust it, is described in
// include/andante/blocklist.h and docs/tenant-index.md.
#ifndef ANDANTE_COMPACTION_BLOCKLIST_POLLER_H_
#define ANDANTE_COMPACTION_BLOCKLIST_POLLER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/blocklist.h"
#include "compaction/blocklist.h"
#include "compaction/instance_ring.h"
#include "compaction/tenant_index.h"

namespace andante::internal {

class MetaBlocklistPoller {
 public:
  // REQUIRES: backend non-null.
  MetaBlocklistPoller(BlocklistOptions options,
                      std::shared_ptr<Backend> backend);

  // Tenant -> blocks, as of `now`.
  absl::StatusOr<std::map<std::string, TenantBlocklist>> Poll(absl::Time now);

  PollStats last_poll_stats() const;

  // Whether this instance lists `tenant` and writes its index.
  bool BuildsIndex(const std::string& tenant) const;
  // Whether this instance lists the tenants and writes the root tenant list.
  bool BuildsTenantList() const;

 private:
  // The tenants: listed (and the root list written) by a builder, else read
  // from a fresh root list, else listed. REQUIRES: mu_ held.
  absl::StatusOr<std::vector<std::string>> PollTenants(absl::Time now,
                                                       PollStats& stats)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Duration StalenessBound() const;

  // Whether a builder must PUT an object that readers trust for
  // StalenessBound() after its createdAt: when it has no successful write of
  // it (`written_at` empty), when the content changed, when the object is
  // missing from the listing (deleted by another party), or when what it
  // wrote is half the bound old, so that a reader polling up to one
  // blocklist_poll later still finds it fresh. Otherwise the object in the
  // store holds what the builder would write, with an older createdAt.
  bool MustWrite(absl::Time now, std::optional<absl::Time> written_at,
                 bool changed, bool present) const;

  const BlocklistOptions options_;
  const std::shared_ptr<Backend> backend_;
  const InstanceRing ring_;

  mutable absl::Mutex mu_;
  std::map<std::string, TenantBlocklist> previous_ ABSL_GUARDED_BY(mu_);
  PollStats stats_ ABSL_GUARDED_BY(mu_);
  // The root tenant list this instance last wrote, if the write succeeded.
  std::optional<TenantList> written_list_ ABSL_GUARDED_BY(mu_);
  // Per tenant whose index this instance builds: the createdAt of the index
  // it last wrote, present only if that write succeeded and held exactly
  // previous_[tenant] (what the last poll listed).
  std::map<std::string, absl::Time> index_written_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_BLOCKLIST_POLLER_H_
