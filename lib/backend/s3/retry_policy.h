// Which failed S3 requests are worth repeating, and how long to wait first.
#ifndef ANDANTE_LIB_BACKEND_S3_RETRY_POLICY_H_
#define ANDANTE_LIB_BACKEND_S3_RETRY_POLICY_H_

#include <cstdint>
#include <string_view>

#include "absl/random/bit_gen_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace andante::s3 {

// The outcome of one attempt: a transport failure (no HTTP status) or an
// HTTP status with S3's error code from the body ("" if none).
struct Attempt {
  bool transport_error = false;  // connect/reset/timeout: no response
  int http_status = 0;
  std::string_view s3_code = {};
};

// True for failures that another attempt may cure: transport errors, 5xx,
// 429 and S3's throttling/transient codes (SlowDown, RequestTimeout,
// InternalError, ...). False for every other 4xx, which the same request
// would get again.
bool IsRetryable(const Attempt& attempt);

// The canonical code of a final failure: 404 -> NOT_FOUND, 416 ->
// OUT_OF_RANGE, 401/403 -> PERMISSION_DENIED, 400 -> INVALID_ARGUMENT,
// 409/412 -> FAILED_PRECONDITION, 429 and throttling codes ->
// RESOURCE_EXHAUSTED only when not retried (kept UNAVAILABLE after retries
// so callers treat it as an outage), 5xx/transport -> UNAVAILABLE.
absl::StatusCode CodeFor(const Attempt& attempt);

// Sleep before retry `retry` (0 for the first retry): uniform in
// [0, min(max_backoff, min_backoff * 2^retry)] ("full jitter", so clients
// that failed together do not retry together).
absl::Duration Backoff(int retry, absl::Duration min_backoff,
                       absl::Duration max_backoff, absl::BitGenRef gen);

}  // namespace andante::s3

#endif  // ANDANTE_LIB_BACKEND_S3_RETRY_POLICY_H_
