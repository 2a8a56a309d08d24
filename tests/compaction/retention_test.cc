// Retention: expired live blocks are marked, old compacted blocks and stale
// incomplete blocks deleted, and nothing else touched.
#include "compaction/retention.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "andante/compaction.h"
#include "andante/limits.h"
#include "block/block_format.h"
#include "compaction/blocklist.h"
#include "gtest/gtest.h"
#include "tests/compaction/compaction_test_util.h"
#include "tests/testing/fault_backend.h"

namespace andante::internal {
namespace {

using testutil::Fragment;
using testutil::Id;

constexpr uint64_t kSecond = 1'000'000'000ull;
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

BlockMeta BlockEndingAt(Backend& backend, const std::string& tenant,
                        absl::Time end) {
  uint64_t e = static_cast<uint64_t>(absl::ToUnixSeconds(end)) * kSecond;
  return testutil::WriteBlock(backend, tenant, {{Id(1), Fragment({{1, 1}})}},
                              e - kSecond, e);
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> LiveIds(Backend& backend, const std::string& tenant) {
  auto list = ListTenantBlocklist(backend, tenant, kNow);
  EXPECT_TRUE(list.ok());
  std::vector<std::string> ids;
  for (const BlockMeta& m : list->live) ids.push_back(m.block_id);
  return ids;
}

TEST(RetentionTest, ExpiresExactlyTheOldBlocksThenDeletesThem) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  CompactionOptions o;
  o.block_retention = absl::Hours(72);  // the seeds' retention_duration: 72h
  o.compacted_block_retention = absl::Hours(1);
  std::vector<std::string> old_ids, young_ids;
  for (absl::Duration age : {absl::Hours(73), absl::Hours(100)}) {
    old_ids.push_back(BlockEndingAt(*backend, "t", kNow - age).block_id);
  }
  for (absl::Duration age : {absl::Hours(71), absl::Minutes(1)}) {
    young_ids.push_back(BlockEndingAt(*backend, "t", kNow - age).block_id);
  }

  auto list = ListTenantBlocklist(*backend, "t", kNow);
  ASSERT_TRUE(list.ok());
  RetentionPlan plan = PlanRetention("t", *list, o, kNow);
  auto done = ApplyRetentionPlan(*backend, plan, o, kNow);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->expired_block_ids, Sorted(old_ids));
  EXPECT_TRUE(done->deleted_block_ids.empty());
  EXPECT_EQ(LiveIds(*backend, "t"), Sorted(young_ids));
  // Marked, not yet deleted: a reader with an older list still reads them.
  for (const std::string& id : old_ids) {
    EXPECT_TRUE(backend->Read(BlockKey("t", id, kMetaObjectName)).ok());
  }

  // Within compacted_block_retention: nothing deleted.
  list = ListTenantBlocklist(*backend, "t", kNow + absl::Minutes(59));
  done = ApplyRetentionPlan(
      *backend, PlanRetention("t", *list, o, kNow + absl::Minutes(59)), o,
      kNow + absl::Minutes(59));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->deleted_block_ids.empty());

  const absl::Time later = kNow + absl::Minutes(61);
  list = ListTenantBlocklist(*backend, "t", later);
  done = ApplyRetentionPlan(*backend, PlanRetention("t", *list, o, later), o,
                            later);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->deleted_block_ids, Sorted(old_ids));
  auto names = backend->List("t");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, Sorted(young_ids));
}

TEST(RetentionTest, PerTenantRetentionOverridesTheGlobalOne) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  CompactionOptions o;
  o.block_retention = absl::Hours(336);
  o.tenant_block_retention["short"] = absl::Hours(24);
  o.tenant_block_retention["zero"] = absl::ZeroDuration();  // falls back
  BlockMeta a = BlockEndingAt(*backend, "short", kNow - absl::Hours(25));
  BlockMeta b = BlockEndingAt(*backend, "zero", kNow - absl::Hours(25));
  BlockMeta c = BlockEndingAt(*backend, "other", kNow - absl::Hours(337));
  for (const auto& [tenant, expired] :
       std::map<std::string, std::vector<std::string>>{
           {"short", {a.block_id}}, {"zero", {}}, {"other", {c.block_id}}}) {
    auto list = ListTenantBlocklist(*backend, tenant, kNow);
    ASSERT_TRUE(list.ok());
    RetentionPlan plan = PlanRetention(tenant, *list, o, kNow);
    std::vector<std::string> got;
    for (const BlockMeta& m : plan.expire) got.push_back(m.block_id);
    EXPECT_EQ(got, expired) << tenant;
  }
  (void)b;
}

// The live overrides (per-tenant `block_retention`) win, and a reload
// (Overrides::Set) applies to the next plan.
TEST(RetentionTest, OverridesRetentionIsReadAtEveryPlan) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  auto overrides = std::make_shared<Overrides>();
  CompactionOptions o;
  o.block_retention = absl::Hours(336);
  o.tenant_block_retention["a"] = absl::Hours(100);  // overridden below
  o.overrides = overrides;
  TenantLimits a;
  a.block_retention = absl::Hours(2);
  TenantLimits b;
  b.block_retention = absl::Hours(1000);
  overrides->Set(TenantLimits(), {{"a", a}, {"b", b}});
  BlockMeta old_a = BlockEndingAt(*backend, "a", kNow - absl::Hours(3));
  BlockMeta old_b = BlockEndingAt(*backend, "b", kNow - absl::Hours(400));
  BlockMeta old_c = BlockEndingAt(*backend, "c", kNow - absl::Hours(400));
  auto expired = [&](const std::string& tenant) {
    auto list = ListTenantBlocklist(*backend, tenant, kNow);
    EXPECT_TRUE(list.ok());
    std::vector<std::string> got;
    for (const BlockMeta& m : PlanRetention(tenant, *list, o, kNow).expire) {
      got.push_back(m.block_id);
    }
    return got;
  };
  EXPECT_EQ(expired("a"), std::vector<std::string>{old_a.block_id});
  EXPECT_EQ(expired("b"), std::vector<std::string>{});  // 1000h > 400h
  EXPECT_EQ(expired("c"), std::vector<std::string>{old_c.block_id});  // 336h
  // Reloaded: a keeps 4h, b's entry is gone (the defaults: no retention of
  // its own, so the global 336h).
  a.block_retention = absl::Hours(4);
  overrides->Set(TenantLimits(), {{"a", a}});
  EXPECT_EQ(expired("a"), std::vector<std::string>{});
  EXPECT_EQ(expired("b"), std::vector<std::string>{old_b.block_id});
}

TEST(RetentionTest, ZeroRetentionKeepsEverything) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  CompactionOptions o;
  o.block_retention = absl::ZeroDuration();
  BlockEndingAt(*backend, "t", kNow - absl::Hours(10000));
  auto list = ListTenantBlocklist(*backend, "t", kNow);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(PlanRetention("t", *list, o, kNow).expire.empty());
}

TEST(RetentionTest, IncompleteBlocksGoOnlyAfterTheTimeout) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  CompactionOptions o;
  o.incomplete_block_timeout = absl::Hours(1);
  const std::string leftover = NewBlockId();
  ASSERT_TRUE(
      backend->Write(BlockKey("t", leftover, kDataObjectName), "x").ok());
  BlockMeta live = BlockEndingAt(*backend, "t", kNow);

  auto first = ListTenantBlocklist(*backend, "t", kNow);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->incomplete.size(), 1u);
  EXPECT_EQ(first->incomplete[0].first_seen, kNow);
  // Seen again later: the first sighting is carried over.
  const absl::Time later = kNow + absl::Minutes(61);
  auto second = ListTenantBlocklist(*backend, "t", later, &*first);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->incomplete[0].first_seen, kNow);
  EXPECT_TRUE(PlanRetention("t", *first, o, kNow).remove.empty());
  auto done = ApplyRetentionPlan(
      *backend, PlanRetention("t", *second, o, later), o, later);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->deleted_block_ids, std::vector<std::string>{leftover});
  EXPECT_EQ(LiveIds(*backend, "t"), std::vector<std::string>{live.block_id});
}

TEST(RetentionTest, FailedDeletionIsReportedAndRetriedNextTime) {
  std::shared_ptr<Backend> memory = OpenMemoryBackend();
  auto faults = std::make_shared<testing::FaultBackend>(memory);
  CompactionOptions o;
  BlockMeta old = BlockEndingAt(*faults, "t", kNow - absl::Hours(400));
  auto list = ListTenantBlocklist(*faults, "t", kNow);
  ASSERT_TRUE(list.ok());
  faults->FailWrites(std::string("meta.compacted.json"), 1);
  EXPECT_FALSE(
      ApplyRetentionPlan(*faults, PlanRetention("t", *list, o, kNow), o, kNow)
          .ok());
  EXPECT_EQ(LiveIds(*faults, "t"), std::vector<std::string>{old.block_id});
  auto done =
      ApplyRetentionPlan(*faults, PlanRetention("t", *list, o, kNow), o, kNow);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(LiveIds(*faults, "t").empty());
}

}  // namespace
}  // namespace andante::internal
