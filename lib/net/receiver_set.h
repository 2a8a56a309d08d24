// Every listener of an Andante server over one Store: the Tempo query API
// and the receivers (OTLP/HTTP and gRPC, Jaeger gRPC, Thrift HTTP and agent
// UDP, Zipkin), each serving through one RequestHandler. The andante server
// composes it from its config; the in-process test collector uses it too.
// Internal (lib/net is not part of libandante).
//
//   ReceiverSetOptions o;
//   o.api_endpoint = "127.0.0.1:0";        // port 0: any free port
//   o.otlp_grpc_endpoint = "127.0.0.1:0";
//   o.otlp_http_endpoint = "127.0.0.1:0";  // empty endpoint: not started
//   absl::StatusOr<std::unique_ptr<ReceiverSet>> set =
//       ReceiverSet::Start(store, std::move(o));
//   int port = (*set)->ports().otlp_grpc;
//   ...
//   (*set)->SetStopping();                  // /ready answers 503
//   (*set)->Stop(absl::Seconds(30));        // finish in-flight, close
#ifndef ANDANTE_NET_RECEIVER_SET_H_
#define ANDANTE_NET_RECEIVER_SET_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/request.h"
#include "http_server.h"
#include "udp_listener.h"

namespace andante::net {

struct ReceiverSetOptions {
  // What the requests are handled with: multitenancy, the observer (the
  // server passes its ServerMetrics), body limits, the API prefix, extra API
  // routes.
  RequestOptions request;

  // "host:port" of each listener (an empty host listens on all interfaces,
  // port 0 picks a free port); an empty endpoint leaves it off.
  std::string api_endpoint;                 // Tempo query API (3200)
  std::string otlp_http_endpoint;           // OTLP/HTTP (4318)
  std::string otlp_grpc_endpoint;           // OTLP/gRPC (4317)
  std::string jaeger_grpc_endpoint;         // Jaeger gRPC (14250)
  std::string jaeger_thrift_http_endpoint;  // Jaeger Thrift HTTP (14268)
  std::string zipkin_endpoint;              // Zipkin (9411)
  // Jaeger agent UDP receivers (6831 compact, 6832 binary); off when their
  // endpoint is empty.
  UdpListenerOptions jaeger_compact;
  UdpListenerOptions jaeger_binary;

  // Largest request body on the API listener, bytes.
  uint64_t api_body_limit = 16ull << 20;
  // Threads and timeouts of the HTTP listeners.
  HttpServerOptions http;
};

// Bound ports; 0 for a listener that is off.
struct ReceiverPorts {
  int api = 0;
  int otlp_http = 0;
  int otlp_grpc = 0;
  int jaeger_grpc = 0;
  int jaeger_thrift_http = 0;
  int zipkin = 0;
  int jaeger_compact = 0;
  int jaeger_binary = 0;
};

class ReceiverSet {
 public:
  // Binds every listener with an endpoint and starts serving. UNAVAILABLE
  // naming the endpoint when one cannot listen (nothing is left running).
  // `store` (and options.request.observer) must outlive the set.
  static absl::StatusOr<std::unique_ptr<ReceiverSet>> Start(
      Store* store, ReceiverSetOptions options);

  ~ReceiverSet();  // Stop(zero) if still running
  ReceiverSet(const ReceiverSet&) = delete;
  ReceiverSet& operator=(const ReceiverSet&) = delete;

  const ReceiverPorts& ports() const { return ports_; }

  // The handler every listener serves through.
  RequestHandler& handler() { return *handler_; }

  // From now on /ready answers 503 "Application is stopping".
  void SetStopping();

  // Stops accepting, lets in-flight requests finish for up to `grace`,
  // drains queued datagrams, closes every listener. Idempotent.
  void Stop(absl::Duration grace);

 private:
  struct Listeners;
  ReceiverSet();
  absl::Status Init(Store* store, ReceiverSetOptions options);

  std::unique_ptr<RequestHandler> handler_;
  std::unique_ptr<Listeners> listeners_;
  ReceiverPorts ports_;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_RECEIVER_SET_H_
