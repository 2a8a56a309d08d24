// An Env is the Store's view of the world outside the data it holds: the
// clock it reads and the way its periodic background work (the sweep that
// moves idle traces out of memory and cuts head blocks, blocklist polls,
// compaction cycles) gets run. It is leveldb's Env, cut down to what the
// store needs. Env::Default() uses the system clock and background threads;
// a program substitutes its own through StoreOptions::env, typically a
// test driving time by hand (andante/testing/manual_env.h):
//
//   andante::testing::ManualEnv env;
//   andante::StoreOptions options;
//   options.env = &env;                  // REQUIRES: env outlives the store
//   auto store = andante::Store::Open(std::move(options));
//   ...                                  // push spans
//   env.AdvanceBy(absl::Seconds(10));    // the sweep runs, on this thread
//
// Work the store does on request (Push, Flush, FindTraceById, ...) runs on
// the caller's thread whatever the Env; so does building the blocks the
// sweep cut, which the store's flusher thread does when the sweep asks.
//
// Thread-safety: implementations must allow every method to be called from
// any thread at once.
#ifndef ANDANTE_ENV_H_
#define ANDANTE_ENV_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace andante {

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env();

  // The process's Env: absl::Now() and one background thread per periodic
  // task. Never deleted; the same object on every call.
  static Env* Default();

  // The current time. The store stamps pushes with it and measures idle
  // periods, block ages and retention against it.
  virtual absl::Time Now() = 0;

  // A scheduled periodic task. Destroying the handle cancels the task: it
  // waits for a call already running to return, and no call starts after.
  // REQUIRES: not destroyed from inside its own task.
  class PeriodicTask {
   public:
    PeriodicTask() = default;
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;
    virtual ~PeriodicTask();
  };

  // Arranges for `task` to run every `period` of this Env's clock, the first
  // time one period from now, until the returned handle is destroyed. Calls
  // of one task never overlap; a call that overruns delays the next rather
  // than stacking them up. Different tasks may run concurrently with each
  // other and with the caller. REQUIRES: period > 0; `task` must not block
  // on the Env's other tasks.
  virtual std::unique_ptr<PeriodicTask> SchedulePeriodic(
      absl::Duration period, absl::AnyInvocable<void()> task) = 0;
};

}  // namespace andante

#endif  // ANDANTE_ENV_H_
