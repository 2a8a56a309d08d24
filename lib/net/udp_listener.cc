#include "udp_listener.h"

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "http_server.h"  // SplitHostPort
#include "util/strings.h"

namespace andante::net {
namespace {

namespace net = boost::asio;
using net::ip::udp;
using internal::ToAbsl;

class UdpListenerImpl final : public UdpListener {
 public:
  UdpListenerImpl(const UdpListenerOptions& options, Handler handler,
                  DropHandler on_drop)
      : options_(options),
        handler_(std::move(handler)),
        on_drop_(std::move(on_drop)) {}
  ~UdpListenerImpl() override { Stop(); }

  absl::Status Bind() {
    std::string host;
    int port = 0;
    if (absl::Status s = SplitHostPort(options_.endpoint, &host, &port);
        !s.ok()) {
      return s;
    }
    if (host.empty()) host = "0.0.0.0";
    boost::system::error_code ec;
    udp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(port),
                                    udp::resolver::passive, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "resolve \"", options_.endpoint, "\": ", ec.message()));
    }
    std::string last_error;
    for (const auto& entry : results) {
      udp::endpoint ep = entry.endpoint();
      if (port_ != 0) ep.port(static_cast<unsigned short>(port_));
      auto socket = std::make_unique<Socket>(io_, options_.max_packet_size);
      udp::socket& s = socket->socket;
      s.open(ep.protocol(), ec);
      if (!ec && ep.address().is_v6()) s.set_option(net::ip::v6_only(true), ec);
      if (!ec) {
        int size = options_.socket_buffer_size > 0 ? options_.socket_buffer_size
                                                   : kDefaultSocketBuffer;
        s.set_option(net::socket_base::receive_buffer_size(size), ec);
      }
      if (!ec) s.bind(ep, ec);
      if (ec) {
        last_error = absl::StrCat(ep.address().to_string(), ":", ep.port(),
                                  ": ", ec.message());
        continue;
      }
      port_ = s.local_endpoint().port();
      sockets_.push_back(std::move(socket));
    }
    if (sockets_.empty()) {
      return absl::UnavailableError(absl::StrCat(
          "listen on udp \"", options_.endpoint, "\": ", last_error));
    }
    return absl::OkStatus();
  }

  void Run() {
    for (auto& s : sockets_) Receive(s.get());
    io_thread_ = std::thread([this] { io_.run(); });
    int workers = std::max(1, options_.workers);
    for (int i = 0; i < workers; ++i) {
      workers_.emplace_back([this] { Work(); });
    }
  }

  int port() const override { return port_; }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
    }
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    sockets_.clear();
  }

 private:
  struct Socket {
    Socket(net::io_context& io, size_t max_packet_size)
        // One byte more than allowed, so an oversized datagram shows as a
        // full buffer (the kernel truncates it to the buffer).
        : socket(io), buffer(max_packet_size + 1) {}
    udp::socket socket;
    udp::endpoint sender;
    std::vector<char> buffer;
  };

  void Receive(Socket* s) {
    s->socket.async_receive_from(
        net::buffer(s->buffer), s->sender,
        [this, s](const boost::system::error_code& ec, size_t n) {
          if (ec == net::error::operation_aborted) return;
          if (!ec) Enqueue(std::string_view(s->buffer.data(), n));
          Receive(s);
        });
  }

  void Enqueue(std::string_view datagram) {
    if (datagram.size() > options_.max_packet_size) {
      if (on_drop_) on_drop_("too_large");
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (queue_.size() < options_.queue_size) {
        queue_.emplace_back(datagram);
        return;
      }
    }
    if (on_drop_) on_drop_("queue_full");
  }

  void Work() {
    const size_t max_batch = std::max<size_t>(options_.max_batch, 1);
    std::vector<std::string> batch;
    for (;;) {
      batch.clear();
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](UdpListenerImpl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                 self->mu_) { return self->closing_ || !self->queue_.empty(); },
            this));
        if (queue_.empty()) return;  // closing and drained
        while (!queue_.empty() && batch.size() < max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      handler_(batch);
    }
  }

  const UdpListenerOptions options_;
  const Handler handler_;
  const DropHandler on_drop_;
  net::io_context io_{1};
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::thread io_thread_;
  std::vector<std::thread> workers_;
  int port_ = 0;
  bool stopped_ = false;

  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<UdpListener>> UdpListener::Start(
    const UdpListenerOptions& options, Handler handler, DropHandler on_drop) {
  auto listener = std::make_unique<UdpListenerImpl>(options, std::move(handler),
                                                    std::move(on_drop));
  if (absl::Status s = listener->Bind(); !s.ok()) return s;
  listener->Run();
  return std::unique_ptr<UdpListener>(std::move(listener));
}

}  // namespace andante::net
