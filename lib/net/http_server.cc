#include "http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using internal::ToAbsl;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How often connections are checked against their deadlines. Timeouts are
// enforced by one periodic sweep rather than a timer per socket operation:
// re-arming a timer on every read of a large body costs more than the read.
constexpr std::chrono::milliseconds kSweepInterval(250);

}  // namespace

absl::Status SplitHostPort(std::string_view endpoint, std::string* host,
                           int* port) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint \"", ToAbsl(endpoint), "\": missing port"));
  }
  std::string_view h = endpoint.substr(0, colon);
  std::string_view p = endpoint.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  int value = 0;
  if (!absl::SimpleAtoi(ToAbsl(p), &value) || value < 0 || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint \"", ToAbsl(endpoint), "\": invalid port"));
  }
  *host = std::string(h);
  *port = value;
  return absl::OkStatus();
}

// Handler threads when HttpServerOptions::handler_threads is 0: enough that
// a few slow requests (large pushes, /flush) leave room for the rest.
constexpr size_t kDefaultHandlerThreads = 16;

class HttpServer::Impl {
 public:
  struct Listener {
    Listener(net::io_context& ioc, ListenerOptions o, HttpHandler h)
        : acceptor(net::make_strand(ioc)), options(o), handler(std::move(h)) {}
    tcp::acceptor acceptor;
    ListenerOptions options;
    HttpHandler handler;
  };

  class Session;

  explicit Impl(HttpServerOptions o) : options(o) {}

  void DoAccept(Listener* l);
  void ScheduleSweep();
  void CloseExpired();
  void Register(Session* s, std::weak_ptr<Session> w) {
    absl::MutexLock lock(&mu);
    sessions.emplace(s, std::move(w));
  }
  void Unregister(Session* s) {
    absl::MutexLock lock(&mu);
    sessions.erase(s);
  }

  const HttpServerOptions options;
  absl::Mutex mu;
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions
      ABSL_GUARDED_BY(mu);
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped_sweeping{false};
  bool started = false;
  bool stopped = false;
  // Declared after the session registry: destroying the io_context destroys
  // pending handlers and with them sessions, which unregister themselves.
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<net::steady_timer> sweeper;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  // Runs the handlers (see Session::Dispatch). Declared after ioc so it is
  // joined and destroyed first: its handlers post answers to ioc.
  std::optional<net::thread_pool> workers;
};

class HttpServer::Impl::Session
    : public std::enable_shared_from_this<HttpServer::Impl::Session> {
 public:
  Session(Impl* server, Listener* listener, tcp::socket socket)
      : server_(server), listener_(listener), stream_(std::move(socket)) {
    // Beast reads at most the buffer's free capacity (min 512 bytes) per
    // recv: without room, a 260 KB body takes ~500 syscalls.
    buffer_.reserve(64 << 10);
  }

  // True when the current phase (reading, writing, waiting for the next
  // request) has outlived its timeout. Safe from any thread.
  bool Expired(int64_t now) const {
    int64_t d = deadline_.load(std::memory_order_relaxed);
    return d != 0 && now > d;
  }
  void Expire() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      // Re-checked on the strand: the phase may have moved on meanwhile.
      if (self->Expired(NowNanos())) self->Close();
    });
  }
  ~Session() { server_->Unregister(this); }

  void Run() {
    server_->Register(this, weak_from_this());
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Called on Stop: an idle connection is closed now; a busy one finishes
  // its request and closes after answering.
  void OnStop() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void ReadHeader() {
    busy_ = false;
    if (server_->stopping.load()) return Close();
    parser_.emplace();
    // Reuse the previous request's body buffer: bodies of a connection tend
    // to have similar sizes, and a fresh large allocation per request costs
    // more than the copy into it.
    if (request_.body.capacity() <= kKeepBodyCapacity) {
      request_.body.clear();
      parser_->get().body().swap(request_.body);
    }
    parser_->header_limit(listener_->options.header_limit);
    parser_->body_limit(listener_->options.body_limit);
    SetExpiry(first_ ? server_->options.read_timeout
                     : server_->options.idle_timeout);
    first_ = false;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->OnHeader(ec);
        });
  }

  void OnHeader(beast::error_code ec) {
    busy_ = true;
    if (ec == http::error::body_limit) return Dispatch(/*too_large=*/true);
    if (ec) return Close();
    SetExpiry(server_->options.read_timeout);
    auto expect = parser_->get().find(http::field::expect);
    if (expect != parser_->get().end() &&
        beast::iequals(expect->value(), "100-continue")) {
      // curl and some SDKs wait for this before sending large bodies.
      continue_.emplace(http::status::continue_, 11);
      http::async_write(
          stream_, *continue_,
          [self = shared_from_this()](beast::error_code ec2, size_t) {
            if (ec2) return self->Close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Dispatch(false);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::body_limit) {
                         return self->Dispatch(/*too_large=*/true);
                       }
                       if (ec) return self->Close();
                       self->Dispatch(false);
                     });
  }

  void Dispatch(bool too_large) {
    // No timeout while the handler runs (a /flush may take long); the write
    // phase sets its own.
    SetExpiry(absl::ZeroDuration());
    auto& msg = parser_->get();
    request_.method = std::string(msg.method_string());
    request_.target = std::string(msg.target());
    size_t q = request_.target.find('?');
    request_.path = request_.target.substr(0, q);
    request_.query =
        q == std::string::npos ? "" : request_.target.substr(q + 1);
    request_.headers.clear();
    for (const auto& field : msg) {
      request_.headers.emplace_back(std::string(field.name_string()),
                                    std::string(field.value()));
    }
    request_.body_too_large = too_large;
    if (too_large) {
      request_.body.clear();
    } else {
      request_.body.swap(msg.body());
    }
    // A body left unread makes the stream unusable for another request.
    bool keep_alive = msg.keep_alive() && !too_large;
    linger_ = too_large;

    // The handler runs on the worker pool, not on this io thread: decoding
    // a 12 MB JSON push must not stall every other connection the io
    // threads serve. Nothing else touches request_ until the answer is
    // posted back to this connection's strand.
    net::post(*server_->workers, [self = shared_from_this(), keep_alive] {
      HttpResponse resp;
      try {
        self->listener_->handler(self->request_, &resp);
      } catch (const std::exception& e) {
        resp = HttpResponse();
        resp.SetText(500, absl::StrCat("internal error: ", e.what(), "\n"));
      } catch (...) {
        resp = HttpResponse();
        resp.SetText(500, "internal error\n");
      }
      net::post(self->stream_.get_executor(),
                [self, keep_alive, resp = std::move(resp)]() mutable {
                  self->Answer(std::move(resp), keep_alive);
                });
    });
  }

  void Answer(HttpResponse resp, bool keep_alive) {
    if (request_.body.capacity() > kKeepBodyCapacity) {
      std::string().swap(request_.body);
    } else {
      request_.body.clear();
    }
    Write(std::move(resp), keep_alive);
  }

  void Write(HttpResponse resp, bool keep_alive) {
    if (server_->stopping.load()) keep_alive = false;
    close_after_ = !keep_alive;
    res_.emplace();
    res_->version(11);
    res_->result(static_cast<unsigned>(resp.status));
    if (!resp.content_type.empty()) {
      res_->set(http::field::content_type, resp.content_type);
    }
    for (auto& [k, v] : resp.headers) res_->insert(k, v);
    res_->keep_alive(keep_alive);
    res_->body() = std::move(resp.body);
    res_->prepare_payload();
    SetExpiry(server_->options.write_timeout);
    http::async_write(
        stream_, *res_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->res_.reset();
          if (ec) return self->Close();
          if (self->close_after_ && self->linger_) return self->LingerClose();
          if (self->close_after_) return self->Close();
          self->ReadHeader();
        });
  }

  // After refusing a body mid-upload: stop sending, then read and discard
  // what the client is still writing for a short while before closing, as
  // Go's server does. Closing at once would reset the connection under a
  // client that is still writing, and it would never read our answer.
  void LingerClose() {
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    SetExpiry(kLingerTime);  // the expiry sweep closes us if the client dawdles
    Drain();
  }

  void Drain() {
    if (!drain_) drain_ = std::make_unique<std::array<char, 16384>>();
    stream_.async_read_some(
        net::buffer(*drain_),
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Close();  // EOF, reset, or closed by the sweep
          self->Drain();
        });
  }

  void Close() {
    beast::error_code ec;
    deadline_.store(0, std::memory_order_relaxed);
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    stream_.close(ec);
  }

  // Largest body buffer kept for the connection's next request.
  static constexpr size_t kKeepBodyCapacity = 8 << 20;
  // How long LingerClose keeps reading a refused upload.
  static constexpr absl::Duration kLingerTime = absl::Milliseconds(500);

  void SetExpiry(absl::Duration d) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      deadline_.store(0, std::memory_order_relaxed);
    } else {
      deadline_.store(NowNanos() + absl::ToInt64Nanoseconds(d),
                      std::memory_order_relaxed);
    }
  }

  Impl* server_;
  Listener* listener_;
  tcp::socket stream_;
  std::atomic<int64_t> deadline_{0};  // steady-clock ns; 0 = none
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> res_;
  HttpRequest request_;  // reused: keeps header vector capacity
  bool first_ = true;
  bool busy_ = false;
  bool close_after_ = false;
  bool linger_ = false;  // the body was refused: close via LingerClose
  std::unique_ptr<std::array<char, 16384>> drain_;
};

void HttpServer::Impl::DoAccept(Listener* l) {
  l->acceptor.async_accept(
      net::make_strand(ioc), [this, l](beast::error_code ec, tcp::socket s) {
        if (stopping.load() || ec == net::error::operation_aborted) return;
        if (!ec) {
          beast::error_code ignored;
          s.set_option(tcp::no_delay(true), ignored);
          std::make_shared<Session>(this, l, std::move(s))->Run();
        } else {
          ANDANTE_LOG(kWarn, "accept failed", {{"err", ec.message()}});
        }
        if (l->acceptor.is_open()) DoAccept(l);
      });
}

void HttpServer::Impl::ScheduleSweep() {
  sweeper->expires_after(kSweepInterval);
  sweeper->async_wait([this](beast::error_code ec) {
    if (ec || stopped_sweeping.load()) return;
    CloseExpired();
    ScheduleSweep();
  });
}

void HttpServer::Impl::CloseExpired() {
  const int64_t now = NowNanos();
  std::vector<std::shared_ptr<Session>> expired;
  {
    absl::MutexLock lock(&mu);
    for (auto& [raw, weak] : sessions) {
      // `raw` stays valid while it is registered: a session unregisters in
      // its destructor, under `mu`.
      if (raw->Expired(now)) {
        if (auto p = weak.lock()) expired.push_back(std::move(p));
      }
    }
  }
  for (auto& p : expired) p->Expire();
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

HttpServer::~HttpServer() { Stop(absl::ZeroDuration()); }

absl::StatusOr<int> HttpServer::Listen(std::string_view endpoint,
                                       const ListenerOptions& options,
                                       HttpHandler handler) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(endpoint, &host, &port); !s.ok()) {
    return s;
  }
  if (host.empty()) host = "0.0.0.0";
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  auto results =
      resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("resolve \"", ToAbsl(endpoint), "\": ", ec.message()));
  }
  int bound_port = port;
  int bound = 0;
  std::string last_error;
  for (const auto& entry : results) {
    tcp::endpoint ep = entry.endpoint();
    if (bound_port != 0) ep.port(static_cast<unsigned short>(bound_port));
    auto l = std::make_unique<Impl::Listener>(impl_->ioc, options, handler);
    tcp::acceptor& a = l->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) a.set_option(net::ip::v6_only(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      last_error = absl::StrCat(ep.address().to_string(), ":", ep.port(), ": ",
                                ec.message());
      continue;
    }
    bound_port = a.local_endpoint().port();
    ++bound;
    impl_->listeners.push_back(std::move(l));
  }
  if (bound == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen on \"", ToAbsl(endpoint), "\": ", last_error));
  }
  return bound_port;
}

void HttpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return;
  s.started = true;
  s.work.emplace(s.ioc.get_executor());
  for (auto& l : s.listeners) s.DoAccept(l.get());
  s.sweeper.emplace(s.ioc);
  s.ScheduleSweep();
  s.workers.emplace(s.options.handler_threads > 0
                        ? static_cast<size_t>(s.options.handler_threads)
                        : kDefaultHandlerThreads);
  int n = s.options.threads;
  if (n <= 0) n = std::max(2u, std::thread::hardware_concurrency());
  for (int i = 0; i < n; ++i) {
    s.threads.emplace_back([&s] {
      for (;;) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          ANDANTE_LOG(kError, "http io thread caught exception",
                      {{"err", e.what()}});
        }
      }
    });
  }
}

void HttpServer::Stop(absl::Duration grace) {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  for (auto& l : s.listeners) {
    Impl::Listener* raw = l.get();
    net::post(raw->acceptor.get_executor(), [raw] {
      beast::error_code ec;
      raw->acceptor.close(ec);
    });
  }
  if (s.started) {
    std::vector<std::shared_ptr<Impl::Session>> live;
    {
      absl::MutexLock lock(&s.mu);
      for (auto& [raw, weak] : s.sessions) {
        if (auto p = weak.lock()) live.push_back(std::move(p));
      }
    }
    for (auto& p : live) p->OnStop();
    live.clear();
    s.mu.LockWhenWithDeadline(
        absl::Condition(
            +[](Impl* impl) ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mu) {
              return impl->sessions.empty();
            },
            &s),
        absl::Now() + grace);
    s.mu.Unlock();
    s.stopped_sweeping.store(true);
    s.work.reset();
    s.ioc.stop();
    for (auto& t : s.threads) t.join();
    s.threads.clear();
    // A handler still running past the grace period answers into the
    // stopped io_context, which drops the answer.
    s.workers->join();
  }
  s.listeners.clear();
}

}  // namespace andante::net
