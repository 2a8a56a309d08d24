// The sharded trace index (lib/ingest/trace_index.h): one map over 64
// tables, so that no single growth step or walk covers every unflushed
// trace (issue 14 item 7).
#include "ingest/trace_index.h"

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace andante::internal {
namespace {

TEST(ShardedTraceMapTest, FindsWhatWasInsertedAndCountsOverShards) {
  ShardedTraceMap map;
  EXPECT_TRUE(map.empty());
  std::mt19937_64 rng(1);
  std::vector<TraceId> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(TraceId::FromHighLow(rng(), rng() | 1));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    auto [entry, inserted] = map.TryEmplace(ids[i]);
    EXPECT_TRUE(inserted);
    entry->span_count = static_cast<uint32_t>(i);
  }
  EXPECT_FALSE(map.TryEmplace(ids[7]).second);
  EXPECT_EQ(map.size(), ids.size());
  EXPECT_GE(map.capacity(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const TraceEntry* entry = std::as_const(map).Find(ids[i]);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->span_count, i);
  }
  EXPECT_EQ(map.Find(TraceId::FromHighLow(1, 2)), nullptr);
  size_t seen = 0;
  map.ForEach([&](const TraceId& id, const TraceEntry& entry) {
    EXPECT_EQ(ids[entry.span_count], id);
    ++seen;
  });
  EXPECT_EQ(seen, ids.size());

  map.Reset();
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.capacity(), 0u);
}

// Jaeger's 64-bit trace IDs are zero-padded to 16 bytes: a shard chosen by
// the high bytes would put them all in one table, and one table would again
// hold (and rehash) every trace at once.
TEST(ShardedTraceMapTest, SpreadsW3CAndZeroPaddedJaegerIdsOverEveryShard) {
  for (bool jaeger : {false, true}) {
    ShardedTraceMap map;
    std::mt19937_64 rng(2);
    constexpr int kTraces = 64 * 200;
    for (int i = 0; i < kTraces; ++i) {
      map[TraceId::FromHighLow(jaeger ? 0 : rng(), rng() | 1)];
    }
    for (size_t s = 0; s < ShardedTraceMap::kShards; ++s) {
      // 200 expected per shard; a binomial spread stays well inside this.
      EXPECT_GT(map.shard(s).size(), 100u) << "shard " << s << " jaeger " << jaeger;
      EXPECT_LT(map.shard(s).size(), 300u) << "shard " << s << " jaeger " << jaeger;
    }
  }
}

// A cut block's shard, sealed: sorted, found by binary search, entries of
// one ID folded in WAL order, sized to its entries.
TEST(SealedTraceMapTest, SealsSortedFoldsPartsInWalOrderAndFinds) {
  std::mt19937_64 rng(3);
  std::vector<TraceId> ids;
  while (ids.size() < 300) {
    TraceId id = TraceId::FromHighLow(rng(), rng());
    if (ShardedTraceMap::ShardOf(id) == 5) ids.push_back(id);
  }
  std::vector<SealedTraceMap::Entry> entries;
  entries.reserve(ids.size() + 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    TraceEntry e;
    e.refs.push_back({/*segment=*/3, /*offset=*/100 + i, /*length=*/10});
    e.span_count = 1;
    e.bytes = 10;
    entries.emplace_back(ids[i], std::move(e));
  }
  // A second part of trace 0, written earlier (segment 2), listed after it.
  TraceEntry earlier;
  earlier.refs.push_back({2, 40, 7});
  earlier.span_count = 2;
  earlier.bytes = 7;
  entries.emplace_back(ids[0], std::move(earlier));

  SealedTraceMap sealed;
  EXPECT_TRUE(sealed.empty());
  sealed.Seal(5, std::move(entries));
  EXPECT_EQ(sealed.size(), ids.size());
  // The array as given: the folded entry's slot is not given back.
  EXPECT_EQ(sealed.bytes(), (ids.size() + 1) * sizeof(SealedTraceMap::Entry));
  const std::vector<SealedTraceMap::Entry>& shard = sealed.shard(5);
  for (size_t i = 1; i < shard.size(); ++i) {
    EXPECT_LT(shard[i - 1].first, shard[i].first);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const TraceEntry* e = sealed.Find(ids[i]);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->refs.back().offset, 100 + i);
  }
  const TraceEntry* folded = sealed.Find(ids[0]);
  ASSERT_EQ(folded->refs.size(), 2u);
  EXPECT_EQ(folded->refs[0].segment, 2u);  // the earlier part first
  EXPECT_EQ(folded->span_count, 3u);
  EXPECT_EQ(folded->bytes, 17u);
  EXPECT_EQ(sealed.Find(TraceId::FromHighLow(1, 2)), nullptr);
}

}  // namespace
}  // namespace andante::internal
