// Store: the tenants' instances behind one object, plus the background loop
// that sweeps them.
#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "andante/otlp.h"
#include "andante/span_tap.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "block/block_list.h"
#include "ingest/blocklist_sync.h"
#include "ingest/client_error.h"
#include "ingest/release_memory.h"
#include "ingest/store_counters.h"
#include "ingest/tenant_instance.h"
#include "andante/limits.h"
#include "model/attribute_truncation.h"
#include "model/trace_combiner.h"
#include "model/span_batch.h"
#include "model/span_batch_view.h"
#include "model/trace_split.h"
#include "tenant/limit_errors.h"
#include "util/log.h"
#include "util/strings.h"
#include "wal/wal_file_cache.h"
#include "wal/wal_syncer.h"

namespace andante {
namespace {

using internal::ForClient;
using internal::StoreCounters;
using internal::TenantInstance;

// Subdirectories of `dir` that are valid tenant IDs (the WAL's tenants).
std::vector<std::string> ListTenantDirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    if (ValidateTenantId(name).ok()) out.push_back(name);
  }
  ::closedir(d);
  return out;
}

// Null overrides: every tenant gets the defaults, with the ingester's
// (deprecated) max_bytes_per_trace. concurrent_flushes 0: one flush worker
// per hardware thread, at most 4.
StoreOptions WithOverrides(StoreOptions options) {
  if (options.ingester.concurrent_flushes <= 0) {
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    options.ingester.concurrent_flushes = std::clamp(cores, 1, 4);
  }
  if (options.overrides == nullptr) {
    TenantLimits defaults;
    defaults.max_bytes_per_trace = options.ingester.max_bytes_per_trace;
    options.overrides = std::make_shared<Overrides>(defaults);
  }
  return options;
}

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(StoreOptions options)
      : options_(WithOverrides(std::move(options))),
        wal_files_(options_.wal.max_open_files) {
    // One fsync pool and one bound on open WAL files for all tenants, so
    // neither threads nor file descriptors grow with the tenant count.
    if (options_.wal.fsync == WalFsync::kInterval &&
        options_.wal.fsync_interval > absl::ZeroDuration()) {
      wal_syncer_ = std::make_unique<internal::WalSyncer>(
          options_.wal.fsync_interval, options_.wal.sync_threads);
    }
    wal_shared_.files = &wal_files_;
    wal_shared_.syncer = wal_syncer_.get();
    if (options_.block_cache_bytes > 0) {
      counters_.block_cache =
          std::make_shared<internal::BlockCache>(options_.block_cache_bytes);
    }
    if (options_.backend != nullptr) {
      sync_ = std::make_unique<internal::BlocklistSync>(options_);
      directory_.get_or_open = [this](const std::string& tenant) {
        return GetOrOpen(tenant);
      };
      directory_.all = [this] { return Instances(); };
    }
  }
  ~StoreImpl() override { Close().IgnoreError(); }

  absl::Status Init() {
    if (options_.backend == nullptr) {
      return absl::InvalidArgumentError("StoreOptions.backend is required");
    }
    if (options_.wal.path.empty()) {
      return absl::InvalidArgumentError("StoreOptions.wal.path is required");
    }
    if (env_ == nullptr) {
      return absl::InvalidArgumentError("StoreOptions.env is required");
    }
    if (absl::Status s = sync_->Validate(); !s.ok()) return s;
    std::vector<std::string> tenants = ListTenantDirs(options_.wal.path);
    absl::StatusOr<std::vector<std::string>> in_backend =
        internal::ListTenants(*options_.backend);
    if (!in_backend.ok()) {
      // An unreachable object store must not stop ingest: pushes go to the
      // WAL, complete blocks wait, and the blocklist poll retries.
      ANDANTE_LOG(kWarn, "cannot list the backend's tenants; starting without "
                  "its blocks, polling again every blocklist_poll",
                  {{"error", std::string(in_backend.status().message())}});
      in_backend = std::vector<std::string>();
    }
    for (std::string& t : *in_backend) {
      if (ValidateTenantId(t).ok()) tenants.push_back(std::move(t));
    }
    std::sort(tenants.begin(), tenants.end());
    tenants.erase(std::unique(tenants.begin(), tenants.end()), tenants.end());
    if (absl::Status s = OpenTenants(tenants); !s.ok()) return s;
    // Writes the tenant indexes and drops compacted blocks at once; a
    // failure is logged and retried by the background poll.
    if (in_backend->size() > 0) {
      sync_->Poll(env_->Now(), directory_).IgnoreError();
    }
    // The periodic work runs on the Env (threads by default, the test's own
    // thread under a manual Env); the flush workers build what the sweep
    // cuts.
    for (int i = 0; i < options_.ingester.concurrent_flushes; ++i) {
      flushers_.emplace_back([this, i] { FlushLoop(i); });
    }
    // Ticks every kPressureCheck (or every period, if shorter): a full
    // sweep once per flush_check_period, and in between a sweep of the
    // tenants under memory pressure only.
    last_full_sweep_ = env_->Now();
    sweep_task_ = env_->SchedulePeriodic(
        std::min(options_.ingester.flush_check_period, kPressureCheck),
        [this] { SweepOnce(); });
    poll_task_ = env_->SchedulePeriodic(sync_->poll_interval(), [this] {
      sync_->Poll(env_->Now(), directory_).IgnoreError();
    });
    if (sync_->has_compactor()) {
      compaction_task_ = env_->SchedulePeriodic(
          sync_->compaction_cycle(), [this] { CompactUntilCaughtUp(); });
    }
    return absl::OkStatus();
  }

  using Store::Push;  // of a parsed request

  absl::StatusOr<PushResult> Push(std::string_view tenant,
                                  const SpanBatch& batch) override {
    if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
    const SpanBatch::Rep& rep = internal::GetSpanBatchRep(batch);
    if (!rep.status.ok()) return rep.status;
    if (rep.fragments.empty()) return PushResult{};
    absl::StatusOr<TenantInstance*> instance = GetOrOpen(tenant);
    if (!instance.ok()) return ForClient(instance.status());
    // One lookup of the tenant's limits per push; no per-span work unless
    // max_attribute_bytes asks for it.
    std::shared_ptr<const TenantLimits> limits =
        options_.overrides->ForTenant(tenant);
    TenantInstance::PushLimits push_limits;
    push_limits.limits = limits.get();
    push_limits.request_bytes = rep.request != nullptr
                                    ? rep.request->ByteSizeLong()
                                    : rep.proto.size();
    push_limits.instances =
        std::max<size_t>(options_.blocklist.instance_ring.size(), 1);
    const std::vector<internal::TraceFragment>* fragments = &rep.fragments;
    std::vector<internal::TraceFragment> truncated;
    uint64_t attributes_truncated = 0;
    if (const uint64_t max = limits->max_attribute_bytes; max > 0) {
      // A fragment no longer than the limit cannot hold a longer string.
      for (size_t i = 0; i < rep.fragments.size(); ++i) {
        if (rep.fragments[i].data.size() <= max) continue;
        if (truncated.empty()) truncated = rep.fragments;
        absl::Status s = internal::TruncateFragmentAttributes(
            &truncated[i].data, max, &attributes_truncated);
        if (!s.ok()) return ForClient(s);
      }
      if (!truncated.empty()) fragments = &truncated;
      if (attributes_truncated > 0) {
        (*instance)->attributes_truncated().fetch_add(
            attributes_truncated, std::memory_order_relaxed);
      }
    }
    absl::StatusOr<PushResult> result =
        (*instance)->Push(*fragments, env_->Now(), push_limits);
    if (!result.ok()) return ForClient(result.status());
    result->attributes_truncated = attributes_truncated;
    uint64_t bytes = 0;
    for (const auto& f : *fragments) bytes += f.data.size();
    counters_.spans_received.fetch_add(
        result->spans_accepted + result->spans_discarded_trace_too_large +
            result->spans_discarded_live_traces_exceeded,
        std::memory_order_relaxed);
    counters_.bytes_received.fetch_add(bytes, std::memory_order_relaxed);
    taps_.Show(tenant, rep);
    return result;
  }

  absl::StatusOr<FoundTrace> FindTraceById(
      std::string_view tenant, const TraceId& id,
      const TraceLookupOptions& options) override {
    if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
    FoundTrace found;
    TenantInstance* instance = Find(tenant);
    if (instance == nullptr) return found;
    internal::TraceCombiner combiner(id);
    absl::Status s = instance->CollectTrace(id, options, combiner,
                                            &found.inspected_bytes,
                                            &found.partial);
    if (!s.ok()) return ForClient(s);
    *MutableTracesDataOf(&found) = combiner.Finish(&found.span_count);
    if (found.partial) {
      found.message = internal::PartialTraceMessage(
          instance->limits()->max_bytes_per_trace);
    }
    return found;
  }

  absl::Status Flush() override {
    return ForClient(SweepAll(env_->Now(), true));
  }
  absl::Status RequestFlush() override {
    absl::Status result;
    for (TenantInstance* instance : Instances()) {
      result.Update(instance->MoveAndCut(env_->Now(), true));
    }
    WakeFlushers();
    return ForClient(result);
  }

  absl::Status PollBlocklist() override {
    return sync_->Poll(env_->Now(), directory_);
  }

  absl::StatusOr<CompactionCycleReport> RunCompactionCycle() override {
    return sync_->RunCompactionCycle(env_->Now(), directory_);
  }

  void AddSpanTap(SpanTap* tap) override { taps_.Add(tap); }
  void RemoveSpanTap(SpanTap* tap) override { taps_.Remove(tap); }

  StoreStats Stats() const override {
    StoreStats stats;
    stats.spans_received = counters_.spans_received.load();
    stats.bytes_received = counters_.bytes_received.load();
    stats.spans_discarded_trace_too_large =
        counters_.spans_discarded_trace_too_large.load();
    stats.traces_created = counters_.traces_created.load();
    stats.wal_bytes_written = counters_.wal_bytes_written.load();
    stats.blocks_flushed = counters_.blocks_flushed.load();
    stats.block_flush_failures = counters_.block_flush_failures.load();
    stats.blocks_damaged = counters_.blocks_damaged.load();
    if (const auto& cache = counters_.block_cache; cache != nullptr) {
      stats.block_cache_hits = cache->hits();
      stats.block_cache_misses = cache->misses();
      stats.block_cache_bytes = cache->bytes();
    }
    if (sync_ != nullptr) {
      const internal::SyncCounters& sync = sync_->counters();
      stats.blocklist_polls = sync.polls.load();
      stats.blocklist_poll_failures = sync.poll_failures.load();
      stats.blocklist_poll_seconds = sync.last_poll_nanos.load() / 1e9;
      stats.compaction_cycles = sync.compaction_cycles.load();
      stats.compaction_blocks = sync.compaction_blocks.load();
      stats.compaction_seconds = sync.last_compaction_nanos.load() / 1e9;
      stats.compaction_objects_written = sync.compaction_objects_written.load();
      stats.retention_deleted = sync.retention_deleted.load();
      stats.backend_aborted_uploads = sync.aborted_uploads.load();
    }
    stats.block_flush_retries = counters_.block_flush_retries.load();
    stats.search_blocks = counters_.search_blocks.load();
    stats.search_blocks_skipped = counters_.search_blocks_skipped.load();
    stats.search_inspected_bytes = counters_.search_inspected_bytes.load();
    stats.tag_summaries_damaged = counters_.tag_summaries_damaged.load();
    stats.trace_index_bytes = counters_.index_bytes.load();
    const absl::Time now = env_->Now();
    absl::MutexLock lock(&tenants_mu_);
    for (const auto& [name, instance] : tenants_) {
      if (const absl::Time at = instance->flush_retry_at(); at > now) {
        ++stats.tenants_in_flush_backoff;
        stats.flush_backoff_seconds = std::max(
            stats.flush_backoff_seconds, absl::ToDoubleSeconds(at - now));
      }
      stats.wal_bytes_on_disk += instance->wal_bytes_on_disk();
      const uint64_t blocks = instance->blocks();
      stats.blocks_in_backend += blocks;
      if (blocks > 0) stats.blocklist_length[name] = blocks;
      stats.pending_block_bytes += instance->pending_block_bytes();
      const uint64_t live = instance->live_traces();
      stats.live_traces += live;
      if (live > 0) stats.live_traces_per_tenant[name] = live;
      for (size_t r = 0; r < internal::kDiscardReasonCount; ++r) {
        const auto reason = static_cast<internal::DiscardReason>(r);
        if (uint64_t n = instance->discarded(reason); n > 0) {
          stats.discarded_spans[name][std::string(
              internal::DiscardReasonName(reason))] = n;
        }
      }
      if (uint64_t n = instance->attributes_truncated().load(); n > 0) {
        stats.attributes_truncated[name] = n;
      }
    }
    stats.unflushed_bytes = counters_.unflushed_bytes.load();
    return stats;
  }

  absl::Status Close() override {
    {
      absl::MutexLock lock(&tenants_mu_);
      if (closed_) return absl::OkStatus();
      closed_ = true;
    }
    // Cancelling a task waits for a run in progress; a compaction job is
    // abandoned first, so that it does not hold up shutdown for minutes.
    closing_.store(true, std::memory_order_relaxed);
    if (sync_ != nullptr) sync_->CancelCompaction();
    sweep_task_.reset();
    poll_task_.reset();
    compaction_task_.reset();
    stop_.Notify();
    WakeFlushers();  // they see stop_
    for (std::thread& t : flushers_) t.join();
    absl::Status result;
    if (options_.ingester.flush_all_on_shutdown) {
      result.Update(SweepAll(env_->Now(), true));
    }
    // Every tenant's pending fsync at once, on the pool, rather than one
    // after another as each Wal closes.
    if (wal_syncer_ != nullptr) wal_syncer_->Drain();
    absl::MutexLock lock(&tenants_mu_);
    for (auto& [name, instance] : tenants_) result.Update(instance->Close());
    return result;
  }

 private:
  TenantInstance* FindTenantForSearch(std::string_view tenant) override {
    if (!ValidateTenantId(tenant).ok()) return nullptr;
    return Find(tenant);
  }

  TenantInstance* Find(std::string_view tenant) {
    absl::MutexLock lock(&tenants_mu_);
    auto it = tenants_.find(internal::ToAbsl(tenant));
    return it == tenants_.end() ? nullptr : it->second.get();
  }

  absl::StatusOr<TenantInstance*> GetOrOpen(std::string_view tenant) {
    absl::MutexLock lock(&tenants_mu_);
    if (closed_) return absl::UnavailableError("store is closed");
    auto it = tenants_.find(internal::ToAbsl(tenant));
    if (it != tenants_.end()) return it->second.get();
    std::string name(tenant);
    absl::StatusOr<std::unique_ptr<TenantInstance>> instance =
        TenantInstance::Open(name, absl::StrCat(options_.wal.path, "/", name),
                             options_, wal_shared_, &counters_);
    if (!instance.ok()) return instance.status();
    TenantInstance* raw = instance->get();
    tenants_.emplace(std::move(name), std::move(*instance));
    return raw;
  }

  // Opens (replays) `tenants` at start on a few short-lived threads: a
  // restart with many tenants is mostly waiting for directory scans and
  // segment reads, which overlap well. Fails with the first error.
  absl::Status OpenTenants(const std::vector<std::string>& tenants) {
    constexpr size_t kTenantsPerThread = 256;
    constexpr size_t kMaxThreads = 8;
    const size_t n = tenants.size();
    std::vector<std::unique_ptr<TenantInstance>> opened(n);
    std::vector<absl::Status> errors(n);
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        absl::StatusOr<std::unique_ptr<TenantInstance>> instance =
            TenantInstance::Open(
                tenants[i], absl::StrCat(options_.wal.path, "/", tenants[i]),
                options_, wal_shared_, &counters_);
        if (instance.ok()) {
          opened[i] = std::move(*instance);
        } else {
          errors[i] = instance.status();
        }
      }
    };
    std::vector<std::thread> threads;
    const size_t extra = std::min(kMaxThreads, n / kTenantsPerThread);
    for (size_t t = 1; t < extra; ++t) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    for (size_t i = 0; i < n; ++i) {
      if (!errors[i].ok()) return errors[i];
    }
    absl::MutexLock lock(&tenants_mu_);
    for (size_t i = 0; i < n; ++i) {
      tenants_.emplace(tenants[i], std::move(opened[i]));
    }
    return absl::OkStatus();
  }

  absl::Status SweepAll(absl::Time now, bool force) {
    std::vector<TenantInstance*> instances;
    {
      absl::MutexLock lock(&tenants_mu_);
      for (auto& [name, instance] : tenants_) instances.push_back(instance.get());
    }
    // Cut everything first, so the flush workers build the blocks of every
    // tenant in parallel with this thread.
    absl::Status result;
    for (TenantInstance* instance : instances) {
      result.Update(instance->MoveAndCut(now, force));
    }
    WakeFlushers();
    for (TenantInstance* instance : instances) {
      result.Update(instance->FlushFrozen());
    }
    return result;
  }

  // The background sweep: moves idle traces out of memory and cuts head
  // blocks by size and age, every flush_check_period, whatever the load.
  // Between those, every kPressureCheck, it sweeps the tenants near a
  // memory bound (TenantInstance::UnderMemoryPressure), so that at a high
  // push rate the bound is freed by a cut within a second rather than
  // refusing pushes until the period is up. Building blocks is the
  // flusher's job (FlushLoop), so a slow block write never holds up the
  // sweep.
  void SweepOnce() {
    const absl::Time now = env_->Now();
    const bool full =
        now - last_full_sweep_ >= options_.ingester.flush_check_period;
    if (full) last_full_sweep_ = now;
    std::vector<TenantInstance*> instances = Instances();
    absl::Status result;
    bool pending = false;
    for (TenantInstance* instance : instances) {
      if (full || instance->UnderMemoryPressure()) {
        result.Update(instance->MoveAndCut(now, false));
      }
      pending = pending || instance->pending_block_bytes() > 0;
    }
    if (!result.ok()) {
      ANDANTE_LOG(kError, "sweep failed",
                  {{"error", std::string(result.message())}});
    }
    if (pending) WakeFlushers();
  }

  // The compaction task: one cycle, then more at once for as long as each
  // compacts something. A cycle plans only the jobs the blocks of its start
  // allow, so after a burst the next level's inputs (this cycle's outputs)
  // used to wait a whole compaction_cycle, each level in turn: after a
  // 10-minute max-rate run, compaction was still 144 blocks behind three
  // minutes later, and the idle server held a job's working set. Ends at
  // the first cycle with nothing to compact, on failure, and on Close (a
  // cancelled cycle compacts nothing more).
  void CompactUntilCaughtUp() {
    while (!closing_.load(std::memory_order_relaxed)) {
      absl::StatusOr<CompactionCycleReport> r =
          sync_->RunCompactionCycle(env_->Now(), directory_);
      if (!r.ok()) {
        ANDANTE_LOG(kWarn, "compaction cycle failed",
                    {{"error", std::string(r.status().message())}});
        return;
      }
      if (r->compactions.empty()) return;
    }
  }

  void WakeFlushers() {
    absl::MutexLock lock(&flush_mu_);
    ++flush_generation_;
  }

  // One of the flush workers: builds the blocks the sweep cut, any tenant's,
  // several of one tenant's at once (TenantInstance::BuildNext commits them
  // in cut order). Runs while any block is buildable, then sleeps until the
  // sweep wakes it or a retry backoff may have run out. A failed build is
  // logged and backed off by the instance.
  void FlushLoop(int worker) {
    uint64_t seen = 0;
    bool built_since_sleep = false;
    while (!stop_.HasBeenNotified()) {
      bool built = false;
      std::vector<TenantInstance*> instances = Instances();
      const size_t n = instances.size();
      // Workers start at different tenants so that they spread out.
      for (size_t k = 0; k < n && !stop_.HasBeenNotified(); ++k) {
        TenantInstance* instance = instances[(k + worker) % n];
        if (!instance->HasBuildableBlock(env_->Now())) continue;
        absl::StatusOr<bool> r = instance->BuildNext(env_->Now(), false);
        built = built || (r.ok() && *r);
      }
      if (built) {
        built_since_sleep = true;
        continue;
      }
      // Out of work after building: the cut blocks' memory is free now.
      if (built_since_sleep) internal::ReleaseFreeMemory();
      built_since_sleep = false;
      absl::MutexLock lock(&flush_mu_);
      auto woken = [this, &seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flush_mu_) {
        return flush_generation_ != seen;
      };
      flush_mu_.AwaitWithTimeout(absl::Condition(&woken),
                                 options_.ingester.flush_check_period);
      seen = flush_generation_;
    }
  }

  std::vector<TenantInstance*> Instances() {
    std::vector<TenantInstance*> instances;
    absl::MutexLock lock(&tenants_mu_);
    instances.reserve(tenants_.size());
    for (auto& [name, instance] : tenants_) {
      instances.push_back(instance.get());
    }
    return instances;
  }

  const StoreOptions options_;
  StoreCounters counters_;
  // Shared by every tenant's Wal; declared before tenants_ so they outlive
  // the instances.
  internal::WalFileCache wal_files_;
  std::unique_ptr<internal::WalSyncer> wal_syncer_;
  internal::WalShared wal_shared_;
  mutable absl::Mutex tenants_mu_;
  // Instances are never removed while the store is open, so raw pointers
  // handed out by Find/GetOrOpen stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<TenantInstance>> tenants_
      ABSL_GUARDED_BY(tenants_mu_);
  bool closed_ ABSL_GUARDED_BY(tenants_mu_) = false;
  internal::SpanTapList taps_;
  absl::Notification stop_;
  Env* const env_ = options_.env;
  // How often the sweep looks for tenants near a memory bound.
  static constexpr absl::Duration kPressureCheck = absl::Seconds(1);
  // When the last full sweep ran; touched by the sweep task only.
  absl::Time last_full_sweep_;
  std::unique_ptr<Env::PeriodicTask> sweep_task_;
  // Wakes the flush workers: bumped by the sweep when blocks wait to be
  // built (each worker remembers the last value it saw).
  absl::Mutex flush_mu_;
  uint64_t flush_generation_ ABSL_GUARDED_BY(flush_mu_) = 0;
  std::vector<std::thread> flushers_;
  // Blocklist polls and compaction cycles, each a periodic task.
  std::unique_ptr<internal::BlocklistSync> sync_;
  internal::TenantDirectory directory_;
  std::unique_ptr<Env::PeriodicTask> poll_task_;
  std::unique_ptr<Env::PeriodicTask> compaction_task_;
  // Set by Close before it cancels compaction: ends CompactUntilCaughtUp.
  std::atomic<bool> closing_{false};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  auto store = std::make_unique<StoreImpl>(std::move(options));
  absl::Status s = store->Init();
  if (!s.ok()) return s;
  return store;
}

}  // namespace andante
