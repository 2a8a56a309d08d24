#include "ingest/trace_index.h"

#include <algorithm>
#include <utility>

namespace andante::internal {

void TraceEntry::Merge(TraceEntry&& other) {
  refs.insert(refs.end(), other.refs.begin(), other.refs.end());
  if (other.start_unix_nano != 0 &&
      (start_unix_nano == 0 || other.start_unix_nano < start_unix_nano)) {
    start_unix_nano = other.start_unix_nano;
  }
  end_unix_nano = std::max(end_unix_nano, other.end_unix_nano);
  span_count += other.span_count;
  bytes += other.bytes;
  if (first_append == absl::Time() || other.first_append < first_append) {
    first_append = other.first_append;
  }
  last_append = std::max(last_append, other.last_append);
}

void TraceEntry::AddFragment(const WalRecordRef& ref, uint64_t start,
                             uint64_t end, uint32_t spans, absl::Time now) {
  TraceEntry fragment;
  fragment.refs.push_back(ref);
  fragment.start_unix_nano = start;
  fragment.end_unix_nano = end;
  fragment.span_count = spans;
  fragment.bytes = ref.length;
  fragment.first_append = now;
  fragment.last_append = now;
  Merge(std::move(fragment));
}

const TraceEntry* ShardedTraceMap::Find(const TraceId& id) const {
  const TraceMap& shard = shards_[ShardOf(id)];
  auto it = shard.find(id);
  return it == shard.end() ? nullptr : &it->second;
}

TraceEntry* ShardedTraceMap::Find(const TraceId& id) {
  TraceMap& shard = shards_[ShardOf(id)];
  auto it = shard.find(id);
  return it == shard.end() ? nullptr : &it->second;
}

size_t ShardedTraceMap::size() const {
  size_t n = 0;
  for (const TraceMap& shard : shards_) n += shard.size();
  return n;
}

size_t ShardedTraceMap::capacity() const {
  size_t n = 0;
  for (const TraceMap& shard : shards_) n += shard.capacity();
  return n;
}

void ShardedTraceMap::Reset() {
  for (TraceMap& shard : shards_) TraceMap().swap(shard);
}

const TraceEntry* SealedTraceMap::Find(const TraceId& id) const {
  const std::vector<Entry>& shard = shards_[ShardedTraceMap::ShardOf(id)];
  auto it = std::lower_bound(
      shard.begin(), shard.end(), id,
      [](const Entry& e, const TraceId& key) { return e.first < key; });
  return it != shard.end() && it->first == id ? &it->second : nullptr;
}

void SealedTraceMap::Seal(size_t i, std::vector<Entry> entries) {
  // By ID, then by first location, so that the parts of one trace fold in
  // WAL order (a head entry before the live part frozen next to it).
  auto first_ref = [](const TraceEntry& e) {
    return e.refs.empty() ? std::pair<uint64_t, uint64_t>{0, 0}
                          : std::pair{e.refs.front().segment,
                                      e.refs.front().offset};
  };
  std::sort(entries.begin(), entries.end(),
            [&](const Entry& a, const Entry& b) {
              if (a.first != b.first) return a.first < b.first;
              return first_ref(a.second) < first_ref(b.second);
            });
  size_t out = 0;
  for (size_t in = 0; in < entries.size(); ++in) {
    if (out > 0 && entries[out - 1].first == entries[in].first) {
      entries[out - 1].second.Merge(std::move(entries[in].second));
    } else {
      if (out != in) entries[out] = std::move(entries[in]);
      ++out;
    }
  }
  entries.resize(out);
  shards_[i] = std::move(entries);
}

size_t SealedTraceMap::size() const {
  size_t n = 0;
  for (const std::vector<Entry>& shard : shards_) n += shard.size();
  return n;
}

size_t SealedTraceMap::bytes() const {
  size_t n = 0;
  for (const std::vector<Entry>& shard : shards_) {
    n += shard.capacity() * sizeof(Entry);
  }
  return n;
}

}  // namespace andante::internal
