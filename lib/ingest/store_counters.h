// Counters shared by a store's tenant instances; read by Store::Stats().
#ifndef ANDANTE_INGEST_STORE_COUNTERS_H_
#define ANDANTE_INGEST_STORE_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "block/block_cache.h"

namespace andante::internal {

struct StoreCounters {
  std::atomic<uint64_t> spans_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> spans_discarded_trace_too_large{0};
  std::atomic<uint64_t> traces_created{0};
  std::atomic<uint64_t> wal_bytes_written{0};
  std::atomic<uint64_t> blocks_flushed{0};
  std::atomic<uint64_t> block_flush_failures{0};
  // Blocks found damaged (unreadable meta, index, bloom, data) or left
  // incomplete and unrecoverable; each counted once.
  std::atomic<uint64_t> blocks_damaged{0};
  // Damaged tag summaries (a block's `tags` object) met by the tags and tag
  // values endpoints, which then answer from the block's data.
  std::atomic<uint64_t> tag_summaries_damaged{0};
  // Span bytes of every tenant not yet in a complete block (the memory
  // bound IngesterOptions.max_unflushed_bytes).
  std::atomic<uint64_t> unflushed_bytes{0};
  // Bytes of every tenant's in-memory trace index (the bound
  // IngesterOptions.max_trace_index_bytes).
  std::atomic<uint64_t> index_bytes{0};
  // Flush retries scheduled after failed block builds, all tenants.
  std::atomic<uint64_t> block_flush_retries{0};
  // Store::Search over complete blocks, all tenants: blocks considered,
  // blocks not read (time range, early stop, or ruled out by a v2 block's
  // index summaries) and bytes read (SearchMetrics, summed).
  std::atomic<uint64_t> search_blocks{0};
  std::atomic<uint64_t> search_blocks_skipped{0};
  std::atomic<uint64_t> search_inspected_bytes{0};
  // Bloom shards and page indexes of every reader (StoreOptions
  // .block_cache_bytes); null: each reader keeps what it loads.
  std::shared_ptr<BlockCache> block_cache;
};

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_STORE_COUNTERS_H_
