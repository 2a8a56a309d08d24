#include <sys/time.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "andante/backend.h"
#include "andante/tenant.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using Names = std::vector<std::string>;
namespace fs = std::filesystem;

// The local backend's own behaviour: objects as files, reopening, its
// temporary directory. The contract it shares with the other backends is in
// backend_conformance_test.cc.
class LocalBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = Open(); }
  std::unique_ptr<Backend> Open() {
    absl::StatusOr<std::unique_ptr<Backend>> b = OpenLocalBackend(root_);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }

  testing::TempDir tmp_{"andante_local_backend_test"};
  // Does not exist until the backend is opened.
  const fs::path root_ = fs::path(tmp_.path()) / "root";
  std::unique_ptr<Backend> backend_;
};

TEST_F(LocalBackendTest, ObjectsAreFilesAndSurviveReopen) {
  ASSERT_TRUE(backend_->Write("t/b/data", "persisted").ok());
  std::ifstream in(root_ / "t" / "b" / "data");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "persisted");
  backend_ = Open();
  EXPECT_EQ(*backend_->Read("t/b/data"), "persisted");
}

TEST_F(LocalBackendTest, DeleteRemovesEmptyParentsButNotRoot) {
  ASSERT_TRUE(backend_->Write("t/b1/data", "x").ok());
  ASSERT_TRUE(backend_->Write("t/b1/meta.json", "x").ok());
  ASSERT_TRUE(backend_->Write("t/b2/data", "x").ok());
  ASSERT_TRUE(backend_->Delete("t/b1/data").ok());
  EXPECT_TRUE(fs::exists(root_ / "t" / "b1"));
  ASSERT_TRUE(backend_->Delete("t/b1/meta.json").ok());
  EXPECT_FALSE(fs::exists(root_ / "t" / "b1"));
  EXPECT_TRUE(fs::exists(root_ / "t" / "b2"));
  ASSERT_TRUE(backend_->Delete("t/b2/data").ok());
  EXPECT_FALSE(fs::exists(root_ / "t"));
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_TRUE((*backend_->List("")).empty());
}

TEST_F(LocalBackendTest, TempDirectoryIsHiddenAndReserved) {
  ASSERT_TRUE(backend_->Write("t/x", "x").ok());
  EXPECT_TRUE(fs::is_directory(root_ / "~andante-tmp"));
  EXPECT_EQ(*backend_->List(""), Names({"t"}));
  EXPECT_TRUE(fs::is_empty(root_ / "~andante-tmp"));
  EXPECT_TRUE(absl::IsInvalidArgument(backend_->Write("~andante-tmp/x", "x")));
  // Only the top-level name is reserved.
  EXPECT_TRUE(backend_->Write("t/~andante-tmp", "x").ok());
}

// The reserved name cannot be a tenant's: ".andante-tmp", the name it had
// before, is a valid tenant ID and must store like any other.
TEST_F(LocalBackendTest, NoValidTenantIdIsTheTempDirectory) {
  EXPECT_FALSE(ValidateTenantId("~andante-tmp").ok());
  ASSERT_TRUE(ValidateTenantId(".andante-tmp").ok());
  ASSERT_TRUE(backend_->Write(".andante-tmp/block/data", "x").ok());
  EXPECT_EQ(*backend_->List(""), Names({".andante-tmp"}));
  EXPECT_EQ(*backend_->Read(".andante-tmp/block/data"), "x");
}

TEST_F(LocalBackendTest, OpenRemovesStaleTempFiles) {
  fs::path stale = root_ / "~andante-tmp" / "123.4";
  fs::path fresh = root_ / "~andante-tmp" / "123.5";
  std::ofstream(stale) << "partial";
  std::ofstream(fresh) << "in flight";
  struct timeval old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimes(stale.c_str(), old), 0);
  backend_ = Open();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

// A name is a file or a directory, never both; the memory backend differs
// (memory_backend_test.cc).
TEST_F(LocalBackendTest, DirectoryIsNotAnObject) {
  ASSERT_TRUE(backend_->Write("t/b/data", "x").ok());
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b").status()));
  EXPECT_FALSE(backend_->Delete("t/b").ok());
  EXPECT_FALSE(backend_->Write("t/b", "x").ok());
  EXPECT_EQ(*backend_->Read("t/b/data"), "x");
}

TEST_F(LocalBackendTest, WriteRacesDeleteOfSiblingInSameDirectory) {
  // Delete removes a directory once empty; a concurrent Write into that
  // directory must still succeed.
  std::atomic<bool> stop{false};
  std::thread deleter([&] {
    while (!stop.load()) {
      absl::Status s = backend_->Write("t/b/other", "x");
      EXPECT_TRUE(s.ok()) << s;
      s = backend_->Delete("t/b/other");
      EXPECT_TRUE(s.ok()) << s;
    }
  });
  for (int i = 0; i < 300; ++i) {
    std::string key = "t/b/k" + std::to_string(i % 2);
    absl::Status s = backend_->Write(key, "v");
    EXPECT_TRUE(s.ok()) << s;
    s = backend_->Delete(key);
    EXPECT_TRUE(s.ok()) << s;
  }
  stop = true;
  deleter.join();
}

TEST_F(LocalBackendTest, AbandonedStreamingWriterLeavesNothing) {
  {
    auto writer = backend_->NewWriter("t/b/data");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("never closed").ok());
  }
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  EXPECT_TRUE(backend_->List("")->empty());
  EXPECT_TRUE(fs::is_empty(root_ / "~andante-tmp"));
  EXPECT_FALSE(backend_->NewWriter("../escape").ok());
}

}  // namespace
}  // namespace andante
