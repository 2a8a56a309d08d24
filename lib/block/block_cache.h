// An LRU cache of decoded block objects (bloom shards, v1 page indexes, v2
// full indexes), bounded in bytes and shared by every reader of a store, so
// memory no longer grows with the number of blocks while lookups over warm
// blocks still cost no reads but the one page. Entries are charged at their
// decoded size; a reader erases its block's entries when it is destroyed.
//
//   auto cache = std::make_shared<BlockCache>(64 << 20);
//   BlockReader::Open(backend, meta, &damaged, cache);
//
// Keys are "<block id>/<object>"; values are shared, so an entry evicted
// while a lookup uses it stays alive until that lookup ends. Thread-safe.
#ifndef ANDANTE_BLOCK_BLOCK_CACHE_H_
#define ANDANTE_BLOCK_BLOCK_CACHE_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace andante::internal {

class BlockCache {
 public:
  // REQUIRES: capacity_bytes > 0.
  explicit BlockCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // Set by Touch: the entry was used since the eviction scan last passed
  // it. Held by a reader beside a weak reference to the entry's value.
  using UseFlag = std::shared_ptr<std::atomic<bool>>;

  // The entry for `key` (made most recently used), or null (a miss). With
  // `flag`, also the entry's use flag.
  template <typename T>
  std::shared_ptr<const T> Lookup(std::string_view key,
                                  UseFlag* flag = nullptr) {
    return std::static_pointer_cast<const T>(LookupErased(key, flag));
  }
  // Adds or replaces `key`, charged `bytes`, then evicts least recently used
  // entries until the total fits (an entry touched since it was last passed
  // gets a second chance: moved to the front, its flag cleared). An entry
  // larger than the capacity is not kept (the caller still uses `value`;
  // the flag returned is then null).
  UseFlag Insert(std::string key, std::shared_ptr<const void> value,
                 uint64_t bytes);
  // A use of an entry through a reference kept from Lookup or Insert,
  // without its key or the lock: counted as a hit, and the entry is kept at
  // the next eviction as if looked up.
  void Touch(const UseFlag& flag) {
    if (flag == nullptr) return;
    flag->store(true, std::memory_order_relaxed);
    hits_.fetch_add(1, std::memory_order_relaxed);
  }
  // Removes `key` if present (not counted as an eviction).
  void Erase(std::string_view key);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t evictions() const {
    return evictions_.load(std::memory_order_relaxed);
  }
  uint64_t bytes() const;
  uint64_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const void> value;
    uint64_t bytes;
    UseFlag used;
  };
  using List = std::list<Entry>;

  std::shared_ptr<const void> LookupErased(std::string_view key,
                                           UseFlag* flag);

  const uint64_t capacity_;
  mutable absl::Mutex mu_;
  List lru_ ABSL_GUARDED_BY(mu_);  // front: most recently used
  absl::flat_hash_map<std::string, List::iterator> index_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> hits_{0}, misses_{0}, evictions_{0};
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_CACHE_H_
