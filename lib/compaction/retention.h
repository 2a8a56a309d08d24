// Retention, in two steps as in Tempo so that no reader loses a block it
// still lists: a live block past block_retention (by end time) is marked
// compacted; a compacted block past compacted_block_retention (since it was
// marked) is deleted, meta.json first. Incomplete blocks (leftovers of
// crashed writes) are deleted once seen for incomplete_block_timeout;
// AbortStaleWrites discards what a killed writer left outside any listing (S3
// multipart uploads never completed) once begun that long ago.
//
// A tenant's block_retention: its own non-zero value in
// CompactionOptions::overrides (asked at every plan, so reloads apply), else
// tenant_block_retention, else block_retention.
//
//   RetentionPlan plan = PlanRetention(tenant, blocklist, options, now);
//   absl::StatusOr<RetentionResult> done =
//       ApplyRetentionPlan(backend, plan, options, now);
#ifndef ANDANTE_COMPACTION_RETENTION_H_
#define ANDANTE_COMPACTION_RETENTION_H_

#include <cstdint>
#include <string>
#include <string_view>
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

// Discards unfinished writes under `prefix` ("" for the whole backend) that
// began more than incomplete_block_timeout before `now`
// (Backend::AbortIncompleteWrites); returns how many. Not part of a tenant's
// plan: a writer killed on a tenant's first block leaves no object by which
// a listing would find the tenant.
absl::StatusOr<uint64_t> AbortStaleWrites(Backend& backend,
                                          std::string_view prefix,
                                          const CompactionOptions& options,
                                          absl::Time now);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_RETENTION_H_
