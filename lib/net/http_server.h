// A small HTTP/1.1 server (Boost.Beast underneath, hidden here) that hands
// each request to a handler function. Route code sees only HttpRequest and
// HttpResponse, so it builds and tests without Beast or sockets.
//
//   HttpServer server(HttpServerOptions{.threads = 4});
//   absl::StatusOr<int> port = server.Listen(
//       "0.0.0.0:3200", {.body_limit = 1 << 20},
//       [](HttpRequest& req, HttpResponse* resp) { resp->body = "hi\n"; });
//   server.Start();
//   ...
//   server.Stop(absl::Seconds(30));  // stop accepting, finish in-flight
//
// Connections are keep-alive; each is read with a timeout, and bodies beyond
// the listener's body_limit are not read (the handler is called with
// `body_too_large` set and the connection is closed after the answer).
// Handlers run on a pool of handler threads, never on the io threads, so a
// slow handler (a 12 MB JSON decode, a /flush) holds up only its own
// connection; an exception escaping a handler becomes a 500 with its message.
#ifndef ANDANTE_SERVER_HTTP_SERVER_H_
#define ANDANTE_SERVER_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace andante::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path plus "?query"
  std::string path;    // target up to '?', not decoded
  std::string query;   // after '?', not decoded
  // Header fields in arrival order; names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The body exceeded the listener's body_limit and was not read; `body` is
  // empty.
  bool body_too_large = false;

  // The first value of header `name` (case-insensitive), nullopt if absent.
  // The view lives as long as this request.
  std::optional<std::string_view> Header(std::string_view name) const;
  // How many times header `name` occurs.
  int HeaderCount(std::string_view name) const;
  // The first value of query parameter `name`, percent- and '+'-decoded;
  // nullopt if absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // no Content-Type header when empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Helpers for the common shapes.
  void SetText(int code, std::string text) {
    status = code;
    content_type = "text/plain; charset=utf-8";
    body = std::move(text);
  }
};

// Handlers get a mutable request so they can move its body out.
using HttpHandler = std::function<void(HttpRequest&, HttpResponse*)>;

struct HttpServerOptions {
  // io threads shared by all listeners; 0 = hardware concurrency (min 2).
  // They only move bytes: handlers run on the handler threads.
  int threads = 0;
  // Threads that run handlers (decode, push, lookups, /flush), so a slow
  // request never holds up other connections' I/O; 0 = 16.
  int handler_threads = 0;
  // Time to read one request (header and body).
  absl::Duration read_timeout = absl::Seconds(30);
  // Time to write one response.
  absl::Duration write_timeout = absl::Seconds(30);
  // How long an idle keep-alive connection waits for its next request.
  absl::Duration idle_timeout = absl::Minutes(2);
};

struct ListenerOptions {
  // Largest request body read (bytes).
  uint64_t body_limit = 20ull << 20;
  // Largest request header block (bytes); Go's default is 1 MiB.
  uint32_t header_limit = 1 << 20;
};

// Splits "host:port" ("[::1]:4318", ":4318", "localhost:4318").
absl::Status SplitHostPort(std::string_view endpoint, std::string* host,
                           int* port);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // Stop(zero) if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `endpoint` ("host:port"; empty host = all interfaces, a name is
  // resolved and every address it resolves to is bound) and serves it with
  // `handler` once Start is called. Returns the bound port (useful with
  // port 0). REQUIRES: before Start.
  absl::StatusOr<int> Listen(std::string_view endpoint,
                             const ListenerOptions& options,
                             HttpHandler handler);

  // Starts accepting on every listener and runs the io threads.
  void Start();

  // Stops accepting, closes idle connections, lets in-flight requests
  // finish for up to `grace`, then closes everything and joins the threads.
  // Idempotent.
  void Stop(absl::Duration grace);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_HTTP_SERVER_H_
