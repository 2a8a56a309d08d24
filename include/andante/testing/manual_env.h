// A hand-driven Env (andante/env.h) for tests: its clock stands still until
// the test moves it, and periodic tasks run only when the test moves it, on
// the test's own thread. A store opened with it does no background work of
// its own accord, so what it holds follows from the test's calls.
//
//   andante::testing::ManualEnv env;
//   andante::StoreOptions options = ...;
//   options.env = &env;
//   auto store = andante::Store::Open(std::move(options));
//   ASSERT_TRUE((*store)->Push("t", batch).ok());
//   // Idle traces move to the head block at the next sweep, which runs
//   // every ingester.flush_check_period (10 s by default):
//   env.AdvanceBy(absl::Seconds(10));
//
// Blocks the sweep cuts are built by the store's flusher thread, which the
// sweep wakes: a test waits for StoreStats::blocks_flushed to grow.
//
// Thread-safety: every method may be called from any thread.
// Lifetime: REQUIRES the env outlives everything that scheduled tasks on it
// (close the store first).
#ifndef ANDANTE_TESTING_MANUAL_ENV_H_
#define ANDANTE_TESTING_MANUAL_ENV_H_

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "andante/env.h"

namespace andante::testing {

class ManualEnv final : public Env {
 public:
  // The clock starts at `start` (by default the real time at construction,
  // so stamps look current).
  explicit ManualEnv(absl::Time start = absl::Now()) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  std::unique_ptr<PeriodicTask> SchedulePeriodic(
      absl::Duration period, absl::AnyInvocable<void()> task) override {
    auto slot = std::make_shared<Slot>();
    slot->period = period;
    slot->task = std::move(task);
    absl::MutexLock lock(&mu_);
    slot->next = now_ + period;
    slots_.push_back(slot);
    return std::make_unique<Handle>(this, std::move(slot));
  }

  // Moves the clock forward by `d` (>= 0), then runs once, on the calling
  // thread and in the order they were scheduled, every task whose next run
  // time has come. A task due several times over `d` runs once, as a timer
  // thread that fell behind would; its next run is one period after the new
  // Now(). To see a task run at each of its periods, advance one period at
  // a time.
  void AdvanceBy(absl::Duration d) {
    std::vector<std::shared_ptr<Slot>> due;
    {
      absl::MutexLock lock(&mu_);
      now_ += std::max(d, absl::ZeroDuration());
      for (const std::shared_ptr<Slot>& slot : slots_) {
        if (slot->next > now_) continue;
        slot->next = now_ + slot->period;
        due.push_back(slot);
      }
    }
    for (const std::shared_ptr<Slot>& slot : due) {
      {
        absl::MutexLock lock(&mu_);
        // Cancelled since, or running on another thread's AdvanceBy.
        if (slot->cancelled || slot->running) continue;
        slot->running = true;
      }
      slot->task();
      absl::MutexLock lock(&mu_);
      slot->running = false;
    }
  }

  // Tasks scheduled and not cancelled.
  size_t scheduled_tasks() {
    absl::MutexLock lock(&mu_);
    return slots_.size();
  }

 private:
  struct Slot {
    absl::Duration period;
    absl::AnyInvocable<void()> task;
    absl::Time next;
    bool cancelled = false;  // guarded by mu_
    bool running = false;    // guarded by mu_
  };

  class Handle final : public PeriodicTask {
   public:
    Handle(ManualEnv* env, std::shared_ptr<Slot> slot)
        : env_(env), slot_(std::move(slot)) {}
    ~Handle() override { env_->Cancel(slot_); }

   private:
    ManualEnv* const env_;
    const std::shared_ptr<Slot> slot_;
  };

  void Cancel(const std::shared_ptr<Slot>& slot) {
    absl::MutexLock lock(&mu_);
    slot->cancelled = true;
    mu_.Await(absl::Condition(
        +[](Slot* s) { return !s->running; }, slot.get()));
    slots_.erase(std::find(slots_.begin(), slots_.end(), slot));
  }

  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTING_MANUAL_ENV_H_
