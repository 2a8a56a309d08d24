// How the query module reads a complete block: the one place that knows the
// block format. Today v1 blocks through BlockReader (each trace's stored
// OTLP fragments); a version-agnostic scanner replaces these two functions.
#ifndef ANDANTE_QUERY_BLOCK_SEARCH_H_
#define ANDANTE_QUERY_BLOCK_SEARCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/ids.h"
#include "block/block_reader.h"

namespace andante::query {

// Calls fn(id, data) for every trace of `block`; `data` is serialized OTLP
// TracesData whose spans may lack their trace ID, valid during the call.
// Adds the bytes read to *inspected_bytes. Stops at fn's first error.
absl::Status ScanBlockTraces(
    internal::BlockReader& block, uint64_t* inspected_bytes,
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view)> fn);

// The stored data of `id` in `block`, nullopt if absent. DATA_LOSS if the
// block is damaged.
absl::StatusOr<std::optional<std::string>> FindInBlock(
    internal::BlockReader& block, const TraceId& id, uint64_t* inspected_bytes);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_BLOCK_SEARCH_H_
