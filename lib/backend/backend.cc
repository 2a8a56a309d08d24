// Backend's default streaming writer: buffer, then one Write.
#include "andante/backend.h"

namespace andante {
namespace {

class BufferingWriter final : public ObjectWriter {
 public:
  BufferingWriter(Backend& backend, std::string key)
      : backend_(backend), key_(std::move(key)) {}

  absl::Status Append(std::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("Append after Close");
    buffer_.append(data);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("Close called twice");
    closed_ = true;
    absl::Status s = backend_.Write(key_, buffer_);
    std::string().swap(buffer_);
    return s;
  }

 private:
  Backend& backend_;
  const std::string key_;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ObjectWriter>> Backend::NewWriter(
    std::string_view key) {
  return std::make_unique<BufferingWriter>(*this, std::string(key));
}

absl::StatusOr<uint64_t> Backend::AbortIncompleteWrites(
    std::string_view /*prefix*/, absl::Time /*started_before*/) {
  return 0;
}

}  // namespace andante
