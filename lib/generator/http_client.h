// A minimal blocking HTTP client on libcurl for the remote writer: one POST
// at a time per client, connection reuse across calls.
#ifndef ANDANTE_GENERATOR_HTTP_CLIENT_H_
#define ANDANTE_GENERATOR_HTTP_CLIENT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace andante::internal {

struct HttpResult {
  int status = 0;
  std::string body;  // at most the first 4 KiB
  // Retry-After, when the response had one (seconds or HTTP-date).
  std::optional<absl::Duration> retry_after;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to `url`. UNAVAILABLE on a network error or timeout
  // (connection refused, DNS, TLS...), with curl's message.
  absl::StatusOr<HttpResult> Post(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers,
      std::string_view body, absl::Duration timeout);

 private:
  void* curl_;  // CURL*
};

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_HTTP_CLIENT_H_
