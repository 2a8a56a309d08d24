// Objects the compactor, retention and the blocklist poller write next to the
// blocks: the compacted-block marker, the per-tenant index and the root
// tenant list. The specs are
// docs/compaction.md and docs/tenant-index.md; this header is their
// executable half.
//
// PERSISTENT: values marked so reach object storage and outlive the binary.
// Never renumber or reuse them; a change of layout bumps kTenantIndexVersion.
#ifndef ANDANTE_COMPACTION_COMPACTION_FORMAT_H_
#define ANDANTE_COMPACTION_COMPACTION_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace andante::internal {

// ---- compacted-block marker (PERSISTENT) ----------------------------------
//
// <tenant>/<block-id>/meta.compacted.json: a copy of the block's meta.json
// plus "compactedTime" (RFC 3339) and "compactedTimeUnixNano" (decimal
// string). Its existence is what marks the block compacted (Tempo's name).
inline constexpr std::string_view kCompactedMetaObjectName =
    "meta.compacted.json";

// ---- tenant index (PERSISTENT) --------------------------------------------
//
// <tenant>/index.json.zst:
//   index   := zstd_frame(json)  trailer
//   trailer := kSkippableFrameMagic:fixed32  8:fixed32
//              masked_crc32c(zstd_frame):fixed32  kTenantIndexMagic:fixed32
// The trailer is a zstd skippable frame, so `zstd -d` prints the JSON.
inline constexpr std::string_view kTenantIndexObjectName = "index.json.zst";
inline constexpr uint32_t kSkippableFrameMagic = 0x184d2a50;
inline constexpr uint32_t kTenantIndexMagic = 0x31495441;  // "ATI1" LE
inline constexpr size_t kTenantIndexTrailerSize = 16;
// The JSON document's "format" and "version" fields.
inline constexpr std::string_view kTenantIndexFormatName =
    "andante-tenant-index";
inline constexpr uint32_t kTenantIndexVersion = 1;

// ---- root tenant list (PERSISTENT) ----------------------------------------
//
// ~tenants.json.zst at the top level (beside the tenant directories; '~' is
// not a tenant ID character, so no tenant can be named so, and listings of
// tenants skip it):
//   list := zstd_frame(json)  trailer   (trailer as the tenant index's, with
//                                        kTenantListMagic)
inline constexpr std::string_view kTenantListObjectName = "~tenants.json.zst";
inline constexpr uint32_t kTenantListMagic = 0x314c5441;  // "ATL1" LE
inline constexpr std::string_view kTenantListFormatName =
    "andante-tenant-list";
inline constexpr uint32_t kTenantListVersion = 1;

// ---- limits (not persistent) ----------------------------------------------

// A reader refuses an index claiming more uncompressed bytes than this.
inline constexpr uint64_t kMaxTenantIndexBytes = 512ull << 20;

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_COMPACTION_FORMAT_H_
