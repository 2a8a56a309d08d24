#include "backend/s3/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "backend/s3/retry_policy.h"
#include "backend/s3/s3_xml.h"
#include "backend/s3/sigv4.h"
#include "util/strings.h"

namespace andante::internal {
absl::Status ValidateObjectKey(std::string_view key);
}  // namespace andante::internal

namespace andante::s3 {
namespace {

using internal::ToAbsl;
using internal::ToStd;

constexpr uint64_t kMinPartSize = 5ull << 20;
constexpr uint64_t kDefaultPartSize = 16ull << 20;

std::string FirstEnv(GetEnv getenv, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string v = getenv(n);
    if (!v.empty()) return v;
  }
  return "";
}

bool ValidHost(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']' || c == '_')) {
      return false;
    }
  }
  return true;
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct UploadCursor {
  std::string_view rest;
};

size_t ReadBody(char* buffer, size_t size, size_t n, void* user) {
  auto* cursor = static_cast<UploadCursor*>(user);
  const size_t len = std::min(size * n, cursor->rest.size());
  std::memcpy(buffer, cursor->rest.data(), len);
  cursor->rest.remove_prefix(len);
  return len;
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  auto* resp = static_cast<S3Response*>(user);
  absl::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "etag")) {
      resp->etag = std::string(value);
    } else if (absl::EqualsIgnoreCase(name, "content-length")) {
      uint64_t len = 0;
      if (absl::SimpleAtoi(value, &len)) resp->content_length = len;
    }
  }
  return size * n;
}

}  // namespace

std::string RegionFromEndpoint(std::string_view host_in) {
  absl::string_view host = ToAbsl(host_in);
  const size_t colon = host.find(':');
  if (colon != absl::string_view::npos) host = host.substr(0, colon);
  if (!absl::ConsumeSuffix(&host, ".amazonaws.com") &&
      !absl::ConsumeSuffix(&host, ".amazonaws.com.cn")) {
    return "us-east-1";
  }
  // Whatever follows "s3." / "s3-" (and an optional "dualstack.").
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view p = parts[i];
    if (absl::ConsumePrefix(&p, "s3-") && !p.empty()) return std::string(p);
    if (parts[i] == "s3" && i + 1 < parts.size()) {
      size_t j = i + 1;
      if (parts[j] == "dualstack" && j + 1 < parts.size()) ++j;
      return std::string(parts[j]);
    }
  }
  return "us-east-1";
}

absl::StatusOr<ResolvedOptions> ResolveOptions(S3Options options,
                                               GetEnv getenv) {
  ResolvedOptions r;
  if (options.bucket.empty()) {
    return absl::InvalidArgumentError("s3: bucket is required");
  }
  absl::string_view endpoint = ToAbsl(options.endpoint);
  r.scheme = options.insecure ? "http" : "https";
  if (absl::ConsumePrefix(&endpoint, "http://")) {
    r.scheme = "http";
  } else if (absl::ConsumePrefix(&endpoint, "https://")) {
    r.scheme = "https";
  }
  while (absl::ConsumeSuffix(&endpoint, "/")) {
  }
  if (endpoint.empty()) {
    r.host = options.region.empty()
                 ? std::string("s3.amazonaws.com")
                 : absl::StrCat("s3.", options.region, ".amazonaws.com");
  } else {
    r.host = std::string(endpoint);
  }
  if (!ValidHost(r.host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "s3: endpoint \"", options.endpoint, "\" is not host[:port]"));
  }
  r.region =
      options.region.empty() ? RegionFromEndpoint(r.host) : options.region;
  absl::string_view prefix = ToAbsl(options.prefix);
  while (absl::ConsumePrefix(&prefix, "/")) {
  }
  while (absl::ConsumeSuffix(&prefix, "/")) {
  }
  options.prefix = std::string(prefix);
  if (!options.prefix.empty()) {
    if (absl::Status s = internal::ValidateObjectKey(options.prefix); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("s3: prefix \"", options.prefix, "\": ", s.message()));
    }
  }
  switch (options.bucket_lookup) {
    case S3BucketLookup::kPath:
      r.path_style = true;
      break;
    case S3BucketLookup::kVirtualHost:
      r.path_style = false;
      break;
    case S3BucketLookup::kAuto:
      // As minio-go (Tempo's client): virtual host on AWS when the bucket
      // name is a valid DNS label, path style everywhere else.
      r.path_style = !absl::StrContains(r.host, "amazonaws.com") ||
                     absl::StrContains(options.bucket, ".");
      break;
  }
  if (options.forcepathstyle) r.path_style = true;

  if (!options.access_key.empty()) {
    if (options.secret_key.empty()) {
      return absl::InvalidArgumentError(
          "s3: access_key is set but secret_key is empty");
    }
    r.access_key = options.access_key;
    r.secret_key = options.secret_key;
    r.session_token = options.session_token;
  } else {
    std::string id = FirstEnv(getenv, {"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"});
    std::string secret =
        FirstEnv(getenv, {"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"});
    if (!id.empty() && !secret.empty()) {
      r.access_key = id;
      r.secret_key = secret;
      r.session_token = FirstEnv(getenv, {"AWS_SESSION_TOKEN"});
    } else {
      for (auto [user, pass] :
           {std::pair{"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
            std::pair{"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"}}) {
        std::string u = getenv(user), p = getenv(pass);
        if (!u.empty() && !p.empty()) {
          r.access_key = u;
          r.secret_key = p;
          break;
        }
      }
    }
  }
  if (options.part_size == 0) options.part_size = kDefaultPartSize;
  options.part_size = std::max(options.part_size, kMinPartSize);
  options.list_max_keys = std::clamp(options.list_max_keys, 1, 1000);
  options.max_workers = std::max(options.max_workers, 1);
  options.queue_depth = std::max(options.queue_depth, 0);
  options.max_retries = std::max(options.max_retries, 0);
  r.options = std::move(options);
  return r;
}

Target TargetFor(const ResolvedOptions& o, const S3Request& request) {
  Target t;
  const std::string key = UriEncode(request.key, /*keep_slash=*/true);
  if (o.path_style) {
    t.host = o.host;
    t.canonical_uri =
        absl::StrCat("/", UriEncode(o.options.bucket, false), "/", key);
  } else {
    t.host = absl::StrCat(o.options.bucket, ".", o.host);
    t.canonical_uri = absl::StrCat("/", key);
  }
  t.url = absl::StrCat(o.scheme, "://", t.host, t.canonical_uri);
  if (!request.query.empty()) {
    absl::StrAppend(&t.url, "?", CanonicalQuery(request.query));
  }
  return t;
}

struct S3Client::Curl {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  absl::Mutex mu;
  std::vector<CURL*> idle ABSL_GUARDED_BY(mu);

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Curl*>(user)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Curl*>(user)->locks[data].unlock();
  }

  Curl() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Curl::Lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Curl::Unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  }
  ~Curl() {
    absl::MutexLock lock(&mu);
    for (CURL* h : idle) curl_easy_cleanup(h);
    idle.clear();
    curl_share_cleanup(share);
  }

  CURL* Take() {
    {
      absl::MutexLock lock(&mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    curl_easy_reset(h);
    absl::MutexLock lock(&mu);
    idle.push_back(h);
  }
};

S3Client::S3Client(ResolvedOptions options)
    : options_(std::move(options)), curl_(std::make_unique<Curl>()) {}

S3Client::~S3Client() = default;

std::string S3Client::SigningKeyFor(const std::string& day) {
  absl::MutexLock lock(&mu_);
  if (day != key_day_) {
    signing_key_ =
        SigningKey({options_.secret_key, day, options_.region, "s3"});
    key_day_ = day;
  }
  return signing_key_;
}

absl::Status S3Client::Acquire() {
  absl::MutexLock lock(&mu_);
  const int max = options_.options.max_workers;
  if (in_flight_ >= max) {
    if (waiting_ >= options_.options.queue_depth) {
      return absl::ResourceExhaustedError(
          absl::StrCat("s3: ", waiting_, " requests already wait for one of ",
                       max, " workers (storage.trace.pool.queue_depth)"));
    }
    ++waiting_;
    mu_.Await(absl::Condition(
        +[](S3Client* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
          return c->in_flight_ < c->options_.options.max_workers;
        },
        this));
    --waiting_;
  }
  ++in_flight_;
  return absl::OkStatus();
}

void S3Client::Release() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

S3Response S3Client::AttemptOnce(const S3Request& request,
                                 bool& transport_error, std::string& error) {
  S3Response resp;
  const Target target = TargetFor(options_, request);
  const absl::Time now = absl::Now();
  const std::string amz_date = AmzDate(now);
  const std::string payload_hash = Sha256Hex(request.body);

  SigningRequest sr;
  sr.method = request.method;
  sr.canonical_uri = target.canonical_uri;
  sr.query = request.query;
  sr.headers = request.headers;
  sr.headers.emplace_back("host", target.host);
  sr.headers.emplace_back("x-amz-content-sha256", payload_hash);
  sr.headers.emplace_back("x-amz-date", amz_date);
  if (!options_.session_token.empty()) {
    sr.headers.emplace_back("x-amz-security-token", options_.session_token);
  }
  sr.payload_hash = payload_hash;

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : sr.headers) {
    headers =
        curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  if (!options_.access_key.empty()) {
    const std::string day = AmzDay(now);
    const std::string key = SigningKeyFor(day);
    Signature sig = Sign(sr, options_.access_key, amz_date,
                         {"", day, options_.region, "s3"}, key);
    headers = curl_slist_append(
        headers, absl::StrCat("Authorization: ", sig.authorization).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");

  CURL* h = curl_->Take();
  char errbuf[CURL_ERROR_SIZE] = {0};
  UploadCursor cursor{request.body};
  const S3Options& o = options_.options;
  curl_easy_setopt(h, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(h, CURLOPT_SHARE, curl_->share);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(
      h, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(o.connect_timeout)));
  curl_easy_setopt(
      h, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(o.request_timeout)));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!o.tls_ca_path.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, o.tls_ca_path.c_str());
  }
  if (!o.tls_cert_path.empty()) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, o.tls_cert_path.c_str());
  }
  if (!o.tls_key_path.empty()) {
    curl_easy_setopt(h, CURLOPT_SSLKEY, o.tls_key_path.c_str());
  }
  if (o.tls_insecure_skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode rc = curl_easy_perform(h);
  transport_error = rc != CURLE_OK;
  if (transport_error) {
    error = errbuf[0] != '\0' ? std::string(errbuf)
                              : std::string(curl_easy_strerror(rc));
  } else {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp.status = static_cast<int>(status);
  }
  curl_->Give(h);
  curl_slist_free_all(headers);
  return resp;
}

absl::StatusOr<S3Response> S3Client::Execute(std::string_view op,
                                             const S3Request& request) {
  const S3Options& o = options_.options;
  absl::BitGen gen;
  const std::string where =
      absl::StrCat("s3 ", ToAbsl(op), " s3://", o.bucket,
                   request.key.empty() ? "" : "/", request.key);
  for (int attempt = 0;; ++attempt) {
    if (absl::Status s = Acquire(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
    }
    bool transport_error = false;
    std::string error;
    const absl::Time start = absl::Now();
    S3Response resp = AttemptOnce(request, transport_error, error);
    Release();
    if (o.observer) {
      S3RequestInfo info;
      info.operation = request.method;
      info.status_code = transport_error ? 0 : resp.status;
      info.duration = absl::Now() - start;
      info.bytes_sent = request.body.size();
      info.bytes_received = resp.body.size();
      o.observer(info);
    }

    Attempt a;
    std::optional<S3Error> s3err;
    if (transport_error) {
      a.transport_error = true;
    } else {
      a.http_status = resp.status;
      const bool ok2xx = resp.status >= 200 && resp.status < 300;
      // Object bodies are not searched for an <Error> document: only
      // failures and POST answers (CompleteMultipartUpload) can carry one.
      if (!ok2xx || request.method == "POST") s3err = ParseError(resp.body);
      if (s3err.has_value()) a.s3_code = s3err->code;
      // CompleteMultipartUpload can fail with 200 and an <Error> body.
      if (ok2xx && request.method == "POST" && s3err.has_value()) {
        a.http_status = 500;
      } else if (ok2xx) {
        return resp;
      } else if ((resp.status == 404 &&
                  (a.s3_code.empty() || a.s3_code == "NoSuchKey")) ||
                 resp.status == 416) {
        return resp;
      }
    }
    const bool retry = IsRetryable(a) && attempt < o.max_retries;
    if (!retry) {
      std::string detail;
      if (a.transport_error) {
        detail = error;
      } else {
        detail = absl::StrCat("HTTP ", resp.status);
        if (s3err.has_value()) {
          absl::StrAppend(&detail, " ", s3err->code, ": ", s3err->message);
        }
      }
      if (attempt > 0)
        absl::StrAppend(&detail, " (after ", attempt + 1, " attempts)");
      absl::StatusCode code = CodeFor(a);
      if (resp.status == 404 && a.s3_code == "NoSuchBucket") {
        code = absl::StatusCode::kFailedPrecondition;
      }
      return absl::Status(code, absl::StrCat(where, ": ", detail));
    }
    absl::SleepFor(Backoff(attempt, o.min_backoff, o.max_backoff, gen));
  }
}

}  // namespace andante::s3
