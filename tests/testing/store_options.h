// StoreOptions for tests that drive a Store by hand.
#ifndef ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_
#define ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_

#include <memory>
#include <string>
#include <utility>

#include "andante/backend.h"
#include "andante/store.h"

namespace andante::testing {

// A store with its WAL in `dir`/wal and its blocks in `backend`. Nothing runs
// in the background, nothing is fsynced and nothing is flushed on shutdown,
// so what the store holds follows from the test's own calls (dropping the
// store is a crash after every record reached the kernel).
inline StoreOptions TestStoreOptions(const std::string& dir,
                                     std::shared_ptr<Backend> backend) {
  StoreOptions options;
  options.wal.path = dir + "/wal";
  options.wal.fsync = WalFsync::kNever;
  options.backend = std::move(backend);
  options.background_flush = false;
  options.ingester.flush_all_on_shutdown = false;
  return options;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_STORE_OPTIONS_H_
