// One batch's registry updates grouped by label set, so that the registry
// is locked once per batch and finds each distinct label set once (by the
// caller's hash, checked byte for byte) instead of once per span.
//
//   internal::BatchUpdates b;                  // reuse across batches
//   for (span ...) {
//     uint32_t g = b.GroupOf(labels, hash_of_labels, /*mergeable=*/true);
//     b.Add(g, {metric, value, multiplier, trace_id});
//   }
//   b.Flush(registry, now);                     // then b is empty again
//
// Groups are flushed in the order of their first update and each group's
// updates in the order added, each with its position in the order added
// (MetricsRegistry::LabelSetUpdates::order), so every series sees the same
// updates in the same order as one registry call per update would give: the
// same sums, the same last exemplar per bucket, also for a series several
// groups reach (the overflow series). Series are created (or overflow under
// max_active_series) group by group, in the order of each group's first
// update: the same order as one call per update whenever each group's first
// update touches every metric the group will (the processors' spans do,
// except a service-graph edge's _failed_total after a successful first
// edge of its label set).
//
// Label views must stay valid until Flush; Keep() copies a string that
// would not. Not thread-safe: one per thread or under the caller's lock.
// Internal to Andante.
#ifndef ANDANTE_GENERATOR_BATCH_UPDATES_H_
#define ANDANTE_GENERATOR_BATCH_UPDATES_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "andante/metrics_registry.h"

namespace andante::internal {

class BatchUpdates {
 public:
  // Drops everything pending (keeps capacity).
  void Clear() {
    label_pool_.clear();
    groups_.clear();
    pending_.clear();
    by_hash_.clear();
    strings_used_ = 0;
  }

  bool empty() const { return pending_.empty(); }

  // A copy of `s` that stays valid until the next Flush or Clear.
  std::string_view Keep(std::string_view s) {
    if (strings_used_ == strings_.size()) strings_.emplace_back();
    std::string& out = strings_[strings_used_++];
    out.assign(s.data(), s.size());
    return out;
  }

  // The group of `labels`. A mergeable label set joins an earlier group with
  // the same `hash` and the same labels (names and values, compared byte
  // for byte); otherwise (or if none) a new group is started after the last.
  // `hash` also goes to the registry (MetricsRegistry::LabelSetUpdates), so
  // it must be computed the same way every time for the same labels.
  uint32_t GroupOf(absl::Span<const LabelView> labels, uint64_t hash,
                   bool mergeable) {
    if (mergeable) {
      auto [it, added] =
          by_hash_.try_emplace(hash, static_cast<uint32_t>(groups_.size()));
      if (!added) {
        if (SameLabels(groups_[it->second], labels)) return it->second;
        // A hash collision: the newer label set takes the slot.
        it->second = static_cast<uint32_t>(groups_.size());
      }
    }
    Group g;
    g.hash = hash;
    g.label_begin = static_cast<uint32_t>(label_pool_.size());
    g.label_count = static_cast<uint32_t>(labels.size());
    label_pool_.insert(label_pool_.end(), labels.begin(), labels.end());
    groups_.push_back(g);
    return static_cast<uint32_t>(groups_.size() - 1);
  }

  static constexpr uint32_t kNoGroup = UINT32_MAX;

  // The group a mergeable `labels` with `hash` would join (see GroupOf), or
  // kNoGroup when GroupOf would start one; changes nothing. Lets a caller
  // copy (Keep) label values only for a new group.
  uint32_t FindGroup(absl::Span<const LabelView> labels, uint64_t hash) const {
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end() || !SameLabels(groups_[it->second], labels)) {
      return kNoGroup;
    }
    return it->second;
  }

  // Queues `u` for the series of group `group`'s labels.
  void Add(uint32_t group, const MetricsRegistry::MetricUpdate& u) {
    pending_.emplace_back(group, u);
    ++groups_[group].count;
  }

  // Queues `delta` for the counter `metric` of group `group`: like Add, but
  // a whole-number delta is folded into the group's queued whole-number
  // delta of the same counter, if any. Sums of whole numbers below 2^53 are
  // exact, so the series gets the same value as from separate updates, and
  // its position (series creation order) is that of its first update.
  void AddCount(uint32_t group, int metric, double delta) {
    Group& g = groups_[group];
    const bool whole = delta == std::trunc(delta) && delta < kExact;
    if (whole) {
      for (uint32_t i = 0; i < g.merge_count; ++i) {
        MetricsRegistry::MetricUpdate& q = pending_[g.merge[i]].second;
        if (q.metric != metric) continue;
        if (q.value + delta < kExact) {
          q.value += delta;
          return;
        }
        break;
      }
    }
    if (whole && g.merge_count < kMergeSlots) {
      g.merge[g.merge_count++] = static_cast<uint32_t>(pending_.size());
    }
    Add(group, {metric, delta, 1, {}});
  }

  // One registry update per group, in first-appearance order, under one
  // registry lock; then Clear().
  void Flush(MetricsRegistry* registry, absl::Time now) {
    uint32_t offset = 0;
    for (Group& g : groups_) {
      g.offset = offset;
      offset += g.count;
    }
    sorted_.resize(pending_.size());
    sorted_order_.resize(pending_.size());
    for (uint32_t i = 0; i < pending_.size(); ++i) {
      const uint32_t at = groups_[pending_[i].first].offset++;
      sorted_[at] = pending_[i].second;
      sorted_order_[at] = i;
    }
    offset = 0;
    sets_.clear();
    for (const Group& g : groups_) {
      if (g.count > 0) {
        sets_.push_back(
            {absl::MakeConstSpan(label_pool_.data() + g.label_begin,
                                 g.label_count),
             g.hash, absl::MakeConstSpan(sorted_.data() + offset, g.count),
             absl::MakeConstSpan(sorted_order_.data() + offset, g.count)});
      }
      offset += g.count;
    }
    if (!sets_.empty()) registry->UpdateMany(sets_, now);
    Clear();
  }

 private:
  // Equal bytes; views of the same bytes (label names, mostly) need no
  // compare. An empty view may have a null data(), which memcmp must not
  // see even for a zero length (UBSan's nonnull-attribute).
  static bool Same(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           (a.empty() || a.data() == b.data() ||
            std::memcmp(a.data(), b.data(), a.size()) == 0);
  }

  static constexpr double kExact = 9007199254740992.0;  // 2^53
  static constexpr uint32_t kMergeSlots = 3;

  struct Group {
    uint64_t hash = 0;  // the caller's, passed on to the registry
    uint32_t label_begin = 0, label_count = 0;
    uint32_t count = 0, offset = 0;
    // pending_ indexes of whole-number counter deltas AddCount folds into.
    uint32_t merge[kMergeSlots] = {};
    uint32_t merge_count = 0;
  };

  bool SameLabels(const Group& g, absl::Span<const LabelView> labels) const {
    if (g.label_count != labels.size()) return false;
    for (size_t i = 0; i < labels.size(); ++i) {
      const LabelView& a = label_pool_[g.label_begin + i];
      if (!Same(a.first, labels[i].first) || !Same(a.second, labels[i].second)) {
        return false;
      }
    }
    return true;
  }
  std::vector<LabelView> label_pool_;
  std::vector<Group> groups_;
  std::vector<std::pair<uint32_t, MetricsRegistry::MetricUpdate>> pending_;
  std::vector<MetricsRegistry::MetricUpdate> sorted_;
  std::vector<uint32_t> sorted_order_;  // each sorted_ entry's pending_ index
  std::vector<MetricsRegistry::LabelSetUpdates> sets_;
  absl::flat_hash_map<uint64_t, uint32_t> by_hash_;
  std::deque<std::string> strings_;  // a deque keeps Keep()'s strings put
  size_t strings_used_ = 0;
};

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_BATCH_UPDATES_H_
