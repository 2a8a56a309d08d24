// A Backend that passes every call through to another, for test backends
// that change one or two operations (hold writes, sample the heap, count)
// and forward the rest:
//
//   class GatedBackend : public ForwardingBackend {
//    public:
//     GatedBackend() : ForwardingBackend(OpenMemoryBackend()) {}
//     absl::Status Write(std::string_view key, std::string_view data) override {
//       WaitForGate();
//       return ForwardingBackend::Write(key, data);
//     }
//   };
//
// NewWriter is deliberately not forwarded: Backend's default buffers the
// object and calls this object's Write on Close, so a subclass that
// overrides only Write sees streamed objects too. A subclass that wants
// streamed writes to reach `base` as streams overrides NewWriter.
#ifndef ANDANTE_TESTS_TESTING_FORWARDING_BACKEND_H_
#define ANDANTE_TESTS_TESTING_FORWARDING_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"

namespace andante::testing {

class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(std::shared_ptr<Backend> base)
      : base_(std::move(base)) {}

  absl::StatusOr<std::string> Read(std::string_view key) override {
    return base_->Read(key);
  }
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    return base_->ReadRange(key, offset, length);
  }
  absl::Status Write(std::string_view key, std::string_view data) override {
    return base_->Write(key, data);
  }
  absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) override {
    return base_->List(prefix);
  }
  absl::Status Delete(std::string_view key) override {
    return base_->Delete(key);
  }
  absl::StatusOr<uint64_t> AbortIncompleteWrites(
      std::string_view prefix, absl::Time started_before) override {
    return base_->AbortIncompleteWrites(prefix, started_before);
  }

 protected:
  // The backend calls are forwarded to.
  Backend& base() const { return *base_; }

 private:
  std::shared_ptr<Backend> base_;
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_FORWARDING_BACKEND_H_
