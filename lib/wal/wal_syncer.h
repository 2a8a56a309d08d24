// A fixed pool of threads that fsyncs, under WalFsync::kInterval, every Wal
// written to since the last round. Shared by all the Wals of a process (one
// per tenant) so the thread count does not grow with the tenant count.
//
// A Wal with unsynced records schedules itself once (Schedule); every
// `interval` the scheduled Wals become due and the pool's threads call
// Wal::SyncScheduled on each. A Wal's Close cancels it (Cancel waits for a
// sync of it already running).
//
//   WalSyncer syncer(absl::Milliseconds(100), /*threads=*/2);
//   WalShared shared{.syncer = &syncer, ...};
//   Wal::Open(options, dir, shared);  // no thread of its own
#ifndef ANDANTE_WAL_WAL_SYNCER_H_
#define ANDANTE_WAL_WAL_SYNCER_H_

#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace andante::internal {

class Wal;

// Thread-safe. REQUIRES: every Wal using it is closed before it is
// destroyed.
class WalSyncer {
 public:
  // Starts `threads` (at least 1) threads fsyncing every `interval`.
  // REQUIRES: interval > 0.
  WalSyncer(absl::Duration interval, int threads);
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;
  ~WalSyncer();  // stops and joins the threads

  // Queues `wal` for the next round (a no-op if already queued).
  void Schedule(Wal* wal) ABSL_LOCKS_EXCLUDED(mu_);
  // Unqueues `wal` and waits for a sync of it in progress to end. After it
  // returns the syncer never touches `wal` again unless scheduled again.
  // REQUIRES: the caller holds none of `wal`'s locks.
  void Cancel(Wal* wal) ABSL_LOCKS_EXCLUDED(mu_);
  // Syncs every scheduled Wal now, on all threads at once, and returns when
  // none is left (a shutdown calls it so that closing each Wal afterwards
  // finds nothing to fsync, instead of fsyncing them one after another).
  void Drain() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Duration interval() const { return interval_; }
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_round_ ABSL_GUARDED_BY(mu_);
  // Written since the last round; due at next_round_.
  absl::flat_hash_set<Wal*> pending_ ABSL_GUARDED_BY(mu_);
  // Due now, waiting for a thread.
  absl::flat_hash_set<Wal*> due_ ABSL_GUARDED_BY(mu_);
  // Being synced by some thread (a Wal is synced by one thread at a time).
  absl::flat_hash_set<Wal*> running_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace andante::internal

#endif  // ANDANTE_WAL_WAL_SYNCER_H_
