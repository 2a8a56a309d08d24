// The per-tenant index object, and the root tenant list beside the tenants.
// The per-tenant index object: one GET gives a poller a tenant's whole
// blocklist instead of a LIST plus a GET per block. Layout in
// compaction_format.h, specification in docs/tenant-index.md.
//
//   TenantIndex index{"single-tenant", absl::Now(), "andante-0", blocklist};
//   absl::Status s = WriteTenantIndex(backend, index);
//   absl::StatusOr<TenantIndex> back = ReadTenantIndex(backend,
//   "single-tenant");
#ifndef ANDANTE_COMPACTION_TENANT_INDEX_H_
#define ANDANTE_COMPACTION_TENANT_INDEX_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "compaction/blocklist.h"

namespace andante::internal {

struct TenantIndex {
  std::string tenant;
  absl::Time created_at;   // when the listing behind it was taken
  std::string created_by;  // instance ID of the writer, informational
  TenantBlocklist blocks;
  friend bool operator==(const TenantIndex&, const TenantIndex&) = default;
};

// The index object's bytes.
std::string EncodeTenantIndex(const TenantIndex& index);

// Parses an index object. DATA_LOSS if the trailer, the CRC, the zstd frame
// or the JSON is damaged; UNIMPLEMENTED for a newer version.
absl::StatusOr<TenantIndex> DecodeTenantIndex(std::string_view bytes);

// "<tenant>/index.json.zst".
std::string TenantIndexKey(std::string_view tenant);

absl::Status WriteTenantIndex(Backend& backend, const TenantIndex& index);
// NOT_FOUND if there is none; otherwise as DecodeTenantIndex, and the
// index must name `tenant`.
absl::StatusOr<TenantIndex> ReadTenantIndex(Backend& backend,
                                            std::string_view tenant);

// The root tenant list (`~tenants.json.zst` at the top of the backend): the
// tenants a poll would find by listing the top level, so that a poll with a
// fresh list and fresh indexes needs no LIST at all. Same framing as the
// tenant index; specification in docs/tenant-index.md.
struct TenantList {
  absl::Time created_at;   // when the listing behind it was taken
  std::string created_by;  // instance ID of the writer, informational
  std::vector<std::string> tenants;  // sorted
  friend bool operator==(const TenantList&, const TenantList&) = default;
};

std::string EncodeTenantList(const TenantList& list);
// DATA_LOSS if damaged (or an entry is not a valid tenant ID); UNIMPLEMENTED
// for a newer version.
absl::StatusOr<TenantList> DecodeTenantList(std::string_view bytes);

absl::Status WriteTenantList(Backend& backend, const TenantList& list);
// NOT_FOUND if there is none; otherwise as DecodeTenantList.
absl::StatusOr<TenantList> ReadTenantList(Backend& backend);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_TENANT_INDEX_H_
