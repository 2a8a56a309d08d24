// Complete blocks on their own: writing one from traces and reading one back
// by trace ID, without a Store. A block is the backend directory
// <tenant>/<block-id>/ holding compressed data pages, a page index, a
// sharded filter of its trace IDs (sorted fingerprints; blocks written
// before them: a bloom filter) and meta.json (docs/block-format.md);
// it is complete, and visible, once meta.json exists.
//
//   std::shared_ptr<andante::Backend> backend = ...;
//   andante::BlockOptions options;  // version 1 by default; 2 is columnar
//   auto writer = andante::BlockWriter::Create(options, backend, "tenant");
//   if (!writer.ok()) return writer.status();
//   for (const auto& [id, t] : traces_sorted_by_id) {
//     // t.data: a serialized OTLP TracesData holding only trace `id`.
//     auto s = (*writer)->Add(id, t.data, t.start_ns, t.end_ns, t.spans);
//     if (!s.ok()) return s;
//   }
//   absl::StatusOr<andante::BlockInfo> info = (*writer)->Finish();
//
//   auto block = andante::Block::Open(backend, "tenant", info->block_id);
//   absl::StatusOr<bool> maybe = (*block)->MayContain(id);   // filter only
//   absl::StatusOr<std::optional<std::string>> data = (*block)->Find(id);
//
// A lookup costs at most one filter shard (read once, then kept), the page
// index (read once, then kept) and one ranged read of one page.
#ifndef ANDANTE_BLOCK_H_
#define ANDANTE_BLOCK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"

namespace andante {

// A complete block's meta.json.
struct BlockInfo {
  std::string block_id;  // UUID v4 text, the block's directory name
  std::string tenant;
  uint32_t format_version = 0;  // 1 (row) or 2 (columnar)
  // Earliest span start and latest span end (unix nanoseconds).
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  // Smallest and largest trace ID in the block.
  TraceId min_id;
  TraceId max_id;
  uint64_t total_traces = 0;
  uint64_t total_spans = 0;
  uint64_t data_bytes = 0;   // the data object
  uint64_t index_bytes = 0;  // the index object
  uint64_t bloom_bytes = 0;  // all bloom shards
  uint32_t total_pages = 0;
  uint32_t bloom_shards = 0;
  uint32_t compaction_level = 0;  // 0: written by an ingester flush
};

// Writes one block. Not thread-safe; not copyable.
//
// Call order: Create Add+ Finish. Memory: one open and one compressed page
// at a time (pages stream to the backend as they are cut) plus 16 bytes per
// trace for the trace-ID filter.
class BlockWriter {
 public:
  // A writer of a new block of `tenant` with a fresh random block ID.
  // INVALID_ARGUMENT if `tenant` is not a valid tenant ID.
  // REQUIRES: backend != nullptr.
  static absl::StatusOr<std::unique_ptr<BlockWriter>> Create(
      const BlockOptions& options, std::shared_ptr<Backend> backend,
      std::string_view tenant);

  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;
  ~BlockWriter();

  // The ID the block will have.
  const std::string& block_id() const;

  // Appends trace `id`: `data` is a serialized OTLP TracesData holding only
  // that trace's spans (copied); the times and span count go to meta.json
  // and the columnar format's columns. INVALID_ARGUMENT for unusable options
  // or (format 2) data that is not TracesData; FAILED_PRECONDITION after
  // Finish.
  // REQUIRES: `id` greater than the previous Add's `id`.
  absl::Status Add(const TraceId& id, std::string_view data,
                   uint64_t start_unix_nano, uint64_t end_unix_nano,
                   uint32_t span_count);

  // Writes index, bloom shards, then meta.json, and returns the block's
  // info. On error the block stays incomplete (no meta.json) and invisible;
  // retry with a new writer.
  // REQUIRES: at least one Add; called once.
  absl::StatusOr<BlockInfo> Finish();

  // The library's representation; opaque here.
  struct Rep;

 private:
  explicit BlockWriter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// A complete block open for reading. Thread-safe.
//
// Damage: a block whose index or data object is missing, of the wrong size
// or fails its CRC answers DATA_LOSS (every later lookup too, at once); a
// damaged bloom shard is read around (the index decides). Transient backend
// errors are returned as they are.
class Block {
 public:
  // Reads meta.json of <tenant>/<block_id>/. NOT_FOUND if there is none (no
  // such block, or one not yet complete); DATA_LOSS if it is malformed.
  static absl::StatusOr<std::unique_ptr<Block>> Open(
      std::shared_ptr<Backend> backend, std::string_view tenant,
      std::string_view block_id);

  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block();

  const BlockInfo& info() const;

  // False if the block certainly does not hold `id`: outside
  // [min_id, max_id], or rejected by the trace-ID filter. True means
  // "maybe" (the filter has false positives, at the rate the block was
  // written with). Reads at most one filter shard.
  absl::StatusOr<bool> MayContain(const TraceId& id);

  // The data Add was given for `id`, or nullopt if the block does not hold
  // it: MayContain, then the page index, then one page read and checked.
  // Adds the bytes read from the backend to *inspected_bytes if non-null.
  absl::StatusOr<std::optional<std::string>> Find(
      const TraceId& id, uint64_t* inspected_bytes = nullptr);

  // Calls fn(id, data) for every trace in ID order, stopping at the first
  // error fn returns. `data` is valid only during the call.
  absl::Status ForEach(
      absl::FunctionRef<absl::Status(const TraceId& id, std::string_view data)>
          fn);

  // The library's representation; opaque here.
  struct Rep;

 private:
  explicit Block(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// The complete blocks of `tenant`, in block ID order. Blocks with a damaged
// or missing meta.json are left out.
absl::StatusOr<std::vector<BlockInfo>> ListBlocks(Backend& backend,
                                                  std::string_view tenant);

}  // namespace andante

#endif  // ANDANTE_BLOCK_H_
