// One tenant's slice of the ingest pipeline: its WAL, live traces, head
// block, frozen blocks awaiting flush and complete blocks.
//
// Memory holds no span bytes. A push is written to the WAL once; from then on
// every stage refers to the fragment bytes by their WAL location
// (WalRecordRef) and reads them back with pread when a lookup or a flush
// needs them. Memory per trace is a few dozen bytes regardless of its size.
//
// Lifecycle of a trace's fragments:
//   Push       -> live_   (trace still receiving spans)
//   idle/old   -> head_   (trace complete as far as we know)
//   Cut        -> frozen_ (WAL rotated at segment S; every ref < S is frozen,
//                          including refs of still-live traces, which are
//                          thereby split across blocks and re-combined on read)
//   Flush      -> block in the backend; only then are WAL segments < S
//                 deleted. A marker file "flushed-S" written between the two
//                 steps makes the deletion crash-safe.
#ifndef ANDANTE_INGEST_TENANT_INSTANCE_H_
#define ANDANTE_INGEST_TENANT_INSTANCE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/limits.h"
#include "andante/options.h"
#include "andante/store.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "ingest/store_counters.h"
#include "ingest/trace_index.h"
#include "model/trace_combiner.h"
#include "model/trace_split.h"
#include "tenant/limit_errors.h"
#include "tenant/token_bucket.h"
#include "wal/wal.h"

namespace andante {

// The opaque base Store (include/andante/store.h) names; see TenantInstance.
class Store::Tenant {
 protected:
  ~Tenant() = default;
};

}  // namespace andante

namespace andante::internal {

// A cut head block waiting to be written to the backend. `traces` and the
// sizes never change after the cut; the build state is guarded by the
// owning instance's mu_.
struct FrozenBlock {
  // The traces, sealed shard by shard by the cut (all of them once
  // `sealed`). Until its shard is sealed, a trace of the cut head block is
  // in `unsealed` instead; lookups read both.
  SealedTraceMap traces;
  ShardedTraceMap unsealed;
  uint64_t wal_segment_end = 0;  // covers every WAL segment below this
  uint64_t bytes = 0;            // sum of the traces' bytes
  uint64_t ref_bytes = 0;        // sum of its WAL refs' lengths
  // A big cut is written as several blocks, split by trace ID
  // (PartOf), so that several workers build it at once. Each part is
  // claimed by a builder, then done (complete in the backend, meta.json
  // written; no reader if it held no trace); the cut is built when every
  // part is, and then waits for the cuts before it to be committed: only
  // then may its WAL segments be deleted.
  struct Part {
    bool building = false;
    bool done = false;
    std::shared_ptr<BlockReader> reader;
  };
  std::vector<Part> parts = std::vector<Part>(1);
  // False while Cut is still moving traces in (shard by shard, between
  // pushes): lookups see it, builders leave it alone.
  bool sealed = true;

  bool built() const {
    for (const Part& p : parts) {
      if (!p.done) return false;
    }
    return true;
  }
  // The part of `parts` that holds `id`: by its last byte, random in W3C
  // and in 64-bit (zero-padded) Jaeger IDs alike.
  size_t PartOf(const TraceId& id) const {
    return id.array()[TraceId::kSize - 1] * parts.size() / 256;
  }
};

// Store::Tenant is the name the public header gives this class (opaque).
class TenantInstance : public Store::Tenant {
 public:
  // Opens the tenant's WAL under `wal_dir` (lazily: the directory and its
  // first segment are created by the first push), replays it (every
  // recovered trace goes to a frozen block, flushed by the next Sweep),
  // loads the tenant's complete blocks and deletes incomplete ones left by a
  // crash. A WAL directory with no segment left is removed. `wal_shared`
  // holds the file cache and fsync pool shared by all tenants (its `lazy` is
  // ignored); it must outlive the instance.
  static absl::StatusOr<std::unique_ptr<TenantInstance>> Open(
      std::string tenant, std::string wal_dir, const StoreOptions& options,
      const WalShared& wal_shared, StoreCounters* counters);

  ~TenantInstance();
  TenantInstance(const TenantInstance&) = delete;
  TenantInstance& operator=(const TenantInstance&) = delete;

  // What a push is checked against.
  struct PushLimits {
    const TenantLimits* limits = nullptr;  // REQUIRES: non-null
    uint64_t request_bytes = 0;  // the request's protobuf size (rate limit)
    size_t instances = 1;        // healthy instances (global strategies)
  };

  // The ingest enforcement point of every limit, in Tempo's order:
  //   1. rate: the tenant's token bucket must hold request_bytes, else the
  //      whole push fails (RESOURCE_EXHAUSTED, "RATE_LIMITED: ...");
  //   2. memory: unflushed bytes (tenant's and store's) must stay within
  //      IngesterOptions' bounds, else the whole push fails;
  //   3. per trace: fragments of new traces past max_traces_per_user, and
  //      fragments that would take their trace past max_bytes_per_trace,
  //      are dropped and counted; the rest is appended to the WAL (durable
  //      on return) and recorded as live.
  // Refused and dropped spans are counted per reason (discarded()).
  absl::StatusOr<PushResult> Push(const std::vector<TraceFragment>& fragments,
                                  absl::Time now, const PushLimits& limits);

  // Spans discarded per reason since open (indexed by DiscardReason).
  uint64_t discarded(DiscardReason reason) const {
    return discarded_[static_cast<int>(reason)].load(
        std::memory_order_relaxed);
  }
  void CountDiscarded(DiscardReason reason, uint64_t spans) {
    discarded_[static_cast<int>(reason)].fetch_add(spans,
                                                   std::memory_order_relaxed);
  }
  std::atomic<uint64_t>& attributes_truncated() {
    return attributes_truncated_;
  }
  // Span bytes pushed (or replayed) and not yet in a complete block.
  uint64_t unflushed_bytes() const;
  // The limits in force for this tenant (StoreOptions.overrides).
  std::shared_ptr<const TenantLimits> limits() const;
  // The store's counters (shared by its tenants).
  StoreCounters* counters() const { return counters_; }

  // Feeds every stored fragment of `id` into `combiner`.
  // `*partial` is set if spans of `id` were dropped at ingest under
  // max_bytes_per_trace (remembered for the last kTruncatedTracesKept
  // such traces), or if the stored parts exceed the limit in force: then
  // only parts up to it are fed.
  absl::Status CollectTrace(const TraceId& id,
                            const TraceLookupOptions& options,
                            TraceCombiner& combiner, uint64_t* inspected_bytes,
                            bool* partial = nullptr);
  static constexpr size_t kTruncatedTracesKept = 10'000;

  // Moves idle traces to the head block, cuts the head block when full or
  // old, and flushes frozen blocks. With `force`, every live trace moves and
  // everything is cut and flushed. Equivalent to MoveAndCut then
  // FlushFrozen.
  absl::Status Sweep(absl::Time now, bool force);
  // The fast half of Sweep: moves idle traces and cuts; never builds a
  // block, so a background sweep keeps moving traces out of memory and
  // cutting on time while blocks are built on other threads.
  absl::Status MoveAndCut(absl::Time now, bool force);
  // True when MoveAndCut would cut early for memory (uncut data and the
  // tenant's or everyone's unflushed bytes, or the trace index, at half its
  // bound or more), or would move live traces out early (the trace index
  // at half its bound, live traces held). The store then sweeps this tenant
  // every second, so the bound frees instead of refusing pushes until the
  // next full sweep.
  bool UnderMemoryPressure() const;
  // The slow half, synchronously: builds every frozen block (with any
  // concurrent BuildNext callers) and returns once all are committed, or
  // with the first failure. Ignores the retry backoff.
  absl::Status FlushFrozen();
  // One step for a pool of flush workers: claims the oldest frozen block no
  // one is building, builds it (data, index, bloom, meta.json), then commits
  // every built block at the front of the queue, in cut order (publish the
  // reader, marker flushed-S, delete WAL segments < S). Several callers
  // build different blocks of one tenant at once; commits stay in cut order,
  // so a block's segments are deleted only after every earlier block is in
  // the backend. Returns true if it built a block, false if none was
  // claimable, or while a failed build waits out its retry backoff (unless
  // `ignore_backoff`). A failure is counted, logged with the next retry
  // time, and backs the tenant off: jittered exponential from
  // flush_retry_min_backoff, doubling to flush_retry_max_backoff, reset by
  // the next success.
  absl::StatusOr<bool> BuildNext(absl::Time now, bool ignore_backoff);
  // True if a frozen block waits for a builder and no backoff holds it.
  bool HasBuildableBlock(absl::Time now) const;
  // Bytes in cut blocks not yet committed.
  uint64_t pending_block_bytes() const;
  // The retry backoff after failed builds: consecutive failures and the
  // time before which BuildNext(now, false) does not try (past: none).
  int flush_failures() const;
  absl::Time flush_retry_at() const;
  // Bytes of the in-memory trace index: the live and head tables and those
  // of cut blocks not yet sealed (capacity x slot size), the sealed arrays,
  // and the reserve for the next cut's copy of the live locations. Kept up to
  // date in StoreCounters::index_bytes, which IngesterOptions
  // .max_trace_index_bytes bounds.
  uint64_t index_bytes() const;

  absl::Status Close();

  // --- The blocks read (tenant_blocklist.cc) ---
  // Reads exactly `live` from now on, plus the blocks this instance flushed
  // or compacted itself that `reported` (every block ID, live or compacted,
  // the poll saw) does not contain yet: a poll that started before a flush
  // finished, or a stale tenant index, must not hide an acknowledged trace.
  // Readers of blocks that stay are reused, so their loaded bloom shards
  // and indexes stay warm.
  void ApplyBlocklist(const std::vector<BlockMeta>& live,
                      const absl::flat_hash_set<std::string>& reported);
  // After a local compaction: reads `outputs` instead of `inputs` at once.
  void ReplaceBlocks(const std::vector<std::string>& inputs,
                     const std::vector<BlockMeta>& outputs);

  // For search: every trace held in the WAL (live, head and frozen entries
  // merged by ID) and the complete blocks, taken together under the lock.
  struct SearchView {
    TraceMap wal;
    std::vector<std::shared_ptr<BlockReader>> blocks;
  };
  // Calls fn(view, read) with the WAL segments pinned (no flush deletes them
  // meanwhile); read(entry, &bytes) reads an entry's fragments.
  absl::Status ForSearch(
      absl::FunctionRef<absl::Status(
          const SearchView& view,
          absl::FunctionRef<absl::Status(const TraceEntry&, std::string*)>
              read)>
          fn);

  uint64_t live_traces() const;
  uint64_t blocks() const;
  uint64_t wal_bytes_on_disk() const;
  const std::string& tenant() const { return tenant_; }

 private:
  TenantInstance(std::string tenant, std::string wal_dir,
                 const StoreOptions& options, const WalShared& wal_shared,
                 StoreCounters* counters);

  absl::Status Recover(absl::Time now);
  absl::Status LoadBlocks();
  // Rotates the WAL and freezes everything written before the rotation:
  // the head block and the live traces' fragments in segments below the
  // new one, moved shard by shard with mu_ released in between.
  absl::Status Cut() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sweep_mu_);
  // Writes part `part` of `frozen` to the backend and opens a reader for
  // it (null if the part holds no trace).
  absl::StatusOr<std::shared_ptr<BlockReader>> Build(const FrozenBlock& frozen,
                                                     size_t part);
  // Commits built blocks from the front of frozen_, in cut order.
  absl::Status CommitBuilt();
  absl::Duration NextBackoff() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How many blocks a cut of `bytes` is written as (FrozenBlock::parts).
  size_t SplitParts(uint64_t bytes) const;
  // The trace index (the store's, all tenants) at half its bound or more:
  // MoveAndCut then moves live traces out after trace_idle_period /
  // kPressureIdleDivisor.
  bool IndexUnderPressure() const;
  static constexpr int kPressureIdleDivisor = 4;
  // True if a sealed frozen block has a part no builder has claimed.
  bool HasUnclaimedPartLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UnderMemoryPressure's condition, also MoveAndCut's early-cut rule.
  bool NearMemoryBoundLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Recomputes index_bytes_ and moves the store's counter by the change:
  // the tables' bytes (recounted only if `tables_changed`: a push that grew
  // no table changes only the cut reserve) plus the cut reserve.
  void UpdateIndexBytes(bool tables_changed = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads every fragment of `entry` into `*out` (replacing its contents).
  absl::Status ReadFragments(const TraceEntry& entry, std::string* out) const;

  const std::string tenant_;
  const std::string wal_dir_;
  const StoreOptions options_;
  const WalShared wal_shared_;
  StoreCounters* const counters_;
  std::unique_ptr<Wal> wal_;

  // Serializes MoveAndCut (and so Cut): they release mu_ between shards.
  absl::Mutex sweep_mu_;
  // Pushes hold it shared across WAL append + live insert; Cut holds it
  // exclusively across the WAL rotation, so that once it is released every
  // fragment below the new segment is in live_.
  absl::Mutex cut_mu_;
  // Lookups hold it shared while reading WAL refs; a flush holds it
  // exclusively while it deletes WAL segments.
  absl::Mutex segments_mu_;
  // Serializes commits (they run in cut order); builds run in parallel.
  absl::Mutex commit_mu_;

  mutable absl::Mutex mu_;
  ShardedTraceMap live_ ABSL_GUARDED_BY(mu_);
  ShardedTraceMap head_ ABSL_GUARDED_BY(mu_);
  uint64_t head_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time head_created_ ABSL_GUARDED_BY(mu_);
  std::deque<std::shared_ptr<FrozenBlock>> frozen_ ABSL_GUARDED_BY(mu_);
  uint64_t frozen_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // sum over frozen_
  int building_ ABSL_GUARDED_BY(mu_) = 0;  // frozen blocks being built
  // Retry backoff of failed builds (BuildNext).
  int flush_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time flush_retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t index_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Bytes of the live, head and frozen tables, as of the last
  // UpdateIndexBytes(true).
  uint64_t table_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Live entries holding WAL locations (a cut would copy them).
  uint64_t live_ref_entries_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<BlockReader>> blocks_ ABSL_GUARDED_BY(mu_);
  // IDs in blocks_ added by this instance that no poll has reported yet.
  absl::flat_hash_set<std::string> unreported_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  // Limits state (see Push).
  TokenBucket bucket_ ABSL_GUARDED_BY(mu_);
  uint64_t unflushed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t uncut_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // pushed since the last cut
  // Traces that lost spans to max_bytes_per_trace, oldest first (bounded).
  absl::flat_hash_set<TraceId> truncated_ ABSL_GUARDED_BY(mu_);
  std::deque<TraceId> truncated_order_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> discarded_[kDiscardReasonCount] = {};
  std::atomic<uint64_t> attributes_truncated_{0};
};

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_TENANT_INSTANCE_H_
