// The blocks of a tenant as compaction, retention and readers see them: live
// blocks, compacted blocks (superseded by a compaction output or expired by
// retention, kept for compacted_block_retention so that readers with an
// older list still find them) and incomplete blocks (no meta.json yet).
//
// A block is compacted once <tenant>/<block>/meta.compacted.json exists.
// meta.json stays in place until the block is deleted, so a block never
// looks incomplete while it is still being read.
//
//   absl::StatusOr<TenantBlocklist> list =
//       ListTenantBlocklist(backend, "single-tenant", absl::Now());
//   for (const BlockMeta& m : list->live) ...
#ifndef ANDANTE_COMPACTION_BLOCKLIST_H_
#define ANDANTE_COMPACTION_BLOCKLIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "block/block_meta.h"

namespace andante::internal {

struct CompactedBlockMeta {
  BlockMeta meta;
  absl::Time compacted_time;
  friend bool operator==(const CompactedBlockMeta&,
                         const CompactedBlockMeta&) = default;
};

struct IncompleteBlock {
  std::string block_id;
  // When a poll first saw the block without meta.json (carried across polls
  // and in the tenant index), so that only old leftovers are deleted.
  absl::Time first_seen;
  friend bool operator==(const IncompleteBlock&,
                         const IncompleteBlock&) = default;
};

struct TenantBlocklist {
  std::vector<BlockMeta> live;                // block ID order
  std::vector<CompactedBlockMeta> compacted;  // block ID order
  std::vector<IncompleteBlock> incomplete;    // block ID order
  friend bool operator==(const TenantBlocklist&,
                         const TenantBlocklist&) = default;
};

// Lists `tenant` from the backend: one LIST, then per block a GET of
// meta.compacted.json and, when absent, of meta.json. A block deleted
// between the LIST and the GETs reads as incomplete (and deleting it later
// is a no-op); meta files that do not parse are logged and skipped. `now`
// stamps newly seen incomplete blocks; `previous` (may be null) carries earlier
// stamps. `non_blocks` (may be null) receives the other names the LIST found
// under the tenant, such as its index object (index.json.zst).
absl::StatusOr<TenantBlocklist> ListTenantBlocklist(
    Backend& backend, std::string_view tenant, absl::Time now,
    const TenantBlocklist* previous = nullptr,
    std::vector<std::string>* non_blocks = nullptr);

// Writes meta.compacted.json for `meta`'s block. Idempotent.
absl::Status MarkBlockCompacted(Backend& backend, const BlockMeta& meta,
                                absl::Time compacted_time);

// meta.compacted.json's text, and back. DATA_LOSS if malformed.
std::string EncodeCompactedMeta(const CompactedBlockMeta& compacted);
absl::StatusOr<CompactedBlockMeta> DecodeCompactedMeta(std::string_view json);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_BLOCKLIST_H_
