// Env::Default(): the system clock and one thread per periodic task.
#include "andante/env.h"

#include <memory>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"

namespace andante {
namespace {

// A thread calling `task` every `period` until the handle goes.
class ThreadTask final : public Env::PeriodicTask {
 public:
  ThreadTask(absl::Duration period, absl::AnyInvocable<void()> task)
      : thread_([this, period, task = std::move(task)]() mutable {
          while (!stop_.WaitForNotificationWithTimeout(period)) task();
        }) {}
  ~ThreadTask() override {
    stop_.Notify();
    thread_.join();
  }

 private:
  absl::Notification stop_;  // before thread_: the thread reads it
  std::thread thread_;
};

class SystemEnv final : public Env {
 public:
  absl::Time Now() override { return absl::Now(); }
  std::unique_ptr<PeriodicTask> SchedulePeriodic(
      absl::Duration period, absl::AnyInvocable<void()> task) override {
    return std::make_unique<ThreadTask>(period, std::move(task));
  }
};

}  // namespace

Env::~Env() = default;
Env::PeriodicTask::~PeriodicTask() = default;

Env* Env::Default() {
  static Env* const env = new SystemEnv;
  return env;
}

}  // namespace andante
