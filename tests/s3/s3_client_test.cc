// Option resolution and request addressing of the S3 client (no network).
#include "backend/s3/s3_client.h"

#include <map>
#include <string>

#include "andante/s3.h"
#include "gtest/gtest.h"

namespace andante::s3 {
namespace {

std::map<std::string, std::string>* g_env = nullptr;

std::string FakeEnv(const char* name) {
  auto it = g_env->find(name);
  return it == g_env->end() ? "" : it->second;
}

class S3ClientTest : public ::testing::Test {
 protected:
  S3ClientTest() { g_env = &env_; }
  ~S3ClientTest() override { g_env = nullptr; }

  absl::StatusOr<ResolvedOptions> Resolve(S3Options o) {
    return ResolveOptions(std::move(o), &FakeEnv);
  }

  std::map<std::string, std::string> env_;
};

S3Options Garage() {
  // The seeds' Garage deployment.
  S3Options o;
  o.endpoint = "garage.storage:3900";
  o.bucket = "tempo-traces";
  o.region = "garage";
  o.forcepathstyle = true;
  o.insecure = true;
  return o;
}

TEST_F(S3ClientTest, GarageConfigIsPathStyleHttpWithEnvCredentials) {
  env_ = {{"AWS_ACCESS_KEY_ID", "GK123"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t"}};
  absl::StatusOr<ResolvedOptions> r = Resolve(Garage());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scheme, "http");
  EXPECT_TRUE(r->path_style);
  EXPECT_EQ(r->region, "garage");
  EXPECT_EQ(r->access_key, "GK123");
  EXPECT_EQ(r->secret_key, "s3cr3t");
  S3Request req;
  req.key = "single-tenant/0a1b/meta.json";
  Target t = TargetFor(*r, req);
  EXPECT_EQ(t.url,
            "http://garage.storage:3900/tempo-traces/single-tenant/0a1b/"
            "meta.json");
  EXPECT_EQ(t.host, "garage.storage:3900");
  EXPECT_EQ(t.canonical_uri, "/tempo-traces/single-tenant/0a1b/meta.json");
}

TEST_F(S3ClientTest, AwsDefaultsToVirtualHostHttps) {
  S3Options o;
  o.endpoint = "s3.us-east-2.amazonaws.com";
  o.bucket = "tempo-traces";
  o.access_key = "AK";
  o.secret_key = "SK";
  absl::StatusOr<ResolvedOptions> r = Resolve(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->region, "us-east-2");
  EXPECT_FALSE(r->path_style);
  S3Request req;
  req.key = "a b/c+d";
  req.query = {{"partNumber", "1"}, {"uploadId", "x/y="}};
  Target t = TargetFor(*r, req);
  EXPECT_EQ(t.url,
            "https://tempo-traces.s3.us-east-2.amazonaws.com/a%20b/c%2Bd?"
            "partNumber=1&uploadId=x%2Fy%3D");
  EXPECT_EQ(t.canonical_uri, "/a%20b/c%2Bd");
  // forcepathstyle wins over the AWS default.
  o.forcepathstyle = true;
  r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->path_style);
  // Explicit virtual host elsewhere.
  S3Options v = Garage();
  v.forcepathstyle = false;
  v.bucket_lookup = S3BucketLookup::kVirtualHost;
  r = Resolve(v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(TargetFor(*r, S3Request{}).url,
            "http://tempo-traces.garage.storage:3900/");
}

TEST_F(S3ClientTest, BucketListingUrlPathStyle) {
  absl::StatusOr<ResolvedOptions> r = Resolve(Garage());
  ASSERT_TRUE(r.ok());
  S3Request req;
  req.query = {{"list-type", "2"}, {"prefix", "t/"}, {"delimiter", "/"}};
  EXPECT_EQ(TargetFor(*r, req).url,
            "http://garage.storage:3900/tempo-traces/"
            "?delimiter=%2F&list-type=2&prefix=t%2F");
}

TEST_F(S3ClientTest, RegionInference) {
  EXPECT_EQ(RegionFromEndpoint("s3.eu-west-1.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(RegionFromEndpoint("s3-us-west-2.amazonaws.com"), "us-west-2");
  EXPECT_EQ(RegionFromEndpoint("s3.dualstack.ap-south-1.amazonaws.com"),
            "ap-south-1");
  EXPECT_EQ(RegionFromEndpoint("s3.amazonaws.com"), "us-east-1");
  EXPECT_EQ(RegionFromEndpoint("minio:9000"), "us-east-1");
}

TEST_F(S3ClientTest, CredentialSources) {
  S3Options o = Garage();
  // Config beats the environment.
  env_ = {{"AWS_ACCESS_KEY_ID", "env"}, {"AWS_SECRET_ACCESS_KEY", "envs"},
          {"AWS_SESSION_TOKEN", "tok"}};
  o.access_key = "cfg";
  o.secret_key = "cfgs";
  absl::StatusOr<ResolvedOptions> r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key, "cfg");
  EXPECT_EQ(r->session_token, "");
  o.access_key.clear();
  o.secret_key.clear();
  r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key, "env");
  EXPECT_EQ(r->session_token, "tok");
  // Legacy names, then MinIO's.
  env_ = {{"AWS_ACCESS_KEY", "old"}, {"AWS_SECRET_KEY", "olds"}};
  r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key, "old");
  env_ = {{"AWS_ACCESS_KEY_ID", "half"},
          {"MINIO_ROOT_USER", "minio"},
          {"MINIO_ROOT_PASSWORD", "minios"}};
  r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key, "minio");
  EXPECT_EQ(r->secret_key, "minios");
  env_.clear();
  r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key, "");  // anonymous
}

TEST_F(S3ClientTest, BadOptionsAreRejected) {
  S3Options o = Garage();
  o.bucket.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(Resolve(o).status()));
  o = Garage();
  o.endpoint = "garage.storage:3900/path";
  EXPECT_TRUE(absl::IsInvalidArgument(Resolve(o).status()));
  o = Garage();
  o.access_key = "only-the-id";
  absl::Status s = Resolve(o).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  o = Garage();
  o.prefix = "a/../b";
  EXPECT_TRUE(absl::IsInvalidArgument(Resolve(o).status()));
}

TEST_F(S3ClientTest, SchemeInEndpointAndDefaults) {
  S3Options o = Garage();
  o.endpoint = "https://garage.storage:3900/";
  o.prefix = "/tempo/";
  o.part_size = 1;
  absl::StatusOr<ResolvedOptions> r = Resolve(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scheme, "https");
  EXPECT_EQ(r->host, "garage.storage:3900");
  EXPECT_EQ(r->options.prefix, "tempo");
  EXPECT_EQ(r->options.part_size, 5u << 20);
  o.part_size = 0;
  r = Resolve(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->options.part_size, 16u << 20);
}

TEST_F(S3ClientTest, UnreachableEndpointIsUnavailableAfterRetries) {
  S3Options o = Garage();
  o.endpoint = "127.0.0.1:1";  // nothing listens on port 1
  o.max_retries = 2;
  o.min_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(5);
  o.access_key = "AKID";
  o.secret_key = "do-not-leak-this-secret";
  absl::StatusOr<std::unique_ptr<Backend>> b = OpenS3Backend(o);
  ASSERT_TRUE(b.ok()) << b.status();
  absl::StatusOr<std::string> got = (*b)->Read("t/b/meta.json");
  ASSERT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  const std::string msg(got.status().message());
  EXPECT_NE(msg.find("Read"), std::string::npos) << msg;
  EXPECT_NE(msg.find("t/b/meta.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 attempts"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("do-not-leak"), std::string::npos) << msg;
  // Bad keys are refused before any request.
  EXPECT_TRUE(absl::IsInvalidArgument((*b)->Read("../x").status()));
}

}  // namespace
}  // namespace andante::s3
