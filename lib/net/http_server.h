// A small HTTP/1.1 server (Boost.Beast underneath, hidden here) that hands
// each request to a handler function. Handlers see only HttpRequest and
// HttpResponse (andante/request.h), so the request layer builds and tests
// without Beast or sockets.
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
#ifndef ANDANTE_NET_HTTP_SERVER_H_
#define ANDANTE_NET_HTTP_SERVER_H_

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
#include "andante/request.h"

namespace andante::net {

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

}  // namespace andante::net

#endif  // ANDANTE_NET_HTTP_SERVER_H_
