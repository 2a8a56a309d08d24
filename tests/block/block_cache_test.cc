#include "block/block_cache.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace andante::internal {
namespace {

std::shared_ptr<const void> Value(int v) { return std::make_shared<int>(v); }

TEST(BlockCacheTest, HitsMissesAndLeastRecentlyUsedEviction) {
  BlockCache cache(100);
  EXPECT_EQ(cache.Lookup<int>("a"), nullptr);
  cache.Insert("a", Value(1), 40);
  cache.Insert("b", Value(2), 40);
  ASSERT_NE(cache.Lookup<int>("a"), nullptr);  // a is now most recent
  EXPECT_EQ(*cache.Lookup<int>("a"), 1);
  cache.Insert("c", Value(3), 40);  // evicts b, the least recently used
  EXPECT_EQ(cache.Lookup<int>("b"), nullptr);
  EXPECT_EQ(*cache.Lookup<int>("c"), 3);
  EXPECT_EQ(*cache.Lookup<int>("a"), 1);
  EXPECT_EQ(cache.bytes(), 80u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.hits(), 4u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(BlockCacheTest, ReplacingAKeyRechargesIt) {
  BlockCache cache(100);
  cache.Insert("a", Value(1), 60);
  cache.Insert("a", Value(2), 30);
  EXPECT_EQ(cache.bytes(), 30u);
  EXPECT_EQ(*cache.Lookup<int>("a"), 2);
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(BlockCacheTest, EntryLargerThanCapacityIsNotKept) {
  BlockCache cache(100);
  cache.Insert("small", Value(1), 10);
  cache.Insert("huge", Value(2), 101);
  EXPECT_EQ(cache.Lookup<int>("huge"), nullptr);
  EXPECT_NE(cache.Lookup<int>("small"), nullptr) << "nothing evicted for it";
  EXPECT_EQ(cache.bytes(), 10u);
}

TEST(BlockCacheTest, EvictedValueStaysAliveForItsHolder) {
  BlockCache cache(50);
  cache.Insert("a", Value(7), 50);
  std::shared_ptr<const int> held = cache.Lookup<int>("a");
  cache.Insert("b", Value(8), 50);
  EXPECT_EQ(cache.Lookup<int>("a"), nullptr);
  EXPECT_EQ(*held, 7);
}

// Readers use warm entries through kept references (BlockReader's weak
// pointers), not Lookup: Touch must count as a use, or the hottest entries
// would be evicted first.
TEST(BlockCacheTest, TouchedEntryGetsASecondChance) {
  BlockCache cache(100);
  BlockCache::UseFlag a = cache.Insert("a", Value(1), 40);
  ASSERT_NE(a, nullptr);
  cache.Insert("b", Value(2), 40);  // a is now the least recently used
  cache.Touch(a);
  EXPECT_EQ(cache.hits(), 1u);
  cache.Insert("c", Value(3), 40);  // evicts b: a was used since
  EXPECT_NE(cache.Lookup<int>("a"), nullptr);
  EXPECT_EQ(cache.Lookup<int>("b"), nullptr);
  EXPECT_EQ(cache.evictions(), 1u);
  // The flag was cleared: untouched since, a goes when it is last again.
  cache.Insert("d", Value(4), 40);  // evicts c (a was looked up above)
  cache.Insert("e", Value(5), 40);  // evicts a
  EXPECT_EQ(cache.Lookup<int>("a"), nullptr);
  EXPECT_EQ(cache.Insert("huge", Value(6), 101), nullptr);
}

TEST(BlockCacheTest, EraseUncharges) {
  BlockCache cache(100);
  cache.Insert("a", Value(1), 40);
  cache.Erase("a");
  cache.Erase("absent");
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.Lookup<int>("a"), nullptr);
  EXPECT_EQ(cache.evictions(), 0u);
}

}  // namespace
}  // namespace andante::internal
