#include "block/block_scanner.h"

#include <utility>

#include "block/block_format.h"
#include "block/scan/v1_scanner.h"
#include "block/scan/v2_scanner.h"

namespace andante::internal {

std::unique_ptr<BlockTraceScanner> BlockTraceScanner::ForBlock(
    std::shared_ptr<BlockReader> reader) {
  if (reader->meta().format_version == kBlockFormatVersionV2) {
    return std::make_unique<scan::V2Scanner>(std::move(reader));
  }
  return std::make_unique<scan::V1Scanner>(std::move(reader));
}

}  // namespace andante::internal
