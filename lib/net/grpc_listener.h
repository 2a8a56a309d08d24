// One gRPC server on one endpoint serving one service: the shared plumbing
// of the gRPC receivers (OTLP 4317, Jaeger 14250). gRPC headers stay out of
// this header; callers that build services include them themselves.
//
// gRPC's per-message decompression is off on these servers: gRPC C++ 1.51
// inflates a compressed message completely before checking its size. The
// service, a RawGrpcService, receives messages as sent and decompresses
// them itself under the receive limit (grpc_raw_service.h). The limit
// applies to the message as sent and, there, to its decompressed size.
//
//   auto listener = GrpcListener::Start("Jaeger gRPC", "0.0.0.0:14250",
//                                       4 << 20, std::move(service));
//   ...
//   (*listener)->Shutdown(absl::Seconds(30));
#ifndef ANDANTE_NET_GRPC_LISTENER_H_
#define ANDANTE_NET_GRPC_LISTENER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace andante::net {

class RawGrpcService;

class GrpcListener {
 public:
  // Serves `service` (owned; destroyed after the server stops) on
  // `endpoint` ("host:port", empty host = all interfaces), refusing
  // messages over `max_recv_msg_size` bytes as sent (RESOURCE_EXHAUSTED;
  // the service bounds their decompressed size). UNAVAILABLE naming `what`
  // and the endpoint when it cannot listen.
  static absl::StatusOr<std::unique_ptr<GrpcListener>> Start(
      std::string_view what, std::string_view endpoint,
      uint64_t max_recv_msg_size, std::unique_ptr<RawGrpcService> service);
  ~GrpcListener();

  int port() const { return port_; }
  // Stops accepting calls, waits up to `grace` for running ones, cancels
  // the rest. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcListener(std::unique_ptr<RawGrpcService> service,
               std::unique_ptr<grpc::Server> server, int port);

  // Declared first: destroyed after the server that calls into it.
  std::unique_ptr<RawGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_GRPC_LISTENER_H_
