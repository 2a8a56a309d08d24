// Reads one complete block, of format v1 or v2: trace-by-ID lookups, a full
// scan, and (v2) the column reads of the query scanner (block_scanner.h).
//
// Call order:  Open (Find | ForEach | meta)*     — from any number of threads
//
//   absl::StatusOr<std::unique_ptr<BlockReader>> reader =
//       BlockReader::Open(backend, meta);      // meta from ListTenantBlocks
//   absl::StatusOr<std::optional<std::string>> trace = (*reader)->Find(id);
//
// A lookup costs at most: the bloom shard of the ID (read once, then cached),
// the page index (read once, then cached) and one ranged read of one page.
// IDs outside [min_id, max_id] cost nothing.
//
// Memory. A v2 reader keeps only its page table (V2PageTable: ID ranges and
// chunk tables, a few hundred bytes a page) for its life. Bloom shards, v1
// page indexes and the v2 full index (search only) go into the shared
// BlockCache when one is given, bounded and evicted there; the reader keeps
// weak references to them, so warm lookups build no cache keys.
//
// Damage. Every size read from disk is checked against meta.json and the
// object sizes before anything is allocated for it. A block whose index or
// data object is unreadable, missing, of the wrong size or fails its checksum
// is *damaged*: it is logged once (tenant, block ID, reason), counted once in
// the `damaged_counter` given to Open, and every later Find answers the same
// DATA_LOSS at once, without touching the backend again. A damaged bloom shard
// is logged and counted the same way, and the block is then read without it
// (the index decides). A damaged page only fails lookups that land on it.
// Transient backend errors (UNAVAILABLE, RESOURCE_EXHAUSTED, ...) are returned
// as they are and not remembered. Callers skip DATA_LOSS blocks: one damaged
// block never costs lookups in others.
#ifndef ANDANTE_BLOCK_BLOCK_READER_H_
#define ANDANTE_BLOCK_BLOCK_READER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "block/block_cache.h"
#include "block/block_meta.h"
#include "block/bloom_filter.h"
#include "block/page_index.h"
#include "block/trace_id_filter.h"
#include "block/v2_index.h"
#include "block/v2_page.h"

namespace andante::internal {

namespace scan {
class SplitMemo;  // scan/split_memo.h
}  // namespace scan

class BlockReader {
 public:
  // Reads nothing; the first Find loads what it needs. INVALID_ARGUMENT if
  // `meta` is not a readable v1 or v2 block's (wrong version, no pages or shards).
  // `damaged_counter`, if non-null, is incremented once when the block is
  // first found damaged; it must outlive the reader. With a `cache`, bloom
  // shards and the index live there (shared, bounded, evictable) instead of
  // in the reader for its lifetime.
  static absl::StatusOr<std::unique_ptr<BlockReader>> Open(
      std::shared_ptr<Backend> backend, BlockMeta meta,
      std::atomic<uint64_t>* damaged_counter = nullptr,
      std::shared_ptr<BlockCache> cache = nullptr);

  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;
  // Drops what this block put in the cache: a block that is no longer read
  // (compacted, deleted) leaves nothing behind.
  ~BlockReader();

  // The data of trace `id`, or nullopt if the block does not hold it. Checks
  // min/max ID, then the bloom shard, the index, then reads ONE page with one
  // ranged read and verifies its CRC: DATA_LOSS on mismatch or any other
  // corruption (see "Damage" above). Adds the bytes read from the backend to
  // *inspected_bytes if non-null. Thread-safe.
  absl::StatusOr<std::optional<std::string>> Find(
      const TraceId& id, uint64_t* inspected_bytes = nullptr);

  // False if the block certainly does not hold `id` (outside min/max ID, or
  // rejected by the bloom shard); true otherwise, including when the shard
  // is damaged. Adds bytes read to *inspected_bytes if non-null.
  // Thread-safe.
  absl::StatusOr<bool> MayContain(const TraceId& id,
                                  uint64_t* inspected_bytes = nullptr);

  const BlockMeta& meta() const { return meta_; }

  // OK, or the DATA_LOSS that made the whole block unreadable. Thread-safe.
  absl::Status damage() const;

  // The block's object `name` (e.g. kTagSummaryObjectName) read whole, bytes
  // added to *inspected_bytes if non-null; NOT_FOUND if the block has none.
  // Not checked nor counted as damage: the caller decodes and judges it.
  // Thread-safe.
  absl::StatusOr<std::string> ReadObject(std::string_view name,
                                         uint64_t* inspected_bytes = nullptr);

  // The memo of which traces of this block's pages may be split into other
  // blocks (scan/split_memo.h) for the set of other blocks whose digest is
  // `others` (the caller's: equal digests, equal sets): the memo kept if it
  // was made for `others`, else a new empty one, kept instead. A memo lives
  // as long as the reader and holds a few bytes per page. Thread-safe.
  struct BlockSetDigest {
    uint64_t a = 0, b = 0;
    bool operator==(const BlockSetDigest&) const = default;
  };
  std::shared_ptr<scan::SplitMemo> SplitMemoFor(const BlockSetDigest& others);

  // ---- v2 blocks only (FAILED_PRECONDITION for v1) ----
  //
  // The block's full v2 index (page blooms, key statistics, name lists),
  // for search. With a cache it lives there, charged its decoded size, and
  // is read again once evicted; without one the reader keeps it. Bytes read
  // are added to *inspected_bytes. Lookups, column reads and ForEach never
  // need it: they use the page table, which the reader keeps.
  absl::StatusOr<std::shared_ptr<const V2Index>> LoadV2Index(
      uint64_t* inspected_bytes);
  // Reads the chunks of page `n` whose bit is set in `columns` (bit c for
  // column c) with one ranged read spanning them, verifies and decompresses
  // each into page->raw[c] (others cleared). Adds the bytes read to
  // *inspected_bytes and the chunks decompressed to *chunks if non-null.
  // A keyed page (block_format.h) with kV2SpanAttributes in `columns` has
  // all its key chunks read too and raw[kV2SpanAttributes] assembled into
  // the single-chunk layout. `keys` (keyed pages only): also read these key
  // chunks (indexes into the page's key statistics, ascending) into
  // page->key_raw, unassembled. DATA_LOSS on damage, as Find.
  absl::Status ReadV2Columns(size_t n, uint32_t columns, V2Page* page,
                             uint64_t* inspected_bytes, uint64_t* chunks,
                             const std::vector<uint32_t>* keys = nullptr);

  // Calls fn(id, data) for every trace in ID order, stopping at the first
  // error fn returns (which ForEach returns). `data` is valid only during the
  // call. Reads the data object in ranges of about `read_bytes` (at least
  // one page) and verifies every page. Thread-safe.
  static constexpr uint64_t kDefaultScanReadBytes = 8 << 20;
  absl::Status ForEach(
      absl::FunctionRef<absl::Status(const TraceId&, std::string_view data)>
          fn,
      uint64_t read_bytes = kDefaultScanReadBytes);

 private:
  BlockReader(std::shared_ptr<Backend> backend, BlockMeta meta,
              std::atomic<uint64_t>* damaged_counter,
              std::shared_ptr<BlockCache> cache);

  // Logs and counts `what` (once per block for the counter) and returns the
  // DATA_LOSS callers see. With `whole_block`, remembers it: every later Find
  // returns it at once.
  absl::Status Damaged(std::string_view what, const absl::Status& cause,
                       bool whole_block);
  // True for errors that say the block's objects are bad rather than that
  // the backend is momentarily unreachable.
  static bool IsDamage(const absl::Status& s);

  // The shard's filter, loaded once; nullptr if the shard is damaged (ask
  // the index); the block's damage if the whole block is damaged.
  absl::StatusOr<std::shared_ptr<const TraceIdShard>> BloomShard(
      uint32_t shard, uint64_t* inspected_bytes);
  absl::StatusOr<std::shared_ptr<const PageIndex>> Index(
      uint64_t* inspected_bytes);
  // v2: the page table, loaded once (decoded alone, or taken from the full
  // index when that is loaded first) and kept.
  absl::StatusOr<std::shared_ptr<const V2PageTable>> PageTable(
      uint64_t* inspected_bytes);
  // The index object's bytes, its size checked against meta.json (damage
  // otherwise, as Find).
  absl::StatusOr<std::string> ReadIndexObject(uint64_t* inspected_bytes);
  // DATA_LOSS (block damaged) unless a decoded index's page count and data
  // size agree with meta.json.
  absl::Status CheckIndexShape(size_t pages, uint64_t data_bytes);
  // The cache key of object `name` of this block.
  std::string CacheKey(std::string_view name) const;
  // Verifies and decompresses the stored page `stored`, which is page `n`.
  absl::StatusOr<std::string> DecodePage(size_t n, const PageEntry& entry,
                                         std::string_view stored) const;

  absl::StatusOr<std::optional<std::string>> FindV2(const TraceId& id,
                                                    uint64_t* inspected_bytes);
  absl::Status ForEachV2(
      absl::FunctionRef<absl::Status(const TraceId&, std::string_view data)>
          fn,
      uint64_t read_bytes);
  // Verifies and decompresses chunk `c` of page `n` from its stored bytes.
  absl::Status DecodeV2Chunk(size_t n, uint32_t c, const V2Chunk& chunk,
                             std::string_view stored, std::string* out) const;
  // Chunk i of page `entry` (V2PageEntry::chunk) into *page: a column into
  // raw, a key chunk into key_raw, the keyed marker checked.
  absl::Status DecodeV2PageChunk(size_t n, const V2PageTable& table, size_t i,
                                 std::string_view stored, V2Page* page) const;

  const std::shared_ptr<Backend> backend_;
  const BlockMeta meta_;
  std::atomic<uint64_t>* const damaged_counter_;
  const std::shared_ptr<BlockCache> cache_;  // may be null

  // A decoded object: without a cache, held by the reader once loaded; with
  // one, a weak reference to the cache's entry, so that a warm lookup costs
  // no cache-key string and no cache lock while the entry lives, and the
  // cache's bound and eviction still decide what stays in memory.
  template <typename T>
  struct Held {
    std::shared_ptr<const T> strong;
    std::weak_ptr<const T> weak;
    BlockCache::UseFlag used;  // the cache entry's, with `weak`
    // The object was found damaged and is read around (a bloom shard: the
    // index decides): LoadCached answers null without reading it again.
    bool absent = false;
    // A use through the weak reference is told to the cache (a hit, and
    // the entry kept at the next eviction as if looked up).
    std::shared_ptr<const T> Get(BlockCache* cache) const {
      if (strong != nullptr) return strong;
      std::shared_ptr<const T> v = weak.lock();
      if (v != nullptr && cache != nullptr) cache->Touch(used);
      return v;
    }
    // With a cache, `v` is the cache's entry (flag: its use flag): only
    // remember it weakly. Without, the first loaded is kept.
    void Set(const std::shared_ptr<const T>& v, BlockCache::UseFlag flag,
             bool cached) {
      if (cached) {
        weak = v;
        used = std::move(flag);
      } else if (strong == nullptr) {
        strong = v;
      }
    }
  };

  // The decoded object `name` of this block held in *held (a member
  // guarded by mu_): from *held, else from the cache, else from
  // load(&charge), which returns it decoded (or null: damaged, read around
  // it; remembered in held->absent) and sets the bytes to charge the cache.
  // The block's damage if the whole block is damaged.
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> LoadCached(
      Held<T>* held, std::string_view name,
      absl::FunctionRef<absl::StatusOr<std::shared_ptr<const T>>(
          uint64_t* charge)>
          load);

  // Loaded on first use. Loads run outside the lock, so two racing first
  // lookups may both read; the first to finish wins.
  mutable absl::Mutex mu_;
  Held<PageIndex> index_ ABSL_GUARDED_BY(mu_);
  Held<V2Index> v2_index_ ABSL_GUARDED_BY(mu_);
  // v2: never evicted, ~64 bytes + 12 per chunk a page (V2PageTable).
  std::shared_ptr<const V2PageTable> page_table_ ABSL_GUARDED_BY(mu_);
  // Shards found damaged are `absent`: lookups skip them and ask the index.
  std::vector<Held<TraceIdShard>> bloom_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<scan::SplitMemo> split_memo_ ABSL_GUARDED_BY(mu_);
  BlockSetDigest split_memo_others_ ABSL_GUARDED_BY(mu_);
  absl::Status damage_ ABSL_GUARDED_BY(mu_);
  bool counted_ ABSL_GUARDED_BY(mu_) = false;
  // What has been logged, so each damaged object is logged once.
  absl::flat_hash_set<std::string> logged_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_READER_H_
