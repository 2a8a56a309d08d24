// The memory backend's own behaviour. The contract it shares with the other
// backends is in backend_conformance_test.cc.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

using Names = std::vector<std::string>;

// Directories are only key prefixes here, so unlike the local backend (its
// DirectoryIsNotAnObject) a name may be an object and a prefix at once.
TEST(MemoryBackendTest, ObjectMayShareItsNameWithAPrefix) {
  std::unique_ptr<Backend> backend = OpenMemoryBackend();
  ASSERT_TRUE(backend->Write("t/b/data", "x").ok());
  EXPECT_TRUE(absl::IsNotFound(backend->Read("t/b").status()));
  EXPECT_TRUE(backend->Delete("t/b").ok());  // no object there: absent is fine
  ASSERT_TRUE(backend->Write("t/b", "y").ok());
  EXPECT_EQ(*backend->Read("t/b"), "y");
  EXPECT_EQ(*backend->Read("t/b/data"), "x");
  EXPECT_EQ(*backend->List("t"), Names({"b"}));
}

// A streamed object is held in the chunks its writer filled: every range,
// across chunk boundaries too, reads back as what was appended.
TEST(MemoryBackendTest, StreamedObjectReadsBackAcrossItsChunks) {
  std::unique_ptr<Backend> backend = OpenMemoryBackend();
  auto writer = backend->NewWriter("t/b/data");
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::mt19937 rng(7);
  std::string expected;
  // Appends of 0 B to 300 KB, so chunks fill, overflow and grow.
  for (int i = 0; i < 60; ++i) {
    const size_t n = i % 7 == 0 ? 0 : rng() % (i < 30 ? 3000 : 300'000);
    std::string part(n, '\0');
    for (char& c : part) c = static_cast<char>(rng());
    ASSERT_TRUE((*writer)->Append(part).ok());
    expected += part;
  }
  EXPECT_TRUE(absl::IsNotFound(backend->Read("t/b/data").status()));
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*writer)->Append("x")));
  ASSERT_EQ(*backend->Read("t/b/data"), expected);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t offset = rng() % (expected.size() + 1);
    const uint64_t length = rng() % (expected.size() - offset + 1) % 500'000;
    ASSERT_EQ(*backend->ReadRange("t/b/data", offset, length),
              expected.substr(offset, length))
        << offset << " +" << length;
  }
  EXPECT_EQ(*backend->ReadRange("t/b/data", expected.size(), 0), "");
  EXPECT_TRUE(absl::IsOutOfRange(
      backend->ReadRange("t/b/data", expected.size(), 1).status()));
  // Overwritten whole by a plain Write.
  ASSERT_TRUE(backend->Write("t/b/data", "short").ok());
  EXPECT_EQ(*backend->ReadRange("t/b/data", 1, 3), "hor");
}

// A writer for a key the backend rejects fails at once, as Write does.
TEST(MemoryBackendTest, WriterRejectsBadKeys) {
  std::unique_ptr<Backend> backend = OpenMemoryBackend();
  EXPECT_TRUE(absl::IsInvalidArgument(backend->NewWriter("../x").status()));
}

}  // namespace
}  // namespace andante
