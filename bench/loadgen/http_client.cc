#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace andante::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Beast's synchronous calls have no deadline, so every request runs the
// asynchronous operations on a private io_context until they finish or the
// stream's timer cancels them.
struct HttpClient::Connection {
  Connection(std::string h, std::string p, absl::Duration t)
      : host(std::move(h)),
        port(std::move(p)),
        timeout(absl::ToChronoMilliseconds(t)) {}

  beast::error_code Connect() {
    beast::error_code ec;
    if (endpoints.empty()) {
      tcp::resolver resolver(ioc);
      endpoints = resolver.resolve(host, port, ec);
      if (ec) return ec;
    }
    stream.expires_after(timeout);
    stream.async_connect(
        endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    Run();
    if (!ec) {
      stream.socket().set_option(tcp::no_delay(true));
      connected = true;
    }
    return ec;
  }

  void Close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    connected = false;
  }

  void Run() {
    ioc.restart();
    ioc.run();
  }

  std::string host;
  std::string port;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  tcp::resolver::results_type endpoints;
  bool connected = false;
};

HttpClient::HttpClient(std::string host, std::string port,
                       absl::Duration timeout)
    : connection_(std::make_unique<Connection>(std::move(host), std::move(port),
                                               timeout)) {}

HttpClient::~HttpClient() {
  if (connection_->connected) connection_->Close();
}

HttpClient::Response HttpClient::Request(http::verb verb,
                                         const std::string& target,
                                         const Headers& headers) {
  std::string empty;
  return Request(verb, target, empty, headers);
}

HttpClient::Response HttpClient::Request(http::verb verb,
                                         const std::string& target,
                                         std::string& body,
                                         const Headers& headers) {
  Connection& c = *connection_;
  Response response;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.connected;
    if (!c.connected) {
      if (beast::error_code ec = c.Connect(); ec) {
        c.Close();
        response.error = "connect: " + ec.message();
        return response;
      }
    }
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, c.host + ":" + c.port);
    request.set(http::field::user_agent, "andante-loadgen/1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.keep_alive(true);
    const bool has_body = !body.empty() || verb == http::verb::post;
    if (has_body) {
      request.body().swap(body);
      request.prepare_payload();
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    beast::error_code write_ec;
    beast::error_code read_ec;
    c.stream.expires_after(c.timeout);
    http::async_write(
        c.stream, request, [&](beast::error_code ec, std::size_t) {
          write_ec = ec;
          if (ec) return;
          http::async_read(
              c.stream, c.buffer, parser,
              [&](beast::error_code e, std::size_t) { read_ec = e; });
        });
    c.Run();
    if (has_body) request.body().swap(body);
    if (write_ec || read_ec) {
      c.Close();
      if (reused && !parser.got_some() && attempt == 0) continue;
      response.error = (write_ec ? "write: " + write_ec.message()
                                 : "read: " + read_ec.message());
      return response;
    }
    response.status = static_cast<int>(parser.get().result_int());
    response.body = std::move(parser.get().body());
    if (!parser.get().keep_alive()) c.Close();
    return response;
  }
  return response;
}

}  // namespace andante::loadgen
