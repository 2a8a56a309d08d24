#include "query/block_search.h"

namespace andante::query {

absl::Status ScanBlockTraces(
    internal::BlockReader& block, uint64_t* inspected_bytes,
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view)> fn) {
  // ForEach reads the whole data object.
  *inspected_bytes += block.meta().data_bytes;
  return block.ForEach(fn);
}

absl::StatusOr<std::optional<std::string>> FindInBlock(
    internal::BlockReader& block, const TraceId& id,
    uint64_t* inspected_bytes) {
  return block.Find(id, inspected_bytes);
}

}  // namespace andante::query
