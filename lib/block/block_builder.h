// Writes one complete block from traces presented in trace ID order.
//
// Call order:  Add+ Finish
//
//   BlockBuilder builder(options, *backend, tenant, NewBlockId(), head.size());
//   for (auto& [id, trace] : head)   // sorted by id
//     if (auto s = builder.Add(id, trace.bytes, trace.start, trace.end,
//                              trace.spans); !s.ok()) return s;
//   absl::StatusOr<BlockMeta> meta = builder.Finish();
//
// Memory: one open page and one compressed page at a time (pages stream to
// the backend's ObjectWriter as they are cut), plus 16 bytes per trace ID for
// the bloom filter, which it sizes from the actual trace count at Finish.
#ifndef ANDANTE_BLOCK_BLOCK_BUILDER_H_
#define ANDANTE_BLOCK_BLOCK_BUILDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "block/block_meta.h"
#include "block/page_index.h"
#include "block/v2_block_writer.h"

namespace andante::internal {

class BlockBuilder {
 public:
  // `estimated_traces` only reserves memory and feeds EstimatedSize before the
  // first page is cut; it need not be exact.
  // `backend` must outlive the builder; pages stream into it as they are
  // cut (the block stays invisible until Finish writes meta.json).
  BlockBuilder(const BlockOptions& options, Backend& backend,
               std::string tenant, std::string block_id,
               uint64_t estimated_traces);
  ~BlockBuilder();
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Appends one trace. `data` is opaque bytes (a serialized OTLP TracesData)
  // and is copied. INVALID_ARGUMENT if the options are unusable;
  // FAILED_PRECONDITION after Finish.
  // REQUIRES: id strictly greater than the previous Add's id.
  absl::Status Add(const TraceId& id, std::string_view data,
                   uint64_t start_unix_nano, uint64_t end_unix_nano,
                   uint32_t span_count);

  // Bytes the block will take in the backend (data + index + bloom), exact
  // for pages already cut and estimated for the open page.
  uint64_t EstimatedSize() const;

  // The compactionLevel meta.json will carry (default 0: an ingester flush).
  // REQUIRES: before Finish.
  void set_compaction_level(uint32_t level) { compaction_level_ = level; }

  // Writes data, index, bloom shards, then meta.json last, and returns the
  // meta. On error the objects written so far stay behind without meta.json:
  // an incomplete block that ListTenantBlocks reports for cleanup; retry with
  // a new builder and block ID.
  // REQUIRES: at least one Add; called once.
  absl::StatusOr<BlockMeta> Finish();

 private:
  // Compresses the open page and appends it to data_.
  absl::Status CutPage();

  const BlockOptions options_;
  const std::string tenant_;
  const std::string block_id_;
  absl::Status options_status_;
  bool finished_ = false;

  struct ZstdContext;
  std::unique_ptr<ZstdContext> zstd_;

  Backend& backend_;
  // Set when options.version is 2: writes the data and index objects.
  std::unique_ptr<V2BlockWriter> v2_;
  // The data object, opened at the first page cut. Pages are streamed so
  // that a block never sits in memory whole.
  std::unique_ptr<ObjectWriter> data_writer_;
  uint64_t data_bytes_ = 0;  // compressed bytes written so far
  std::string compressed_;   // scratch for one compressed page
  std::string page_;  // entries of the open page, uncompressed
  TraceId page_first_id_;
  uint32_t page_traces_ = 0;
  uint64_t raw_bytes_cut_ = 0;  // uncompressed bytes of the pages in data_
  std::vector<PageEntry> pages_;
  std::vector<TraceId> ids_;

  uint64_t start_unix_nano_ = UINT64_MAX;
  uint64_t end_unix_nano_ = 0;
  uint64_t total_spans_ = 0;
  uint32_t compaction_level_ = 0;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_BUILDER_H_
