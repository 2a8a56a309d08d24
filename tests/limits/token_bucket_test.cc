#include "tenant/token_bucket.h"

#include "andante/limits.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tenant/limit_errors.h"

namespace andante::internal {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(TokenBucketTest, StartsFullAndTakesWholeRequestsOnly) {
  TokenBucket b;
  EXPECT_TRUE(b.AllowN(kT0, 600, 100, 1000));
  EXPECT_FALSE(b.AllowN(kT0, 500, 100, 1000));  // 400 left: none taken
  EXPECT_DOUBLE_EQ(b.Tokens(kT0, 100, 1000), 400);
  EXPECT_TRUE(b.AllowN(kT0, 400, 100, 1000));
  EXPECT_FALSE(b.AllowN(kT0, 1, 100, 1000));
}

TEST(TokenBucketTest, RefillsAtRateUpToBurst) {
  TokenBucket b;
  ASSERT_TRUE(b.AllowN(kT0, 1000, 100, 1000));
  EXPECT_FALSE(b.AllowN(kT0 + absl::Seconds(2), 300, 100, 1000));  // 200
  EXPECT_TRUE(b.AllowN(kT0 + absl::Seconds(3), 300, 100, 1000));   // 300
  // A long idle period refills to the burst, no more.
  EXPECT_DOUBLE_EQ(b.Tokens(kT0 + absl::Hours(1), 100, 1000), 1000);
}

TEST(TokenBucketTest, RequestLargerThanBurstIsAlwaysRefused) {
  TokenBucket b;
  EXPECT_FALSE(b.AllowN(kT0 + absl::Hours(1), 1001, 1e9, 1000));
}

TEST(TokenBucketTest, ZeroRateAndBurstRefuseEverything) {
  TokenBucket b;
  EXPECT_FALSE(b.AllowN(kT0, 1, 0, 0));
  EXPECT_FALSE(b.AllowN(kT0 + absl::Hours(1), 1, 0, 0));
}

TEST(TokenBucketTest, LoweredBurstCapsHeldTokens) {
  TokenBucket b;
  EXPECT_DOUBLE_EQ(b.Tokens(kT0, 10, 1000), 1000);
  EXPECT_DOUBLE_EQ(b.Tokens(kT0, 10, 50), 50);
  EXPECT_FALSE(b.AllowN(kT0, 60, 10, 1000));
}

TEST(TokenBucketTest, SustainedRateMatchesConfiguredRate) {
  // Offer far more than the rate for 100 s in 10 ms steps; what is admitted
  // is burst + rate * time.
  TokenBucket b;
  uint64_t admitted = 0;
  for (int step = 0; step <= 10'000; ++step) {
    absl::Time now = kT0 + absl::Milliseconds(10 * step);
    for (int k = 0; k < 20; ++k) {
      if (b.AllowN(now, 100, 5000, 2000)) admitted += 100;
    }
  }
  EXPECT_NEAR(static_cast<double>(admitted), 2000 + 5000 * 100.0, 200);
}

TEST(LimitsTest, GlobalStrategyDividesByInstances) {
  TenantLimits l;
  l.rate_limit_bytes = 9000;
  EXPECT_EQ(LocalRate(l, 3), 9000u);  // local: per instance
  l.rate_strategy = RateStrategy::kGlobal;
  EXPECT_EQ(LocalRate(l, 3), 3000u);
  EXPECT_EQ(LocalRate(l, 0), 9000u);  // at least one instance
  EXPECT_EQ(LocalRate(l, 1), 9000u);
}

TEST(LimitsTest, LocalMaxTracesTakesTheSmallerNonZero) {
  TenantLimits l;
  l.max_traces_per_user = 100;
  l.max_global_traces_per_user = 0;
  EXPECT_EQ(LocalMaxTraces(l, 4), 100u);
  l.max_global_traces_per_user = 200;
  EXPECT_EQ(LocalMaxTraces(l, 4), 50u);
  l.max_traces_per_user = 0;
  EXPECT_EQ(LocalMaxTraces(l, 1), 200u);
  l.max_global_traces_per_user = 0;
  EXPECT_EQ(LocalMaxTraces(l, 1), 0u);
}

TEST(LimitsTest, MessagesNameTheLimit) {
  absl::Status s = RateLimitedError("t1", 100, 300, 1000, 500);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "RATE_LIMITED: ingestion rate limit (local: 100 bytes/s, global: "
            "300 bytes/s, burst: 1000 bytes) exceeded while adding 500 bytes "
            "for user t1");
  s = RateLimitedError("t1", 100, 300, 1000, 5000);
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               "RATE_LIMITED: batch size (5000 bytes) exceeds "
                               "ingestion limit (local: 100 bytes/s"))
      << s.message();
  EXPECT_EQ(DiscardReasonName(DiscardReason::kLiveTracesExceeded),
            "live_traces_exceeded");
  EXPECT_EQ(PartialTraceMessage(5000000),
            "Trace exceeds maximum size of 5000000 bytes, a partial trace is "
            "returned");
}

TEST(OverridesLookupTest, TenantThenWildcardThenDefaults) {
  TenantLimits defaults, a, star;
  defaults.max_traces_per_user = 1;
  a.max_traces_per_user = 2;
  star.max_traces_per_user = 3;
  Overrides o(defaults);
  EXPECT_EQ(o.ForTenant("a")->max_traces_per_user, 1u);
  const uint64_t g = o.generation();
  o.Set(defaults, {{"a", a}});
  EXPECT_GT(o.generation(), g);
  EXPECT_EQ(o.ForTenant("a")->max_traces_per_user, 2u);
  EXPECT_EQ(o.ForTenant("b")->max_traces_per_user, 1u);
  std::shared_ptr<const TenantLimits> held = o.ForTenant("b");
  o.Set(defaults, {{"a", a}, {"*", star}});
  EXPECT_EQ(o.ForTenant("a")->max_traces_per_user, 2u);
  EXPECT_EQ(o.ForTenant("b")->max_traces_per_user, 3u);
  EXPECT_EQ(held->max_traces_per_user, 1u);  // a snapshot stays unchanged
  EXPECT_EQ(o.Defaults()->max_traces_per_user, 1u);
}

}  // namespace
}  // namespace andante::internal
