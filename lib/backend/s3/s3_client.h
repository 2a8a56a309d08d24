// One S3 endpoint and bucket spoken to over libcurl: URL building for both
// addressing styles, SigV4 signing, connection reuse, the bound on requests
// in flight, timeouts and retries. S3Backend (s3_backend.cc) maps Backend's
// operations onto it.
#ifndef ANDANTE_LIB_BACKEND_S3_S3_CLIENT_H_
#define ANDANTE_LIB_BACKEND_S3_S3_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "andante/s3.h"

namespace andante::s3 {

// The options with everything derived once: scheme, host, addressing,
// region and credentials.
struct ResolvedOptions {
  S3Options options;
  std::string scheme;  // "http" or "https"
  std::string host;    // endpoint host[:port] as it appears in URLs
  bool path_style = true;
  std::string region;
  std::string access_key;  // "" = anonymous
  std::string secret_key;
  std::string session_token;
};

// Environment lookup (tests pass their own).
using GetEnv = std::string (*)(const char* name);

// Derives ResolvedOptions from `options` and the environment.
// INVALID_ARGUMENT for a missing bucket, a malformed endpoint or an access
// key without its secret.
absl::StatusOr<ResolvedOptions> ResolveOptions(S3Options options,
                                               GetEnv getenv);

// "us-west-2" from "s3.us-west-2.amazonaws.com" (also s3-us-west-2 and
// s3.dualstack.us-west-2...); "us-east-1" for anything else.
std::string RegionFromEndpoint(std::string_view host);

struct S3Request {
  std::string method = "GET";  // GET HEAD PUT POST DELETE
  std::string key;             // full object key in the bucket; "" = bucket
  std::vector<std::pair<std::string, std::string>> query;    // not encoded
  std::vector<std::pair<std::string, std::string>> headers;  // signed
  std::string_view body;  // PUT/POST payload; must outlive Execute
};

struct S3Response {
  int status = 0;
  std::string body;
  std::string etag;
  uint64_t content_length = 0;
};

// The URL and Host header for `request` (exposed for tests).
struct Target {
  std::string url;
  std::string host;
  std::string canonical_uri;
};
Target TargetFor(const ResolvedOptions& o, const S3Request& request);

class S3Client {
 public:
  explicit S3Client(ResolvedOptions options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Sends `request`, retrying transient failures. Returns the response of a
  // 2xx, or of a 404/416 (callers map these themselves); any other failure
  // becomes a status naming `op` and `request.key`. RESOURCE_EXHAUSTED when
  // queue_depth requests already wait.
  absl::StatusOr<S3Response> Execute(std::string_view op,
                                     const S3Request& request);

  const ResolvedOptions& options() const { return options_; }

 private:
  struct Curl;  // the libcurl share handle and pooled easy handles
  // One attempt on a pooled handle; a transport error is reported in
  // `transport_error` with curl's message in `error`.
  S3Response AttemptOnce(const S3Request& request, bool& transport_error,
                         std::string& error);
  absl::Status Acquire();
  void Release();
  std::string SigningKeyFor(const std::string& day);

  const ResolvedOptions options_;
  std::unique_ptr<Curl> curl_;

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::string key_day_ ABSL_GUARDED_BY(mu_);
  std::string signing_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante::s3

#endif  // ANDANTE_LIB_BACKEND_S3_S3_CLIENT_H_
