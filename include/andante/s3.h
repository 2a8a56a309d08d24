// An S3 (or S3-compatible: Garage, MinIO, Ceph RGW, s3rver) bucket as an
// andante::Backend.
//
// Requests are signed with AWS Signature Version 4 and sent over libcurl with
// pooled connections. Large objects written through NewWriter are uploaded
// with multipart upload; failed requests are retried with jittered
// exponential backoff when the failure is transient (5xx, 429/SlowDown,
// connection errors) and never on other 4xx.
//
//   andante::S3Options options;
//   options.endpoint = "garage.storage:3900";
//   options.bucket = "tempo-traces";
//   options.region = "garage";
//   options.forcepathstyle = true;
//   options.insecure = true;  // plain HTTP
//   // access_key / secret_key empty: taken from AWS_ACCESS_KEY_ID and
//   // AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN).
//   absl::StatusOr<std::unique_ptr<andante::Backend>> backend =
//       andante::OpenS3Backend(options);
//   if (!backend.ok()) return backend.status();
//
// Field names follow Tempo's `storage.trace.s3` keys. Error codes: a missing
// object is NOT_FOUND, a range past the end OUT_OF_RANGE, a refused signature
// or missing permission PERMISSION_DENIED (with S3's error code and message),
// a store still failing after the retries UNAVAILABLE, a full request queue
// RESOURCE_EXHAUSTED. Messages name the operation and the key, never a
// credential.
#ifndef ANDANTE_S3_H_
#define ANDANTE_S3_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"

namespace andante {

// How the bucket is put into request URLs (`bucket_lookup_type`).
enum class S3BucketLookup {
  kAuto = 0,         // virtual host for *.amazonaws.com, path style elsewhere
  kVirtualHost = 1,  // http(s)://<bucket>.<endpoint>/<key>
  kPath = 2,         // http(s)://<endpoint>/<bucket>/<key>
};

// One attempt of one S3 request, as reported to S3Options::observer.
struct S3RequestInfo {
  std::string_view operation;  // HTTP method: "GET", "PUT", "POST", ...
  int status_code = 0;         // 0 when no response came (connection error)
  absl::Duration duration;
  uint64_t bytes_sent = 0;      // request body
  uint64_t bytes_received = 0;  // response body
};

// `storage.trace.s3` (plus the pool and retry settings that apply to it).
struct S3Options {
  // Bucket name (`bucket`). Required.
  std::string bucket;
  // Key prefix inside the bucket (`prefix`); "" or "a/b" (slashes at either
  // end are trimmed). Every object key is stored as "<prefix>/<key>".
  std::string prefix;
  // host[:port] of the S3 API (`endpoint`), without a scheme as in Tempo;
  // "http://" or "https://" in front is accepted and then overrides
  // `insecure`. "" means s3.<region>.amazonaws.com.
  std::string endpoint;
  // Signing region (`region`). "" infers it from an AWS endpoint
  // (s3.eu-west-1.amazonaws.com -> eu-west-1) and is "us-east-1" otherwise.
  std::string region;
  // Static credentials (`access_key`, `secret_key`, `session_token`). When
  // access_key is empty they come from the environment: AWS_ACCESS_KEY_ID
  // (or AWS_ACCESS_KEY), AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY),
  // AWS_SESSION_TOKEN, then MINIO_ROOT_USER/MINIO_ROOT_PASSWORD and
  // MINIO_ACCESS_KEY/MINIO_SECRET_KEY. No credentials at all means anonymous
  // (unsigned) requests.
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  // Plain HTTP instead of HTTPS (`insecure`).
  bool insecure = false;
  // Always path-style URLs (`forcepathstyle`); overrides bucket_lookup.
  bool forcepathstyle = false;
  S3BucketLookup bucket_lookup = S3BucketLookup::kAuto;
  // Multipart part size in bytes for streamed writes (`part_size`). 0 means
  // 16 MiB. S3 requires at least 5 MiB for every part but the last; smaller
  // values are raised to 5 MiB. A streamed object smaller than one part is
  // sent as a single PUT.
  uint64_t part_size = 0;
  // Objects listed per ListObjects request (S3 caps it at 1000).
  int list_max_keys = 1000;
  // ListObjects V1 (marker) instead of V2 (continuation token), for stores
  // that lack V2.
  bool list_objects_v1 = false;
  // List a "directory" with delimiter '/' (one request per 1000 children).
  // false lists without a delimiter and derives the children from the keys,
  // skipping past each child's keys with start-after/marker: for stores
  // whose delimiter listings are incomplete (s3rver 3.x omits prefixes that
  // hold only deeper keys). Andante-only YAML key
  // `storage.trace.s3.list_with_delimiter`.
  bool list_with_delimiter = true;
  // Storage class of written objects (`storage_class`); "" = the bucket's.
  std::string storage_class;
  // TLS: CA bundle (`tls_ca_path`), client certificate and key
  // (`tls_cert_path`, `tls_key_path`) and skipping verification
  // (`tls_insecure_skip_verify`).
  std::string tls_ca_path;
  std::string tls_cert_path;
  std::string tls_key_path;
  bool tls_insecure_skip_verify = false;

  // Requests in flight at once (`storage.trace.pool.max_workers`).
  int max_workers = 400;
  // Requests that may wait for a free worker (`storage.trace.pool.
  // queue_depth`); one more fails with RESOURCE_EXHAUSTED.
  int queue_depth = 20000;
  // Attempts after the first for a transient failure.
  int max_retries = 5;
  // Backoff before retry n is uniform in [0, min(max_backoff, min_backoff *
  // 2^n)] ("full jitter").
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // TCP/TLS connect timeout and whole-request timeout of one attempt.
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration request_timeout = absl::Seconds(60);

  // Called after every attempt (retries included), from the requesting
  // thread, for metrics. Must be thread-safe and cheap. May be empty.
  std::function<void(const S3RequestInfo&)> observer;
};

// Opens the bucket described by `options`. Checks the options (bucket set,
// endpoint well-formed, credentials complete) but does not contact the store;
// List("") on the result is Tempo's startup check (one LIST request).
absl::StatusOr<std::unique_ptr<Backend>> OpenS3Backend(S3Options options);

}  // namespace andante

#endif  // ANDANTE_S3_H_
