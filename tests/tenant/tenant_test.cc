#include "andante/tenant.h"

#include <string>

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

}  // namespace
}  // namespace andante
