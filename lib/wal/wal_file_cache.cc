#include "wal/wal_file_cache.h"

#include <vector>

namespace andante::internal {

WalFileCache::WalFileCache(size_t capacity) : capacity_(capacity) {}

uint64_t WalFileCache::NewOwner() {
  absl::MutexLock lock(&mu_);
  return next_owner_++;
}

std::shared_ptr<WalFile> WalFileCache::Lookup(uint64_t owner,
                                              uint64_t segment) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(Key{owner, segment});
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->file;
}

std::shared_ptr<WalFile> WalFileCache::Insert(uint64_t owner, uint64_t segment,
                                              std::unique_ptr<WalFile> file) {
  // Handles dropped here are closed after mu_ is released (a close may
  // block on a slow disk).
  std::vector<std::shared_ptr<WalFile>> evicted;
  std::shared_ptr<WalFile> result;
  {
    absl::MutexLock lock(&mu_);
    const Key key{owner, segment};
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      result = it->second->file;
    } else {
      lru_.push_front(Entry{key, std::shared_ptr<WalFile>(std::move(file))});
      index_.emplace(key, lru_.begin());
      result = lru_.front().file;
      while (capacity_ > 0 && lru_.size() > capacity_) {
        index_.erase(lru_.back().key);
        evicted.push_back(std::move(lru_.back().file));
        lru_.pop_back();
      }
    }
  }
  return result;
}

void WalFileCache::EraseBelow(uint64_t owner, uint64_t limit) {
  std::vector<std::shared_ptr<WalFile>> dropped;
  absl::MutexLock lock(&mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->key.first == owner && it->key.second < limit) {
      index_.erase(it->key);
      dropped.push_back(std::move(it->file));
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void WalFileCache::Erase(uint64_t owner, uint64_t segment) {
  std::shared_ptr<WalFile> dropped;
  absl::MutexLock lock(&mu_);
  auto it = index_.find(Key{owner, segment});
  if (it == index_.end()) return;
  dropped = std::move(it->second->file);
  lru_.erase(it->second);
  index_.erase(it);
}

size_t WalFileCache::size() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

}  // namespace andante::internal
