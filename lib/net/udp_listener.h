// A UDP server for the Jaeger agent protocols (6831 compact, 6832 binary):
// one io thread reads datagrams into a bounded queue, `workers` threads hand
// them to a handler. Boost.Asio underneath, hidden here.
//
//   UdpListenerOptions o{.endpoint = "0.0.0.0:6831"};
//   auto l = UdpListener::Start(o,
//       [](absl::Span<const std::string> datagrams) { DecodeAll(datagrams); },
//       [](std::string_view reason) { CountDrop(reason); });
//   ...
//   (*l)->Stop();  // stop reading, finish queued datagrams, join
//
// Like the collector's agent server, a datagram larger than max_packet_size
// is dropped ("too_large") and so is one arriving while the queue is full
// ("queue_full"); datagrams are never blocked on, so a slow store costs
// datagrams, not the socket. A worker takes up to `max_batch` queued
// datagrams at once, so under load one store push carries many datagrams
// instead of one each.
#ifndef ANDANTE_NET_UDP_LISTENER_H_
#define ANDANTE_NET_UDP_LISTENER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace andante::net {

inline constexpr int kDefaultSocketBuffer = 8 << 20;

struct UdpListenerOptions {
  // "host:port"; an empty host listens on all interfaces; a name binds every
  // address it resolves to.
  std::string endpoint;
  size_t max_packet_size = 65000;
  size_t queue_size = 1000;
  int workers = 10;
  // SO_RCVBUF in bytes. 0 asks for kDefaultSocketBuffer: the kernel's own
  // default (208 KiB on Linux) holds only a dozen full-size datagrams, so a
  // client's burst is lost while a worker is busy. The kernel caps any
  // request at net.core.rmem_max.
  int socket_buffer_size = 0;
  // Datagrams a worker takes from the queue in one go (at least 1).
  size_t max_batch = 16;
};

class UdpListener {
 public:
  // Called on a worker thread with 1 to max_batch datagrams, in arrival
  // order.
  using Handler = std::function<void(absl::Span<const std::string> datagrams)>;
  // Called on the io thread for each dropped datagram.
  using DropHandler = std::function<void(std::string_view reason)>;

  // Binds and starts reading. UNAVAILABLE naming the endpoint if it cannot
  // bind.
  static absl::StatusOr<std::unique_ptr<UdpListener>> Start(
      const UdpListenerOptions& options, Handler handler,
      DropHandler on_drop);

  virtual ~UdpListener() = default;
  // The bound port.
  virtual int port() const = 0;
  // Stops reading, lets the workers finish every queued datagram, joins.
  // Idempotent.
  virtual void Stop() = 0;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_UDP_LISTENER_H_
