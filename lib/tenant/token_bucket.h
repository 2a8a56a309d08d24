// A token bucket in bytes with Go's rate.Limiter semantics (what Tempo's
// distributor uses for `rate_limit_bytes` / `burst_size_bytes`): it starts
// full, refills at `rate` tokens per second up to `burst`, and AllowN takes
// n tokens at once or none. Rate and burst are passed to every call so a
// limit swapped by an overrides reload applies at the next push.
//
//   TokenBucket bucket;  // guarded by the caller's mutex
//   if (!bucket.AllowN(absl::Now(), request_bytes, rate, burst)) refuse();
//
// Not thread-safe; no allocation.
#ifndef ANDANTE_TENANT_TOKEN_BUCKET_H_
#define ANDANTE_TENANT_TOKEN_BUCKET_H_

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"

namespace andante::internal {

class TokenBucket {
 public:
  // True and n tokens taken if the bucket holds n after refilling to `now`;
  // false (nothing taken) otherwise. n > burst is always refused, as is
  // everything when rate and burst are both zero.
  bool AllowN(absl::Time now, uint64_t n, double rate, double burst) {
    Refill(now, rate, burst);
    const double want = static_cast<double>(n);
    if (want > burst || want > tokens_) return false;
    tokens_ -= want;
    return true;
  }

  // Tokens held after refilling to `now` (for tests).
  double Tokens(absl::Time now, double rate, double burst) {
    Refill(now, rate, burst);
    return tokens_;
  }

 private:
  void Refill(absl::Time now, double rate, double burst) {
    if (!started_) {
      started_ = true;
      tokens_ = burst;
      last_ = now;
      return;
    }
    if (now > last_) {
      tokens_ += absl::ToDoubleSeconds(now - last_) * rate;
      last_ = now;
    }
    // A lowered burst (overrides reload) caps what is held at once.
    tokens_ = std::min(tokens_, burst);
  }

  bool started_ = false;
  double tokens_ = 0;
  absl::Time last_;
};

}  // namespace andante::internal

#endif  // ANDANTE_TENANT_TOKEN_BUCKET_H_
