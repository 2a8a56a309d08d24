#include "andante/tenant.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

TEST(TenantTest, ValidIds) {
  EXPECT_TRUE(ValidateTenantId(kSingleTenant).ok());
  EXPECT_TRUE(ValidateTenantId("a").ok());
  EXPECT_TRUE(ValidateTenantId("Team-A_01").ok());
  EXPECT_TRUE(ValidateTenantId("!-_.*'()").ok());
  EXPECT_TRUE(ValidateTenantId("...").ok());
  EXPECT_TRUE(ValidateTenantId(".hidden").ok());
  EXPECT_TRUE(ValidateTenantId(std::string(150, 'x')).ok());
}

TEST(TenantTest, EmptyAndDotsRejected) {
  for (std::string_view bad : {"", ".", ".."}) {
    absl::Status s = ValidateTenantId(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(s.message().empty());
  }
}

TEST(TenantTest, TooLongRejected) {
  absl::Status s = ValidateTenantId(std::string(151, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("150"), std::string::npos) << s.message();
}

TEST(TenantTest, PathTricksAndOtherCharactersRejected) {
  for (std::string_view bad :
       {"a/b", "../etc", "a\\b", "a b", "a|b", "a:b", "a%2f", "t\n", "é", "a@b",
        "a+b", "a,b", "a=b", "a~b"}) {
    absl::Status s = ValidateTenantId(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("unsupported character"), std::string::npos) << s.message();
  }
  // A NUL inside the view is caught too.
  EXPECT_FALSE(ValidateTenantId(std::string_view("ab\0c", 4)).ok());
}

TEST(ParseTenantIdsTest, SplitsSortsAndDeduplicates) {
  auto one = ParseTenantIds("a");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, std::vector<std::string>{"a"});
  auto many = ParseTenantIds("b|a|b|c|a");
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(*many, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ParseTenantIdsTest, RepeatsOfOneTenantAreOneTenant) {
  // The attack of issue 14: ~500k repeats fit a 1 MiB header.
  std::string header = "a";
  for (int i = 0; i < 500'000; ++i) header += "|a";
  auto tenants = ParseTenantIds(header);
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_EQ(*tenants, std::vector<std::string>{"a"});
}

TEST(ParseTenantIdsTest, BoundsDistinctTenants) {
  std::string header;
  for (size_t i = 0; i < kMaxTenantsPerRead; ++i) {
    if (i > 0) header += "|";
    header += absl::StrCat("t", i);
  }
  auto at_bound = ParseTenantIds(header);
  ASSERT_TRUE(at_bound.ok()) << at_bound.status();
  EXPECT_EQ(at_bound->size(), kMaxTenantsPerRead);
  auto over = ParseTenantIds(header + "|x");
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("too many tenants"),
            std::string_view::npos);
}

TEST(ParseTenantIdsTest, InvalidTenantsRejected) {
  for (std::string_view bad : {"", "a|", "|a", "a||b", "a|b/c", "a|.."}) {
    auto parsed = ParseTenantIds(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace andante
