// The file-system seam under the WAL. Wal and ReplayWal do all their I/O
// through a WalFileSystem so tests can substitute one that fails writes or
// fsyncs, or forgets unsynced bytes to simulate power loss (see
// tests/wal/wal_test.cc). WalFileSystem::Default() is plain POSIX:
// open/pwritev/pread/fsync/unlink/rmdir.
//
// Errors are absl::Status values whose code follows errno
// (absl::ErrnoToStatus): ENOENT -> NOT_FOUND, ENOSPC -> RESOURCE_EXHAUSTED,
// and so on, with the path in the message.
#ifndef ANDANTE_WAL_WAL_FILE_H_
#define ANDANTE_WAL_WAL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace andante::internal {

// One open file, read and written at explicit offsets. Thread-safe: positional
// reads and writes may run concurrently with each other and with Sync. The
// destructor closes the file.
class WalFile {
 public:
  WalFile() = default;
  WalFile(const WalFile&) = delete;
  WalFile& operator=(const WalFile&) = delete;
  virtual ~WalFile() = default;

  // Writes `a` then `b` contiguously at `offset`, retrying short writes.
  // On error the bytes in [offset, offset + a.size() + b.size()) are
  // unspecified. REQUIRES: the file was opened by CreateFile.
  virtual absl::Status WriteAt(uint64_t offset, std::string_view a,
                               std::string_view b) = 0;

  // Reads up to `n` bytes at `offset` into `scratch` and returns how many
  // were read; fewer than `n` only at end of file.
  // REQUIRES: `scratch` has room for `n` bytes.
  virtual absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n,
                                        char* scratch) const = 0;

  // Makes everything written so far durable (fsync).
  virtual absl::Status Sync() = 0;

  // Current size of the file in bytes.
  virtual absl::StatusOr<uint64_t> Size() const = 0;
};

// Directory and file operations. Implementations are thread-safe.
class WalFileSystem {
 public:
  WalFileSystem() = default;
  WalFileSystem(const WalFileSystem&) = delete;
  WalFileSystem& operator=(const WalFileSystem&) = delete;
  virtual ~WalFileSystem() = default;

  // The POSIX file system. Never null; lives for the whole program.
  static WalFileSystem* Default();

  // Creates `dir` and any missing parents; OK if it already exists.
  virtual absl::Status CreateDirs(const std::string& dir) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..", in no
  // particular order. NOT_FOUND if `dir` does not exist.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) = 0;
  // Creates a new file for reading and writing; ALREADY_EXISTS if `path`
  // exists.
  virtual absl::StatusOr<std::unique_ptr<WalFile>> CreateFile(
      const std::string& path) = 0;
  // Opens an existing file read-only.
  virtual absl::StatusOr<std::unique_ptr<WalFile>> OpenFile(
      const std::string& path) = 0;
  // Opens an existing file for reading and writing (a Wal reopening its
  // current segment after the shared file cache closed it).
  virtual absl::StatusOr<std::unique_ptr<WalFile>> OpenFileForWrite(
      const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  // Removes `dir` if it is empty; FAILED_PRECONDITION (ENOTEMPTY) if not.
  virtual absl::Status DeleteDir(const std::string& dir) = 0;
  // fsyncs the directory itself, so created and deleted entries are durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

}  // namespace andante::internal

#endif  // ANDANTE_WAL_WAL_FILE_H_
