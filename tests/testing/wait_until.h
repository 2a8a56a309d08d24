// Polls a condition until it holds or a timeout passes, for tests of
// background threads.
#ifndef ANDANTE_TESTS_TESTING_WAIT_UNTIL_H_
#define ANDANTE_TESTS_TESTING_WAIT_UNTIL_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace andante::testing {

// True as soon as done() is; false if it still is not after `timeout`.
inline bool WaitUntil(absl::Duration timeout,
                      const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_WAIT_UNTIL_H_
