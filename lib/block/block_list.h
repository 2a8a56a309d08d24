// Discovering and deleting blocks in a backend. A block is the directory
// <tenant>/<block-id>/ with a UUID name; it is complete once its meta.json
// exists. Other names under a tenant are not blocks and are left alone.
#ifndef ANDANTE_BLOCK_BLOCK_LIST_H_
#define ANDANTE_BLOCK_BLOCK_LIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/backend.h"
#include "block/block_meta.h"

namespace andante::internal {

struct TenantBlocks {
  // Blocks with a readable meta.json, in block ID order.
  std::vector<BlockMeta> complete;
  // Block IDs whose directory has no meta.json: a flush in progress, one a
  // crash interrupted, or a complete block whose meta.json was lost. See
  // RecoverBlock (lib/ingest/block_loader.h) for what owners do with them.
  std::vector<std::string> incomplete;
  // Block IDs whose meta.json exists but cannot be read or parsed, or names
  // another block. Logged and left alone (never deleted).
  std::vector<std::string> damaged;
};

// Lists the blocks of `tenant`: one List and one meta.json read per block. A
// meta.json that cannot be read or parsed or names another block is logged
// and the block listed as damaged, so one bad block does not hide the others.
// Only a transient backend error (UNAVAILABLE and the like) fails the call.
absl::StatusOr<TenantBlocks> ListTenantBlocks(Backend& backend,
                                              std::string_view tenant);

// The tenants that have objects in `backend`, sorted. Top-level names that
// are not valid tenant IDs are left out, and appended to `non_tenants` when it
// is not null (the root tenant list, ~tenants.json.zst, is one).
absl::StatusOr<std::vector<std::string>> ListTenants(
    Backend& backend, std::vector<std::string>* non_tenants = nullptr);

// Deletes a block: meta.json first, so the block stops being visible before
// any of its data goes, then the index (so start-up recovery of blocks
// without meta.json cannot resurrect it), then every other object. Deleting an absent block
// succeeds.
absl::Status DeleteBlock(Backend& backend, std::string_view tenant,
                         std::string_view block_id);

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_LIST_H_
