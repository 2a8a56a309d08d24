// The tags and tag values endpoints' view of complete blocks' tag summaries
// (block/tag_summary.h): each block's `tags` object read on first use and
// kept, with the answers computed from a block's data where it has none, in
// memory bounded by bytes.
#ifndef ANDANTE_QUERY_TAG_SUMMARIES_H_
#define ANDANTE_QUERY_TAG_SUMMARIES_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "andante/search.h"
#include "andante/traceql.h"
#include "block/block_reader.h"
#include "block/tag_summary.h"

namespace andante::query {

// A map from block-derived keys to shared immutable values whose total
// size (as given to Insert) stays under a byte budget: the oldest entries
// are dropped first. Thread-safe.
template <typename V>
class BoundedCache {
 public:
  explicit BoundedCache(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // The value of `key`; false if absent.
  bool Find(const std::string& key, std::shared_ptr<const V>* out) {
    absl::MutexLock lock(&mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    *out = it->second.value;
    return true;
  }
  void Insert(const std::string& key, std::shared_ptr<const V> value,
              uint64_t bytes) {
    bytes += key.size() + sizeof(Item);
    absl::MutexLock lock(&mu_);
    if (bytes > max_bytes_) return;
    auto [it, inserted] = map_.try_emplace(key, Item{std::move(value), bytes});
    if (!inserted) return;
    order_.push_back(key);
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && !order_.empty()) {
      auto old = map_.find(order_.front());
      bytes_ -= old->second.bytes;
      map_.erase(old);
      order_.pop_front();
    }
  }
  uint64_t bytes() {
    absl::MutexLock lock(&mu_);
    return bytes_;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    map_.clear();
    order_.clear();
    bytes_ = 0;
  }

 private:
  struct Item {
    std::shared_ptr<const V> value;
    uint64_t bytes;
  };
  const uint64_t max_bytes_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Item> map_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Memory for the summaries kept (all tenants) and for the tag names and
// values computed from blocks without one (each).
inline constexpr uint64_t kTagSummaryCacheBytes = 16 << 20;
inline constexpr uint64_t kTagScanCacheBytes = 16 << 20;

// What a block without a summary answers, computed from its data: its tag
// names per scope (resource span event link instrumentation) and, per tag,
// its values (query/store_search.cc fills both).
struct ScannedBlockTags {
  std::vector<std::string> scopes[5];
  uint64_t bytes = 0;
};
using ScannedTagValues = std::vector<traceql::Value>;
BoundedCache<ScannedBlockTags>& ScannedTagsCache();
BoundedCache<ScannedTagValues>& ScannedTagValuesCache();

// Empties the caches above and the summaries kept (benchmarks measuring a
// process's first request, tests).
void DropTagCachesForTesting();

// The summary of `block`, read (bytes added to *inspected_bytes) and kept
// on first use; null if it has none (v1, v2 written before summaries), if it
// cannot be read now, or if it is damaged: then logged once and counted in
// *damaged, and the block is answered from its data.
std::shared_ptr<const internal::TagSummary> TagSummaryOf(
    internal::BlockReader& block, uint64_t* inspected_bytes,
    std::atomic<uint64_t>* damaged);

// Calls add(value) for every value of `tag` in the summary's block and
// returns true, or returns false (adding nothing) if the summary cannot
// tell (a name with more values than it keeps): read the block's data.
bool TagValuesFromSummary(const internal::TagSummary& summary,
                          const TagName& tag,
                          const std::function<void(traceql::Value)>& add);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_TAG_SUMMARIES_H_
