// andante::Compactor and andante::BlocklistPoller: the public faces of the
// compaction module.
#include <algorithm>
#include <atomic>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/blocklist.h"
#include "andante/compaction.h"
#include "andante/tenant.h"
#include "block/block_list.h"
#include "compaction/blocklist.h"
#include "compaction/blocklist_poller.h"
#include "compaction/compaction_job.h"
#include "compaction/compaction_planner.h"
#include "compaction/instance_ring.h"
#include "compaction/retention.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante {
namespace {

using internal::BlockMeta;
using internal::ToAbsl;
using internal::ToStd;

absl::Status ValidateOptions(const CompactionOptions& o) {
  if (o.compaction_window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("compaction window can't be 0");
  }
  if (o.min_input_blocks < 2 || o.max_input_blocks < o.min_input_blocks) {
    return absl::InvalidArgumentError(absl::StrCat(
        "compaction input blocks must satisfy 2 <= min_input_blocks (",
        o.min_input_blocks, ") <= max_input_blocks (", o.max_input_blocks,
        ")"));
  }
  if (o.max_block_bytes == 0 || o.max_compaction_objects == 0) {
    return absl::InvalidArgumentError(
        "max_block_bytes and max_compaction_objects must be positive");
  }
  if (o.compacted_block_retention < absl::ZeroDuration() ||
      o.block_retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retention durations must be >= 0");
  }
  if (o.instance_id.empty()) {
    return absl::InvalidArgumentError("instance_id must not be empty");
  }
  return absl::OkStatus();
}

class CompactorImpl : public Compactor {
 public:
  CompactorImpl(CompactionOptions options, std::shared_ptr<Backend> backend)
      : options_(std::move(options)),
        backend_(std::move(backend)),
        ring_(options_.instance_id, options_.instance_ring) {}

  absl::StatusOr<CompactionResult> Compact(
      std::string_view tenant, const std::vector<std::string>& block_ids,
      absl::Time now) override {
    absl::MutexLock lock(&mu_);
    if (cancelled()) return absl::CancelledError("compactor cancelled");
    absl::StatusOr<internal::TenantBlocklist> list =
        internal::ListTenantBlocklist(*backend_, tenant, now);
    if (!list.ok()) return list.status();
    std::vector<BlockMeta> inputs;
    for (const std::string& id : block_ids) {
      auto it =
          std::find_if(list->live.begin(), list->live.end(),
                       [&](const BlockMeta& m) { return m.block_id == id; });
      if (it == list->live.end()) {
        return absl::NotFoundError(absl::StrCat(
            "block ", id, " is not a live block of tenant ", ToAbsl(tenant)));
      }
      inputs.push_back(*it);
    }
    return internal::RunCompactionJob(backend_, tenant, inputs, options_, now,
                                     &cancelled_);
  }

  const CompactionOptions& options() const override { return options_; }

  void Cancel() override {
    cancelled_.store(true, std::memory_order_relaxed);
  }

  absl::StatusOr<CompactionCycleReport> RunCycle(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::vector<std::string>> tenants =
        internal::ListTenants(*backend_);
    if (!tenants.ok()) return tenants.status();
    CompactionCycleReport report;
    for (const std::string& tenant : *tenants) {
      if (cancelled()) break;
      auto prev = previous_.find(tenant);
      absl::StatusOr<internal::TenantBlocklist> list =
          internal::ListTenantBlocklist(
              *backend_, tenant, now,
              prev == previous_.end() ? nullptr : &prev->second);
      if (!list.ok()) {
        ++report.jobs_failed;
        ANDANTE_LOG(kWarn, "compaction: listing tenant failed",
                    {{"tenant", tenant},
                     {"err", std::string(ToStd(list.status().message()))}});
        continue;
      }
      for (internal::CompactionJob& job :
           internal::PlanCompactions(tenant, list->live, options_, now)) {
        if (!ring_.Owns(job.owner_key)) {
          ++report.jobs_skipped_not_owned;
          continue;
        }
        if (cancelled()) break;
        absl::StatusOr<CompactionResult> done = internal::RunCompactionJob(
            backend_, tenant, job.inputs, options_, now, &cancelled_);
        if (absl::IsCancelled(done.status())) break;
        if (!done.ok()) {
          ++report.jobs_failed;
          ANDANTE_LOG(kWarn, "compaction job failed",
                      {{"tenant", tenant},
                       {"err", std::string(ToStd(done.status().message()))}});
          continue;
        }
        // Keep the in-memory list current for retention below.
        for (const BlockMeta& m : job.inputs) {
          std::erase_if(list->live, [&](const BlockMeta& l) {
            return l.block_id == m.block_id;
          });
          list->compacted.push_back({m, now});
        }
        report.compactions.push_back(*std::move(done));
      }
      previous_[tenant] = *list;
      if (cancelled()) break;
      if (ring_.Owns(absl::StrCat("retention/", tenant))) {
        internal::RetentionPlan plan =
            internal::PlanRetention(tenant, *list, options_, now);
        absl::StatusOr<RetentionResult> r =
            internal::ApplyRetentionPlan(*backend_, plan, options_, now);
        if (!r.ok()) {
          ANDANTE_LOG(kWarn, "retention failed",
                      {{"tenant", tenant},
                       {"err", std::string(ToStd(r.status().message()))}});
          continue;
        }
        auto append = [](std::vector<std::string>& to,
                         const std::vector<std::string>& from) {
          to.insert(to.end(), from.begin(), from.end());
        };
        append(report.retention.expired_block_ids, r->expired_block_ids);
        append(report.retention.deleted_block_ids, r->deleted_block_ids);

      }
    }
    // Writes killed mid-object, in any tenant (also one with no object yet).
    if (!cancelled() && ring_.Owns("retention/incomplete-writes")) {
      absl::StatusOr<uint64_t> aborted =
          internal::AbortStaleWrites(*backend_, "", options_, now);
      if (!aborted.ok()) {
        ANDANTE_LOG(kWarn, "aborting incomplete uploads failed",
                    {{"err", std::string(ToStd(aborted.status().message()))}});
      } else if (*aborted > 0) {
        report.retention.aborted_writes = *aborted;
        ANDANTE_LOG(kInfo, "aborted incomplete uploads",
                    {{"uploads", absl::StrCat(*aborted)}});
      }
    }
    return report;
  }

  absl::StatusOr<RetentionResult> ApplyRetention(std::string_view tenant,
                                                 absl::Time now) override {
    absl::MutexLock lock(&mu_);
    std::string t(tenant);
    auto prev = previous_.find(t);
    absl::StatusOr<internal::TenantBlocklist> list =
        internal::ListTenantBlocklist(
            *backend_, tenant, now,
            prev == previous_.end() ? nullptr : &prev->second);
    if (!list.ok()) return list.status();
    previous_[t] = *list;
    absl::StatusOr<RetentionResult> result = internal::ApplyRetentionPlan(
        *backend_, internal::PlanRetention(t, *list, options_, now), options_,
        now);
    if (!result.ok()) return result;
    absl::StatusOr<uint64_t> aborted =
        internal::AbortStaleWrites(*backend_, t, options_, now);
    if (!aborted.ok()) return aborted.status();
    result->aborted_writes = *aborted;
    return result;
  }

 private:
  const CompactionOptions options_;
  const std::shared_ptr<Backend> backend_;
  const internal::InstanceRing ring_;
  std::atomic<bool> cancelled_{false};
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  absl::Mutex mu_;
  // The last listing per tenant: carries incomplete blocks' first sighting.
  std::map<std::string, internal::TenantBlocklist> previous_
      ABSL_GUARDED_BY(mu_);
};

BlockSummary Summarize(const BlockMeta& m, absl::Time compacted_time) {
  auto time = [](uint64_t nanos) {
    return absl::FromUnixNanos(
        static_cast<int64_t>(std::min<uint64_t>(nanos, INT64_MAX)));
  };
  BlockSummary s;
  s.block_id = m.block_id;
  s.format_version = m.format_version;
  s.compaction_level = m.compaction_level;
  s.start_time = time(m.start_unix_nano);
  s.end_time = time(m.end_unix_nano);
  s.total_objects = m.total_objects;
  s.total_spans = m.total_spans;
  s.size_bytes = internal::BlockBytes(m);
  s.compacted_time = compacted_time;
  return s;
}

class PollerImpl : public BlocklistPoller {
 public:
  PollerImpl(BlocklistOptions options, std::shared_ptr<Backend> backend)
      : poller_(std::move(options), std::move(backend)) {}

  absl::StatusOr<Blocklist> Poll(absl::Time now) override {
    auto polled = poller_.Poll(now);
    if (!polled.ok()) return polled.status();
    Blocklist out;
    for (const auto& [tenant, list] : *polled) {
      TenantBlocklist& t = out[tenant];
      for (const BlockMeta& m : list.live) {
        t.live.push_back(Summarize(m, absl::InfinitePast()));
      }
      for (const internal::CompactedBlockMeta& c : list.compacted) {
        t.compacted.push_back(Summarize(c.meta, c.compacted_time));
      }
    }
    return out;
  }

  PollStats last_poll_stats() const override {
    return poller_.last_poll_stats();
  }

 private:
  internal::MetaBlocklistPoller poller_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Compactor>> Compactor::Open(
    CompactionOptions options, std::shared_ptr<Backend> backend) {
  if (backend == nullptr) {
    return absl::InvalidArgumentError("Compactor::Open: null backend");
  }
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  return std::make_unique<CompactorImpl>(std::move(options),
                                         std::move(backend));
}

absl::StatusOr<std::unique_ptr<BlocklistPoller>> BlocklistPoller::Open(
    BlocklistOptions options, std::shared_ptr<Backend> backend) {
  if (backend == nullptr) {
    return absl::InvalidArgumentError("BlocklistPoller::Open: null backend");
  }
  if (options.blocklist_poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("blocklist_poll must be positive");
  }
  return std::make_unique<PollerImpl>(std::move(options), std::move(backend));
}

}  // namespace andante
