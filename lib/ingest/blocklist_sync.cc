#include "ingest/blocklist_sync.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "andante/tenant.h"
#include "block/block_format.h"
#include "block/block_meta.h"
#include "ingest/release_memory.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

BlocklistSync::BlocklistSync(const StoreOptions& options)
    : options_(options),
      compactor_(options.compactor),
      poller_(options.blocklist, options.backend) {}

absl::Status BlocklistSync::Validate() const {
  const absl::Duration poll = options_.blocklist.blocklist_poll;
  if (poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("blocklist_poll must be positive, got ",
                     absl::FormatDuration(poll)));
  }
  if (compactor_ != nullptr) {
    const absl::Duration retention =
        compactor_->options().compacted_block_retention;
    if (retention < 2 * poll) {
      return absl::InvalidArgumentError(absl::StrCat(
          "compacted_block_retention (", absl::FormatDuration(retention),
          ") must be at least 2 x blocklist_poll (",
          absl::FormatDuration(poll),
          "): readers one poll behind would miss compacted blocks"));
    }
  }
  return absl::OkStatus();
}

absl::Duration BlocklistSync::compaction_cycle() const {
  return compactor_ == nullptr ? absl::InfiniteDuration()
                               : compactor_->options().compaction_cycle;
}

absl::Status BlocklistSync::Poll(absl::Time now,
                                 const TenantDirectory& tenants) {
  const absl::Time started = absl::Now();
  absl::StatusOr<std::map<std::string, TenantBlocklist>> polled =
      poller_.Poll(now);
  counters_.last_poll_nanos.store(
      absl::ToInt64Nanoseconds(absl::Now() - started));
  counters_.polls.fetch_add(1, std::memory_order_relaxed);
  if (!polled.ok()) {
    counters_.poll_failures.fetch_add(1, std::memory_order_relaxed);
    ANDANTE_LOG(kWarn, "blocklist poll failed; keeping the previous blocks",
                {{"error", std::string(ToStd(polled.status().message()))}});
    return polled.status();
  }
  for (const auto& [tenant, list] : *polled) {
    if (!ValidateTenantId(tenant).ok()) continue;
    absl::StatusOr<TenantInstance*> instance = tenants.get_or_open(tenant);
    if (!instance.ok()) {
      ANDANTE_LOG(kWarn, "blocklist poll: cannot open tenant",
                  {{"tenant", tenant},
                   {"error", std::string(ToStd(instance.status().message()))}});
      continue;
    }
    absl::flat_hash_set<std::string> reported;
    for (const BlockMeta& m : list.live) reported.insert(m.block_id);
    for (const CompactedBlockMeta& m : list.compacted) {
      reported.insert(m.meta.block_id);
    }
    (*instance)->ApplyBlocklist(list.live, reported);
  }
  // A tenant missing from the result is left as it is: the poller omits a
  // tenant whose listing failed when it had no earlier list for it, and
  // dropping its blocks then would hide acknowledged traces. (Blocks deleted
  // meanwhile read as gone and are skipped by lookups.)
  return absl::OkStatus();
}

absl::StatusOr<CompactionCycleReport> BlocklistSync::RunCompactionCycle(
    absl::Time now, const TenantDirectory& tenants) {
  if (compactor_ == nullptr) {
    return absl::FailedPreconditionError("the store has no compactor");
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<CompactionCycleReport> report = compactor_->RunCycle(now);
  counters_.last_compaction_nanos.store(
      absl::ToInt64Nanoseconds(absl::Now() - start), std::memory_order_relaxed);
  // A job's buffers are free now; give their pages back rather than keep
  // them until the allocator's decay (or for good, under glibc).
  if (!report.ok() || !report->compactions.empty()) ReleaseFreeMemory();
  if (!report.ok()) return report.status();
  counters_.compaction_cycles.fetch_add(1, std::memory_order_relaxed);
  counters_.retention_deleted.fetch_add(
      report->retention.deleted_block_ids.size(), std::memory_order_relaxed);
  counters_.aborted_uploads.fetch_add(report->retention.aborted_writes,
                                      std::memory_order_relaxed);
  for (const CompactionResult& r : report->compactions) {
    counters_.compaction_blocks.fetch_add(r.input_block_ids.size(),
                                          std::memory_order_relaxed);
    counters_.compaction_objects_written.fetch_add(r.traces,
                                                   std::memory_order_relaxed);
    std::vector<BlockMeta> outputs;
    bool complete = true;
    for (const std::string& id : r.output_block_ids) {
      absl::StatusOr<std::string> json =
          options_.backend->Read(BlockKey(r.tenant, id, kMetaObjectName));
      absl::StatusOr<BlockMeta> meta =
          json.ok() ? BlockMeta::FromJson(*json)
                    : absl::StatusOr<BlockMeta>(json.status());
      if (!meta.ok()) {
        // The inputs stay readable; the next poll brings the outputs in.
        ANDANTE_LOG(kWarn, "compaction output meta unreadable",
                    {{"tenant", r.tenant},
                     {"block", id},
                     {"error", std::string(ToStd(meta.status().message()))}});
        complete = false;
        break;
      }
      outputs.push_back(*std::move(meta));
    }
    if (!complete) continue;
    absl::StatusOr<TenantInstance*> instance = tenants.get_or_open(r.tenant);
    if (instance.ok()) (*instance)->ReplaceBlocks(r.input_block_ids, outputs);
  }
  return report;
}

}  // namespace andante::internal
