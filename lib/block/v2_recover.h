// Reading a v2 data object without its index, for rebuilding incomplete
// blocks (lib/ingest/block_loader.cc). The data object is self-delimiting:
// a sequence of zstd frames each followed by its CRC, kV2ColumnCount of them
// per page.
#ifndef ANDANTE_BLOCK_V2_RECOVER_H_
#define ANDANTE_BLOCK_V2_RECOVER_H_

#include <cstdint>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/ids.h"

namespace andante::internal {

// True if `data` starts with a whole, valid v2 page (v1 data never does).
bool IsV2Data(std::string_view data);

// Calls fn(id, serialized TracesData, start, end, span count) for every
// trace of the v2 data object `data`, in order, stopping at fn's first
// error. DATA_LOSS if any chunk or page is corrupt.
absl::Status ForEachV2DataTrace(
    std::string_view data,
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view,
                                   uint64_t start, uint64_t end,
                                   uint32_t spans)>
        fn);

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_V2_RECOVER_H_
