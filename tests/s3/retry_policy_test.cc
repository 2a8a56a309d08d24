#include "backend/s3/retry_policy.h"

#include "gtest/gtest.h"

namespace andante::s3 {
namespace {

TEST(RetryPolicyTest, TransientFailuresAreRetried) {
  EXPECT_TRUE(IsRetryable({.transport_error = true}));
  for (int status : {500, 502, 503, 504, 429}) {
    EXPECT_TRUE(IsRetryable({.http_status = status})) << status;
  }
  EXPECT_TRUE(IsRetryable({.http_status = 503, .s3_code = "SlowDown"}));
  // Throttling or timeouts reported with a 4xx status.
  EXPECT_TRUE(IsRetryable({.http_status = 400, .s3_code = "RequestTimeout"}));
  EXPECT_TRUE(IsRetryable({.http_status = 400, .s3_code = "SlowDown"}));
}

TEST(RetryPolicyTest, OtherClientErrorsAreNot) {
  for (int status : {400, 401, 403, 404, 405, 409, 411, 412, 416}) {
    EXPECT_FALSE(IsRetryable({.http_status = status})) << status;
  }
  EXPECT_FALSE(
      IsRetryable({.http_status = 403, .s3_code = "SignatureDoesNotMatch"}));
  EXPECT_FALSE(IsRetryable({.http_status = 404, .s3_code = "NoSuchKey"}));
}

// A store without the operation (s3rver's ListMultipartUploads) answers 501
// NotImplemented: permanent, though a 5xx.
TEST(RetryPolicyTest, NotImplementedIsPermanent) {
  EXPECT_FALSE(IsRetryable({.http_status = 501}));
  EXPECT_FALSE(IsRetryable({.http_status = 501, .s3_code = "NotImplemented"}));
  EXPECT_EQ(CodeFor({.http_status = 501, .s3_code = "NotImplemented"}),
            absl::StatusCode::kUnimplemented);
}

TEST(RetryPolicyTest, FinalCodes) {
  EXPECT_EQ(CodeFor({.http_status = 404, .s3_code = "NoSuchKey"}),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CodeFor({.http_status = 416}), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeFor({.http_status = 403, .s3_code = "AccessDenied"}),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeFor({.http_status = 400, .s3_code = "InvalidArgument"}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeFor({.http_status = 503}), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeFor({.transport_error = true}), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeFor({.http_status = 429}), absl::StatusCode::kUnavailable);
}

TEST(RetryPolicyTest, BackoffIsJitteredAndCapped) {
  absl::BitGen gen;
  const absl::Duration min = absl::Milliseconds(100);
  const absl::Duration max = absl::Seconds(2);
  for (int retry = 0; retry < 12; ++retry) {
    absl::Duration cap = min;
    for (int i = 0; i < retry; ++i) cap *= 2;
    if (cap > max) cap = max;
    absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
    for (int i = 0; i < 500; ++i) {
      absl::Duration d = Backoff(retry, min, max, gen);
      ASSERT_GE(d, absl::ZeroDuration());
      ASSERT_LE(d, cap) << "retry " << retry;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Jittered: 500 draws spread over most of [0, cap].
    EXPECT_LT(lo, cap / 4) << "retry " << retry;
    EXPECT_GT(hi, cap * 3 / 4) << "retry " << retry;
  }
  EXPECT_EQ(Backoff(3, absl::ZeroDuration(), max, gen), absl::ZeroDuration());
}

}  // namespace
}  // namespace andante::s3
