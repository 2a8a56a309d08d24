// The in-memory trace index of the ingest pipeline: per trace ID, where its
// fragments are in the WAL and a few figures about them (TraceEntry). The
// live, head and frozen stages each hold one ShardedTraceMap.
#ifndef ANDANTE_INGEST_TRACE_INDEX_H_
#define ANDANTE_INGEST_TRACE_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "andante/ids.h"
#include "wal/wal.h"

namespace andante::internal {

// What the pipeline knows about one trace at one stage.
struct TraceEntry {
  absl::InlinedVector<WalRecordRef, 2> refs;
  uint64_t start_unix_nano = 0;  // 0 = unknown
  uint64_t end_unix_nano = 0;
  uint32_t span_count = 0;  // spans in `refs`
  // Bytes of the trace at this stage: of `refs`, except that a live entry
  // keeps counting the parts a cut froze (max_bytes_per_trace is per trace).
  uint64_t bytes = 0;
  absl::Time first_append;
  absl::Time last_append;

  // Folds `other` (a later part of the same trace) into this entry.
  void Merge(TraceEntry&& other);
  void AddFragment(const WalRecordRef& ref, uint64_t start, uint64_t end,
                   uint32_t spans, absl::Time now);
};

using TraceMap = absl::flat_hash_map<TraceId, TraceEntry>;

// A TraceMap split by trace ID into kShards tables. Hundreds of thousands
// of traces are unflushed at a high ingest rate; as one table, every
// growth step rehashed all of them at once (a push that happened to insert
// the entry past the load factor waited 200-300 ms on a loaded machine),
// and the sweep held the lock for as long as it took to walk the whole
// map. Split, a growth step moves a 64th of the entries, and the sweep and
// the cut work shard by shard, letting pushes in between.
class ShardedTraceMap {
 public:
  static constexpr size_t kShards = 64;

  // The shard that holds `id`: by the top bits of the ID's last byte,
  // random in W3C and in 64-bit (zero-padded) Jaeger IDs alike.
  static size_t ShardOf(const TraceId& id) {
    static_assert(kShards == 64);
    return id.array()[TraceId::kSize - 1] >> 2;
  }

  TraceMap& shard(size_t i) { return shards_[i]; }
  const TraceMap& shard(size_t i) const { return shards_[i]; }

  // The entry of `id`, inserted empty if missing.
  TraceEntry& operator[](const TraceId& id) { return shards_[ShardOf(id)][id]; }
  // The entry of `id` and true if it was inserted (empty) now.
  std::pair<TraceEntry*, bool> TryEmplace(const TraceId& id) {
    auto [it, inserted] = shards_[ShardOf(id)].try_emplace(id);
    return {&it->second, inserted};
  }
  // The entry of `id`, or null.
  const TraceEntry* Find(const TraceId& id) const;
  TraceEntry* Find(const TraceId& id);

  size_t size() const;
  bool empty() const { return size() == 0; }
  // Slots allocated over every shard (what the index bound counts).
  size_t capacity() const;
  // Empties every shard and frees its table.
  void Reset();

  // Calls fn(id, entry) for every entry, shard by shard.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const TraceMap& shard : shards_) {
      for (const auto& [id, entry] : shard) fn(id, entry);
    }
  }

 private:
  std::array<TraceMap, kShards> shards_;
};

// A cut block's traces once sealed: per shard of ShardedTraceMap, a vector
// sorted by trace ID, sized to its entries. It never changes after the cut,
// so it needs no hash table's empty slots and control bytes: about half
// the memory of the table it replaces, which matters because a cut copies
// the live traces' locations while the live table stays (the index reached
// twice its bound at max rate). Lookups are a binary search in one shard.
class SealedTraceMap {
 public:
  using Entry = std::pair<TraceId, TraceEntry>;

  // The entry of `id`, or null.
  const TraceEntry* Find(const TraceId& id) const;
  // Shard `i`, sorted by ID (each ID once).
  const std::vector<Entry>& shard(size_t i) const { return shards_[i]; }
  // Makes `entries` (in any order; every ID in shard `i`) shard `i`,
  // folding entries of one ID together in the order of their first WAL
  // location. REQUIRES: shard `i` is empty.
  void Seal(size_t i, std::vector<Entry> entries);

  size_t size() const;
  bool empty() const { return size() == 0; }
  // Bytes of the shards' arrays (what the index bound counts).
  size_t bytes() const;

  // Calls fn(id, entry) for every entry, shard by shard.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const std::vector<Entry>& shard : shards_) {
      for (const auto& [id, entry] : shard) fn(id, entry);
    }
  }

 private:
  std::array<std::vector<Entry>, ShardedTraceMap::kShards> shards_;
};

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_TRACE_INDEX_H_
