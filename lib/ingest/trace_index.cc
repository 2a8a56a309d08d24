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

}  // namespace andante::internal
