// Retention, in two steps as in Tempo so that no reader loses a block it
// still lists: a live block past block_retention (by end time) is marked
// compacted; a compacted block past compacted_block_retention (since it was
// marked) is deleted, meta.json first. Incomplete blocks (leftovers of
// crashed writes) are deleted once seen for incomplete_block_timeout.
//
//   RetentionPlan plan = PlanRetention(tenant, blocklist, options, now);
//   absl::StatusOr<RetentionResult> done =
//       ApplyRetentionPlan(backend, plan, options, now);
#ifndef ANDANTE_COMPACTION_RETENTION_H_
#define ANDANTE_COMPACTION_RETENTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "compaction/blocklist.h"

namespace andante::internal {

struct RetentionPlan {
  std::string tenant;
  std::vector<BlockMeta> expire;    // live, to mark compacted
  std::vector<std::string> remove;  // compacted or incomplete, to delete
};

// What retention would do to `blocks` at `now`. Pure.
RetentionPlan PlanRetention(const std::string& tenant,
                            const TenantBlocklist& blocks,
                            const CompactionOptions& options, absl::Time now);

// Executes `plan` with up to retention_concurrency deletions in flight.
// Keeps going past a failed block and returns the first error after
// trying all; the result lists only what succeeded.
absl::StatusOr<RetentionResult> ApplyRetentionPlan(
    Backend& backend, const RetentionPlan& plan,
    const CompactionOptions& options, absl::Time now);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_RETENTION_H_
