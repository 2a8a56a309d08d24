// The store's view of the backend's blocks kept current: a blocklist poll
// (every blocklist_poll) and, when the store has a compactor, compaction
// cycles (every compaction_cycle), each applied to the tenants' readers.
//
//   BlocklistSync sync(options);            // options.backend set
//   if (absl::Status s = sync.Validate(); !s.ok()) return s;
//   sync.Poll(absl::Now(), tenants);        // tenants: a TenantDirectory
//   sync.RunCompactionCycle(absl::Now(), tenants);
//
// Thread-safe; polls are serialized, as are cycles.
#ifndef ANDANTE_INGEST_BLOCKLIST_SYNC_H_
#define ANDANTE_INGEST_BLOCKLIST_SYNC_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/compaction.h"
#include "andante/options.h"
#include "compaction/blocklist_poller.h"
#include "ingest/tenant_instance.h"

namespace andante::internal {

// How the sync reaches the store's tenants.
struct TenantDirectory {
  // The instance of a tenant, opened if needed; error if it cannot be.
  std::function<absl::StatusOr<TenantInstance*>(const std::string&)>
      get_or_open;
  // Every open instance.
  std::function<std::vector<TenantInstance*>()> all;
};

struct SyncCounters {
  std::atomic<uint64_t> polls{0};
  std::atomic<uint64_t> poll_failures{0};
  std::atomic<int64_t> last_poll_nanos{0};
  std::atomic<uint64_t> compaction_cycles{0};
  std::atomic<uint64_t> compaction_blocks{0};
  // Duration of the last compaction cycle that ran (failed or not).
  std::atomic<int64_t> last_compaction_nanos{0};
  std::atomic<uint64_t> compaction_objects_written{0};
  std::atomic<uint64_t> retention_deleted{0};
  // Multipart uploads left open (a killed or failed writer) and aborted.
  std::atomic<uint64_t> aborted_uploads{0};
};

class BlocklistSync {
 public:
  // REQUIRES: options.backend non-null.
  explicit BlocklistSync(const StoreOptions& options);

  // INVALID_ARGUMENT if blocklist_poll is not positive, or if the
  // compactor's compacted_block_retention is under 2 x blocklist_poll (a
  // reader one poll behind could then miss compacted inputs).
  absl::Status Validate() const;

  // Polls and applies the result to every tenant (see
  // TenantInstance::ApplyBlocklist). On error (the backend's tenants cannot
  // be listed) nothing changes.
  absl::Status Poll(absl::Time now, const TenantDirectory& tenants);

  // One compactor cycle; outputs replace inputs in the tenants' readers.
  // FAILED_PRECONDITION without a compactor.
  absl::StatusOr<CompactionCycleReport> RunCompactionCycle(
      absl::Time now, const TenantDirectory& tenants);

  // For Close: abandons the compaction cycle in progress and later ones
  // (Compactor::Cancel).
  void CancelCompaction() {
    if (compactor_ != nullptr) compactor_->Cancel();
  }

  bool has_compactor() const { return compactor_ != nullptr; }
  absl::Duration poll_interval() const {
    return options_.blocklist.blocklist_poll;
  }
  absl::Duration compaction_cycle() const;

  const SyncCounters& counters() const { return counters_; }

 private:
  const StoreOptions& options_;
  const std::shared_ptr<Compactor> compactor_;
  MetaBlocklistPoller poller_;
  SyncCounters counters_;
};

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_BLOCKLIST_SYNC_H_
