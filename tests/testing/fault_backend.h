// A Backend wrapper that injects failures, for tests of code that must
// survive object-store trouble: writes failing (whole, or mid-stream after
// some bytes, like a multipart upload dying), reads failing, objects that a
// LIST shows but a GET no longer finds, and bursts that heal after N calls.
// It also counts requests by operation. Everything else (AbortIncompleteWrites)
// is forwarded to the wrapped backend unchanged.
//
//   auto faults = std::make_shared<FaultBackend>(OpenMemoryBackend());
//   faults->FailWrites("meta.compacted.json");        // every such write
//   faults->FailReads("/data", 2);                     // the next two only
//   faults->Hide("index.json.zst");                    // GET says NOT_FOUND
//
// A rule matches keys containing its substring. Thread-safe.
#ifndef ANDANTE_TESTS_TESTING_FAULT_BACKEND_H_
#define ANDANTE_TESTS_TESTING_FAULT_BACKEND_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "tests/testing/forwarding_backend.h"

namespace andante::testing {

class FaultBackend : public ForwardingBackend {
 public:
  explicit FaultBackend(std::shared_ptr<Backend> base)
      : ForwardingBackend(std::move(base)) {}

  // Writes (Write and writer Close) of matching keys fail with UNAVAILABLE,
  // `times` times (-1: always); the object is not written.
  void FailWrites(std::string substring, int times = -1) {
    absl::MutexLock lock(&mu_);
    write_rules_.push_back({std::move(substring), times, 0});
  }
  // Streamed writes of matching keys fail at the Append that would take the
  // object past `bytes`; nothing becomes visible (an aborted upload).
  void FailWriterAfter(std::string substring, uint64_t bytes, int times = -1) {
    absl::MutexLock lock(&mu_);
    writer_rules_.push_back({std::move(substring), times, bytes});
  }
  // Read and ReadRange of matching keys fail with UNAVAILABLE.
  void FailReads(std::string substring, int times = -1) {
    absl::MutexLock lock(&mu_);
    read_rules_.push_back({std::move(substring), times, 0});
  }
  // Read and ReadRange of matching keys answer NOT_FOUND although the object
  // exists and List shows it: deleted between a LIST and a GET.
  void Hide(std::string substring) {
    absl::MutexLock lock(&mu_);
    hidden_.push_back(std::move(substring));
  }
  // List fails with UNAVAILABLE `times` times (-1: always): the bucket
  // cannot be reached.
  void FailLists(int times = -1) {
    absl::MutexLock lock(&mu_);
    list_failures_ = times;
  }
  // Read and ReadRange of matching keys block until ReleaseReads (or
  // ClearFaults): a request that hangs.
  void HoldReads(std::string substring) {
    absl::MutexLock lock(&mu_);
    held_.push_back(std::move(substring));
  }
  void ReleaseReads() {
    absl::MutexLock lock(&mu_);
    held_.clear();
  }
  // Reads blocked by HoldReads right now.
  int held_reads() const {
    absl::MutexLock lock(&mu_);
    return reads_held_;
  }
  void ClearFaults() {
    absl::MutexLock lock(&mu_);
    held_.clear();
    list_failures_ = 0;
    write_rules_.clear();
    writer_rules_.clear();
    read_rules_.clear();
    hidden_.clear();
  }

  struct Counts {
    uint64_t reads = 0, writes = 0, lists = 0, deletes = 0;
  };
  Counts counts() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }
  void ResetCounts() {
    absl::MutexLock lock(&mu_);
    counts_ = Counts();
  }

  absl::StatusOr<std::string> Read(std::string_view key) override {
    if (absl::Status s = BeforeRead(key); !s.ok()) return s;
    return ForwardingBackend::Read(key);
  }
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    if (absl::Status s = BeforeRead(key); !s.ok()) return s;
    return ForwardingBackend::ReadRange(key, offset, length);
  }
  absl::Status Write(std::string_view key, std::string_view data) override {
    {
      absl::MutexLock lock(&mu_);
      ++counts_.writes;
      if (Take(write_rules_, key)) return Injected("write", key);
    }
    return ForwardingBackend::Write(key, data);
  }
  absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) override {
    {
      absl::MutexLock lock(&mu_);
      ++counts_.lists;
      if (list_failures_ != 0) {
        if (list_failures_ > 0) --list_failures_;
        return Injected("list", prefix);
      }
    }
    return ForwardingBackend::List(prefix);
  }
  absl::Status Delete(std::string_view key) override {
    {
      absl::MutexLock lock(&mu_);
      ++counts_.deletes;
    }
    return ForwardingBackend::Delete(key);
  }
  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(
      std::string_view key) override {
    uint64_t fail_after = UINT64_MAX;
    bool fail_close = false;
    {
      absl::MutexLock lock(&mu_);
      ++counts_.writes;
      for (Rule& r : writer_rules_) {
        if (Matches(r, key)) {
          fail_after = r.bytes;
          break;
        }
      }
      if (fail_after != UINT64_MAX) Take(writer_rules_, key);
      fail_close = Take(write_rules_, key);
    }
    absl::StatusOr<std::unique_ptr<ObjectWriter>> base =
        this->base().NewWriter(key);
    if (!base.ok()) return base.status();
    return std::unique_ptr<ObjectWriter>(
        new Writer(*std::move(base), std::string(key), fail_after, fail_close));
  }

 private:
  struct Rule {
    std::string substring;
    int times;  // -1: unlimited
    uint64_t bytes;
  };

  class Writer : public ObjectWriter {
   public:
    Writer(std::unique_ptr<ObjectWriter> base, std::string key,
           uint64_t fail_after, bool fail_close)
        : base_(std::move(base)),
          key_(std::move(key)),
          fail_after_(fail_after),
          fail_close_(fail_close) {}
    absl::Status Append(std::string_view data) override {
      written_ += data.size();
      if (written_ > fail_after_) {
        failed_ = true;
        return Injected("upload", key_);
      }
      return base_->Append(data);
    }
    absl::Status Close() override {
      if (failed_ || fail_close_) return Injected("upload", key_);
      return base_->Close();
    }

   private:
    std::unique_ptr<ObjectWriter> base_;
    std::string key_;
    uint64_t fail_after_;
    bool fail_close_;
    uint64_t written_ = 0;
    bool failed_ = false;
  };

  static absl::Status Injected(std::string_view op, std::string_view key) {
    return absl::UnavailableError(absl::StrCat("injected ", std::string(op),
                                               " failure: ", std::string(key)));
  }
  static bool Matches(const Rule& r, std::string_view key) {
    return r.times != 0 && absl::StrContains(std::string(key), r.substring);
  }
  // Consumes one use of the first rule matching `key`.
  static bool Take(std::vector<Rule>& rules, std::string_view key) {
    for (Rule& r : rules) {
      if (Matches(r, key)) {
        if (r.times > 0) --r.times;
        return true;
      }
    }
    return false;
  }

  absl::Status BeforeRead(std::string_view key) {
    absl::MutexLock lock(&mu_);
    ++counts_.reads;
    for (const std::string& h : hidden_) {
      if (absl::StrContains(std::string(key), h)) {
        return absl::NotFoundError(
            absl::StrCat("injected: ", std::string(key), " vanished"));
      }
    }
    if (Take(read_rules_, key)) return Injected("read", key);
    const std::string k(key);
    auto held = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::any_of(held_.begin(), held_.end(), [&](const std::string& h) {
        return absl::StrContains(k, h);
      });
    };
    if (held()) {
      ++reads_held_;
      mu_.Await(absl::Condition(
          +[](std::vector<std::string>* h) { return h->empty(); }, &held_));
      --reads_held_;
    }
    return absl::OkStatus();
  }

  mutable absl::Mutex mu_;
  std::vector<Rule> write_rules_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> writer_rules_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> read_rules_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> hidden_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> held_ ABSL_GUARDED_BY(mu_);
  int reads_held_ ABSL_GUARDED_BY(mu_) = 0;
  Counts counts_ ABSL_GUARDED_BY(mu_);
  int list_failures_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_FAULT_BACKEND_H_
