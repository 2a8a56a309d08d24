// The Backend contract (include/andante/backend.h), run against every
// implementation. What only one backend does is tested in its own file.
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "andante/backend.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using Names = std::vector<std::string>;

struct BackendFactory {
  std::string name;
  // Opens a fresh, empty backend; `scratch_dir` is an empty directory the
  // backend may use and that outlives it.
  std::function<std::unique_ptr<Backend>(const std::string& scratch_dir)> open;
  // Sizes of the concurrency tests. Every local write is fsynced, so the
  // local backend runs fewer rounds.
  int overwrite_rounds;
  int writes_per_writer;
};

void PrintTo(const BackendFactory& factory, std::ostream* os) {
  *os << factory.name;
}

std::unique_ptr<Backend> OpenLocalIn(const std::string& scratch_dir) {
  // A root that does not exist yet: opening creates it.
  absl::StatusOr<std::unique_ptr<Backend>> b =
      OpenLocalBackend(scratch_dir + "/root");
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *std::move(b) : nullptr;
}

std::unique_ptr<Backend> OpenMemory(const std::string&) {
  return OpenMemoryBackend();
}

class BackendConformanceTest
    : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam().open(tmp_.path());
    ASSERT_NE(backend_, nullptr);
  }

  testing::TempDir tmp_{"andante_backend_conformance_test"};
  std::unique_ptr<Backend> backend_;
};

TEST_P(BackendConformanceTest, WriteThenRead) {
  ASSERT_TRUE(backend_->Write("t/b/data", "hello").ok());
  absl::StatusOr<std::string> got = backend_->Read("t/b/data");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
  ASSERT_TRUE(backend_->Write("t/b/data", "replaced").ok());
  EXPECT_EQ(*backend_->Read("t/b/data"), "replaced");
  ASSERT_TRUE(backend_->Write("t/b/empty", "").ok());
  EXPECT_EQ(*backend_->Read("t/b/empty"), "");
}

TEST_P(BackendConformanceTest, ReadMissingIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/nope").status()));
  ASSERT_TRUE(backend_->Write("t/b/x", "1").ok());
  // A "directory" is not an object.
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b").status()));
  EXPECT_TRUE(absl::IsNotFound(backend_->ReadRange("t/b", 0, 0).status()));
}

TEST_P(BackendConformanceTest, ReadRange) {
  ASSERT_TRUE(backend_->Write("k", "0123456789").ok());
  EXPECT_EQ(*backend_->ReadRange("k", 0, 10), "0123456789");
  EXPECT_EQ(*backend_->ReadRange("k", 3, 4), "3456");
  EXPECT_EQ(*backend_->ReadRange("k", 10, 0), "");
  EXPECT_TRUE(absl::IsOutOfRange(backend_->ReadRange("k", 8, 3).status()));
  EXPECT_TRUE(absl::IsOutOfRange(backend_->ReadRange("k", 11, 0).status()));
  EXPECT_TRUE(
      absl::IsOutOfRange(backend_->ReadRange("k", 1, UINT64_MAX).status()));
}

TEST_P(BackendConformanceTest, ListDirectChildrenSorted) {
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

TEST_P(BackendConformanceTest, Delete) {
  ASSERT_TRUE(backend_->Write("t/b/data", "x").ok());
  ASSERT_TRUE(backend_->Write("t/c/data", "x").ok());
  ASSERT_TRUE(backend_->Delete("t/b/data").ok());
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  EXPECT_EQ(*backend_->List("t"), Names({"c"}));
  EXPECT_TRUE(backend_->Delete("t/b/data").ok());  // absent is fine
  EXPECT_TRUE(backend_->Delete("never/was").ok());
}

TEST_P(BackendConformanceTest, RejectsBadKeys) {
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

TEST_P(BackendConformanceTest, OverwriteIsAtomic) {
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
  for (int i = 0; i < GetParam().overwrite_rounds; ++i) {
    ASSERT_TRUE(backend_->Write("t/obj", i % 2 ? a : b).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(BackendConformanceTest, ConcurrentWritersOfDistinctKeys) {
  const int n = GetParam().writes_per_writer;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < n; ++i) {
        std::string key = "t/w" + std::to_string(w) + "/" + std::to_string(i);
        ASSERT_TRUE(backend_->Write(key, key).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(backend_->List("t")->size(), 4u);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(backend_->List("t/w" + std::to_string(w))->size(),
              static_cast<size_t>(n));
  }
  const std::string last = "t/w3/" + std::to_string(n - 1);
  EXPECT_EQ(*backend_->Read(last), last);
}

TEST_P(BackendConformanceTest, StreamingWriterIsInvisibleUntilClose) {
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

INSTANTIATE_TEST_SUITE_P(
    Backends, BackendConformanceTest,
    ::testing::Values(BackendFactory{"local", OpenLocalIn,
                                     /*overwrite_rounds=*/50,
                                     /*writes_per_writer=*/50},
                      BackendFactory{"memory", OpenMemory,
                                     /*overwrite_rounds=*/200,
                                     /*writes_per_writer=*/200}),
    [](const ::testing::TestParamInfo<BackendFactory>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace andante
