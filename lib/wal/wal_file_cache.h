// A bounded, least-recently-used set of open WAL segment files, shared by
// every Wal of a process (one per tenant), so the number of open WAL file
// descriptors is bounded by a constant whatever the number of tenants.
//
// A Wal asks the cache for the handle of one of its segments; on a miss it
// opens the file itself (read-write for its current segment, read-only for
// a closed one) and inserts it. Inserting past the capacity drops the least
// recently used handle; a handle still in use by some call (a shared_ptr
// copy) is closed when that call releases it, so the bound is capacity plus
// the number of calls in flight.
//
//   WalFileCache cache(64);
//   const uint64_t owner = cache.NewOwner();
//   std::shared_ptr<WalFile> f = cache.Lookup(owner, segment);
//   if (f == nullptr) f = cache.Insert(owner, segment, std::move(opened));
//
// Closing an fd that still has unsynced writes loses nothing: the dirty
// pages belong to the file, and a later fdatasync through a reopened fd
// writes them (Linux reports a writeback error that nobody has seen to the
// next fsync of the file, whichever fd it comes through).
#ifndef ANDANTE_WAL_WAL_FILE_CACHE_H_
#define ANDANTE_WAL_WAL_FILE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "wal/wal_file.h"

namespace andante::internal {

// Thread-safe. Lives longer than every Wal using it.
class WalFileCache {
 public:
  // `capacity` == 0 means unbounded (a private cache of a single Wal).
  explicit WalFileCache(size_t capacity);
  WalFileCache(const WalFileCache&) = delete;
  WalFileCache& operator=(const WalFileCache&) = delete;

  // A fresh owner ID; each Wal takes one and keys its segments with it.
  uint64_t NewOwner();

  // The cached handle of `owner`'s segment `segment`, marked most recently
  // used, or null.
  std::shared_ptr<WalFile> Lookup(uint64_t owner, uint64_t segment)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Caches `file` as `owner`'s segment `segment` and returns it, or returns
  // the handle already cached under that key (another caller won the race;
  // `file` is closed). May close the least recently used handles.
  std::shared_ptr<WalFile> Insert(uint64_t owner, uint64_t segment,
                                  std::unique_ptr<WalFile> file)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Drops `owner`'s handles of segments below `limit` (all of them with
  // UINT64_MAX).
  void EraseBelow(uint64_t owner, uint64_t limit) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops `owner`'s handle of `segment`, if cached.
  void Erase(uint64_t owner, uint64_t segment) ABSL_LOCKS_EXCLUDED(mu_);

  // Handles held now (at most the capacity when bounded).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t capacity() const { return capacity_; }

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // owner, segment
  struct Entry {
    Key key;
    std::shared_ptr<WalFile> file;
  };

  const size_t capacity_;
  mutable absl::Mutex mu_;
  uint64_t next_owner_ ABSL_GUARDED_BY(mu_) = 1;
  // Most recently used first.
  std::list<Entry> lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, std::list<Entry>::iterator> index_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::internal

#endif  // ANDANTE_WAL_WAL_FILE_CACHE_H_
