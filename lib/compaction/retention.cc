#include "compaction/retention.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "block/block_list.h"
#include "util/crash_point.h"

namespace andante::internal {

RetentionPlan PlanRetention(const std::string& tenant,
                            const TenantBlocklist& blocks,
                            const CompactionOptions& options, absl::Time now) {
  RetentionPlan plan;
  plan.tenant = tenant;
  absl::Duration retention = options.block_retention;
  if (auto it = options.tenant_block_retention.find(tenant);
      it != options.tenant_block_retention.end() &&
      it->second > absl::ZeroDuration()) {
    retention = it->second;
  }
  if (options.overrides != nullptr) {
    const absl::Duration own = options.overrides->ForTenant(tenant)->block_retention;
    if (own > absl::ZeroDuration()) retention = own;
  }
  if (retention > absl::ZeroDuration()) {
    for (const BlockMeta& m : blocks.live) {
      absl::Time end = absl::FromUnixNanos(
          static_cast<int64_t>(std::min<uint64_t>(m.end_unix_nano, INT64_MAX)));
      if (end < now - retention) plan.expire.push_back(m);
    }
  }
  for (const CompactedBlockMeta& c : blocks.compacted) {
    if (c.compacted_time < now - options.compacted_block_retention) {
      plan.remove.push_back(c.meta.block_id);
    }
  }
  for (const IncompleteBlock& b : blocks.incomplete) {
    if (b.first_seen < now - options.incomplete_block_timeout) {
      plan.remove.push_back(b.block_id);
    }
  }
  return plan;
}

absl::StatusOr<RetentionResult> ApplyRetentionPlan(
    Backend& backend, const RetentionPlan& plan,
    const CompactionOptions& options, absl::Time now) {
  RetentionResult result;
  absl::Mutex mu;
  absl::Status first_error;
  auto record = [&](std::vector<std::string>* done, const std::string& id,
                    const absl::Status& s) {
    absl::MutexLock lock(&mu);
    if (s.ok()) {
      done->push_back(id);
    } else if (first_error.ok()) {
      first_error = s;
    }
  };
  // Marking is one small write per block; deleting is several requests, run
  // on up to retention_concurrency threads.
  for (const BlockMeta& m : plan.expire) {
    record(&result.expired_block_ids, m.block_id,
           MarkBlockCompacted(backend, m, now));
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    // TEST HOOK: "retention.delete.after_meta" (block_list.cc).
    CrashPointScope crash_scope("retention");
    for (size_t i; (i = next.fetch_add(1)) < plan.remove.size();) {
      record(&result.deleted_block_ids, plan.remove[i],
             DeleteBlock(backend, plan.tenant, plan.remove[i]));
    }
  };
  size_t threads = std::min<size_t>(std::max(options.retention_concurrency, 1),
                                    plan.remove.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  std::sort(result.expired_block_ids.begin(), result.expired_block_ids.end());
  std::sort(result.deleted_block_ids.begin(), result.deleted_block_ids.end());
  if (!first_error.ok()) return first_error;
  return result;
}

absl::StatusOr<uint64_t> AbortStaleWrites(Backend& backend,
                                          std::string_view prefix,
                                          const CompactionOptions& options,
                                          absl::Time now) {
  return backend.AbortIncompleteWrites(prefix,
                                       now - options.incomplete_block_timeout);
}

}  // namespace andante::internal
