#include "backend/s3/retry_policy.h"

#include <algorithm>

namespace andante::s3 {

bool IsRetryable(const Attempt& a) {
  if (a.transport_error) return true;
  // 501: the store lacks the operation; asking again will not help.
  if (a.http_status == 501 || a.s3_code == "NotImplemented") return false;
  if (a.http_status >= 500 || a.http_status == 429) return true;
  // Some stores throttle or time out with a 400/403 status and one of these
  // codes in the body.
  return a.s3_code == "SlowDown" || a.s3_code == "RequestTimeout" ||
         a.s3_code == "RequestTimeTooSkewed" || a.s3_code == "InternalError" ||
         a.s3_code == "ServiceUnavailable" || a.s3_code == "Throttling" ||
         a.s3_code == "ThrottlingException" || a.s3_code == "RequestThrottled";
}

absl::StatusCode CodeFor(const Attempt& a) {
  if (IsRetryable(a)) return absl::StatusCode::kUnavailable;
  if (a.http_status == 501 || a.s3_code == "NotImplemented") {
    return absl::StatusCode::kUnimplemented;
  }
  switch (a.http_status) {
    case 404:
      return absl::StatusCode::kNotFound;
    case 416:
      return absl::StatusCode::kOutOfRange;
    case 401:
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 400:
    case 411:
    case 413:
      return absl::StatusCode::kInvalidArgument;
    case 409:
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Duration Backoff(int retry, absl::Duration min_backoff,
                       absl::Duration max_backoff, absl::BitGenRef gen) {
  absl::Duration cap = min_backoff;
  for (int i = 0; i < retry && cap < max_backoff; ++i) cap *= 2;
  cap = std::min(cap, max_backoff);
  const int64_t us = absl::ToInt64Microseconds(cap);
  if (us <= 0) return absl::ZeroDuration();
  return absl::Microseconds(
      absl::Uniform<int64_t>(absl::IntervalClosedClosed, gen, int64_t{0}, us));
}

}  // namespace andante::s3
