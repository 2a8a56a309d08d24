#include "block/block_cache.h"

#include <iterator>

#include "util/strings.h"

namespace andante::internal {

std::shared_ptr<const void> BlockCache::LookupErased(std::string_view key,
                                                     UseFlag* flag) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(ToAbsl(key));
  if (it == index_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  if (flag != nullptr) *flag = it->second->used;
  return it->second->value;
}

BlockCache::UseFlag BlockCache::Insert(std::string key,
                                       std::shared_ptr<const void> value,
                                       uint64_t bytes) {
  if (bytes > capacity_) return nullptr;
  auto used = std::make_shared<std::atomic<bool>>(false);
  absl::MutexLock lock(&mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  // At most one second chance per entry and call, however often readers
  // touch entries meanwhile, so the scan ends.
  size_t chances = lru_.size();
  while (!lru_.empty() && bytes_ + bytes > capacity_) {
    Entry& last = lru_.back();
    if (chances > 0 && last.used->exchange(false, std::memory_order_relaxed)) {
      --chances;
      lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
      continue;
    }
    bytes_ -= last.bytes;
    index_.erase(last.key);
    lru_.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  lru_.push_front(Entry{key, std::move(value), bytes, used});
  index_.emplace(std::move(key), lru_.begin());
  bytes_ += bytes;
  return used;
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
