#include "tenant/overrides_reloader.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace andante::internal {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST(OverridesReloaderTest, LoadsReloadsAndKeepsLastGoodOnError) {
  testing::TempDir tmp("andante-overrides");
  const std::string path = tmp.path() + "/overrides.yaml";
  Write(path, "overrides:\n  a:\n    max_traces_per_user: 5\n");
  TenantLimits defaults;
  defaults.max_traces_per_user = 1;
  auto overrides = std::make_shared<Overrides>(defaults);
  auto r = OverridesReloader::Start(overrides, defaults, path, absl::Hours(1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(overrides->ForTenant("a")->max_traces_per_user, 5u);
  EXPECT_EQ(overrides->ForTenant("b")->max_traces_per_user, 1u);
  EXPECT_TRUE((*r)->last_reload_successful());

  Write(path, "overrides:\n  a:\n    max_traces_per_user: 6\n  \"*\":\n"
              "    max_traces_per_user: 9\n");
  ASSERT_TRUE((*r)->ReloadNow().ok());
  EXPECT_EQ(overrides->ForTenant("a")->max_traces_per_user, 6u);
  EXPECT_EQ(overrides->ForTenant("b")->max_traces_per_user, 9u);

  const uint64_t generation = overrides->generation();
  Write(path, "overrides:\n  a:\n    max_traces_per_usr: 7\n");
  absl::Status s = (*r)->ReloadNow();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), ::testing::HasSubstr("max_traces_per_usr"));
  EXPECT_FALSE((*r)->last_reload_successful());
  EXPECT_EQ((*r)->failures(), 1u);
  EXPECT_EQ(overrides->generation(), generation);  // nothing swapped
  EXPECT_EQ(overrides->ForTenant("a")->max_traces_per_user, 6u);

  std::remove(path.c_str());
  EXPECT_FALSE((*r)->ReloadNow().ok());
  EXPECT_EQ(overrides->ForTenant("a")->max_traces_per_user, 6u);

  Write(path, "overrides:\n  a:\n    max_traces_per_user: 8\n");
  ASSERT_TRUE((*r)->ReloadNow().ok());
  EXPECT_TRUE((*r)->last_reload_successful());
  EXPECT_EQ(overrides->ForTenant("a")->max_traces_per_user, 8u);
}

TEST(OverridesReloaderTest, PollsEveryPeriod) {
  testing::TempDir tmp("andante-overrides");
  const std::string path = tmp.path() + "/overrides.yaml";
  Write(path, "overrides:\n  a:\n    max_traces_per_user: 5\n");
  auto overrides = std::make_shared<Overrides>();
  auto r = OverridesReloader::Start(overrides, TenantLimits(), path,
                                    absl::Milliseconds(50));
  ASSERT_TRUE(r.ok()) << r.status();
  Write(path, "overrides:\n  a:\n    max_traces_per_user: 11\n");
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (overrides->ForTenant("a")->max_traces_per_user != 11 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(overrides->ForTenant("a")->max_traces_per_user, 11u);
}

TEST(OverridesReloaderTest, BadFileAtStartFails) {
  testing::TempDir tmp("andante-overrides");
  const std::string path = tmp.path() + "/overrides.yaml";
  Write(path, "overrides:\n  a: {bogus: 1}\n");
  auto r = OverridesReloader::Start(std::make_shared<Overrides>(),
                                    TenantLimits(), path, absl::Seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("bogus"));
  EXPECT_FALSE(OverridesReloader::Start(std::make_shared<Overrides>(),
                                        TenantLimits(), path + ".missing",
                                        absl::Seconds(1))
                   .ok());
}

}  // namespace
}  // namespace andante::internal
