// Opening a tenant's blocks when its instance starts: complete blocks get a
// reader, damaged ones are logged, counted and skipped, and a block directory
// without meta.json is recovered when it is whole, and otherwise kept.
//
//   std::atomic<uint64_t> damaged{0};
//   absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> blocks =
//       OpenTenantBlocks(backend, "tenant-a", &damaged);
//
// Nothing here deletes a block. A directory without meta.json is either a
// flush a crash interrupted (the WAL still holds its data: the WAL is trimmed
// only after meta.json is written) or a complete block whose meta.json was
// lost, possibly the only copy of its traces. Which one cannot be told from
// the directory alone, so: if data, index and bloom are complete and agree
// (every page's checksum, every ID in its bloom shard, the data object
// exactly as long as the index says), meta.json is rebuilt from them and the
// block is served; if the crash also left the WAL, the spans are stored twice
// and reads deduplicate them. Otherwise the directory is kept, logged and
// counted as damaged, for an operator to remove.
#ifndef ANDANTE_INGEST_BLOCK_LOADER_H_
#define ANDANTE_INGEST_BLOCK_LOADER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/backend.h"
#include "block/block_meta.h"
#include "block/block_reader.h"

namespace andante::internal {

// Readers for every usable block of `tenant`, in block ID order (see the file
// comment). Fails only on a transient backend error; every damaged or
// incomplete block is logged and adds one to *damaged_counter (may be null;
// must outlive the readers, which count damage found later).
absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> OpenTenantBlocks(
    const std::shared_ptr<Backend>& backend, std::string_view tenant,
    std::atomic<uint64_t>* damaged_counter);

// Rebuilds and writes the meta.json of the incomplete block `block_id` from
// its index, bloom shards and data, after checking all of them (reads the
// whole block once). FAILED_PRECONDITION naming what is missing or
// inconsistent if the block is not whole; then nothing is written.
absl::StatusOr<BlockMeta> RecoverBlockMeta(
    const std::shared_ptr<Backend>& backend, std::string_view tenant,
    std::string_view block_id);

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_BLOCK_LOADER_H_
