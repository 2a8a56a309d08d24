// Store errors that reach clients name the problem, not the server's paths.
#include "ingest/client_error.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/match.h"
#include "andante/store.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante::internal {
namespace {

TEST(StripPathsTest, ShortensAbsolutePathsToTheirLastComponent) {
  EXPECT_EQ(StripPaths("no object at /var/tempo/blocks/t/b/data"),
            "no object at .../data");
  EXPECT_EQ(StripPaths("open /var/tempo/wal/x: Too many open files"),
            "open .../x: Too many open files");
  EXPECT_EQ(StripPaths("mkdir \"/a/b/c\" failed; rename /d/e to /f/g."),
            "mkdir \".../c\" failed; rename .../e to .../g.");
}

TEST(StripPathsTest, LeavesEverythingElse) {
  for (std::string_view kept :
       {"", "trace ID is 17 bytes", "a/b/c is a key", "ratio 1/2", "/metrics",
        "http://host/x/y", "block t/0b5e/data page 3: checksum mismatch"}) {
    EXPECT_EQ(StripPaths(kept), kept);
  }
}

TEST(ForClientTest, KeepsTheCode) {
  absl::Status s = ForClient(absl::UnavailableError("open /x/y/z: EMFILE"));
  EXPECT_TRUE(absl::IsUnavailable(s));
  EXPECT_EQ(s.message(), "open .../z: EMFILE");
  EXPECT_TRUE(ForClient(absl::OkStatus()).ok());
}

TEST(ClientErrorStoreTest, PushErrorHasNoServerPath) {
  testing::TempDir tmp("andante-client-error");
  auto backend = OpenLocalBackend(tmp.path() + "/blocks");
  ASSERT_TRUE(backend.ok());
  auto store = Store::Open(testing::TestStoreOptions(
      tmp.path(), std::shared_ptr<Backend>(std::move(*backend))));
  ASSERT_TRUE(store.ok()) << store.status();
  // A file where the tenant's WAL directory must go: its creation fails.
  std::filesystem::create_directories(tmp.path() + "/wal");
  { std::ofstream(tmp.path() + "/wal/blocked") << "x"; }
  std::mt19937_64 rng(3);
  auto pushed =
      (*store)->Push("blocked", testing::MakeRequest(rng, 1, 1, nullptr));
  ASSERT_FALSE(pushed.ok());
  EXPECT_FALSE(absl::StrContains(pushed.status().message(), tmp.path()))
      << pushed.status();
  EXPECT_FALSE(pushed.status().message().empty());
}

}  // namespace
}  // namespace andante::internal
