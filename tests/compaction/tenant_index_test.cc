// The tenant index object and the blocklist poller built on it.
#include "compaction/tenant_index.h"

#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/blocklist.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "compaction/blocklist.h"
#include "compaction/blocklist_poller.h"
#include "compaction/compaction_format.h"
#include "gtest/gtest.h"
#include "tests/compaction/compaction_test_util.h"
#include "tests/testing/fault_backend.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

using testutil::Fragment;
using testutil::Id;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

// Two live blocks, one compacted, one incomplete.
TenantBlocklist Populate(Backend& backend, const std::string& tenant) {
  BlockMeta a =
      testutil::WriteBlock(backend, tenant, {{Id(1), Fragment({{1, 1}})}});
  BlockMeta b =
      testutil::WriteBlock(backend, tenant, {{Id(2), Fragment({{2, 1}})}});
  BlockMeta c =
      testutil::WriteBlock(backend, tenant, {{Id(3), Fragment({{3, 1}})}});
  EXPECT_TRUE(MarkBlockCompacted(backend, c, kNow - absl::Minutes(5)).ok());
  EXPECT_TRUE(
      backend.Write(BlockKey(tenant, NewBlockId(), kDataObjectName), "x").ok());
  auto list = ListTenantBlocklist(backend, tenant, kNow);
  EXPECT_TRUE(list.ok());
  EXPECT_EQ(list->live.size(), 2u);
  EXPECT_EQ(list->compacted.size(), 1u);
  EXPECT_EQ(list->incomplete.size(), 1u);
  return *list;
}

TEST(TenantIndexTest, RoundTrip) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  TenantIndex index{"t", kNow, "andante-0", Populate(*backend, "t")};
  index.blocks.live[0].compaction_level = 3;
  ASSERT_TRUE(WriteTenantIndex(*backend, index).ok());
  auto back = ReadTenantIndex(*backend, "t");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, index);
  EXPECT_EQ(back->blocks.live[0].compaction_level, 3u);
}

TEST(TenantIndexTest, EveryFlippedByteIsDetected) {
  TenantIndex index{"t", kNow, "i", {}};
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  index.blocks = Populate(*backend, "t");
  const std::string bytes = EncodeTenantIndex(index);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x20;
    auto decoded = DecodeTenantIndex(damaged);
    EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << "byte " << i;
  }
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeTenantIndex(bytes.substr(0, bytes.size() - 1)).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeTenantIndex("").status()));
}

TEST(TenantIndexTest, IndexOfAnotherTenantIsRejected) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  TenantIndex index{"a", kNow, "i", {}};
  ASSERT_TRUE(
      backend->Write(TenantIndexKey("b"), EncodeTenantIndex(index)).ok());
  EXPECT_TRUE(absl::IsDataLoss(ReadTenantIndex(*backend, "b").status()));
}

class PollerTest : public ::testing::Test {
 protected:
  BlocklistOptions Options(const std::string& self) {
    BlocklistOptions o;
    o.instance_id = self;
    o.instance_ring = {"i-0", "i-1", "i-2"};
    o.blocklist_poll_tenant_index_builders = 1;
    return o;
  }
  // The instance that builds the index of `tenant`, and one that does not.
  std::pair<std::string, std::string> BuilderAndReader(
      const std::string& tenant) {
    std::string builder, reader;
    for (std::string m : {"i-0", "i-1", "i-2"}) {
      MetaBlocklistPoller p(Options(m), faults_);
      (p.BuildsIndex(tenant) ? builder : reader) = m;
    }
    return {builder, reader};
  }
  std::shared_ptr<Backend> memory_ = OpenMemoryBackend();
  std::shared_ptr<testing::FaultBackend> faults_ =
      std::make_shared<testing::FaultBackend>(memory_);
};

TEST_F(PollerTest, FreshIndexCostsOneGetAndNoListOfTheTenant) {
  TenantBlocklist expected = Populate(*faults_, "t");
  auto [builder_id, reader_id] = BuilderAndReader("t");
  ASSERT_FALSE(builder_id.empty());
  ASSERT_FALSE(reader_id.empty());

  MetaBlocklistPoller builder(Options(builder_id), faults_);
  auto built = builder.Poll(kNow);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->at("t"), expected);
  EXPECT_EQ(builder.last_poll_stats().listings, 1u);
  EXPECT_EQ(builder.last_poll_stats().index_writes, 1u);

  MetaBlocklistPoller reader(Options(reader_id), faults_);
  faults_->ResetCounts();
  auto polled = reader.Poll(kNow + absl::Minutes(1));
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->at("t"), expected);
  PollStats stats = reader.last_poll_stats();
  EXPECT_EQ(stats.index_reads, 1u);
  EXPECT_EQ(stats.listings, 0u);
  EXPECT_EQ(stats.fallbacks, 0u);
  // No LIST of the tenant's blocks; one GET (the index), besides finding
  // the tenants (a LIST of the top level or a GET of the tenant list).
  const uint64_t tenant_gets = stats.tenant_list_reads;
  EXPECT_EQ(faults_->counts().lists, stats.tenant_listings);
  EXPECT_EQ(faults_->counts().reads, 1u + tenant_gets);
}

TEST_F(PollerTest, FreshTenantListAndIndexesMakeAPollWithoutAnyList) {
  TenantBlocklist t1 = Populate(*faults_, "t1");
  TenantBlocklist t2 = Populate(*faults_, "t2");
  // Five members, three builders at most (t1's index, t2's, the tenant
  // list): some members build nothing.
  auto options = [&](const std::string& self) {
    BlocklistOptions o = Options(self);
    o.instance_ring = {"i-0", "i-1", "i-2", "i-3", "i-4"};
    return o;
  };
  std::vector<std::string> readers;
  // Every builder polls once (writing the indexes and the tenant list).
  for (std::string m : {"i-0", "i-1", "i-2", "i-3", "i-4"}) {
    MetaBlocklistPoller p(options(m), faults_);
    if (p.BuildsTenantList() || p.BuildsIndex("t1") || p.BuildsIndex("t2")) {
      ASSERT_TRUE(p.Poll(kNow).ok()) << m;
    } else {
      readers.push_back(m);
    }
  }
  ASSERT_GE(readers.size(), 2u);
  EXPECT_TRUE(faults_->Read(std::string(kTenantListObjectName)).ok());
  MetaBlocklistPoller reader(options(readers[0]), faults_);
  faults_->ResetCounts();
  auto polled = reader.Poll(kNow + absl::Minutes(1));
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->at("t1"), t1);
  EXPECT_EQ(polled->at("t2"), t2);
  EXPECT_EQ(faults_->counts().lists, 0u);  // Tempo's target: 0 LISTs per poll
  EXPECT_EQ(faults_->counts().reads, 3u);  // the tenant list, two indexes
  PollStats stats = reader.last_poll_stats();
  EXPECT_EQ(stats.tenant_listings, 0u);
  EXPECT_EQ(stats.tenant_list_reads, 1u);
  EXPECT_EQ(stats.listings, 0u);
}

TEST_F(PollerTest, MissingStaleOrDamagedTenantListFallsBackToListing) {
  Populate(*faults_, "t");
  std::string reader_id;
  for (std::string m : {"i-0", "i-1", "i-2"}) {
    if (!MetaBlocklistPoller(Options(m), faults_).BuildsTenantList()) {
      reader_id = m;
    }
  }
  ASSERT_FALSE(reader_id.empty());
  BlocklistOptions o = Options(reader_id);
  o.blocklist_poll = absl::Minutes(5);  // staleness bound: 15 minutes
  MetaBlocklistPoller reader(o, faults_);
  auto poll_lists = [&](absl::Time now) {
    faults_->ResetCounts();
    auto polled = reader.Poll(now);
    EXPECT_TRUE(polled.ok());
    EXPECT_TRUE(polled.ok() && polled->contains("t"));
    return reader.last_poll_stats().tenant_listings;
  };
  EXPECT_EQ(poll_lists(kNow), 1u);  // missing
  // A list naming only "x", 16 minutes old: not trusted.
  ASSERT_TRUE(
      WriteTenantList(*faults_, {kNow - absl::Minutes(16), "b", {"x"}}).ok());
  EXPECT_EQ(poll_lists(kNow), 1u);
  std::string bytes = EncodeTenantList({kNow, "b", {"t"}});
  bytes[bytes.size() / 3] ^= 4;  // damaged
  ASSERT_TRUE(faults_->Write(std::string(kTenantListObjectName), bytes).ok());
  EXPECT_EQ(poll_lists(kNow), 1u);
  // Fresh: trusted, no LIST of the top level.
  ASSERT_TRUE(WriteTenantList(*faults_, {kNow, "b", {"t"}}).ok());
  EXPECT_EQ(poll_lists(kNow), 0u);
}

// The builder PUTs the root list only when its content changed or it has
// aged past half the staleness bound; a reader trusts it all along.
TEST_F(PollerTest, TenantListIsPutOnlyWhenChangedOrAgeing) {
  std::string builder_id, reader_id;
  for (std::string m : {"i-0", "i-1", "i-2"}) {
    (MetaBlocklistPoller(Options(m), faults_).BuildsTenantList() ? builder_id
                                                                 : reader_id) = m;
  }
  ASSERT_FALSE(builder_id.empty());
  ASSERT_FALSE(reader_id.empty());
  BlocklistOptions o = Options(builder_id);
  o.blocklist_poll = absl::Minutes(5);  // staleness bound 15 min, refresh 7.5
  MetaBlocklistPoller builder(o, faults_);
  // Tenants whose index another member builds: every PUT the builder makes
  // is then the tenant list's.
  std::vector<std::string> tenants;
  for (int i = 0; tenants.size() < 2 && i < 100; ++i) {
    std::string t = absl::StrCat("t", i);
    if (!builder.BuildsIndex(t)) tenants.push_back(t);
  }
  ASSERT_EQ(tenants.size(), 2u);
  Populate(*faults_, tenants[0]);
  auto puts = [&](absl::Time now) {
    faults_->ResetCounts();
    EXPECT_TRUE(builder.Poll(now).ok());
    EXPECT_EQ(builder.last_poll_stats().tenant_list_writes,
              faults_->counts().writes);
    return faults_->counts().writes;
  };
  auto listed = [&]() {
    absl::StatusOr<TenantList> list = ReadTenantList(*memory_);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : TenantList{};
  };
  EXPECT_EQ(puts(kNow), 1u);  // none yet
  EXPECT_EQ(puts(kNow + absl::Minutes(5)), 0u);  // unchanged
  EXPECT_EQ(listed().created_at, kNow);
  // A reader a poll later still trusts it: no LIST of the top level.
  MetaBlocklistPoller reader(Options(reader_id), faults_);
  ASSERT_TRUE(reader.Poll(kNow + absl::Minutes(6)).ok());
  EXPECT_EQ(reader.last_poll_stats().tenant_listings, 0u);
  EXPECT_EQ(reader.last_poll_stats().tenant_list_reads, 1u);

  Populate(*faults_, tenants[1]);  // changed: written at once
  EXPECT_EQ(puts(kNow + absl::Minutes(7)), 1u);
  EXPECT_EQ(listed().tenants.size(), 2u);
  EXPECT_EQ(listed().created_at, kNow + absl::Minutes(7));
  EXPECT_EQ(puts(kNow + absl::Minutes(12)), 0u);  // 5 min old
  EXPECT_EQ(puts(kNow + absl::Minutes(17)), 1u);  // 10 min old: refreshed
  EXPECT_EQ(listed().created_at, kNow + absl::Minutes(17));
  // Deleted behind the builder's back: its listing of the top level no
  // longer shows it, so the next poll writes it again.
  ASSERT_TRUE(memory_->Delete(std::string(kTenantListObjectName)).ok());
  EXPECT_EQ(puts(kNow + absl::Minutes(22)), 1u);
  EXPECT_EQ(listed().created_at, kNow + absl::Minutes(22));
  EXPECT_EQ(puts(kNow + absl::Minutes(27)), 0u);
}

// The builder of a tenant's index PUTs it only when the listing changed, the
// object is missing, the last PUT failed, or it is half the staleness bound
// old; readers trust it all along and see a change one builder poll later,
// and never trust an index its builder stopped refreshing.
TEST_F(PollerTest, TenantIndexIsPutOnlyWhenChangedMissingOrAgeing) {
  std::string list_builder;
  for (std::string m : {"i-0", "i-1", "i-2"}) {
    if (MetaBlocklistPoller(Options(m), faults_).BuildsTenantList()) {
      list_builder = m;
    }
  }
  ASSERT_FALSE(list_builder.empty());
  // A tenant whose index builder does not write the tenant list: every PUT
  // that builder makes is then the tenant index's.
  std::string tenant, builder_id, reader_id;
  for (int i = 0; builder_id.empty() && i < 100; ++i) {
    tenant = absl::StrCat("t", i);
    auto [b, r] = BuilderAndReader(tenant);
    if (b != list_builder) std::tie(builder_id, reader_id) = std::tie(b, r);
  }
  ASSERT_FALSE(builder_id.empty());
  ASSERT_FALSE(reader_id.empty());
  BlocklistOptions o = Options(builder_id);
  o.blocklist_poll = absl::Minutes(5);  // staleness bound 15 min, refresh 7.5
  MetaBlocklistPoller builder(o, faults_);
  BlocklistOptions ro = Options(reader_id);
  ro.blocklist_poll = o.blocklist_poll;
  MetaBlocklistPoller reader(ro, faults_);

  TenantBlocklist expected = Populate(*faults_, tenant);
  auto puts = [&](absl::Time now) {
    faults_->ResetCounts();
    auto polled = builder.Poll(now);
    EXPECT_TRUE(polled.ok()) << polled.status();
    EXPECT_EQ(builder.last_poll_stats().index_writes,
              faults_->counts().writes);
    return faults_->counts().writes;
  };
  auto created_at = [&]() {
    absl::StatusOr<TenantIndex> index = ReadTenantIndex(*memory_, tenant);
    EXPECT_TRUE(index.ok()) << index.status();
    return index.ok() ? index->created_at : absl::InfinitePast();
  };
  // What the reader sees at `now`, and whether it had to list the tenant.
  auto read = [&](absl::Time now) {
    auto polled = reader.Poll(now);
    EXPECT_TRUE(polled.ok()) << polled.status();
    EXPECT_EQ(reader.last_poll_stats().index_reads, 1u);
    return std::pair(polled.ok() ? polled->at(tenant) : TenantBlocklist{},
                     reader.last_poll_stats().listings);
  };

  EXPECT_EQ(puts(kNow), 1u);                     // none yet
  EXPECT_EQ(puts(kNow + absl::Minutes(5)), 0u);  // unchanged
  EXPECT_EQ(created_at(), kNow);
  EXPECT_EQ(read(kNow + absl::Minutes(6)), std::pair(expected, uint64_t{0}));

  // A new block: written at the next poll, seen by the reader's next poll
  // without listing.
  testutil::WriteBlock(*faults_, tenant, {{Id(4), Fragment({{4, 1}})}});
  EXPECT_EQ(puts(kNow + absl::Minutes(7)), 1u);
  auto [after_flush, listings] = read(kNow + absl::Minutes(8));
  EXPECT_EQ(listings, 0u);
  EXPECT_EQ(after_flush.live.size(), expected.live.size() + 1);
  // A block marked compacted is a change too.
  ASSERT_TRUE(MarkBlockCompacted(*faults_, after_flush.live[0],
                                 kNow + absl::Minutes(8))
                  .ok());
  EXPECT_EQ(puts(kNow + absl::Minutes(9)), 1u);
  EXPECT_EQ(read(kNow + absl::Minutes(10)).first.compacted.size(),
            expected.compacted.size() + 1);

  EXPECT_EQ(puts(kNow + absl::Minutes(14)), 0u);  // 5 min old
  EXPECT_EQ(puts(kNow + absl::Minutes(19)), 1u);  // 10 min old: refreshed
  EXPECT_EQ(created_at(), kNow + absl::Minutes(19));

  // Deleted behind the builder's back: its listing shows it, so the next
  // poll writes it again.
  ASSERT_TRUE(memory_->Delete(TenantIndexKey(tenant)).ok());
  EXPECT_EQ(puts(kNow + absl::Minutes(20)), 1u);
  EXPECT_EQ(created_at(), kNow + absl::Minutes(20));
  // A failed PUT is retried at the next poll, unchanged or not.
  faults_->FailWrites(std::string(kTenantIndexObjectName), 1);
  testutil::WriteBlock(*faults_, tenant, {{Id(5), Fragment({{5, 1}})}});
  EXPECT_EQ(puts(kNow + absl::Minutes(21)), 1u);
  EXPECT_EQ(created_at(), kNow + absl::Minutes(20));
  EXPECT_EQ(puts(kNow + absl::Minutes(22)), 1u);
  EXPECT_EQ(created_at(), kNow + absl::Minutes(22));
  const TenantBlocklist last = read(kNow + absl::Minutes(23)).first;
  EXPECT_EQ(last.live.size(), after_flush.live.size());  // +1 live, -1 compacted

  // The builder stops: its index stays trusted up to the staleness bound
  // after its createdAt, and not a moment longer.
  EXPECT_EQ(read(kNow + absl::Minutes(37)), std::pair(last, uint64_t{0}));
  EXPECT_EQ(read(kNow + absl::Minutes(37) + absl::Seconds(1)),
            std::pair(last, uint64_t{1}));
  EXPECT_EQ(reader.last_poll_stats().fallbacks, 1u);
}

TEST(TenantListTest, RoundTripsDetectsDamageAndIsNoTenant) {
  TenantList list{kNow, "andante-0", {"a", "single-tenant", "z.y_x"}};
  const std::string bytes = EncodeTenantList(list);
  auto back = DecodeTenantList(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, list);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x20;
    EXPECT_TRUE(absl::IsDataLoss(DecodeTenantList(damaged).status()))
        << "byte " << i;
  }
  // A tenant index is not a tenant list (another magic), nor the reverse.
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeTenantList(EncodeTenantIndex({"t", kNow, "i", {}})).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeTenantIndex(bytes).status()));
  // Beside the tenants, it is not listed as one.
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  Populate(*backend, "t");
  ASSERT_TRUE(WriteTenantList(*backend, list).ok());
  auto tenants = ListTenants(*backend);
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, std::vector<std::string>{"t"});
}

TEST_F(PollerTest, DamagedIndexFallsBackToListing) {
  TenantBlocklist expected = Populate(*faults_, "t");
  auto [builder_id, reader_id] = BuilderAndReader("t");
  std::string bytes = EncodeTenantIndex({"t", kNow, builder_id, expected});
  bytes[bytes.size() / 2] ^= 1;  // CRC mismatch
  ASSERT_TRUE(faults_->Write(TenantIndexKey("t"), bytes).ok());
  MetaBlocklistPoller reader(Options(reader_id), faults_);
  auto polled = reader.Poll(kNow);
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->at("t"), expected);
  EXPECT_EQ(reader.last_poll_stats().fallbacks, 1u);
  EXPECT_EQ(reader.last_poll_stats().listings, 1u);
}

TEST_F(PollerTest, StaleOrMissingIndexFallsBackToListing) {
  TenantBlocklist expected = Populate(*faults_, "t");
  auto [builder_id, reader_id] = BuilderAndReader("t");
  BlocklistOptions o = Options(reader_id);
  o.blocklist_poll = absl::Minutes(5);  // staleness bound: 15 minutes
  MetaBlocklistPoller reader(o, faults_);
  auto missing = reader.Poll(kNow);  // no index yet
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->at("t"), expected);
  EXPECT_EQ(reader.last_poll_stats().fallbacks, 1u);

  // An index that lists nothing, 16 minutes old: not trusted.
  ASSERT_TRUE(WriteTenantIndex(*faults_,
                               {"t", kNow - absl::Minutes(16), builder_id, {}})
                  .ok());
  auto stale = reader.Poll(kNow);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->at("t"), expected);
  EXPECT_EQ(reader.last_poll_stats().fallbacks, 1u);
  // 14 minutes old: trusted (and so a poll shows what it says).
  ASSERT_TRUE(WriteTenantIndex(*faults_,
                               {"t", kNow - absl::Minutes(14), builder_id, {}})
                  .ok());
  auto fresh = reader.Poll(kNow);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->at("t").live.empty());
  EXPECT_EQ(reader.last_poll_stats().fallbacks, 0u);
}

TEST_F(PollerTest, WithoutFallbackAnUnusableIndexKeepsThePreviousPoll) {
  TenantBlocklist expected = Populate(*faults_, "t");
  auto [builder_id, reader_id] = BuilderAndReader("t");
  ASSERT_TRUE(
      WriteTenantIndex(*faults_, {"t", kNow, builder_id, expected}).ok());
  BlocklistOptions o = Options(reader_id);
  o.blocklist_poll_fallback = false;
  MetaBlocklistPoller reader(o, faults_);
  ASSERT_TRUE(reader.Poll(kNow).ok());
  faults_->FailReads(std::string(kTenantIndexObjectName));
  auto polled = reader.Poll(kNow + absl::Minutes(1));
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->at("t"), expected);
  EXPECT_EQ(reader.last_poll_stats().errors, 1u);
  EXPECT_EQ(reader.last_poll_stats().listings, 0u);
}

TEST_F(PollerTest, BlockVanishingBetweenListAndGetIsNotLive) {
  TenantBlocklist before = Populate(*faults_, "t");
  const std::string gone = before.live[0].block_id;
  faults_->Hide(gone + "/meta");  // both meta.json and meta.compacted.json
  auto list = ListTenantBlocklist(*faults_, "t", kNow);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->live.size(), 1u);
  EXPECT_NE(list->live[0].block_id, gone);
  EXPECT_EQ(list->incomplete.size(), 2u);
  // A read failing for another reason fails the listing instead.
  faults_->ClearFaults();
  faults_->FailReads(gone + "/meta.json");
  EXPECT_TRUE(
      absl::IsUnavailable(ListTenantBlocklist(*faults_, "t", kNow).status()));
}

TEST_F(PollerTest, PublicPollerReportsSummaries) {
  Populate(*faults_, "t");
  BlocklistOptions o;
  auto poller = BlocklistPoller::Open(o, faults_);
  ASSERT_TRUE(poller.ok());
  auto blocks = (*poller)->Poll(kNow);
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->size(), 1u);
  const andante::TenantBlocklist& t = blocks->at("t");
  EXPECT_EQ(t.live.size(), 2u);
  ASSERT_EQ(t.compacted.size(), 1u);
  EXPECT_EQ(t.compacted[0].compacted_time, kNow - absl::Minutes(5));
  EXPECT_EQ(t.live[0].compacted_time, absl::InfinitePast());
  EXPECT_EQ(t.live[0].total_spans, 1u);
  // Alone in its ring, the instance builds the index.
  EXPECT_EQ((*poller)->last_poll_stats().index_writes, 1u);
  EXPECT_TRUE(faults_->Read(TenantIndexKey("t")).ok());
  o.blocklist_poll = absl::ZeroDuration();
  EXPECT_FALSE(BlocklistPoller::Open(o, faults_).ok());
}

}  // namespace
}  // namespace andante::internal
