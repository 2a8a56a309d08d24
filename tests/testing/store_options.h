// StoreOptions for tests that drive a Store by hand.
#ifndef ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_
#define ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_

#include <memory>
#include <string>
#include <utility>

#include "andante/backend.h"
#include "andante/store.h"
#include "andante/testing/manual_env.h"
#include "tests/testing/wait_until.h"  // WaitUntil, for work on the store's threads

namespace andante::testing {

// An Env whose clock nobody moves: a store opened with it runs none of its
// periodic work (sweep, blocklist poll, compaction). Shared, never deleted.
inline Env* StillEnv() {
  static ManualEnv* const env = new ManualEnv;
  return env;
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
