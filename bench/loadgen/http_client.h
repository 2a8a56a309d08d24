// A blocking HTTP/1.1 client over one keep-alive connection (Boost.Beast).
//
// Each call sends one request and waits for the whole response, with a
// deadline covering connect, write and read. A request that fails on a reused
// connection before any response byte arrived (the server closed an idle
// connection) is retried once on a fresh one.
//
//   HttpClient api("127.0.0.1", "3200", absl::Seconds(10));
//   HttpClient::Response r = api.Request(boost::beast::http::verb::get,
//                                        "/ready", "", {});
//   if (r.status == 200) ...
//
// Not thread-safe; one client per thread.
#ifndef ANDANTE_BENCH_LOADGEN_HTTP_CLIENT_H_
#define ANDANTE_BENCH_LOADGEN_HTTP_CLIENT_H_

#include <boost/beast/http/verb.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace andante::loadgen {

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  struct Response {
    int status = 0;     // HTTP status; 0 when no response arrived
    std::string error;  // transport error ("connect: Connection refused")
    std::string body;
  };

  HttpClient(std::string host, std::string port, absl::Duration timeout);
  ~HttpClient();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `body` (moved in and handed back unchanged afterwards, so a caller
  // can reuse its buffer without a copy).
  Response Request(boost::beast::http::verb verb, const std::string& target,
                   std::string& body, const Headers& headers);
  // The same without a body.
  Response Request(boost::beast::http::verb verb, const std::string& target,
                   const Headers& headers);

 private:
  struct Connection;
  std::unique_ptr<Connection> connection_;
};

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_HTTP_CLIENT_H_
