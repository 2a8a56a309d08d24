// Pushes small requests until the store refuses one, for tests of push
// back (flush backlog, memory bounds).
#ifndef ANDANTE_TESTS_TESTING_PUSH_UNTIL_REFUSED_H_
#define ANDANTE_TESTS_TESTING_PUSH_UNTIL_REFUSED_H_

#include <random>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "andante/ids.h"
#include "andante/store.h"
#include "tests/testing/otlp_builders.h"

namespace andante::testing {

// Pushes MakeRequest(rng, traces, spans_per_trace) to `tenant` every `pause`
// until a push fails or `timeout` passes. Returns the failure (OK if every
// push was accepted); the IDs of the accepted traces are appended to
// `*acked` (if non-null).
inline absl::Status PushUntilRefused(Store& store, std::string_view tenant,
                                     std::mt19937_64& rng, int traces,
                                     int spans_per_trace, absl::Duration pause,
                                     absl::Duration timeout,
                                     std::vector<TraceId>* acked) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::vector<TraceId> ids;
    auto pushed =
        store.Push(tenant, MakeRequest(rng, traces, spans_per_trace, &ids));
    if (!pushed.ok()) return pushed.status();
    if (acked != nullptr) acked->insert(acked->end(), ids.begin(), ids.end());
    absl::SleepFor(pause);
  }
  return absl::OkStatus();
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_PUSH_UNTIL_REFUSED_H_
