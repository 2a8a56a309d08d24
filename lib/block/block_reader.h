// Reads one complete block: trace-by-ID lookups and a full scan.
//
// Call order:  Open (Find | ForEach | meta)*     — from any number of threads
//
//   absl::StatusOr<std::unique_ptr<BlockReader>> reader =
//       BlockReader::Open(backend, meta);      // meta from ListTenantBlocks
//   absl::StatusOr<std::optional<std::string>> trace = (*reader)->Find(id);
//
// A lookup costs at most: the bloom shard of the ID (read once, then cached),
// the page index (read once, then cached) and one ranged read of one page.
// IDs outside [min_id, max_id] cost nothing.
#ifndef ANDANTE_BLOCK_BLOCK_READER_H_
#define ANDANTE_BLOCK_BLOCK_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "block/block_meta.h"
#include "block/bloom_filter.h"
#include "block/page_index.h"

namespace andante::internal {

class BlockReader {
 public:
  // Reads nothing; the first Find loads what it needs. INVALID_ARGUMENT if
  // `meta` is not a readable v1 block's (wrong version, no pages or shards).
  static absl::StatusOr<std::unique_ptr<BlockReader>> Open(
      std::shared_ptr<Backend> backend, BlockMeta meta);

  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // The data of trace `id`, or nullopt if the block does not hold it. Checks
  // min/max ID, then the bloom shard, the index, then reads ONE page with one
  // ranged read and verifies its CRC: DATA_LOSS on mismatch or any other
  // corruption. Adds the bytes read from the backend to *inspected_bytes if
  // non-null. Thread-safe.
  absl::StatusOr<std::optional<std::string>> Find(
      const TraceId& id, uint64_t* inspected_bytes = nullptr);

  const BlockMeta& meta() const { return meta_; }

  // Calls fn(id, data) for every trace in ID order, stopping at the first
  // error fn returns (which ForEach returns). `data` is valid only during the
  // call. Reads the data object in ranges of a few MiB and verifies every
  // page. Thread-safe.
  absl::Status ForEach(
      absl::FunctionRef<absl::Status(const TraceId&, std::string_view data)>
          fn);

 private:
  BlockReader(std::shared_ptr<Backend> backend, BlockMeta meta);

  absl::StatusOr<std::shared_ptr<const BloomFilter>> BloomShard(
      uint32_t shard, uint64_t* inspected_bytes);
  absl::StatusOr<std::shared_ptr<const PageIndex>> Index(
      uint64_t* inspected_bytes);
  // Verifies and decompresses the stored page `stored`, which is page `n`.
  absl::StatusOr<std::string> DecodePage(size_t n, const PageEntry& entry,
                                         std::string_view stored) const;

  const std::shared_ptr<Backend> backend_;
  const BlockMeta meta_;

  // Loaded on first use and never evicted: a few bytes per trace. Loads run
  // outside the lock, so two racing first lookups may both read; the first
  // to finish wins.
  absl::Mutex mu_;
  std::shared_ptr<const PageIndex> index_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const BloomFilter>> bloom_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_READER_H_
