// The index object of a v2 block: per page, where it lives, the size, raw
// size and CRC of each column chunk, time and duration bounds and a bloom
// filter of the page's strings; per block, a bloom filter of every string
// and the distinct service and span names. Read once per block and cached;
// a query decides from it which pages to read without decompressing any.
// Layout: docs/block-format.md "Version 2", constants in block_format.h.
#ifndef ANDANTE_BLOCK_V2_INDEX_H_
#define ANDANTE_BLOCK_V2_INDEX_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"
#include "block/block_format.h"
#include "block/bloom_filter.h"

namespace andante::internal {

struct V2Chunk {
  uint32_t length = 0;      // stored bytes: zstd frame + CRC trailer
  uint32_t raw_length = 0;  // decompressed bytes
  uint32_t crc = 0;         // masked CRC32C of the frame (= the trailer)
  friend bool operator==(const V2Chunk&, const V2Chunk&) = default;
};

// What a page (or, merged, a block) holds under one span-attribute key:
// the index's key statistics (kV2IndexAttributeStats). A key a page's spans
// never carry has no entry.
struct V2KeyStats {
  std::string key;
  uint32_t dict = 0;   // the key's index in the page's string dictionary
  uint32_t types = 0;  // bit t set: some value has V2ValueTag t
  // Over the kV2Int values (meaningful when types has bit kV2Int).
  int64_t min_int = 0, max_int = 0;
  // Every distinct kV2Int value, ascending; empty when there were more than
  // kV2MaxIntValuesListed (then only the bounds are known).
  std::vector<int64_t> ints;
  friend bool operator==(const V2KeyStats&, const V2KeyStats&) = default;
};

struct V2PageEntry {
  TraceId first_id, last_id;
  uint64_t offset = 0;  // of the page in the data object
  uint32_t length = 0;  // sum of the chunk lengths
  uint32_t trace_count = 0, span_count = 0;
  int64_t min_start = 0, max_end = 0;  // unix nanos
  int64_t min_duration = 0, max_duration = 0;
  std::array<V2Chunk, kV2ColumnCount> chunks;
  // Keyed span attributes (block_format.h): the marker chunk and one chunk
  // per entry of span_keys, in that order, after the 16 chunks.
  bool keyed = false;
  V2Chunk key_marker;
  std::vector<V2Chunk> key_chunks;
  // Every string of the page's dictionary.
  BloomFilter strings{8, 1, BloomProbes::kDoubleHashing};
  // Span-attribute keys of the page, sorted by key (V2Index::attribute_stats).
  std::vector<V2KeyStats> span_keys;

  // Chunks in page order: the 16 columns, then (keyed) the marker
  // (kV2ColumnCount) and the key chunks (kV2KeyedFirstChunk + i).
  size_t chunk_count() const {
    return keyed ? kV2KeyedFirstChunk + key_chunks.size()
                 : size_t{kV2ColumnCount};
  }
  const V2Chunk& chunk(size_t i) const {
    return i < kV2ColumnCount    ? chunks[i]
           : i == kV2ColumnCount ? key_marker
                                 : key_chunks[i - kV2KeyedFirstChunk];
  }
  V2Chunk& chunk(size_t i) {
    return const_cast<V2Chunk&>(std::as_const(*this).chunk(i));
  }
};

// The string bloom's key for `s` (see block_format.h).
TraceId V2StringKey(std::string_view s);

class V2Index {
 public:
  // Parses an index object. DATA_LOSS if truncated, its checksum fails or an
  // invariant breaks (pages non-empty, ascending disjoint ID ranges,
  // contiguous from offset 0, chunk lengths summing to the page length).
  static absl::StatusOr<V2Index> Decode(std::string_view encoded);
  std::string Encode() const;

  // The page whose ID range holds `id`, if any.
  std::optional<size_t> FindPage(const TraceId& id) const;
  uint64_t data_bytes() const;

  std::vector<V2PageEntry> pages;
  // Every string of the block.
  BloomFilter strings{8, 1, BloomProbes::kDoubleHashing};
  bool services_complete = true, span_names_complete = true;
  std::vector<std::string> services, span_names;  // sorted
  // Whether pages carry span_keys (kV2IndexAttributeStats; false for indexes
  // written before key statistics existed: nothing may be concluded from
  // the pages' empty span_keys then).
  bool attribute_stats = false;
  // With attribute_stats: the pages' span_keys merged (dict unused), so a
  // whole block is ruled out the way a page is. Filled by Decode.
  std::vector<V2KeyStats> span_keys;

  // Heap bytes the decoded index holds, about (what the block cache is
  // charged for it).
  uint64_t MemoryBytes() const;
};

// The entry of `key` in `stats` (sorted by key), or null.
const V2KeyStats* FindKeyStats(const std::vector<V2KeyStats>& stats,
                               std::string_view key);

// What a trace-by-ID lookup and a full scan need of a v2 index, and no more:
// per page its ID range, place, counts and chunk table (no blooms, time
// bounds, name lists or key statistics). About 64 bytes plus 12 per chunk
// a page, against several KB decoded for a full V2Index page, so a reader
// keeps it for its whole life while the full index lives in the bounded
// block cache (block_reader.h).
struct V2PageLocation {
  TraceId first_id, last_id;
  uint64_t offset = 0;  // of the page in the data object
  uint32_t length = 0;  // sum of the chunk lengths
  uint32_t trace_count = 0, span_count = 0;
  // The page's chunks are V2PageTable::chunks[first_chunk, +chunk_count),
  // in V2PageEntry::chunk order.
  uint32_t chunk_count = 0;
  uint64_t first_chunk = 0;

  bool keyed() const { return chunk_count != kV2ColumnCount; }
  size_t key_count() const {
    return keyed() ? chunk_count - kV2KeyedFirstChunk : 0;
  }
};

class V2PageTable {
 public:
  // Parses only the page table of an index object, checking the same
  // checksum and page invariants as V2Index::Decode (DATA_LOSS otherwise);
  // page blooms are skipped without being decoded, and nothing after the
  // block bloom but the flags is read.
  static absl::StatusOr<V2PageTable> Decode(std::string_view encoded);
  // The table of an already decoded index.
  static V2PageTable Of(const V2Index& index);

  // The page whose ID range holds `id`, if any.
  std::optional<size_t> FindPage(const TraceId& id) const;
  uint64_t data_bytes() const;
  // Chunk i of page n.
  const V2Chunk& chunk(size_t n, size_t i) const {
    return chunks[pages[n].first_chunk + i];
  }
  // Heap bytes held (what a reader keeps for it).
  uint64_t MemoryBytes() const {
    return pages.capacity() * sizeof(V2PageLocation) +
           chunks.capacity() * sizeof(V2Chunk);
  }

  std::vector<V2PageLocation> pages;
  std::vector<V2Chunk> chunks;
};

// A bloom filter sized for `n` keys at about 1% false positives.
BloomFilter NewV2StringBloom(uint64_t n);

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_V2_INDEX_H_
