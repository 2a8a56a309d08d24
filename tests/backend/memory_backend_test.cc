// The memory backend's own behaviour. The contract it shares with the other
// backends is in backend_conformance_test.cc.
#include <memory>
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

}  // namespace
}  // namespace andante
