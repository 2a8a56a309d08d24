#include "backend/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/strings.h"

namespace andante::s3 {
namespace {

using internal::ToAbsl;

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Trim, and collapse runs of spaces inside the value to one (the spec's
// Trimall; quoted strings are not special-cased for S3).
std::string TrimAll(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Lowercased name -> values in request order.
std::map<std::string, std::vector<std::string>> HeaderMap(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& [name, value] : headers) {
    m[absl::AsciiStrToLower(name)].push_back(TrimAll(value));
  }
  return m;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return HexEncode(
      std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 15];
  }
  return out;
}

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() + in.size() / 4);
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string AmzDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string AmzDay(absl::Time t) {
  return absl::FormatTime("%Y%m%d", t, absl::UTCTimeZone());
}

std::string CanonicalQuery(
    const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) {
    encoded.emplace_back(UriEncode(k, false), UriEncode(v, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, k, "=", v);
  }
  return out;
}

std::string SignedHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::string> names;
  for (const auto& [name, values] : HeaderMap(headers)) names.push_back(name);
  return absl::StrJoin(names, ";");
}

std::string CanonicalRequest(const SigningRequest& r) {
  std::string out = absl::StrCat(r.method, "\n", r.canonical_uri, "\n",
                                 CanonicalQuery(r.query), "\n");
  std::vector<std::string> names;
  for (const auto& [name, values] : HeaderMap(r.headers)) {
    absl::StrAppend(&out, name, ":", absl::StrJoin(values, ","), "\n");
    names.push_back(name);
  }
  absl::StrAppend(&out, "\n", absl::StrJoin(names, ";"), "\n", r.payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return absl::StrCat("AWS4-HMAC-SHA256\n", ToAbsl(amz_date), "\n",
                      ToAbsl(scope), "\n", Sha256Hex(canonical_request));
}

std::string CredentialScope(const SigningKeyParts& p) {
  return absl::StrCat(p.day, "/", p.region, "/", p.service, "/aws4_request");
}

std::string SigningKey(const SigningKeyParts& p) {
  std::string k = HmacSha256(absl::StrCat("AWS4", p.secret_key), p.day);
  k = HmacSha256(k, p.region);
  k = HmacSha256(k, p.service);
  return HmacSha256(k, "aws4_request");
}

Signature Sign(const SigningRequest& request, std::string_view access_key,
               std::string_view amz_date, const SigningKeyParts& parts,
               std::string_view signing_key) {
  const std::string scope = CredentialScope(parts);
  const std::string sts =
      StringToSign(amz_date, scope, CanonicalRequest(request));
  Signature s;
  s.signature = HexEncode(HmacSha256(signing_key, sts));
  s.authorization =
      absl::StrCat("AWS4-HMAC-SHA256 Credential=", ToAbsl(access_key), "/",
                   scope, ", SignedHeaders=", SignedHeaders(request.headers),
                   ", Signature=", s.signature);
  return s;
}

}  // namespace andante::s3
