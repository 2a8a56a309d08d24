// Backend over an in-process ordered map, for tests and embedding. Keys are
// validated exactly as the local backend validates them so a test against
// memory catches what production would reject. Directories are implicit: a
// prefix exists while some key lies under it.

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

class MemoryBackend final : public Backend {
 public:
  MemoryBackend() = default;
  MemoryBackend(const MemoryBackend&) = delete;
  MemoryBackend& operator=(const MemoryBackend&) = delete;

  absl::StatusOr<std::string> Read(std::string_view key) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<const std::string*> data = Find(key);
    if (!data.ok()) return data.status();
    return **data;
  }

  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<const std::string*> found = Find(key);
    if (!found.ok()) return found.status();
    const std::string& data = **found;
    if (offset > data.size() || length > data.size() - offset) {
      return absl::OutOfRangeError(absl::StrCat(
          "range [", offset, ", +", length, ") is past the end of ",
          ToAbsl(key), " (", data.size(), " bytes)"));
    }
    return data.substr(offset, length);
  }

  absl::Status Write(std::string_view key, std::string_view data) override {
    absl::Status s = internal::ValidateObjectKey(key);
    if (!s.ok()) return s;
    // Copy outside the lock; the swap under it is what readers observe.
    std::string copy(data);
    absl::MutexLock lock(&mu_);
    objects_[std::string(key)].swap(copy);
    return absl::OkStatus();
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
  absl::StatusOr<const std::string*> Find(std::string_view key)
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
  std::map<std::string, std::string, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Backend> OpenMemoryBackend() {
  return std::make_unique<MemoryBackend>();
}

}  // namespace andante
