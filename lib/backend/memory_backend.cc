// Backend over an in-process ordered map, for tests and embedding. Keys are
// validated exactly as the local backend validates them so a test against
// memory catches what production would reject. Directories are implicit: a
// prefix exists while some key lies under it. An object is held as the
// chunks it was written in: a streaming writer's bytes are copied once, never
// regrown (a block's data object reaches hundreds of megabytes).

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "util/strings.h"

namespace andante {
namespace internal {

// Defined in local_backend.cc; one definition keeps the key rules of both
// backends identical.
absl::Status ValidateObjectKey(std::string_view key);
absl::StatusOr<std::string_view> NormalizeListPrefix(std::string_view prefix);

}  // namespace internal

namespace {

using internal::ToAbsl;

// An object's bytes in chunks; ends[i] is the offset just past chunk i.
struct Chunks {
  std::vector<std::string> chunks;
  std::vector<uint64_t> ends;

  uint64_t size() const { return ends.empty() ? 0 : ends.back(); }

  void Add(std::string chunk) {
    const uint64_t end = size() + chunk.size();
    chunks.push_back(std::move(chunk));
    ends.push_back(end);
  }

  // Bytes [offset, offset + length), which must lie inside the object.
  std::string Copy(uint64_t offset, uint64_t length) const {
    std::string out;
    out.reserve(length);
    size_t i = std::upper_bound(ends.begin(), ends.end(), offset) - ends.begin();
    for (; length > 0; ++i) {
      const uint64_t begin = ends[i] - chunks[i].size();
      const uint64_t from = offset - begin;
      const uint64_t n = std::min<uint64_t>(length, chunks[i].size() - from);
      out.append(chunks[i], from, n);
      offset += n;
      length -= n;
    }
    return out;
  }
};

class MemoryBackend final : public Backend {
 public:
  MemoryBackend() = default;
  MemoryBackend(const MemoryBackend&) = delete;
  MemoryBackend& operator=(const MemoryBackend&) = delete;

  absl::StatusOr<std::string> Read(std::string_view key) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<const Chunks*> data = Find(key);
    if (!data.ok()) return data.status();
    return (*data)->Copy(0, (*data)->size());
  }

  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<const Chunks*> found = Find(key);
    if (!found.ok()) return found.status();
    const Chunks& data = **found;
    if (offset > data.size() || length > data.size() - offset) {
      return absl::OutOfRangeError(absl::StrCat(
          "range [", offset, ", +", length, ") is past the end of ",
          ToAbsl(key), " (", data.size(), " bytes)"));
    }
    return data.Copy(offset, length);
  }

  absl::Status Write(std::string_view key, std::string_view data) override {
    absl::Status s = internal::ValidateObjectKey(key);
    if (!s.ok()) return s;
    Chunks object;
    object.Add(std::string(data));
    Publish(key, std::move(object));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(
      std::string_view key) override;

  // Makes `object` the one at a validated `key`. Built outside the lock; the
  // swap under it is what readers observe.
  void Publish(std::string_view key, Chunks object) {
    absl::MutexLock lock(&mu_);
    std::swap(objects_[std::string(key)], object);
  }

  absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) override {
    absl::StatusOr<std::string_view> normalized =
        internal::NormalizeListPrefix(prefix);
    if (!normalized.ok()) return normalized.status();
    std::string dir = normalized->empty()
                          ? std::string()
                          : absl::StrCat(ToAbsl(*normalized), "/");
    std::vector<std::string> names;
    absl::MutexLock lock(&mu_);
    for (auto it = objects_.lower_bound(dir);
         it != objects_.end() && std::string_view(it->first).starts_with(dir);
         ++it) {
      std::string_view rest = std::string_view(it->first).substr(dir.size());
      std::string_view child = rest.substr(0, rest.find('/'));
      // Keys sharing a child are adjacent except that "a-b" sorts between
      // "a" and "a/x"; checking the last name is enough for objects, and the
      // final sort-unique handles the rest.
      if (names.empty() || names.back() != child) names.emplace_back(child);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  }

  absl::Status Delete(std::string_view key) override {
    absl::Status s = internal::ValidateObjectKey(key);
    if (!s.ok()) return s;
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(key);
    if (it != objects_.end()) objects_.erase(it);
    return absl::OkStatus();
  }

  // The object at a validated `key`.
  absl::StatusOr<const Chunks*> Find(std::string_view key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Status s = internal::ValidateObjectKey(key);
    if (!s.ok()) return s;
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      return absl::NotFoundError(absl::StrCat("no object at ", ToAbsl(key)));
    }
    return &it->second;
  }

 private:
  absl::Mutex mu_;
  // std::less<> allows lookups by string_view without a copy.
  std::map<std::string, Chunks, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
};

// Appends into chunks that are never regrown: a full chunk is followed by a
// new one as large as the object so far (capped), so an object of n bytes is
// copied once and held in O(log n) chunks up to the cap.
class MemoryWriter final : public ObjectWriter {
 public:
  static constexpr uint64_t kMaxChunkBytes = 8 << 20;

  MemoryWriter(MemoryBackend& backend, std::string key)
      : backend_(backend), key_(std::move(key)) {}

  absl::Status Append(std::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("Append after Close");
    if (!object_.chunks.empty()) {
      std::string& last = object_.chunks.back();
      const size_t n = std::min(data.size(), last.capacity() - last.size());
      last.append(data.data(), n);
      object_.ends.back() += n;
      data.remove_prefix(n);
    }
    if (data.empty()) return absl::OkStatus();
    std::string chunk;
    chunk.reserve(std::max<uint64_t>(
        data.size(), std::min(object_.size(), kMaxChunkBytes)));
    chunk.append(data);
    object_.Add(std::move(chunk));
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("Close called twice");
    closed_ = true;
    backend_.Publish(key_, std::move(object_));
    return absl::OkStatus();
  }

 private:
  MemoryBackend& backend_;
  const std::string key_;
  Chunks object_;
  bool closed_ = false;
};

absl::StatusOr<std::unique_ptr<ObjectWriter>> MemoryBackend::NewWriter(
    std::string_view key) {
  // Checked here, as Write checks it, so Close cannot fail.
  if (absl::Status s = internal::ValidateObjectKey(key); !s.ok()) return s;
  return std::make_unique<MemoryWriter>(*this, std::string(key));
}

}  // namespace

std::unique_ptr<Backend> OpenMemoryBackend() {
  return std::make_unique<MemoryBackend>();
}

}  // namespace andante
