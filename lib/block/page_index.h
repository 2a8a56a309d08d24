// The page index of a block: for each data page, its trace ID range and where
// it lives in the data object. A lookup binary-searches it to pick the one
// page that can hold an ID. Layout in block_format.h.
#ifndef ANDANTE_BLOCK_PAGE_INDEX_H_
#define ANDANTE_BLOCK_PAGE_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"

namespace andante::internal {

// One data page.
struct PageEntry {
  TraceId first_id;         // smallest trace ID in the page
  TraceId last_id;          // largest trace ID in the page
  uint64_t offset = 0;      // of the page in the data object
  uint32_t length = 0;      // stored bytes: zstd frame + CRC trailer
  uint32_t raw_length = 0;  // uncompressed entry bytes
  uint32_t trace_count = 0;
  uint32_t crc = 0;  // masked CRC32C of the zstd frame (the trailer)

  friend bool operator==(const PageEntry&, const PageEntry&) = default;
};

class PageIndex {
 public:
  PageIndex() = default;
  // REQUIRES: `pages` satisfy the invariants Decode checks.
  explicit PageIndex(std::vector<PageEntry> pages);

  // Parses an index object. DATA_LOSS if it is truncated, fails its checksum
  // or breaks an invariant: pages non-empty, ID ranges strictly increasing
  // and disjoint, pages contiguous from offset 0.
  static absl::StatusOr<PageIndex> Decode(std::string_view encoded);

  // The index object's bytes.
  std::string Encode() const;

  // The position in pages() of the only page whose [first_id, last_id]
  // contains `id`; nullopt if `id` falls before, after or between pages.
  std::optional<size_t> FindPage(const TraceId& id) const;

  const std::vector<PageEntry>& pages() const { return pages_; }
  // Bytes of the data object the pages cover.
  uint64_t data_bytes() const;

 private:
  std::vector<PageEntry> pages_;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_PAGE_INDEX_H_
