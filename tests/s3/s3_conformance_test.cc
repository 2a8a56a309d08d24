// The Backend conformance suite (tests/backend/backend_conformance_test.cc)
// against a real S3 endpoint, plus what only S3 does: multipart uploads,
// their abort, listings of objects beside "directories", prefixes and a
// refused signature.
//
// The endpoint comes from the environment; tests/integration/s3.test.mjs
// starts s3rver and runs this binary with:
//   ANDANTE_S3_ENDPOINT=127.0.0.1:<port>  ANDANTE_S3_BUCKET=<bucket>
//   ANDANTE_S3_REGION=<region>            AWS_ACCESS_KEY_ID /
//   AWS_SECRET_ACCESS_KEY
// Without them every test fails (it is not registered with meson on its
// own). Each test gets a fresh prefix in the bucket, so it starts empty.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "andante/s3.h"
#include "tests/backend/backend_conformance_test.cc"

namespace andante {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

S3Options OptionsFromEnv(const std::string& prefix) {
  S3Options o;
  o.endpoint = Env("ANDANTE_S3_ENDPOINT");
  o.bucket = Env("ANDANTE_S3_BUCKET");
  o.region = Env("ANDANTE_S3_REGION");
  o.insecure = true;
  // ANDANTE_S3_VIRTUAL_HOST=1: <bucket>.<endpoint> URLs (the endpoint must
  // then be a name such as s3.localhost:<port>).
  if (Env("ANDANTE_S3_VIRTUAL_HOST") == "1") {
    o.bucket_lookup = S3BucketLookup::kVirtualHost;
  } else {
    o.forcepathstyle = true;
  }
  if (!Env("ANDANTE_S3_REQUEST_TIMEOUT_MS").empty()) {
    o.request_timeout = absl::Milliseconds(
        std::atoi(Env("ANDANTE_S3_REQUEST_TIMEOUT_MS").c_str()));
    o.min_backoff = absl::Milliseconds(10);
  }
  o.prefix = prefix;
  o.part_size = 5 << 20;  // the S3 minimum, so multipart starts early
  o.list_objects_v1 = Env("ANDANTE_S3_LIST_V1") == "1";
  // s3rver 3.x answers delimiter listings incompletely (see
  // S3Options::list_with_delimiter); its pagination walks directories in
  // readdir order, so pages of a few keys are unreliable there too.
  o.list_with_delimiter = Env("ANDANTE_S3_LIST_WITH_DELIMITER") != "0";
  if (!Env("ANDANTE_S3_LIST_MAX_KEYS").empty()) {
    o.list_max_keys = std::atoi(Env("ANDANTE_S3_LIST_MAX_KEYS").c_str());
  }
  return o;
}

// The scratch dir's unique name ("/tmp/andante_..._test.AbC123") makes a
// fresh prefix.
std::string PrefixFor(const std::string& scratch_dir) {
  return "conformance/" + scratch_dir.substr(scratch_dir.rfind('/') + 1);
}

std::unique_ptr<Backend> OpenS3In(const std::string& scratch_dir) {
  EXPECT_NE(Env("ANDANTE_S3_ENDPOINT"), "")
      << "set ANDANTE_S3_ENDPOINT (tests/integration/s3.test.mjs does)";
  absl::StatusOr<std::unique_ptr<Backend>> b =
      OpenS3Backend(OptionsFromEnv(PrefixFor(scratch_dir)));
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *std::move(b) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    S3, BackendConformanceTest,
    ::testing::Values(BackendFactory{"s3", OpenS3In,
                                     /*overwrite_rounds=*/20,
                                     /*writes_per_writer=*/12}),
    [](const ::testing::TestParamInfo<BackendFactory>& info) {
      return info.param.name;
    });

class S3OnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = OpenS3In(tmp_.path());
    ASSERT_NE(backend_, nullptr);
  }
  testing::TempDir tmp_{"andante_s3_only_test"};
  std::unique_ptr<Backend> backend_;
};

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

TEST_F(S3OnlyTest, MultipartUploadRoundTrips) {
  // 12 MiB in uneven appends: parts of 5, 5 and 2 MiB.
  const std::string data = Pattern(12 << 20, 7);
  auto writer = backend_->NewWriter("t/b/data");
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min<size_t>(data.size() - at, 777'777);
    ASSERT_TRUE((*writer)->Append(std::string_view(data).substr(at, n)).ok());
    at += n;
  }
  // Parts are uploaded but the object is not visible before Close.
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  ASSERT_TRUE((*writer)->Close().ok());
  absl::StatusOr<std::string> got = backend_->Read("t/b/data");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
  // A range across the first part boundary.
  absl::StatusOr<std::string> range =
      backend_->ReadRange("t/b/data", (5 << 20) - 10, 20);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, data.substr((5 << 20) - 10, 20));
}

TEST_F(S3OnlyTest, AbandonedMultipartLeavesNothing) {
  {
    auto writer = backend_->NewWriter("t/b/data");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(Pattern(6 << 20, 3)).ok());  // one part up
  }  // destroyed without Close: aborted
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
  EXPECT_TRUE(backend_->List("t/b")->empty());
}

// A writer killed after its first part (a child process that _exits)
// leaves an upload nothing lists; AbortIncompleteWrites finds it under its
// prefix once it is old enough, and only there.
TEST_F(S3OnlyTest, KilledWriterUploadIsAbortedLater) {
  for (const char* key : {"t/b/data", "tt/b/data"}) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      std::unique_ptr<Backend> b = OpenS3In(tmp_.path());
      auto writer = b->NewWriter(key);
      const bool ok = writer.ok() && (*writer)->Append(Pattern(6 << 20, 5)).ok();
      _exit(ok ? 0 : 1);  // no destructor: no abort
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << key;
  }
  const absl::Time now = absl::Now();
  // Too young: kept (a writer may still be going).
  absl::StatusOr<uint64_t> young =
      backend_->AbortIncompleteWrites("t", now - absl::Hours(1));
  ASSERT_TRUE(young.ok()) << young.status();
  EXPECT_EQ(*young, 0u);
  // Old enough: the upload under t/ goes, the one under tt/ stays.
  absl::StatusOr<uint64_t> aborted =
      backend_->AbortIncompleteWrites("t", now + absl::Minutes(1));
  ASSERT_TRUE(aborted.ok()) << aborted.status();
  EXPECT_EQ(*aborted, 1u);
  absl::StatusOr<uint64_t> again =
      backend_->AbortIncompleteWrites("t", now + absl::Minutes(1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0u);
  absl::StatusOr<uint64_t> other =
      backend_->AbortIncompleteWrites("tt", now + absl::Minutes(1));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*other, 1u);
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/b/data").status()));
}

TEST_F(S3OnlyTest, ListingMixesObjectsAndDirectories) {
  std::vector<std::string> want;
  for (int i = 0; i < 9; ++i) {
    std::string name = "o" + std::to_string(i);
    ASSERT_TRUE(backend_->Write("t/" + name, "x").ok());
    want.push_back(name);
  }
  for (int i = 0; i < 4; ++i) {
    std::string name = "d" + std::to_string(i);
    ASSERT_TRUE(backend_->Write("t/" + name + "/meta.json", "x").ok());
    ASSERT_TRUE(backend_->Write("t/" + name + "/data", "x").ok());
    want.push_back(name);
  }
  std::sort(want.begin(), want.end());
  absl::StatusOr<std::vector<std::string>> got = backend_->List("t");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, want);
}

TEST_F(S3OnlyTest, PrefixesIsolateBackends) {
  ASSERT_TRUE(backend_->Write("t/b/meta.json", "mine").ok());
  testing::TempDir other_dir{"andante_s3_only_test"};
  std::unique_ptr<Backend> other = OpenS3In(other_dir.path());
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(absl::IsNotFound(other->Read("t/b/meta.json").status()));
  EXPECT_TRUE(other->List("")->empty());
  EXPECT_EQ(*backend_->List(""), std::vector<std::string>{"t"});
}

TEST_F(S3OnlyTest, WrongSecretIsRefused) {
  // Only meaningful where the endpoint checks signatures; s3.test.mjs puts
  // a verifying proxy in front of s3rver and sets this variable.
  ASSERT_EQ(Env("ANDANTE_S3_VERIFIES_SIGNATURES"), "1");
  S3Options o = OptionsFromEnv(PrefixFor(tmp_.path()));
  o.access_key = Env("AWS_ACCESS_KEY_ID");
  o.secret_key = "not-the-secret";
  o.max_retries = 0;
  absl::StatusOr<std::unique_ptr<Backend>> b = OpenS3Backend(o);
  ASSERT_TRUE(b.ok());
  absl::Status s = (*b)->Write("t/x", "x");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s;
  EXPECT_EQ(s.message().find("not-the-secret"), std::string::npos) << s;
  EXPECT_TRUE(absl::IsNotFound(backend_->Read("t/x").status()));
}

}  // namespace
}  // namespace andante
