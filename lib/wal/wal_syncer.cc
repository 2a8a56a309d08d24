#include "wal/wal_syncer.h"

#include <algorithm>

#include "wal/wal.h"

namespace andante::internal {

WalSyncer::WalSyncer(absl::Duration interval, int threads)
    : interval_(interval) {
  {
    absl::MutexLock lock(&mu_);
    next_round_ = absl::Now() + interval_;
  }
  for (int i = 0; i < std::max(threads, 1); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

WalSyncer::~WalSyncer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void WalSyncer::Schedule(Wal* wal) {
  absl::MutexLock lock(&mu_);
  pending_.insert(wal);
}

void WalSyncer::Cancel(Wal* wal) {
  absl::MutexLock lock(&mu_);
  pending_.erase(wal);
  due_.erase(wal);
  auto not_running = [this, wal]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !running_.contains(wal);
  };
  mu_.Await(absl::Condition(&not_running));
}

void WalSyncer::Drain() {
  absl::MutexLock lock(&mu_);
  for (Wal* wal : pending_) {
    if (!running_.contains(wal)) due_.insert(wal);
  }
  absl::erase_if(pending_, [this](Wal* wal) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return due_.contains(wal);
  });
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return due_.empty() && running_.empty();
  };
  mu_.Await(absl::Condition(&done));
}

void WalSyncer::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    if (!due_.empty()) {
      Wal* wal = *due_.begin();
      due_.erase(due_.begin());
      running_.insert(wal);
      mu_.Unlock();
      // Errors are sticky in the Wal and reported by its next Append.
      wal->SyncScheduled();
      mu_.Lock();
      running_.erase(wal);
      continue;
    }
    const absl::Time now = absl::Now();
    if (now >= next_round_) {
      // Wals still running from the last round (a slow fsync) stay pending
      // for the next one rather than being synced twice at once.
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (running_.contains(*it)) {
          ++it;
        } else {
          due_.insert(*it);
          pending_.erase(it++);
        }
      }
      next_round_ = now + interval_;
      continue;
    }
    auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || !due_.empty();
    };
    mu_.AwaitWithDeadline(absl::Condition(&wake), next_round_);
  }
}

}  // namespace andante::internal
