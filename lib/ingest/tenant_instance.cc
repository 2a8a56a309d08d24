#include "ingest/tenant_instance.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "block/block_builder.h"
#include "block/block_list.h"
#include "block/block_meta.h"
#include "ingest/block_loader.h"
#include "ingest/wal_record.h"
#include "util/crash_point.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

constexpr std::string_view kFlushedMarkerPrefix = "flushed-";

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(ToAbsl(what), " ", path, ": ", std::strerror(errno)));
}

// Writes and fsyncs an empty marker file, then fsyncs its directory, so the
// marker survives a crash that happens right after.
absl::Status WriteMarker(const std::string& dir, uint64_t segment) {
  std::string path =
      absl::StrCat(dir, "/", ToAbsl(kFlushedMarkerPrefix), segment);
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create", path);
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return ErrnoError("fsync", path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

// Segment numbers S of the "flushed-S" markers among a directory's entries.
std::vector<uint64_t> MarkersIn(const std::vector<std::string>& names) {
  std::vector<uint64_t> out;
  for (std::string_view name : names) {
    if (name.substr(0, kFlushedMarkerPrefix.size()) != kFlushedMarkerPrefix) {
      continue;
    }
    uint64_t segment = 0;
    if (absl::SimpleAtoi(ToAbsl(name.substr(kFlushedMarkerPrefix.size())),
                         &segment)) {
      out.push_back(segment);
    }
  }
  return out;
}

void RemoveMarker(const std::string& dir, uint64_t segment) {
  std::string path =
      absl::StrCat(dir, "/", ToAbsl(kFlushedMarkerPrefix), segment);
  ::unlink(path.c_str());
}

// True if [start, end] of a block or a live trace (unix nanos) meets the
// lookup's [start, end] (unix seconds). An unknown start (0) always meets.
template <typename T>
bool Overlaps(const T& meta, const TraceLookupOptions& options) {
  constexpr uint64_t kNanosPerSecond = 1'000'000'000;
  if (meta.start_unix_nano == 0 && meta.end_unix_nano == 0) return true;
  if (options.start_unix_seconds > 0 &&
      meta.end_unix_nano <
          static_cast<uint64_t>(options.start_unix_seconds) * kNanosPerSecond) {
    return false;
  }
  if (options.end_unix_seconds > 0 &&
      meta.start_unix_nano >
          static_cast<uint64_t>(options.end_unix_seconds) * kNanosPerSecond) {
    return false;
  }
  return true;
}

}  // namespace

TenantInstance::TenantInstance(std::string tenant, std::string wal_dir,
                               const StoreOptions& options,
                               const WalShared& wal_shared,
                               StoreCounters* counters)
    : tenant_(std::move(tenant)),
      wal_dir_(std::move(wal_dir)),
      options_(options),
      wal_shared_(wal_shared),
      counters_(counters) {}

TenantInstance::~TenantInstance() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<TenantInstance>> TenantInstance::Open(
    std::string tenant, std::string wal_dir, const StoreOptions& options,
    const WalShared& wal_shared, StoreCounters* counters) {
  WalShared shared = wal_shared;
  shared.lazy = true;
  std::unique_ptr<TenantInstance> instance(new TenantInstance(
      std::move(tenant), std::move(wal_dir), options, shared, counters));
  absl::Status s = instance->LoadBlocks();
  if (!s.ok()) return s;
  s = instance->Recover(options.env->Now());
  if (!s.ok()) return s;
  return instance;
}

absl::Status TenantInstance::LoadBlocks() {
  // Sharing the bucket with other instances, a block without meta.json may
  // be another instance's flush in progress: leave it to retention.
  const bool recover_incomplete = options_.blocklist.instance_ring.size() <= 1;
  absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> readers =
      OpenTenantBlocks(options_.backend, options_.block, tenant_,
                       &counters_->blocks_damaged, recover_incomplete,
                       counters_->block_cache);
  if (!readers.ok()) {
    // The object store is unreachable: start without its blocks (pushes
    // still go to the WAL); the blocklist poll brings them in later.
    ANDANTE_LOG(kWarn, "cannot list the tenant's blocks; will poll again",
                {{"tenant", tenant_},
                 {"error", std::string(ToStd(readers.status().message()))}});
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  blocks_ = std::move(*readers);
  return absl::OkStatus();
}

absl::Status TenantInstance::Recover(absl::Time now) {
  // One listing of the directory serves the checks below (a restart with
  // many tenants pays per directory scan).
  absl::StatusOr<std::vector<std::string>> entries =
      wal_shared_.fs->ListDir(wal_dir_);
  const bool exists = entries.ok();
  if (!exists && !absl::IsNotFound(entries.status())) return entries.status();
  if (exists && WalSegmentsIn(*entries).empty()) {
    // A directory without segments (all flushed, or left by a push that
    // failed before this build removed those) costs a directory scan at
    // every start: remove it. It fails harmlessly if anything is still in
    // it; the first push creates it again.
    for (uint64_t segment : MarkersIn(*entries)) {
      RemoveMarker(wal_dir_, segment);  // nothing left for it to delete
    }
    wal_shared_.fs->DeleteDir(wal_dir_).IgnoreError();
  }
  absl::StatusOr<std::unique_ptr<Wal>> wal =
      Wal::Open(options_.wal, wal_dir_, wal_shared_);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (!exists || WalSegmentsIn(*entries).empty()) return absl::OkStatus();

  // A marker means the block covering segments < S reached the backend but
  // the crash came before those segments were deleted: finish the job.
  for (uint64_t segment : MarkersIn(*entries)) {
    absl::Status s = wal_->DeleteSegmentsBefore(segment);
    if (!s.ok()) return s;
    RemoveMarker(wal_dir_, segment);
  }

  ShardedTraceMap recovered;
  absl::Status decode_error;
  absl::StatusOr<WalReplayReport> report = ReplayWal(
      wal_dir_, [&](const WalRecordRef& record, std::string_view payload) {
        absl::Status s = ForEachIngestEntry(payload, [&](const IngestEntry& e) {
          WalRecordRef ref{record.segment, record.offset + e.data_offset,
                           static_cast<uint32_t>(e.data.size())};
          recovered[e.id].AddFragment(ref, e.start_unix_nano, e.end_unix_nano,
                                      e.span_count, now);
        });
        if (!s.ok()) {
          // One undecodable record must not cost the others.
          ANDANTE_LOG(kError, "skipping undecodable WAL record",
                      {{"tenant", tenant_},
                       {"segment", absl::StrCat(record.segment)},
                       {"error", std::string(s.message())}});
        }
        return absl::OkStatus();
      });
  if (!report.ok()) return report.status();
  for (const std::string& problem : report->problems) {
    ANDANTE_LOG(kWarn, "WAL replay", {{"tenant", tenant_}, {"problem", problem}});
  }
  if (report->records > 0) {
    ANDANTE_LOG(kInfo, "WAL replayed",
                {{"tenant", tenant_},
                 {"records", absl::StrCat(report->records)},
                 {"traces", absl::StrCat(recovered.size())},
                 {"torn_tail", report->torn_tail ? "true" : "false"},
                 {"corrupt_records", absl::StrCat(report->corrupt_records)}});
  }
  if (recovered.empty()) return absl::OkStatus();

  // Everything replayed sits in segments below the one Open just started, so
  // it can be frozen as it is; the next Sweep flushes it.
  auto frozen = std::make_shared<FrozenBlock>();
  for (size_t i = 0; i < ShardedTraceMap::kShards; ++i) {
    std::vector<SealedTraceMap::Entry> entries;
    entries.reserve(recovered.shard(i).size());
    for (auto& [id, entry] : recovered.shard(i)) {
      entries.emplace_back(id, std::move(entry));
    }
    TraceMap().swap(recovered.shard(i));
    frozen->traces.Seal(i, std::move(entries));
  }
  frozen->wal_segment_end = wal_->current_segment();
  frozen->traces.ForEach([&](const TraceId&, const TraceEntry& entry) {
    frozen->bytes += entry.bytes;
  });
  frozen->ref_bytes = frozen->bytes;  // one ref per fragment, sized by it
  absl::MutexLock lock(&mu_);
  unflushed_bytes_ += frozen->bytes;
  counters_->unflushed_bytes.fetch_add(frozen->bytes,
                                       std::memory_order_relaxed);
  frozen_bytes_ += frozen->bytes;
  frozen_.push_back(std::move(frozen));
  UpdateIndexBytes();
  return absl::OkStatus();
}

absl::StatusOr<PushResult> TenantInstance::Push(
    const std::vector<TraceFragment>& fragments, absl::Time now,
    const PushLimits& push_limits) {
  const TenantLimits& limits = *push_limits.limits;
  PushResult result;
  uint64_t push_spans = 0;
  uint64_t push_bytes = 0;
  for (const TraceFragment& f : fragments) {
    push_spans += f.span_count;
    push_bytes += f.data.size();
  }
  absl::ReaderMutexLock cut_lock(&cut_mu_);

  // Decide which fragments fit the limits, then write them all as one WAL
  // record.
  IngestRecordWriter writer;
  std::vector<std::pair<const TraceFragment*, uint64_t>> kept;
  kept.reserve(fragments.size());
  uint64_t kept_bytes = 0;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("store is closed");
    // 1. Rate, over the request as received.
    const uint64_t local_rate = LocalRate(limits, push_limits.instances);
    if (!bucket_.AllowN(now, push_limits.request_bytes,
                        static_cast<double>(local_rate),
                        static_cast<double>(limits.burst_size_bytes))) {
      CountDiscarded(DiscardReason::kRateLimited, push_spans);
      return RateLimitedError(
          tenant_, local_rate,
          limits.rate_strategy == RateStrategy::kGlobal
              ? limits.rate_limit_bytes
              : local_rate * std::max<size_t>(push_limits.instances, 1),
          limits.burst_size_bytes, push_limits.request_bytes);
    }
    // 2. Memory: bytes not yet in a block, the tenant's and everyone's.
    const IngesterOptions& ing = options_.ingester;
    if (ing.max_unflushed_bytes_per_tenant > 0 &&
        unflushed_bytes_ + push_bytes > ing.max_unflushed_bytes_per_tenant) {
      CountDiscarded(DiscardReason::kMemoryLimitExceeded, push_spans);
      return MemoryLimitError(tenant_, true, unflushed_bytes_,
                              ing.max_unflushed_bytes_per_tenant, push_bytes);
    }
    if (ing.max_unflushed_bytes > 0) {
      const uint64_t all = counters_->unflushed_bytes.load();
      if (all + push_bytes > ing.max_unflushed_bytes) {
        CountDiscarded(DiscardReason::kMemoryLimitExceeded, push_spans);
        return MemoryLimitError(tenant_, false, all, ing.max_unflushed_bytes,
                                push_bytes);
      }
    }
    if (ing.max_trace_index_bytes > 0) {
      const uint64_t index = counters_->index_bytes.load();
      if (index > ing.max_trace_index_bytes) {
        CountDiscarded(DiscardReason::kMemoryLimitExceeded, push_spans);
        return absl::ResourceExhaustedError(absl::StrCat(
            "MEMORY_LIMIT_EXCEEDED: the trace index of unflushed traces takes ",
            index, " bytes (limit ", ing.max_trace_index_bytes,
            "); blocks are being written, retry later"));
      }
    }
    const uint64_t pending_limit = ing.max_pending_block_bytes;
    if (pending_limit > 0 && frozen_bytes_ > pending_limit) {
      CountDiscarded(DiscardReason::kFlushBacklog, push_spans);
      return absl::ResourceExhaustedError(absl::StrCat(
          "tenant ", tenant_, ": ", frozen_bytes_,
          " bytes of cut blocks are waiting to be written (limit ",
          pending_limit, "); block building is behind, retry later"));
    }
    // 3. Per trace: live traces, then the trace's size.
    const uint64_t max_live = LocalMaxTraces(limits, push_limits.instances);
    const uint64_t max_trace = limits.max_bytes_per_trace;
    uint64_t live = live_.size();
    for (const TraceFragment& f : fragments) {
      const TraceEntry* live_entry = live_.Find(f.id);
      const bool is_new = live_entry == nullptr;
      if (is_new && max_live > 0 && live >= max_live) {
        result.spans_discarded_live_traces_exceeded += f.span_count;
        continue;
      }
      if (max_trace > 0) {
        uint64_t so_far = 0;
        if (!is_new) so_far += live_entry->bytes;
        if (const TraceEntry* head = head_.Find(f.id); head != nullptr) {
          so_far += head->bytes;
        }
        if (so_far + f.data.size() > max_trace) {
          result.spans_discarded_trace_too_large += f.span_count;
          if (truncated_.insert(f.id).second) {
            truncated_order_.push_back(f.id);
            if (truncated_order_.size() > kTruncatedTracesKept) {
              truncated_.erase(truncated_order_.front());
              truncated_order_.pop_front();
            }
          }
          continue;
        }
      }
      if (is_new) ++live;
      uint64_t offset = writer.Add(f.id, f.start_unix_nano, f.end_unix_nano,
                                   f.span_count, f.data);
      kept.emplace_back(&f, offset);
      kept_bytes += f.data.size();
      result.spans_accepted += f.span_count;
    }
  }
  counters_->spans_discarded_trace_too_large.fetch_add(
      result.spans_discarded_trace_too_large, std::memory_order_relaxed);
  CountDiscarded(DiscardReason::kTraceTooLarge,
                 result.spans_discarded_trace_too_large);
  CountDiscarded(DiscardReason::kLiveTracesExceeded,
                 result.spans_discarded_live_traces_exceeded);
  if (kept.empty()) return result;

  CrashPoint("push.before_wal_append");
  absl::StatusOr<WalRecordRef> record = wal_->Append(writer.payload());
  if (!record.ok()) return record.status();
  CrashPoint("push.after_wal_append");
  counters_->wal_bytes_written.fetch_add(writer.payload().size(),
                                         std::memory_order_relaxed);

  absl::MutexLock lock(&mu_);
  const size_t live_capacity = live_.capacity();
  unflushed_bytes_ += kept_bytes;
  uncut_bytes_ += kept_bytes;
  counters_->unflushed_bytes.fetch_add(kept_bytes, std::memory_order_relaxed);
  for (const auto& [f, offset] : kept) {
    WalRecordRef ref{record->segment, record->offset + offset,
                     static_cast<uint32_t>(f->data.size())};
    auto [entry, inserted] = live_.TryEmplace(f->id);
    if (inserted) counters_->traces_created.fetch_add(1, std::memory_order_relaxed);
    if (entry->refs.empty()) ++live_ref_entries_;
    entry->AddFragment(ref, f->start_unix_nano, f->end_unix_nano,
                           f->span_count, now);
  }
  UpdateIndexBytes(live_.capacity() != live_capacity);
  return result;
}

uint64_t TenantInstance::unflushed_bytes() const {
  absl::MutexLock lock(&mu_);
  return unflushed_bytes_;
}

std::shared_ptr<const TenantLimits> TenantInstance::limits() const {
  if (options_.overrides == nullptr) {
    auto defaults = std::make_shared<TenantLimits>();
    defaults->max_bytes_per_trace = options_.ingester.max_bytes_per_trace;
    return defaults;
  }
  return options_.overrides->ForTenant(tenant_);
}

absl::Status TenantInstance::ReadFragments(const TraceEntry& entry,
                                           std::string* out) const {
  out->clear();
  out->reserve(entry.bytes);
  for (const WalRecordRef& ref : entry.refs) {
    absl::Status s = wal_->ReadPayloadAppend(ref, out);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status TenantInstance::CollectTrace(const TraceId& id,
                                          const TraceLookupOptions& options,
                                          TraceCombiner& combiner,
                                          uint64_t* inspected_bytes,
                                          bool* partial) {
  TraceEntry wal_entry;
  std::vector<std::shared_ptr<BlockReader>> blocks;
  // Read-side max_bytes_per_trace: parts are fed until the next would pass
  // the limit (a trace split over blocks can add up to more than ingest
  // admitted at once, or the limit was lowered since).
  const uint64_t max_trace = limits()->max_bytes_per_trace;
  uint64_t fed = 0;
  bool cut_short = false;
  auto feed = [&](std::string_view bytes) -> absl::Status {
    if (max_trace > 0 && fed > 0 && fed + bytes.size() > max_trace) {
      cut_short = true;
      return absl::OkStatus();
    }
    fed += bytes.size();
    return combiner.Add(bytes);
  };
  absl::ReaderMutexLock segments_lock(&segments_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (partial != nullptr && truncated_.contains(id)) *partial = true;
    auto collect = [&](const auto& map) {
      if (const TraceEntry* entry = map.Find(id); entry != nullptr) {
        TraceEntry copy = *entry;
        wal_entry.Merge(std::move(copy));
      }
    };
    collect(live_);
    collect(head_);
    for (const auto& frozen : frozen_) {
      collect(frozen->unsealed);
      collect(frozen->traces);
    }
    blocks = blocks_;
  }
  if (!wal_entry.refs.empty() && Overlaps(wal_entry, options)) {
    std::string bytes;
    absl::Status s = ReadFragments(wal_entry, &bytes);
    if (!s.ok()) return s;
    *inspected_bytes += bytes.size();
    s = feed(bytes);
    if (!s.ok()) return s;
  }
  for (const auto& block : blocks) {
    if (!Overlaps(block->meta(), options)) continue;
    absl::StatusOr<std::optional<std::string>> found =
        block->Find(id, inspected_bytes);
    // DATA_LOSS: the block is damaged (logged and counted by its reader);
    // NOT_FOUND: it is gone (deleted by compaction or retention elsewhere).
    // Either way it must not cost the answer from every other block.
    if (absl::IsDataLoss(found.status()) || absl::IsNotFound(found.status())) {
      continue;
    }
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      absl::Status s = feed(**found);
      if (!s.ok()) return s;
    }
  }
  if (partial != nullptr && cut_short) *partial = true;
  return absl::OkStatus();
}

absl::Status TenantInstance::ForSearch(
    absl::FunctionRef<
        absl::Status(const SearchView& view,
                     absl::FunctionRef<absl::Status(const TraceEntry&,
                                                    std::string*)>
                         read)>
        fn) {
  SearchView view;
  absl::ReaderMutexLock segments_lock(&segments_mu_);
  {
    absl::MutexLock lock(&mu_);
    auto collect = [&](const auto& map) {
      map.ForEach([&](const TraceId& id, const TraceEntry& entry) {
        if (entry.refs.empty()) return;
        TraceEntry copy = entry;
        auto [it, inserted] = view.wal.try_emplace(id, std::move(copy));
        if (!inserted) {
          TraceEntry again = entry;
          it->second.Merge(std::move(again));
        }
      });
    };
    for (const auto& frozen : frozen_) {
      collect(frozen->traces);
      collect(frozen->unsealed);
    }
    collect(head_);
    collect(live_);
    view.blocks = blocks_;
  }
  return fn(view, [this](const TraceEntry& entry, std::string* out) {
    return ReadFragments(entry, out);
  });
}

absl::Status TenantInstance::Sweep(absl::Time now, bool force) {
  absl::Status s = MoveAndCut(now, force);
  if (!s.ok()) return s;
  return FlushFrozen();
}

absl::Status TenantInstance::MoveAndCut(absl::Time now, bool force) {
  absl::MutexLock sweep_lock(&sweep_mu_);
  const IngesterOptions& ing = options_.ingester;
  // Near the trace index's bound, live traces move out early: the live
  // table held every trace of the last trace_idle_period plus up to a
  // flush_check_period, and at a high push rate that alone filled the
  // bound, refusing pushes in ~5 s stretches while the CPU sat idle. Under
  // pressure a trace counts as idle after a quarter of trace_idle_period
  // (the oldest go first); one appended to again starts a new live entry,
  // and its parts are found together as any trace split over blocks is.
  const bool pressure = IndexUnderPressure();
  const absl::Duration idle_period =
      pressure ? ing.trace_idle_period / kPressureIdleDivisor
               : ing.trace_idle_period;
  // Shard by shard, each under its own hold of mu_, so a push waits for
  // one shard's worth of moving at most.
  for (size_t i = 0; i < ShardedTraceMap::kShards; ++i) {
    absl::MutexLock lock(&mu_);
    TraceMap& live = live_.shard(i);
    TraceMap& head = head_.shard(i);
    bool head_empty = head_.empty();
    if (force && head.empty()) {
      // Every live trace moves: hand the whole shard over rather than copy
      // it entry by entry, so a forced flush after heavy ingest never holds
      // two maps of every trace at once (the peak-RSS moment of a /flush).
      // Entries without refs (all frozen by an earlier cut) are dropped, as
      // below.
      absl::erase_if(live, [](const auto& kv) { return kv.second.refs.empty(); });
      live_ref_entries_ -= live.size();
      for (const auto& [id, entry] : live) head_bytes_ += entry.bytes;
      if (!live.empty() && head_empty) head_created_ = now;
      head.swap(live);
    }
    for (auto it = live.begin(); it != live.end();) {
      TraceEntry& entry = it->second;
      bool idle = force || now - entry.last_append >= idle_period ||
                  now - entry.first_append >= ing.trace_live_period;
      if (!idle) {
        ++it;
        continue;
      }
      if (!entry.refs.empty()) {
        --live_ref_entries_;
        if (head_empty) head_created_ = now;
        head_empty = false;
        head_bytes_ += entry.bytes;
        head[it->first].Merge(std::move(entry));
      }
      live.erase(it++);
    }
    // A hash table never shrinks by itself: after a burst the live map
    // would keep its peak table (a few hundred bytes a trace) for good.
    // Under pressure it shrinks, whatever its size, as soon as that halves
    // it at least.
    if ((pressure || live.capacity() > 128) &&
        live.size() < live.capacity() / (pressure ? 4 : 8)) {
      live.rehash(0);
    }
  }
  bool cut = false;
  {
    absl::MutexLock lock(&mu_);
    if (!head_.empty()) {
      cut = force || head_bytes_ >= ing.max_block_bytes ||
            now - head_created_ >= ing.max_block_duration;
    }
    // Near a memory bound, cut what was pushed since the last cut (live
    // traces' parts included) so the flusher can free it; not while an
    // earlier cut still waits for a builder (the workers are all busy, and
    // the pressure sweep, every second, would cut a small block each time).
    if (NearMemoryBoundLocked() && !HasUnclaimedPartLocked()) cut = true;
    UpdateIndexBytes();
  }
  if (cut) return Cut();
  return absl::OkStatus();
}

bool TenantInstance::NearMemoryBoundLocked() const {
  const IngesterOptions& ing = options_.ingester;
  return uncut_bytes_ > 0 &&
         ((ing.max_unflushed_bytes_per_tenant > 0 &&
           unflushed_bytes_ * 2 >= ing.max_unflushed_bytes_per_tenant) ||
          (ing.max_unflushed_bytes > 0 &&
           counters_->unflushed_bytes.load() * 2 >= ing.max_unflushed_bytes) ||
          IndexUnderPressure());
}

bool TenantInstance::IndexUnderPressure() const {
  const uint64_t bound = options_.ingester.max_trace_index_bytes;
  return bound > 0 && counters_->index_bytes.load() * 2 >= bound;
}

bool TenantInstance::UnderMemoryPressure() const {
  absl::MutexLock lock(&mu_);
  return NearMemoryBoundLocked() || (IndexUnderPressure() && !live_.empty());
}

absl::Status TenantInstance::Cut() {
  auto frozen = std::make_shared<FrozenBlock>();
  frozen->sealed = false;
  {
    // Held exclusively only across the rotation: once it is released,
    // every push that wrote below the new segment has put its refs in
    // live_, and every later push writes at or above it.
    absl::WriterMutexLock cut_lock(&cut_mu_);
    // The finished segment's fsync waits until cut_mu_ is released (the
    // Sync at the end): pushes go on meanwhile.
    absl::StatusOr<uint64_t> segment = wal_->RotateWithoutSync();
    if (!segment.ok()) return segment.status();
    CrashPoint("cut.after_rotate");
    frozen->wal_segment_end = *segment;
    absl::MutexLock lock(&mu_);
    frozen->unsealed = std::move(head_);
    head_.Reset();
    head_bytes_ = 0;
    uncut_bytes_ = 0;
    // Visible to lookups from now on; not buildable until sealed below.
    frozen_.push_back(frozen);
  }
  // Freeze the live traces' refs below the new segment too, shard by shard
  // with pushes in between (they only add refs at or above it). The live
  // entries keep their size (max_bytes_per_trace counts the whole trace)
  // and times; their span count follows the refs they keep.
  const uint64_t end = frozen->wal_segment_end;
  uint64_t bytes = 0;
  uint64_t ref_bytes = 0;
  for (size_t i = 0; i < ShardedTraceMap::kShards; ++i) {
    absl::MutexLock lock(&mu_);
    // The shard is sealed as a sorted array sized to its entries: the cut
    // head block's traces, then the live traces' parts below `end`.
    TraceMap& head_shard = frozen->unsealed.shard(i);
    TraceMap& live_shard = live_.shard(i);
    size_t count = head_shard.size();
    for (const auto& [id, entry] : live_shard) {
      for (const WalRecordRef& r : entry.refs) {
        if (r.segment < end) {
          ++count;
          break;
        }
      }
    }
    std::vector<SealedTraceMap::Entry> entries;
    entries.reserve(count);
    for (auto& [id, entry] : head_shard) {
      entries.emplace_back(id, std::move(entry));
    }
    TraceMap().swap(head_shard);
    for (auto& [id, entry] : live_shard) {
      if (entry.refs.empty()) continue;
      TraceEntry part;
      decltype(entry.refs) kept;
      for (const WalRecordRef& r : entry.refs) {
        (r.segment < end ? part.refs : kept).push_back(r);
      }
      if (part.refs.empty()) continue;
      part.start_unix_nano = entry.start_unix_nano;
      part.end_unix_nano = entry.end_unix_nano;
      for (const WalRecordRef& r : part.refs) part.bytes += r.length;
      // The spans go with their refs. Refs do not count their spans: in
      // the rare case of a push between the rotation and this shard's turn
      // (kept refs), they are shared out by bytes.
      uint64_t kept_bytes = 0;
      for (const WalRecordRef& r : kept) kept_bytes += r.length;
      part.span_count =
          kept.empty() ? entry.span_count
                       : static_cast<uint32_t>(
                             uint64_t{entry.span_count} * part.bytes /
                             std::max<uint64_t>(part.bytes + kept_bytes, 1));
      entry.span_count -= part.span_count;
      entry.refs = std::move(kept);
      if (entry.refs.empty()) --live_ref_entries_;
      entries.emplace_back(id, std::move(part));
    }
    frozen->traces.Seal(i, std::move(entries));
    for (const auto& [id, entry] : frozen->traces.shard(i)) {
      bytes += entry.bytes;
      for (const WalRecordRef& r : entry.refs) ref_bytes += r.length;
    }
    UpdateIndexBytes();
  }
  {
    absl::MutexLock lock(&mu_);
    if (frozen->traces.empty()) {
      frozen_.erase(std::find(frozen_.begin(), frozen_.end(), frozen));
    } else {
      frozen->bytes = bytes;
      frozen->ref_bytes = ref_bytes;
      frozen->parts.resize(SplitParts(bytes));
      frozen->sealed = true;
      frozen_bytes_ += bytes;
    }
    UpdateIndexBytes();
  }
  // The cut segments durable, as Rotate would have made them (a failure is
  // sticky: every later push reports it too).
  return wal_->Sync();
}

absl::Status TenantInstance::FlushFrozen() {
  while (true) {
    absl::StatusOr<bool> built = BuildNext(options_.env->Now(), true);
    if (!built.ok()) return built.status();
    if (*built) continue;
    // Nothing to claim: wait for the blocks other workers are building,
    // then commit what they left (they commit too; CommitBuilt is
    // idempotent).
    {
      absl::MutexLock lock(&mu_);
      // ... and for a cut in progress to seal its block (only the newest
      // can be unsealed: cuts are serialized).
      auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return building_ == 0 && (frozen_.empty() || frozen_.back()->sealed);
      };
      mu_.Await(absl::Condition(&idle));
    }
    if (absl::Status s = CommitBuilt(); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (frozen_.empty()) return absl::OkStatus();
    if (frozen_.front()->built()) {
      return absl::UnavailableError("a built block could not be committed");
    }
  }
}

size_t TenantInstance::SplitParts(uint64_t bytes) const {
  // One block per worker for a big cut (a forced flush after heavy ingest,
  // a full head block), so they build it together; a small cut stays whole.
  constexpr uint64_t kMinPartBytes = 64 << 20;
  const uint64_t workers =
      std::max(1, options_.ingester.concurrent_flushes);
  return std::clamp<uint64_t>(bytes / kMinPartBytes, 1, workers);
}

absl::Duration TenantInstance::NextBackoff() {
  const IngesterOptions& ing = options_.ingester;
  absl::Duration backoff = ing.flush_retry_min_backoff;
  for (int i = 1; i < flush_failures_ && backoff < ing.flush_retry_max_backoff;
       ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, ing.flush_retry_max_backoff);
  // Jitter over the upper half: tenants that failed together (one
  // backend outage) do not all retry in the same instant.
  thread_local std::mt19937_64 rng(std::random_device{}());
  const double f = std::uniform_real_distribution<double>(0.5, 1.0)(rng);
  return backoff * f;
}

bool TenantInstance::HasBuildableBlock(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (now < flush_retry_at_) return false;
  return HasUnclaimedPartLocked();
}

bool TenantInstance::HasUnclaimedPartLocked() const {
  for (const auto& frozen : frozen_) {
    if (!frozen->sealed) continue;
    for (const FrozenBlock::Part& p : frozen->parts) {
      if (!p.building && !p.done) return true;
    }
  }
  return false;
}

absl::StatusOr<bool> TenantInstance::BuildNext(absl::Time now,
                                               bool ignore_backoff) {
  std::shared_ptr<FrozenBlock> next;
  size_t part = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!ignore_backoff && now < flush_retry_at_) return false;
    for (const auto& frozen : frozen_) {
      if (!frozen->sealed) continue;
      for (size_t i = 0; i < frozen->parts.size() && next == nullptr; ++i) {
        const FrozenBlock::Part& p = frozen->parts[i];
        if (!p.building && !p.done) {
          next = frozen;
          part = i;
        }
      }
      if (next != nullptr) break;
    }
    if (next == nullptr) return false;
    next->parts[part].building = true;
    ++building_;
  }
  absl::StatusOr<std::shared_ptr<BlockReader>> reader = Build(*next, part);
  {
    absl::MutexLock lock(&mu_);
    FrozenBlock::Part& p = next->parts[part];
    p.building = false;
    --building_;
    if (!reader.ok()) {
      ++flush_failures_;
      const absl::Duration backoff = NextBackoff();
      flush_retry_at_ = options_.env->Now() + backoff;
      counters_->block_flush_failures.fetch_add(1, std::memory_order_relaxed);
      counters_->block_flush_retries.fetch_add(1, std::memory_order_relaxed);
      ANDANTE_LOG(kError, "block flush failed; will retry",
                  {{"tenant", tenant_},
                   {"error", std::string(reader.status().message())},
                   {"attempt", absl::StrCat(flush_failures_)},
                   {"retry_in", absl::FormatDuration(backoff)}});
      return reader.status();
    }
    if (flush_failures_ > 0) {
      ANDANTE_LOG(kInfo, "block flush succeeded after failures",
                  {{"tenant", tenant_},
                   {"failures", absl::StrCat(flush_failures_)}});
    }
    flush_failures_ = 0;
    flush_retry_at_ = absl::InfinitePast();
    p.done = true;
    p.reader = std::move(*reader);
  }
  if (absl::Status s = CommitBuilt(); !s.ok()) return s;
  return true;
}

absl::StatusOr<std::shared_ptr<BlockReader>> TenantInstance::Build(
    const FrozenBlock& frozen, size_t part) {
  std::vector<const SealedTraceMap::Entry*> sorted;
  sorted.reserve(frozen.traces.size() / frozen.parts.size());
  for (size_t i = 0; i < ShardedTraceMap::kShards; ++i) {
    for (const SealedTraceMap::Entry& kv : frozen.traces.shard(i)) {
      if (frozen.PartOf(kv.first) == part) sorted.push_back(&kv);
    }
  }
  if (sorted.empty()) return nullptr;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });

  BlockBuilder builder(options_.block, *options_.backend, tenant_,
                       NewBlockId(), sorted.size());
  std::string data;  // one trace's fragments; reused
  for (const auto* kv : sorted) {
    if (absl::Status s = ReadFragments(kv->second, &data); !s.ok()) return s;
    absl::Status s = builder.Add(kv->first, data, kv->second.start_unix_nano,
                                 kv->second.end_unix_nano,
                                 kv->second.span_count);
    if (!s.ok()) return s;
  }
  absl::StatusOr<BlockMeta> meta = builder.Finish();
  if (!meta.ok()) return meta.status();
  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(options_.backend, *meta, &counters_->blocks_damaged,
                        counters_->block_cache);
  if (!reader.ok()) return reader.status();
  return std::shared_ptr<BlockReader>(std::move(*reader));
}

absl::Status TenantInstance::CommitBuilt() {
  absl::MutexLock commit_lock(&commit_mu_);
  while (true) {
    std::shared_ptr<FrozenBlock> front;
    {
      absl::MutexLock lock(&mu_);
      if (frozen_.empty() || !frozen_.front()->built()) {
        return absl::OkStatus();
      }
      front = frozen_.front();
    }
    // Every block cut before this one is committed (it is the front), so
    // the segments below its end hold nothing that is not in a block.
    absl::Status s = WriteMarker(wal_dir_, front->wal_segment_end);
    if (!s.ok()) return s;
    {
      absl::WriterMutexLock segments_lock(&segments_mu_);
      {
        absl::MutexLock lock(&mu_);
        for (const FrozenBlock::Part& p : front->parts) {
          if (p.reader == nullptr) continue;
          unreported_.insert(p.reader->meta().block_id);
          blocks_.push_back(p.reader);
        }
        frozen_bytes_ -= std::min(frozen_bytes_, front->bytes);
        frozen_.pop_front();
        const uint64_t freed = std::min(unflushed_bytes_, front->ref_bytes);
        unflushed_bytes_ -= freed;
        counters_->unflushed_bytes.fetch_sub(freed, std::memory_order_relaxed);
        UpdateIndexBytes();
      }
      CrashPoint("flush.after_marker");
      s = wal_->DeleteSegmentsBefore(front->wal_segment_end);
    }
    if (!s.ok()) return s;
    CrashPoint("flush.after_wal_delete");
    RemoveMarker(wal_dir_, front->wal_segment_end);
    for (const FrozenBlock::Part& p : front->parts) {
      if (p.reader == nullptr) continue;
      const BlockMeta& meta = p.reader->meta();
      counters_->blocks_flushed.fetch_add(1, std::memory_order_relaxed);
      ANDANTE_LOG(kInfo, "block flushed",
                  {{"tenant", tenant_},
                   {"block", meta.block_id},
                   {"traces", absl::StrCat(meta.total_objects)},
                   {"spans", absl::StrCat(meta.total_spans)},
                   {"bytes", absl::StrCat(meta.data_bytes)}});
    }
  }
}

void TenantInstance::UpdateIndexBytes(bool tables_changed) {
  constexpr uint64_t kSlot = sizeof(TraceMap::value_type) + 1;  // + control
  if (tables_changed) {
    uint64_t slots = live_.capacity() + head_.capacity();
    uint64_t sealed = 0;
    for (const auto& frozen : frozen_) {
      slots += frozen->unsealed.capacity();
      sealed += frozen->traces.bytes();
    }
    table_bytes_ = slots * kSlot + sealed;
  }
  // A cut copies the locations of every live trace that has some into a
  // sealed array while the live table stays: that copy is counted ahead,
  // so a cut never takes the index past the bound pushes were admitted
  // under.
  const uint64_t cut_reserve =
      live_ref_entries_ * sizeof(SealedTraceMap::Entry);
  const uint64_t bytes = table_bytes_ + cut_reserve;
  if (bytes >= index_bytes_) {
    counters_->index_bytes.fetch_add(bytes - index_bytes_,
                                     std::memory_order_relaxed);
  } else {
    counters_->index_bytes.fetch_sub(index_bytes_ - bytes,
                                     std::memory_order_relaxed);
  }
  index_bytes_ = bytes;
}

absl::Status TenantInstance::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
  }
  absl::WriterMutexLock cut_lock(&cut_mu_);
  return wal_ ? wal_->Close() : absl::OkStatus();
}

uint64_t TenantInstance::live_traces() const {
  absl::MutexLock lock(&mu_);
  return live_.size();
}

uint64_t TenantInstance::pending_block_bytes() const {
  absl::MutexLock lock(&mu_);
  return frozen_bytes_;
}

int TenantInstance::flush_failures() const {
  absl::MutexLock lock(&mu_);
  return flush_failures_;
}

absl::Time TenantInstance::flush_retry_at() const {
  absl::MutexLock lock(&mu_);
  return flush_retry_at_;
}

uint64_t TenantInstance::index_bytes() const {
  absl::MutexLock lock(&mu_);
  return index_bytes_;
}

uint64_t TenantInstance::blocks() const {
  absl::MutexLock lock(&mu_);
  return blocks_.size();
}

uint64_t TenantInstance::wal_bytes_on_disk() const {
  return wal_ ? wal_->bytes_on_disk() : 0;
}

}  // namespace andante::internal
