// Option resolution and request addressing of the S3 client (no network).
#include "backend/s3/s3_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>

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
  env_ = {{"AWS_ACCESS_KEY_ID", "env"},
          {"AWS_SECRET_ACCESS_KEY", "envs"},
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

// A TCP port whose connections the kernel accepts (listen backlog) but that
// never answers: each request hangs until its timeout.
class SilentPort {
 public:
  SilentPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(S3ClientTest, TimeoutsAndTheWorkerPoolBoundRequests) {
  SilentPort silent;
  S3Options o = Garage();
  o.endpoint = "127.0.0.1:" + std::to_string(silent.port());
  o.access_key = "AKID";
  o.secret_key = "secret";
  o.max_retries = 0;
  o.request_timeout = absl::Milliseconds(800);
  o.max_workers = 1;
  o.queue_depth = 1;
  absl::StatusOr<std::unique_ptr<Backend>> b = OpenS3Backend(o);
  ASSERT_TRUE(b.ok()) << b.status();
  Backend& backend = **b;

  const absl::Time start = absl::Now();
  absl::Status first, second;
  std::thread t1([&] { first = backend.Read("t/1").status(); });
  absl::SleepFor(absl::Milliseconds(150));  // t1 holds the only worker
  std::thread t2([&] { second = backend.Read("t/2").status(); });
  absl::SleepFor(absl::Milliseconds(150));  // t2 waits in the queue
  // Worker busy and the queue full: refused at once.
  const absl::Time third_start = absl::Now();
  absl::Status third = backend.Read("t/3").status();
  EXPECT_TRUE(absl::IsResourceExhausted(third)) << third;
  EXPECT_LT(absl::Now() - third_start, absl::Milliseconds(100));
  t1.join();
  t2.join();
  // Both timed out (no response ever came), one after the other.
  EXPECT_TRUE(absl::IsUnavailable(first)) << first;
  EXPECT_TRUE(absl::IsUnavailable(second)) << second;
  const absl::Duration total = absl::Now() - start;
  EXPECT_GE(total, absl::Milliseconds(1500));
  EXPECT_LT(total, absl::Seconds(5));
}

}  // namespace
}  // namespace andante::s3
