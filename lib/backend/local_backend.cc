// Backend over a local directory: each key is a file under the root, each
// '/'-separated segment but the last a directory.
//
// Durability: an object is written to a temporary file in <root>/~andante-tmp,
// fsynced, renamed over its key and the key's directory fsynced, so a crash
// leaves either the old object or the new one. Directories created on the
// way are fsynced into their parents. Deletes fsync the directory too: a block
// deletes meta.json first, and that must not be reordered after the deletes
// of its data objects.
//
// Concurrency: no state is shared between calls except the temp-name counter.
// Delete removes directories that became empty, which can race with a Write
// creating a file in the same directory; Write then sees ENOENT and recreates
// the directory.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante {
namespace internal {

// The directory under the root holding in-flight writes. It is hidden from
// List and reserved as a key segment. Its name starts with a character no
// tenant ID may contain (andante/tenant.h), so no tenant can collide with it
// (".andante-tmp", its name before, was a valid tenant ID).
inline constexpr std::string_view kLocalTempDir = "~andante-tmp";

// Checks that `key` is a well-formed object key: non-empty '/'-separated
// segments, none "." or "..", no NUL, no leading or trailing '/', and not
// inside the reserved temp directory. Shared with memory_backend.cc so both
// backends accept exactly the same keys.
absl::Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("object key is empty");
  if (key.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("object key contains a NUL byte");
  }
  if (key.front() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("object key \"", ToAbsl(key), "\" starts with '/'"));
  }
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                        : end - start);
    if (segment.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "object key \"", ToAbsl(key), "\" has an empty path segment"));
    }
    if (segment == "." || segment == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("object key \"", ToAbsl(key), "\" contains a '",
                       ToAbsl(segment), "' segment"));
    }
    if (start == 0 && segment == kLocalTempDir) {
      return absl::InvalidArgumentError(
          absl::StrCat("object key \"", ToAbsl(key),
                       "\" uses the reserved name ", ToAbsl(kLocalTempDir)));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return absl::OkStatus();
}

// A List prefix is "" (the top level) or a key, optionally with one
// trailing '/'. Returns the prefix without the slash.
absl::StatusOr<std::string_view> NormalizeListPrefix(std::string_view prefix) {
  if (prefix.empty()) return prefix;
  if (prefix.back() == '/') prefix.remove_suffix(1);
  absl::Status s = ValidateObjectKey(prefix);
  if (!s.ok()) return s;
  return prefix;
}

}  // namespace internal

namespace {

using internal::ToAbsl;

// Stale temp files older than this are removed when a backend is opened; a
// write in flight never takes that long.
constexpr time_t kStaleTempSeconds = 3600;

// How often Write retries after losing a race with a Delete that removed the
// directory it writes into. Each loss means another thread made progress.
constexpr int kMaxDirRaces = 1000;

absl::Status ErrnoStatus(int err, std::string_view op, std::string_view path) {
  return absl::ErrnoToStatus(err, absl::StrCat(ToAbsl(op), " ", ToAbsl(path)));
}

// Closes a file descriptor on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close() returns.
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string_view Dirname(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view()
                                         : path.substr(0, slash);
}

absl::Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open directory", dir);
  ScopedFd closer(fd);
  if (::fsync(fd) != 0) return ErrnoStatus(errno, "fsync directory", dir);
  return absl::OkStatus();
}

// Creates `dir` and any missing parents below `root`, fsyncing each parent
// that gained an entry so the new directory survives a crash.
absl::Status MakeDirs(const std::string& root, const std::string& dir) {
  if (dir.size() <= root.size()) return absl::OkStatus();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " exists and is not a directory"));
  }
  std::string parent(Dirname(dir));
  absl::Status s = MakeDirs(root, parent);
  if (!s.ok()) return s;
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return absl::OkStatus();
    return ErrnoStatus(errno, "mkdir", dir);
  }
  return FsyncDir(parent);
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PreadAll(int fd, char* out, uint64_t length, uint64_t offset,
                      const std::string& path) {
  while (length > 0) {
    ssize_t n = ::pread(fd, out, length, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", path);
    }
    if (n == 0) {
      // The file shrank under us: objects are replaced by rename, never
      // truncated, so this is a foreign writer.
      return absl::DataLossError(absl::StrCat("unexpected end of ", path));
    }
    out += n;
    length -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(std::string root)
      : root_(std::move(root)),
        temp_dir_(absl::StrCat(root_, "/", ToAbsl(internal::kLocalTempDir))) {
    absl::BitGen gen;
    temp_nonce_ = absl::Uniform<uint64_t>(gen);
  }
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  // Creates the root and temp directories and removes stale temp files.
  absl::Status Init() {
    absl::Status s = MakeDirs("", root_);
    if (!s.ok()) return s;
    s = MakeDirs(root_, temp_dir_);
    if (!s.ok()) return s;
    DIR* dir = ::opendir(temp_dir_.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "opendir", temp_dir_);
    time_t now = ::time(nullptr);
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      std::string path = absl::StrCat(temp_dir_, "/", ToAbsl(name));
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 &&
          now - st.st_mtime > kStaleTempSeconds) {
        ::unlink(path.c_str());
      }
    }
    ::closedir(dir);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Read(std::string_view key) override {
    return ReadObject(key, 0, std::nullopt);
  }

  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    return ReadObject(key, offset, length);
  }

  // `length` bytes at `offset`, or everything from `offset` when nullopt.
  absl::StatusOr<std::string> ReadObject(std::string_view key, uint64_t offset,
                                         std::optional<uint64_t> length) {
    absl::Status s = internal::ValidateObjectKey(key);
    if (!s.ok()) return s;
    std::string path = PathOf(key);
    absl::StatusOr<int> fd = OpenObject(path);
    if (!fd.ok()) return fd.status();
    ScopedFd closer(*fd);
    struct stat st;
    if (::fstat(*fd, &st) != 0) return ErrnoStatus(errno, "stat", path);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t n = length.value_or(size - std::min(offset, size));
    if (offset > size || n > size - offset) {
      return absl::OutOfRangeError(absl::StrCat(
          "range [", offset, ", +", n, ") is past the end of ",
          ToAbsl(key), " (", size, " bytes)"));
    }
    std::string out(n, '\0');
    s = PreadAll(*fd, out.data(), n, offset, path);
    if (!s.ok()) return s;
    return out;
  }

  absl::Status Write(std::string_view key, std::string_view data) override {
    absl::StatusOr<std::unique_ptr<ObjectWriter>> writer = NewWriter(key);
    if (!writer.ok()) return writer.status();
    absl::Status s = (*writer)->Append(data);
    if (!s.ok()) return s;
    return (*writer)->Close();
  }

  // Streams into a temporary file; Close fsyncs it and renames it into
  // place, so readers never see a partial object.
  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(
      std::string_view key) override;

  // Creates a fresh temporary file and returns its path and descriptor.
  absl::StatusOr<std::pair<std::string, int>> CreateTemp() {
    std::string temp =
        absl::StrCat(temp_dir_, "/", temp_nonce_, ".",
                     temp_counter_.fetch_add(1, std::memory_order_relaxed));
    int fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
      // Someone removed the temp directory; recreate it once.
      absl::Status s = MakeDirs(root_, temp_dir_);
      if (!s.ok()) return s;
      fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) return ErrnoStatus(errno, "create", temp);
    return std::make_pair(std::move(temp), fd);
  }

  // Renames the fsynced, closed temporary file `temp` to the object `key`
  // (already validated) and fsyncs the directory. Removes `temp` on error.
  absl::Status CommitTemp(const std::string& temp, std::string_view key) {
    std::string path = PathOf(key);
    std::string dir(Dirname(path));
    absl::Status s;
    // A concurrent Delete removes directories once empty, so `dir` or one of
    // its parents may vanish between MakeDirs and rename (or inside
    // MakeDirs). Both then fail with ENOENT and we start over.
    for (int attempt = 0;; ++attempt) {
      s = MakeDirs(root_, dir);
      if (s.ok()) {
        if (::rename(temp.c_str(), path.c_str()) == 0) break;
        s = ErrnoStatus(errno, "rename into", path);
      }
      if (!absl::IsNotFound(s) || attempt == kMaxDirRaces) break;
    }
    if (!s.ok()) {
      ::unlink(temp.c_str());
      return s;
    }
    return FsyncDir(dir);
  }

  absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) override {
    absl::StatusOr<std::string_view> normalized =
        internal::NormalizeListPrefix(prefix);
    if (!normalized.ok()) return normalized.status();
    std::string path = normalized->empty() ? root_ : PathOf(*normalized);
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return names;
      return ErrnoStatus(errno, "opendir", path);
    }
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (normalized->empty() && name == internal::kLocalTempDir) continue;
      names.emplace_back(name);
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return ErrnoStatus(err, "readdir", path);
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::Status Delete(std::string_view key) override {
    absl::Status s = internal::ValidateObjectKey(key);
    if (!s.ok()) return s;
    std::string path = PathOf(key);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
      if (errno == EISDIR) {
        return absl::FailedPreconditionError(
            absl::StrCat(ToAbsl(key), " is a directory, not an object"));
      }
      return ErrnoStatus(errno, "unlink", path);
    }
    std::string dir(Dirname(path));
    s = FsyncDir(dir);
    // A concurrent Delete may already have removed the emptied directory.
    if (absl::IsNotFound(s)) return absl::OkStatus();
    if (!s.ok()) return s;
    // Remove directories left empty, up to (not including) the root, so a
    // deleted block leaves nothing behind. rmdir fails on a non-empty
    // directory, which ends the walk.
    while (dir.size() > root_.size()) {
      if (::rmdir(dir.c_str()) != 0) break;
      dir = std::string(Dirname(dir));
      // Best effort: a lost rmdir leaves an empty directory, which lists as
      // an incomplete block and is cleaned up again.
      (void)FsyncDir(dir);
    }
    return absl::OkStatus();
  }

 private:
  std::string PathOf(std::string_view key) const {
    return absl::StrCat(root_, "/", ToAbsl(key));
  }

  // Opens an existing object read-only. A directory is not an object.
  static absl::StatusOr<int> OpenObject(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return absl::NotFoundError(absl::StrCat("no object at ", path));
      }
      return ErrnoStatus(errno, "open", path);
    }
    struct stat st;
    if (::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
      ::close(fd);
      return absl::NotFoundError(absl::StrCat("no object at ", path));
    }
    return fd;
  }

  const std::string root_;
  const std::string temp_dir_;
  uint64_t temp_nonce_ = 0;
  std::atomic<uint64_t> temp_counter_{0};
};

}  // namespace

namespace {

class LocalObjectWriter final : public ObjectWriter {
 public:
  LocalObjectWriter(LocalBackend& backend, std::string key, std::string temp,
                    int fd)
      : backend_(backend), key_(std::move(key)), temp_(std::move(temp)),
        file_(fd) {}
  ~LocalObjectWriter() override {
    if (!closed_) {
      file_.Close();
      ::unlink(temp_.c_str());
    }
  }

  absl::Status Append(std::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("Append after Close");
    return WriteAll(file_.get(), data, temp_);
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("Close called twice");
    closed_ = true;
    absl::Status s;
    if (::fsync(file_.get()) != 0) s = ErrnoStatus(errno, "fsync", temp_);
    if (file_.Close() != 0 && s.ok()) s = ErrnoStatus(errno, "close", temp_);
    if (!s.ok()) {
      ::unlink(temp_.c_str());
      return s;
    }
    return backend_.CommitTemp(temp_, key_);
  }

 private:
  LocalBackend& backend_;
  const std::string key_;
  const std::string temp_;
  ScopedFd file_;
  bool closed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ObjectWriter>> LocalBackend::NewWriter(
    std::string_view key) {
  absl::Status s = internal::ValidateObjectKey(key);
  if (!s.ok()) return s;
  absl::StatusOr<std::pair<std::string, int>> temp = CreateTemp();
  if (!temp.ok()) return temp.status();
  return std::make_unique<LocalObjectWriter>(*this, std::string(key),
                                             std::move(temp->first),
                                             temp->second);
}

absl::StatusOr<std::unique_ptr<Backend>> OpenLocalBackend(std::string path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("local backend path is empty");
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto backend = std::make_unique<LocalBackend>(std::move(path));
  absl::Status s = backend->Init();
  if (!s.ok()) return s;
  return backend;
}

}  // namespace andante
