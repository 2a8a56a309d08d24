// Compaction and retention of the blocks in a backend.
//
// Flushes leave many small blocks per tenant; a trace-by-ID lookup costs a
// bloom check per block, and a trace whose spans arrived late is split over
// several of them. The Compactor merges the blocks of one tenant that fall in
// the same `compaction_window` into fewer, larger ones (a streaming k-way
// merge by trace ID: split traces are combined and duplicate spans dropped),
// and applies retention. It is the library half of Tempo's compactor:
//
//   andante::CompactionOptions options;
//   options.instance_id = "andante-0";                  // this instance
//   options.instance_ring = {"andante-0", "andante-1"}; // all sharing a bucket
//   auto compactor = andante::Compactor::Open(options, backend);
//   if (!compactor.ok()) return compactor.status();
//   // Every compaction_cycle:
//   absl::StatusOr<andante::CompactionCycleReport> report =
//       (*compactor)->RunCycle(absl::Now());
//
// Safety (docs/compaction.md): an output block is published (meta.json last)
// before its inputs are marked compacted (meta.compacted.json); marked blocks
// stay readable for `compacted_block_retention`, then retention deletes them.
// Several instances may share one bucket: each job belongs to exactly one
// member of `instance_ring` (rendezvous hashing of tenant and window), and
// output block IDs derive from the inputs, so a job that runs twice (a retry
// after a crash, or two instances that disagree on the ring) rewrites the
// same blocks rather than adding copies. Readers that still see both inputs
// and output combine and deduplicate, as every trace lookup does.
//
// All methods are thread-safe; one cycle runs at a time.
#ifndef ANDANTE_COMPACTION_H_
#define ANDANTE_COMPACTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/options.h"

namespace andante {

// `compactor.compaction` (Tempo's key names), plus the ring of instances.
struct CompactionOptions {
  // Only blocks whose end times fall in the same window are merged (by block
  // end time, as Tempo). Must be > 0 (Tempo: "compaction window can't be 0").
  absl::Duration compaction_window = absl::Hours(1);
  // Most traces in one output block; a merge that would exceed it is not
  // planned, and a running one starts a new output block.
  uint64_t max_compaction_objects = 6'000'000;
  // Largest output block in bytes; the same rule as max_compaction_objects.
  uint64_t max_block_bytes = 100ull << 30;
  // Blocks whose end time is older than this are expired: marked compacted,
  // then deleted after compacted_block_retention. Zero disables. The seeds'
  // `retention_duration` is an alias of this key.
  absl::Duration block_retention = absl::Hours(336);
  // Per-tenant block_retention (overrides `compaction.block_retention`); a
  // zero or absent entry uses block_retention.
  absl::flat_hash_map<std::string, absl::Duration> tenant_block_retention;
  // The live per-tenant limits (may be null): a tenant's non-zero
  // `block_retention` there wins over both of the above. Asked at every
  // retention pass, so a reloaded overrides file applies at the next cycle.
  std::shared_ptr<const Overrides> overrides;
  // How long a compacted block stays readable before deletion. Must exceed
  // the readers' blocklist_poll, or a reader with an older list may miss.
  absl::Duration compacted_block_retention = absl::Hours(1);
  // Parallel deletions during retention.
  int retention_concurrency = 10;
  // How often RunCycle should be called by the embedder's loop (Tempo
  // `compaction_cycle`); informational for the library.
  absl::Duration compaction_cycle = absl::Seconds(30);
  // Decoded-trace buffer per input block (Tempo `v2_in_buffer_bytes`): the
  // bulk of a merge's memory, which does not grow with block size. 1 MiB,
  // not Tempo's 5 MiB: merging 8 inputs of 200k spans, peak RSS growth
  // 97-100 MB at 5 MiB, 38 MB at 1 MiB, at the same spans per CPU-second
  // (bench/compaction_bench).
  uint64_t v2_in_buffer_bytes = 1 << 20;
  // Fewest and most blocks merged by one job (Tempo hard-codes 2 and 4;
  // Andante defaults to 8, the benchmark's size).
  int min_input_blocks = 2;
  int max_input_blocks = 8;
  // Incomplete blocks (no meta.json) seen for longer than this are deleted
  // by retention: leftovers of crashed flushes or compactions. Must exceed
  // the longest flush or compaction.
  absl::Duration incomplete_block_timeout = absl::Hours(1);
  // Format options of the output blocks.
  // New blocks are columnar (format 2) unless configured otherwise.
  BlockOptions block{.version = 2};
  // This instance's ID and every instance compacting the same bucket
  // (including this one). Empty ring: this instance owns all work.
  std::string instance_id = "andante";
  std::vector<std::string> instance_ring;
};

// What one merge did.
struct CompactionResult {
  std::string tenant;
  std::vector<std::string> input_block_ids;
  std::vector<std::string> output_block_ids;
  uint32_t output_level = 0;
  uint64_t traces = 0;           // in the outputs
  uint64_t spans_in = 0;         // read from the inputs
  uint64_t spans_out = 0;        // written to the outputs
  uint64_t combined_traces = 0;  // held by several inputs or deduplicated
  uint64_t bytes_out = 0;        // data + index + bloom of the outputs
};

// What one retention pass did.
struct RetentionResult {
  // Live blocks past block_retention, now marked compacted.
  std::vector<std::string> expired_block_ids;
  // Compacted blocks past compacted_block_retention, and incomplete blocks
  // past incomplete_block_timeout, now deleted.
  std::vector<std::string> deleted_block_ids;
  // Writes killed mid-object (S3: multipart uploads never completed) begun
  // more than incomplete_block_timeout ago, now discarded: in the whole
  // backend by RunCycle (owner of "retention/incomplete-writes"), under the
  // tenant by ApplyRetention.
  uint64_t aborted_writes = 0;
};

struct CompactionCycleReport {
  std::vector<CompactionResult> compactions;
  // Jobs planned but owned by another instance of the ring.
  uint64_t jobs_skipped_not_owned = 0;
  // Jobs that failed (logged); their inputs are untouched.
  uint64_t jobs_failed = 0;
  RetentionResult retention;
};

class Compactor {
 public:
  // INVALID_ARGUMENT for unusable options (zero window, fewer than 2 input
  // blocks, ...). `backend` is shared with the caller.
  static absl::StatusOr<std::unique_ptr<Compactor>> Open(
      CompactionOptions options, std::shared_ptr<Backend> backend);

  virtual ~Compactor() = default;

  // Merges the live blocks `block_ids` of `tenant` into one or more new
  // blocks (split at max_block_bytes / max_compaction_objects), publishes
  // them, then marks the inputs compacted at `now`. Runs regardless of ring
  // ownership: the caller chose the blocks. NOT_FOUND if a block is not a
  // live block of the tenant; on any error no input is marked.
  virtual absl::StatusOr<CompactionResult> Compact(
      std::string_view tenant, const std::vector<std::string>& block_ids,
      absl::Time now) = 0;

  // One cycle over every tenant in the backend: lists the tenant's blocks,
  // plans merges (level by level within a window), runs those this instance
  // owns, then applies retention to the tenants it owns.
  virtual absl::StatusOr<CompactionCycleReport> RunCycle(absl::Time now) = 0;

  // Retention alone, for one tenant.
  virtual absl::StatusOr<RetentionResult> ApplyRetention(
      std::string_view tenant, absl::Time now) = 0;

  // For shutdown; thread-safe, returns at once. Abandons the merge in
  // progress within about 50 ms, even while an input read is pending (that
  // read finishes on a detached thread): its unfinished output stays
  // unpublished and no input of it is marked, as after a crash. Compact then
  // returns CANCELLED, RunCycle what it completed before (no further job or
  // retention); later calls of either do nothing and say so the same way.
  virtual void Cancel() = 0;

  // The options it was opened with.
  virtual const CompactionOptions& options() const = 0;
};

}  // namespace andante

#endif  // ANDANTE_COMPACTION_H_
