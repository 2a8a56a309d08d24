// Writes the data, tag summary and index objects of a v2 (columnar) block. BlockBuilder
// owns one when BlockOptions::version is 2 and keeps doing what both versions
// share (ordering checks, trace-ID bloom shards, meta.json).
#ifndef ANDANTE_BLOCK_V2_BLOCK_WRITER_H_
#define ANDANTE_BLOCK_V2_BLOCK_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "block/block_meta.h"
#include "block/string_bloom_builder.h"
#include "block/tag_summary_builder.h"
#include "block/v2_index.h"
#include "block/v2_page.h"

namespace andante::internal {

// Whether writers created from now on store span attributes keyed (true, the
// default) or in the single-chunk layout of writers before it (tests keep
// covering blocks written then: scan_differential_test, block tests).
void SetV2KeyedSpanAttributesForTesting(bool keyed);

class V2BlockWriter {
 public:
  V2BlockWriter(const BlockOptions& options, Backend& backend,
                std::string tenant, std::string block_id);
  ~V2BlockWriter();

  // Appends a trace (serialized OTLP TracesData). REQUIRES: ascending ids.
  absl::Status Add(const TraceId& id, std::string_view data);
  // Bytes of data and index so far, the open page estimated.
  uint64_t EstimatedSize() const;
  // Cuts the last page, closes the data object and writes the index; sets
  // meta's data_bytes, index_bytes and total_pages.
  absl::Status Finish(BlockMeta* meta);

 private:
  absl::Status CutPage();
  // Compresses `raw` into *page_bytes as one chunk (frame + CRC trailer);
  // `chunk`: its column, or kV2KeyedFirstChunk for a key chunk.
  absl::StatusOr<V2Chunk> AppendChunk(uint32_t chunk, std::string_view raw,
                                      std::string* page_bytes);

  const BlockOptions options_;
  Backend& backend_;
  const std::string tenant_, block_id_;
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;
  std::unique_ptr<ObjectWriter> data_writer_;
  V2PageEncoder page_;
  TraceId page_first_id_, last_id_;
  V2Index index_;
  uint64_t data_bytes_ = 0, raw_bytes_cut_ = 0;
  std::string page_bytes_;  // the page being cut (reused)
  std::string column_;      // scratch for the columns assembled at a cut
  std::unique_ptr<char[]> zbuf_;  // a compressed chunk (zbuf_size_ bytes)
  size_t zbuf_size_ = 0;
  // BloomHashOf(V2StringKey) of the cut page's strings.
  std::vector<BloomKeyHash> page_keys_;
  StringBloomBuilder string_keys_;  // the block's distinct strings
  absl::flat_hash_set<std::string> services_, span_names_;
  TagSummaryBuilder tags_;  // the `tags` object, collected page by page
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_V2_BLOCK_WRITER_H_
