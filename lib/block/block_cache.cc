#include "block/block_cache.h"

#include "util/strings.h"

namespace andante::internal {

std::shared_ptr<const void> BlockCache::LookupErased(std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(ToAbsl(key));
  if (it == index_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second->value;
}

void BlockCache::Insert(std::string key, std::shared_ptr<const void> value,
                        uint64_t bytes) {
  if (bytes > capacity_) return;
  absl::MutexLock lock(&mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  while (!lru_.empty() && bytes_ + bytes > capacity_) {
    Entry& last = lru_.back();
    bytes_ -= last.bytes;
    index_.erase(last.key);
    lru_.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  lru_.push_front(Entry{key, std::move(value), bytes});
  index_.emplace(std::move(key), lru_.begin());
  bytes_ += bytes;
}

void BlockCache::Erase(std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(ToAbsl(key));
  if (it == index_.end()) return;
  bytes_ -= it->second->bytes;
  lru_.erase(it->second);
  index_.erase(it);
}

uint64_t BlockCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace andante::internal
