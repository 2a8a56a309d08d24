// Options for opening a Store. Plain structs with in-class defaults; field
// names follow Tempo's tempo.yaml keys so the configuration maps one to one
// (`ingester.trace_idle_period` -> IngesterOptions::trace_idle_period).
#ifndef ANDANTE_OPTIONS_H_
#define ANDANTE_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "andante/blocklist.h"
#include "andante/env.h"

namespace andante {

class Backend;

// When the WAL calls fsync. Every policy survives a process crash (kill -9):
// a record is written to the kernel before Append returns. They differ on
// power loss.
enum class WalFsync {
  kAlways,    // fsync before every acknowledgement. Safest, slowest.
  kInterval,  // fsync every `fsync_interval` in the background.
  kNever,     // leave it to the kernel.
};

// `storage.trace.wal`.
struct WalOptions {
  // Directory of the WAL segments (`storage.trace.wal.path`). Each tenant
  // gets a subdirectory.
  std::string path = "./data/wal";
  WalFsync fsync = WalFsync::kInterval;
  // Period of the background fsync under WalFsync::kInterval.
  absl::Duration fsync_interval = absl::Milliseconds(100);
  // A segment file is closed and a new one started past this size (bytes).
  // Smaller segments free disk sooner after a flush; larger ones mean fewer
  // files.
  uint64_t segment_bytes = 64ull << 20;
  // Most WAL segment files open at once across all tenants. Each tenant has
  // its own WAL directory; a tenant's files are closed when it goes idle
  // (least recently used first) and reopened on demand, so open files do not
  // grow with the number of tenants. 0 = unbounded.
  uint64_t max_open_files = 64;
  // Threads fsyncing tenants' WALs under WalFsync::kInterval, shared by all
  // tenants. fsyncs of different files overlap well on virtualized disks
  // (measured on a 2-core VM: 1 thread 160/s, 2 520/s, 4 1,180/s, 8 4,450/s).
  int sync_threads = 8;
};

// `storage.trace.block`.
struct BlockOptions {
  // Target false-positive rate of the trace-ID filter
  // (`bloom_filter_false_positive`; Tempo's name: the filter is no longer a
  // bloom but sorted fingerprints, docs/block-format.md). A rate p costs
  // about log2(1/p) + 1.6 bits per trace: 3.7 bytes at the default, 1.1 at
  // Tempo's 0.01. Every false positive is one wasted object-store GET per
  // lookup per block, and filters are cached in memory, so the default is
  // far lower than Tempo's: over 1,000 blocks 0.01 means about 10 GETs per
  // lookup, the default (2^-28 fingerprints) 0 in 10,000 lookups.
  double bloom_filter_false_positive = 4e-9;
  // Target size of one bloom shard in bytes (`bloom_filter_shard_size_bytes`).
  // A lookup reads exactly one shard.
  uint64_t bloom_filter_shard_size_bytes = 100 * 1024;
  // Uncompressed bytes per data page (`v2_index_page_size_bytes` plays this
  // role in Tempo). A lookup decompresses one page: smaller pages make
  // lookups cheaper, larger ones compress better. Measured on realistic
  // traces (bench/block_build_bench): 256 KiB -> 50.3 B/span; 512 KiB ->
  // 47.2 B/span, 0.30 ms per lookup; 1 MiB -> 45.5 B/span, ~0.8 ms.
  uint64_t page_size_bytes = 512 * 1024;
  // zstd level for data pages (1-19). Higher is smaller and slower to write.
  // Measured at 512 KiB pages (bench/block_build_bench): level 1 -> 50.0
  // B/span; 2 -> 47.5 B/span for about three quarters of level 3's build CPU;
  // 3 -> 47.3 B/span; 6 -> 43.8 B/span for three times the CPU.
  int zstd_level = 2;
  // On-disk format of new blocks (`version`; Tempo's key is
  // `storage.trace.block.version`): 2, the columnar format that search
  // scans column by column, or 1, the row format of earlier releases. Blocks
  // of either version stay readable. StoreOptions and CompactionOptions
  // default to 2; a bare BlockOptions (block-level tools and tests of the
  // v1 format) to 1.
  uint32_t version = 1;
};

// `ingester`.
struct IngesterOptions {
  // A live trace with no new spans for this long moves to the head block.
  absl::Duration trace_idle_period = absl::Seconds(5);
  // A live trace older than this moves to the head block even if busy.
  absl::Duration trace_live_period = absl::Seconds(30);
  // How often idle traces and full head blocks are looked for.
  absl::Duration flush_check_period = absl::Seconds(10);
  // The head block is cut into a complete block past this many bytes.
  uint64_t max_block_bytes = 500ull << 20;
  // ... or when its first trace is older than this.
  absl::Duration max_block_duration = absl::Minutes(30);
  // Deprecated: the per-tenant TenantLimits::max_bytes_per_trace
  // (andante/limits.h) is enforced; this value only seeds the defaults when
  // StoreOptions.overrides is null.
  uint64_t max_bytes_per_trace = 5'000'000;
  // Flush all data to blocks on Close (`flush_all_on_shutdown`). With false
  // the WAL keeps it and the next Open replays it.
  bool flush_all_on_shutdown = true;
  // Push back when block building cannot keep up: while a tenant has more
  // than this many bytes in cut blocks waiting to be built, its pushes fail
  // with RESOURCE_EXHAUSTED (HTTP 429 / gRPC ResourceExhausted, which
  // clients retry) instead of growing the WAL without bound. 0 = never.
  uint64_t max_pending_block_bytes = 2ull << 30;
  // The memory bound in bytes: span bytes pushed but not yet written to a
  // complete block (live traces, the head block and cut blocks awaiting
  // flush), per tenant and for all tenants together. A push that would
  // pass either bound is refused whole with RESOURCE_EXHAUSTED (HTTP 429 /
  // gRPC ResourceExhausted, reason "memory_limit_exceeded") instead of
  // growing; once past half a bound the sweep cuts the head block early so
  // the flusher frees room. Block building reads at most one cut block of
  // these bytes at a time, so peak memory follows the bound whatever the
  // trace size. 0 = no bound.
  uint64_t max_unflushed_bytes = 0;
  uint64_t max_unflushed_bytes_per_tenant = 0;
  // Bound on the in-memory trace index, all tenants together: the hash
  // tables of live, head and cut-but-unflushed traces (a few dozen bytes
  // per trace whatever its size). Past it pushes fail with
  // RESOURCE_EXHAUSTED (429, reason "memory_limit_exceeded"); past half the
  // sweep cuts early so the flush workers free it. 0 = no bound.
  uint64_t max_trace_index_bytes = 64ull << 20;
  // Flush workers building blocks in parallel, across tenants and across
  // one tenant's cut blocks (`concurrent_flushes`, Tempo's key). 0 = one
  // per hardware thread, at most 4.
  int concurrent_flushes = 0;
  // A failed block build is retried after a jittered exponential backoff:
  // the first wait is drawn from [min/2, min], each further failure doubles
  // it up to max, and a success resets it.
  absl::Duration flush_retry_min_backoff = absl::Seconds(1);
  absl::Duration flush_retry_max_backoff = absl::Minutes(1);
};

// Everything Store::Open needs.
class Compactor;
class Overrides;

struct StoreOptions {
  WalOptions wal;
  // New blocks are columnar (format 2) unless configured otherwise.
  BlockOptions block{.version = 2};
  IngesterOptions ingester;
  // Where complete blocks live. Required.
  std::shared_ptr<Backend> backend;
  // The clock the store reads and the runner of its periodic background
  // work: the sweep every ingester.flush_check_period, blocklist polls and
  // compaction cycles (andante/env.h). Not owned. REQUIRES: non-null and
  // outlives the store. Tests pass an andante::testing::ManualEnv to move
  // time and run that work by hand.
  Env* env = Env::Default();
  // Discovering the blocks in the backend, including those written by other
  // instances sharing it (andante/blocklist.h). The background loop polls
  // every blocklist.blocklist_poll; Store::PollBlocklist polls at once. With
  // more than one member in blocklist.instance_ring, start-up leaves blocks
  // without meta.json alone (another instance may be writing them; the
  // compactor's retention deletes leftovers after incomplete_block_timeout).
  BlocklistOptions blocklist;
  // When set, the background loop calls its RunCycle every compaction_cycle
  // and the store swaps compacted blocks for their outputs at once. Its
  // compacted_block_retention must be at least 2 x blocklist_poll.
  std::shared_ptr<Compactor> compactor;
  // Bloom shards and page indexes of all blocks are cached up to this many
  // bytes (least recently used evicted), so a trace lookup over warm blocks
  // costs one ranged read per block whose bloom filter says yes and none
  // for a miss. 0: each block keeps what it loads while it is read.
  uint64_t block_cache_bytes = 256ull << 20;
  // Per-tenant limits (andante/limits.h), read on every push and query so a
  // swap takes effect at once. Null: every tenant gets TenantLimits()
  // with `max_bytes_per_trace` from `ingester`.
  std::shared_ptr<const Overrides> overrides;
};

}  // namespace andante

#endif  // ANDANTE_OPTIONS_H_
