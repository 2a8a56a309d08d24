// meta.json: what a block holds and how to read it. Written last, so a block
// whose meta.json exists is complete. Field reference in docs/block-format.md.
//
//   BlockMeta meta = ...;                     // from BlockBuilder::Finish
//   std::string json = meta.ToJson();
//   absl::StatusOr<BlockMeta> back = BlockMeta::FromJson(json);
#ifndef ANDANTE_BLOCK_BLOCK_META_H_
#define ANDANTE_BLOCK_BLOCK_META_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "andante/ids.h"
#include "block/block_format.h"

namespace andante::internal {

struct BlockMeta {
  std::string block_id;  // UUID v4 text, also the block's directory name
  std::string tenant;
  uint32_t format_version = kBlockFormatVersion;
  // Earliest span start and latest span end over all traces (unix nanos).
  uint64_t start_unix_nano = 0, end_unix_nano = 0;
  // Smallest and largest trace ID in the block.
  TraceId min_id, max_id;
  uint64_t total_objects = 0;  // traces
  uint64_t total_spans = 0;
  uint64_t data_bytes = 0;   // size of the data object
  uint64_t index_bytes = 0;  // size of the index object
  uint64_t bloom_bytes = 0;  // sum of the bloom shard sizes
  uint32_t total_pages = 0, bloom_shards = 0;
  int64_t created_unix_seconds = 0;
  // 0 for a block the ingester flushed; a compaction output is one more than
  // its highest input ("compactionLevel", optional, default 0).
  uint32_t compaction_level = 0;

  // The meta.json text.
  std::string ToJson() const;
  // Parses meta.json. UNIMPLEMENTED for a formatVersion this build cannot
  // read; DATA_LOSS for anything malformed (bad JSON, missing or mistyped
  // field, bad ID). Unknown fields are ignored so later versions may add
  // informational ones.
  static absl::StatusOr<BlockMeta> FromJson(std::string_view json);

  friend bool operator==(const BlockMeta&, const BlockMeta&) = default;
};

// A random UUID v4 in lower-case 8-4-4-4-12 text.
std::string NewBlockId();

// True if `id` is UUID text (8-4-4-4-12 hex digits, either case). Block
// directories are named so; anything else under a tenant is not a block.
bool IsValidBlockId(std::string_view id);

// "<tenant>/<block_id>/<object>".
std::string BlockKey(std::string_view tenant, std::string_view block_id,
                     std::string_view object);

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_META_H_
