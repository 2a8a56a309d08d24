#include "generator/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace andante::internal {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

constexpr size_t kDefaultUploadBuffer = 64 << 10;
constexpr size_t kMaxUploadBuffer = 2 << 20;  // curl's maximum

size_t WriteBody(char* ptr, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t len = size * n;
  if (out->size() < 4096) out->append(ptr, std::min(len, 4096 - out->size()));
  return len;
}

size_t ReadHeader(char* ptr, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResult*>(user);
  const size_t len = size * n;
  std::string_view line(ptr, len);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() &&
      absl::EqualsIgnoreCase(absl::string_view(line.data(), kName.size()),
                             absl::string_view(kName.data(), kName.size()))) {
    std::string v(absl::StripAsciiWhitespace(absl::string_view(
        line.data() + kName.size(), line.size() - kName.size())));
    int64_t secs = 0;
    if (absl::SimpleAtoi(v, &secs) && secs >= 0) {
      r->retry_after = absl::Seconds(secs);
    } else {
      const time_t when = curl_getdate(v.c_str(), nullptr);
      if (when > 0) {
        r->retry_after =
            std::max(absl::ZeroDuration(), absl::FromTimeT(when) - absl::Now());
      }
    }
  }
  return len;
}

}  // namespace

HttpClient::HttpClient() {
  GlobalInit();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<HttpResult> HttpClient::Post(
    const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view body, absl::Duration timeout) {
  CURL* c = static_cast<CURL*>(curl_);
  if (c == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_easy_reset(c);
  HttpResult result;
  struct curl_slist* list = nullptr;
  for (const auto& [k, v] : headers) {
    list = curl_slist_append(list, absl::StrCat(k, ": ", v).c_str());
  }
  list = curl_slist_append(list, "Expect:");
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  // curl copies a large body through its upload buffer (64 KiB by default),
  // one send and poll per buffer: a bigger one for big bodies (forwarded
  // span batches of megabytes) saves most of those system calls.
  if (body.size() > kDefaultUploadBuffer) {
    curl_easy_setopt(
        c, CURLOPT_UPLOAD_BUFFERSIZE,
        static_cast<long>(std::min(body.size(), kMaxUploadBuffer)));
  }
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &result);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "POST ", url, ": ", err[0] != '\0' ? err : curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  result.status = static_cast<int>(code);
  return result;
}

}  // namespace andante::internal
