// SplitMemo: which traces of a v2 block's pages may have parts in other
// blocks, remembered across scans of the block.
//
// A search with a per-trace bound (`{ duration > 1s } | count() > 2`) passes
// over a trace part with too few candidate spans unless the trace may be
// split (BlockTraceScanner::set_may_be_split), and finding which trace a
// candidate span belongs to takes the page's trace table. The memo keeps,
// per page whose trace table a scan has read, the span ranges of the
// page's traces may_be_split said yes to (few: traces really split across
// blocks, and the trace-ID filters' false positives). A later scan then
// passes over a page whose candidate spans are too few for the bound and lie
// in none of those ranges without reading its trace table.
//
// A memo is valid for one set of other blocks (may_be_split's answers):
// BlockReader::SplitMemoFor hands out a fresh one when the set changes.
// Thread-safe.
#ifndef ANDANTE_LIB_BLOCK_SCAN_SPLIT_MEMO_H_
#define ANDANTE_LIB_BLOCK_SCAN_SPLIT_MEMO_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace andante::internal::scan {

class SplitMemo {
 public:
  // [begin, end) span positions of one trace within its page.
  using SpanRange = std::pair<uint32_t, uint32_t>;

  explicit SplitMemo(size_t pages) : known_(pages, false), split_(pages) {}
  SplitMemo(const SplitMemo&) = delete;
  SplitMemo& operator=(const SplitMemo&) = delete;

  // Whether a span marked in `candidate` (one byte per span of page n, 1:
  // candidate) lies in a trace that may be split; nullopt if page n is not
  // known yet.
  std::optional<bool> AnySplitCandidate(
      size_t n, const std::vector<uint8_t>& candidate) const {
    absl::MutexLock lock(&mu_);
    if (n >= known_.size() || !known_[n]) return std::nullopt;
    for (const auto& [begin, end] : split_[n]) {
      for (uint32_t k = begin; k < end && k < candidate.size(); ++k) {
        if (candidate[k] != 0) return true;
      }
    }
    return false;
  }

  // Page n's split ranges (ascending) into *out; false if not known yet.
  bool Get(size_t n, std::vector<SpanRange>* out) const {
    absl::MutexLock lock(&mu_);
    if (n >= known_.size() || !known_[n]) return false;
    out->assign(split_[n].begin(), split_[n].end());
    return true;
  }

  // Records page n's split ranges (ascending; all its traces were asked) (all its traces were asked).
  void Set(size_t n, std::vector<SpanRange> ranges) {
    absl::MutexLock lock(&mu_);
    if (n >= known_.size()) return;
    known_[n] = true;
    split_[n] = std::move(ranges);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<bool> known_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<SpanRange>> split_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_SPLIT_MEMO_H_
