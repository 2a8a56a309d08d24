// Runs one compaction job: merge the inputs, publish the outputs, then mark
// the inputs compacted — in that order, so that at every instant each trace
// is in a live block (docs/compaction.md).
//
//   absl::StatusOr<CompactionResult> done =
//       RunCompactionJob(backend, job.tenant, job.inputs, options, now);
#ifndef ANDANTE_COMPACTION_COMPACTION_JOB_H_
#define ANDANTE_COMPACTION_COMPACTION_JOB_H_

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "block/block_meta.h"

namespace andante::internal {

// REQUIRES: `inputs` are live blocks of `tenant` (at least one).
// Outputs get deterministic IDs (CompactionOutputBlockId) and compaction
// level max(input levels) + 1. On error, outputs already published stay (a
// retry rewrites them under the same IDs) and no input is marked compacted
// unless the error came from marking itself, after every output was
// published.
//
// Once `*cancel` (if non-null) is set, the job is abandoned within about
// kCancelPoll, even while an input read is pending: CANCELLED, the output
// being written stays unpublished (no meta.json), no input is marked. Once
// every output is published the job runs to its end (marking is short).
absl::StatusOr<CompactionResult> RunCompactionJob(
    std::shared_ptr<Backend> backend, std::string_view tenant,
    const std::vector<BlockMeta>& inputs, const CompactionOptions& options,
    absl::Time now, const std::atomic<bool>* cancel = nullptr);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_COMPACTION_JOB_H_
