// AWS Signature Version 4 (header-based): the canonical request, the string
// to sign, the signing key and the Authorization header, as specified in
// AWS's "Signature Version 4 signing process" and the S3 API reference
// ("Signature Calculations for the Authorization Header").
//
// The S3 flavour is used throughout: the canonical URI is the request path
// URI-encoded once ('/' kept), not normalised or double-encoded.
#ifndef ANDANTE_LIB_BACKEND_S3_SIGV4_H_
#define ANDANTE_LIB_BACKEND_S3_SIGV4_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace andante::s3 {

// Lowercase hex SHA-256 of `data` (OpenSSL).
std::string Sha256Hex(std::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key` (OpenSSL).
std::string HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

// RFC 3986 percent-encoding as SigV4 defines UriEncode(): every byte but
// A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex); '/' is kept when
// `keep_slash` (object keys in paths) and encoded otherwise (query values).
std::string UriEncode(std::string_view in, bool keep_slash);

// "20150830T123600Z" and "20150830" for `t` in UTC.
std::string AmzDate(absl::Time t);
std::string AmzDay(absl::Time t);

// One request to sign. Header names may be in any case and order; values
// are trimmed and inner runs of spaces collapsed, as the spec requires.
// Every header listed here is signed.
struct SigningRequest {
  std::string method;         // "GET"
  std::string canonical_uri;  // already UriEncode'd path: "/bucket/a%20b"
  // Query parameters, NOT encoded; sorted and encoded by CanonicalQuery.
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  // hex SHA-256 of the body or UNSIGNED-PAYLOAD
};

struct SigningKeyParts {
  std::string secret_key;
  std::string day;      // "20150830"
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
};

// "a=1&b=2": names and values UriEncode'd (slash too), sorted by name then
// value. Also the query string to send, so what is signed is what is sent.
std::string CanonicalQuery(
    const std::vector<std::pair<std::string, std::string>>& query);

// "content-type;host;x-amz-date" for `headers`.
std::string SignedHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers);

std::string CanonicalRequest(const SigningRequest& request);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// "<day>/<region>/<service>/aws4_request".
std::string CredentialScope(const SigningKeyParts& parts);

// The 32-byte key derived from the secret, day, region and service.
std::string SigningKey(const SigningKeyParts& parts);

// The hex signature and the full Authorization header value.
struct Signature {
  std::string signature;
  std::string authorization;
};

// Signs `request` made at `amz_date` (which must also be the value of the
// request's x-amz-date header) for `access_key`. `signing_key` comes from
// SigningKey for the same day, region and service (callers cache it: it
// changes once a day).
Signature Sign(const SigningRequest& request, std::string_view access_key,
               std::string_view amz_date, const SigningKeyParts& parts,
               std::string_view signing_key);

}  // namespace andante::s3

#endif  // ANDANTE_LIB_BACKEND_S3_SIGV4_H_
