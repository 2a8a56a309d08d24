// Fuzzes the decoders of the objects compaction keeps next to the blocks:
// the tenant index (index.json.zst), meta.compacted.json, and the wire scan
// of stored traces. A decodable index must re-encode to an equal index.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "compaction/blocklist.h"
#include "compaction/tenant_index.h"
#include "compaction/trace_stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace andante::internal;
  absl::StatusOr<TenantIndex> index = DecodeTenantIndex(bytes);
  if (index.ok()) {
    absl::StatusOr<TenantIndex> again =
        DecodeTenantIndex(EncodeTenantIndex(*index));
    if (!again.ok() || !(*again == *index)) std::abort();
  }
  (void)DecodeCompactedMeta(bytes);
  (void)ScanTraceStats(bytes);
  return 0;
}
