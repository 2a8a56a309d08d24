// A WalFileSystem that forwards every call to another one, so a test file
// system overrides only the calls it fakes or breaks (leveldb's EnvWrapper),
// and a WalFile that does the same for the files it hands out.
#ifndef ANDANTE_TESTS_WAL_WAL_FILE_SYSTEM_WRAPPER_H_
#define ANDANTE_TESTS_WAL_WAL_FILE_SYSTEM_WRAPPER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wal/wal_file.h"

namespace andante::testing {

class WalFileSystemWrapper : public internal::WalFileSystem {
 public:
  // `base` must outlive the wrapper.
  explicit WalFileSystemWrapper(
      internal::WalFileSystem* base = internal::WalFileSystem::Default())
      : base_(base) {}

  absl::Status CreateDirs(const std::string& dir) override {
    return base_->CreateDirs(dir);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    return base_->ListDir(dir);
  }
  absl::StatusOr<std::unique_ptr<internal::WalFile>> CreateFile(
      const std::string& path) override {
    return base_->CreateFile(path);
  }
  absl::StatusOr<std::unique_ptr<internal::WalFile>> OpenFile(
      const std::string& path) override {
    return base_->OpenFile(path);
  }
  absl::StatusOr<std::unique_ptr<internal::WalFile>> OpenFileForWrite(
      const std::string& path) override {
    return base_->OpenFileForWrite(path);
  }
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    return base_->FileSize(path);
  }
  absl::Status DeleteFile(const std::string& path) override {
    return base_->DeleteFile(path);
  }
  absl::Status DeleteDir(const std::string& dir) override {
    return base_->DeleteDir(dir);
  }
  absl::Status SyncDir(const std::string& dir) override {
    return base_->SyncDir(dir);
  }

 protected:
  internal::WalFileSystem* base() const { return base_; }

 private:
  internal::WalFileSystem* const base_;
};

// Forwards every call to the file it owns; a test file overrides what it
// fakes (a slow or failing Sync, a torn write) and calls base() for the rest.
class WalFileWrapper : public internal::WalFile {
 public:
  explicit WalFileWrapper(std::unique_ptr<internal::WalFile> base)
      : base_(std::move(base)) {}

  absl::Status WriteAt(uint64_t offset, std::string_view a,
                       std::string_view b) override {
    return base_->WriteAt(offset, a, b);
  }
  absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n,
                                char* scratch) const override {
    return base_->ReadAt(offset, n, scratch);
  }
  absl::Status Sync() override { return base_->Sync(); }
  absl::StatusOr<uint64_t> Size() const override { return base_->Size(); }

 protected:
  internal::WalFile* base() const { return base_.get(); }

 private:
  const std::unique_ptr<internal::WalFile> base_;
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_WAL_WAL_FILE_SYSTEM_WRAPPER_H_
