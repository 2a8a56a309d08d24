// StoreOptions for tests that drive a Store by hand.
#ifndef ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_
#define ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/store.h"
#include "andante/testing/manual_env.h"

namespace andante::testing {

// An Env whose clock nobody moves: a store opened with it runs none of its
// periodic work (sweep, blocklist poll, compaction). Shared, never deleted.
inline Env* StillEnv() {
  static ManualEnv* const env = new ManualEnv;
  return env;
}

// Polls `done` until it holds or `timeout` passes; returns its last value.
// For work the store does on its own threads (the flusher builds the blocks
// a sweep cut).
inline bool WaitUntil(absl::Duration timeout,
                      const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return done();
}

// A store with its WAL in `dir`/wal and its blocks in `backend`. Nothing runs
// in the background (StillEnv), nothing is fsynced and nothing is flushed on
// shutdown, so what the store holds follows from the test's own calls
// (dropping the store is a crash after every record reached the kernel). A
// test that moves time sets options.env to its own ManualEnv.
inline StoreOptions TestStoreOptions(const std::string& dir,
                                     std::shared_ptr<Backend> backend) {
  StoreOptions options;
  options.wal.path = dir + "/wal";
  options.wal.fsync = WalFsync::kNever;
  options.backend = std::move(backend);
  options.env = StillEnv();
  options.ingester.flush_all_on_shutdown = false;
  return options;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_
