#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "andante/backend.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

using Names = std::vector<std::string>;
namespace fs = std::filesystem;

class LocalBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("andante-local-backend-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    backend_ = Open();
  }
  void TearDown() override {
    backend_.reset();
    fs::remove_all(root_);
  }
  std::unique_ptr<Backend> Open() {
    absl::StatusOr<std::unique_ptr<Backend>> b = OpenLocalBackend(root_);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }

  fs::path root_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(LocalBackendTest, WriteThenRead) {
  ASSERT_TRUE(backend_->Write("t/b/data", "hello").ok());
  absl::StatusOr<std::string> got = backend_->Read("t/b/data");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
  ASSERT_TRUE(backend_->Write("t/b/data", "replaced").ok());
  EXPECT_EQ(*backend_->Read("t/b/data"), "replaced");
  ASSERT_TRUE(backend_->Write("t/b/empty", "").ok());
  EXPECT_EQ(*backend_->Read("t/b/empty"), "");
}

TEST_F(LocalBackendTest, ReadMissingIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/nope").status()));
  ASSERT_TRUE(backend_->Write("t/b/x", "1").ok());
  // A "directory" is not an object.
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b").status()));
  EXPECT_TRUE(absl::IsNotFound(backend_->ReadRange("t/b", 0, 0).status()));
}

TEST_F(LocalBackendTest, ReadRange) {
  ASSERT_TRUE(backend_->Write("k", "0123456789").ok());
  EXPECT_EQ(*backend_->ReadRange("k", 0, 10), "0123456789");
  EXPECT_EQ(*backend_->ReadRange("k", 3, 4), "3456");
  EXPECT_EQ(*backend_->ReadRange("k", 10, 0), "");
  EXPECT_TRUE(absl::IsOutOfRange(backend_->ReadRange("k", 8, 3).status()));
  EXPECT_TRUE(absl::IsOutOfRange(backend_->ReadRange("k", 11, 0).status()));
  EXPECT_TRUE(
      absl::IsOutOfRange(backend_->ReadRange("k", 1, UINT64_MAX).status()));
}

TEST_F(LocalBackendTest, ListDirectChildrenSorted) {
  for (const char* key : {"t2/b/meta.json", "t1/b2/data", "t1/b1/data",
                          "t1/b1/meta.json", "t1/b1-x/data", "t1/file"}) {
    ASSERT_TRUE(backend_->Write(key, "x").ok()) << key;
  }
  EXPECT_EQ(*backend_->List(""), Names({"t1", "t2"}));
  EXPECT_EQ(*backend_->List("t1"), Names({"b1", "b1-x", "b2", "file"}));
  EXPECT_EQ(*backend_->List("t1/"), Names({"b1", "b1-x", "b2", "file"}));
  EXPECT_EQ(*backend_->List("t1/b1"), Names({"data", "meta.json"}));
  EXPECT_TRUE((*backend_->List("absent")).empty());
  EXPECT_TRUE((*backend_->List("t1/b")).empty());
}

TEST_F(LocalBackendTest, Delete) {
  ASSERT_TRUE(backend_->Write("t/b/data", "x").ok());
  ASSERT_TRUE(backend_->Write("t/c/data", "x").ok());
  ASSERT_TRUE(backend_->Delete("t/b/data").ok());
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  EXPECT_EQ(*backend_->List("t"), Names({"c"}));
  EXPECT_TRUE(backend_->Delete("t/b/data").ok());  // absent is fine
  EXPECT_TRUE(backend_->Delete("never/was").ok());
}

TEST_F(LocalBackendTest, RejectsBadKeys) {
  for (std::string key :
       {std::string(""), std::string("/t/b"), std::string("t//b"),
        std::string("t/b/"), std::string(".."), std::string("t/../b"),
        std::string("t/./b"), std::string("t/b\0c", 5)}) {
    EXPECT_TRUE(absl::IsInvalidArgument(backend_->Write(key, "x")))
        << "key " << key;
    EXPECT_TRUE(absl::IsInvalidArgument(backend_->Read(key).status()));
    EXPECT_TRUE(
        absl::IsInvalidArgument(backend_->ReadRange(key, 0, 0).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(backend_->Delete(key)));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(backend_->List("/t").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(backend_->List("t/../x").status()));
  // ".." inside a segment is just a name.
  EXPECT_TRUE(backend_->Write("t/a..b", "x").ok());
}

TEST_F(LocalBackendTest, OverwriteIsAtomic) {
  const std::string a(1 << 20, 'a');
  const std::string b(3 << 19, 'b');
  ASSERT_TRUE(backend_->Write("t/obj", a).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        absl::StatusOr<std::string> got = backend_->Read("t/obj");
        if (!got.ok() || (*got != a && *got != b)) ++bad;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(backend_->Write("t/obj", i % 2 ? a : b).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(LocalBackendTest, ConcurrentWritersOfDistinctKeys) {
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        std::string key = "t/w" + std::to_string(w) + "/" + std::to_string(i);
        ASSERT_TRUE(backend_->Write(key, key).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(backend_->List("t")->size(), 4u);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(backend_->List("t/w" + std::to_string(w))->size(), 50u);
  }
  EXPECT_EQ(*backend_->Read("t/w3/49"), "t/w3/49");
}

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
  EXPECT_TRUE(fs::is_directory(root_ / ".andante-tmp"));
  EXPECT_EQ(*backend_->List(""), Names({"t"}));
  EXPECT_TRUE(fs::is_empty(root_ / ".andante-tmp"));
  EXPECT_TRUE(absl::IsInvalidArgument(backend_->Write(".andante-tmp/x", "x")));
  // Only the top-level name is reserved.
  EXPECT_TRUE(backend_->Write("t/.andante-tmp", "x").ok());
}

TEST_F(LocalBackendTest, OpenRemovesStaleTempFiles) {
  fs::path stale = root_ / ".andante-tmp" / "123.4";
  fs::path fresh = root_ / ".andante-tmp" / "123.5";
  std::ofstream(stale) << "partial";
  std::ofstream(fresh) << "in flight";
  struct timeval old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimes(stale.c_str(), old), 0);
  backend_ = Open();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

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


TEST_F(LocalBackendTest, StreamingWriterIsInvisibleUntilClose) {
  auto writer = backend_->NewWriter("t/b/data");
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append("part one, ").ok());
  ASSERT_TRUE((*writer)->Append("part two").ok());
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(*backend_->Read("t/b/data"), "part one, part two");
  EXPECT_TRUE(absl::IsFailedPrecondition((*writer)->Append("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition((*writer)->Close()));
}

TEST_F(LocalBackendTest, AbandonedStreamingWriterLeavesNothing) {
  {
    auto writer = backend_->NewWriter("t/b/data");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("never closed").ok());
  }
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  EXPECT_TRUE(backend_->List("")->empty());
  EXPECT_TRUE(fs::is_empty(root_ / ".andante-tmp"));
  EXPECT_FALSE(backend_->NewWriter("../escape").ok());
}

}  // namespace
}  // namespace andante
