// LogThrottle: one line per interval, with the count of those held back.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "util/log.h"

namespace andante::internal {
namespace {

TEST(LogThrottleTest, AllowsOnePerIntervalAndCountsTheRest) {
  LogThrottle throttle(absl::Milliseconds(200));
  uint64_t suppressed = 99;
  EXPECT_TRUE(throttle.Allow(&suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(throttle.Allow(&suppressed));
  absl::SleepFor(absl::Milliseconds(250));
  EXPECT_TRUE(throttle.Allow(&suppressed));
  EXPECT_EQ(suppressed, 5u);
  EXPECT_FALSE(throttle.Allow(&suppressed));
}

TEST(LogThrottleTest, ExactlyOneThreadWinsAnInterval) {
  LogThrottle throttle(absl::Hours(1));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      uint64_t suppressed;
      for (int i = 0; i < 1000; ++i) {
        if (throttle.Allow(&suppressed)) allowed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1);
}

}  // namespace
}  // namespace andante::internal
