// Opening a tenant's blocks when its instance starts: complete blocks get a
// reader, damaged ones are logged, counted and skipped, and a block directory
// without meta.json is rebuilt from its data when that is readable.
//
//   std::atomic<uint64_t> damaged{0};
//   absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> blocks =
//       OpenTenantBlocks(backend, options.block, "tenant-a", &damaged);
//
// A directory without meta.json is either a flush a crash interrupted (the
// WAL still holds its data: the WAL is trimmed only after meta.json is
// written) or a complete block whose meta.json was lost, possibly the only
// copy of its traces. Which one cannot be told from the directory alone, so
// it is never deleted while it holds data:
//   - its data object exists (object writes are atomic, so it is whole) and
//     every page checks: the traces are written again as a new block (index,
//     bloom and meta.json rebuilt by BlockBuilder) and the old directory is
//     deleted. If a crash also left the WAL, those spans are stored twice and
//     reads deduplicate them.
//   - no data object: it holds nothing; deleted.
//   - data damaged: kept, logged and counted as damaged, for an operator.
#ifndef ANDANTE_INGEST_BLOCK_LOADER_H_
#define ANDANTE_INGEST_BLOCK_LOADER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/backend.h"
#include "andante/options.h"
#include "block/block_meta.h"
#include "block/block_reader.h"

namespace andante::internal {

// Readers for every usable block of `tenant`, in block ID order (see the file
// comment). Fails only on a transient backend error; every damaged or
// incomplete block is logged and adds one to *damaged_counter (may be null;
// must outlive the readers, which count damage found later). Without
// `recover_incomplete`, blocks without meta.json are left alone (another
// instance sharing the bucket may be writing them).
absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> OpenTenantBlocks(
    const std::shared_ptr<Backend>& backend, const BlockOptions& options,
    std::string_view tenant, std::atomic<uint64_t>* damaged_counter,
    bool recover_incomplete = true,
    std::shared_ptr<BlockCache> cache = nullptr);

// Rewrites the traces of the incomplete block `block_id` (no meta.json) as a
// new complete block built with `options`, then deletes the original; returns
// the new block's meta. Reads the whole data object into memory once (its
// compressed size). NOT_FOUND if there is no data object; DATA_LOSS naming
// the page if the data does not check (nothing is written or deleted then).
absl::StatusOr<BlockMeta> RecoverBlock(const std::shared_ptr<Backend>& backend,
                                       const BlockOptions& options,
                                       std::string_view tenant,
                                       std::string_view block_id);

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_BLOCK_LOADER_H_
