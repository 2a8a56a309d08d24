#include "wal/wal_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"

namespace andante::internal {
namespace {

absl::Status PosixError(int err, std::string_view op, const std::string& path) {
  return absl::ErrnoToStatus(err, absl::StrCat(std::string(op), " ", path));
}

class PosixWalFile final : public WalFile {
 public:
  PosixWalFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWalFile() override { ::close(fd_); }

  absl::Status WriteAt(uint64_t offset, std::string_view a,
                       std::string_view b) override {
    // One pwritev for header + payload: no copy of the payload, and one
    // syscall per record.
    iovec iov[2] = {{const_cast<char*>(a.data()), a.size()},
                    {const_cast<char*>(b.data()), b.size()}};
    int iovcnt = 2;
    iovec* cur = iov;
    off_t pos = static_cast<off_t>(offset);
    while (iovcnt > 0) {
      ssize_t n = ::pwritev(fd_, cur, iovcnt, pos);
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(errno, "pwritev", path_);
      }
      pos += n;
      size_t left = static_cast<size_t>(n);
      while (iovcnt > 0 && left >= cur->iov_len) {
        left -= cur->iov_len;
        ++cur;
        --iovcnt;
      }
      if (iovcnt > 0) {
        cur->iov_base = static_cast<char*>(cur->iov_base) + left;
        cur->iov_len -= left;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n,
                                char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done,
                          static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(errno, "pread", path_);
      }
      if (r == 0) break;  // end of file: the caller decides if short is bad
      done += static_cast<size_t>(r);
    }
    return done;
  }

  // fdatasync, not fsync: it still flushes the file size (needed to read the
  // data back) and skips timestamps.
  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError(errno, "fdatasync", path_);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return PosixError(errno, "fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  const int fd_;
  const std::string path_;
};

class PosixWalFileSystem final : public WalFileSystem {
 public:
  absl::Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return absl::InvalidArgumentError("empty WAL directory");
    // mkdir -p: create each prefix ending at a '/', then `dir` itself.
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i < dir.size() && dir[i] != '/') continue;
      std::string prefix = dir.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return PosixError(errno, "mkdir", prefix);
      }
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return PosixError(errno, "stat", dir);
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("not a directory: ", dir));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError(errno, "opendir", dir);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError(err, "readdir", dir);
    return names;
  }

  absl::StatusOr<std::unique_ptr<WalFile>> CreateFile(
      const std::string& path) override {
    // O_EXCL: a segment is written by exactly one Wal, from its first byte.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(errno, "create", path);
    return std::make_unique<PosixWalFile>(fd, path);
  }

  absl::StatusOr<std::unique_ptr<WalFile>> OpenFile(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(errno, "open", path);
    return std::make_unique<PosixWalFile>(fd, path);
  }

  absl::StatusOr<std::unique_ptr<WalFile>> OpenFileForWrite(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return PosixError(errno, "open", path);
    return std::make_unique<PosixWalFile>(fd, path);
  }

  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(errno, "stat", path);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(errno, "unlink", path);
    return absl::OkStatus();
  }

  absl::Status DeleteDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError(errno, "rmdir", dir);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(errno, "open", dir);
    absl::Status status;
    if (::fsync(fd) != 0) status = PosixError(errno, "fsync", dir);
    ::close(fd);
    return status;
  }
};

}  // namespace

WalFileSystem* WalFileSystem::Default() {
  static WalFileSystem* const fs = new PosixWalFileSystem();
  return fs;
}

}  // namespace andante::internal
