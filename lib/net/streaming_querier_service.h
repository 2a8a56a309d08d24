// Tempo's gRPC query API, tempopb.StreamingQuerier (Search, SearchTags,
// SearchTagsV2, SearchTagValues, SearchTagValuesV2), on
// server.grpc_listen_port, and on the HTTP port for connections the HTTP
// server recognizes as cleartext HTTP/2 (ListenerOptions::h2c -> Adopt).
// The answers come from lib/query/streaming_querier.h; this is sockets and
// tenancy only. gRPC stays out of this header.
//
//   auto querier = QuerierGrpcServer::Start({.endpoint = ":9095"}, store);
//   http_listener_options.h2c = [q = querier->get()](int fd) { q->Adopt(fd); };
//   ...
//   (*querier)->Shutdown(absl::Seconds(30));
#ifndef ANDANTE_NET_STREAMING_QUERIER_SERVICE_H_
#define ANDANTE_NET_STREAMING_QUERIER_SERVICE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace andante {
class Store;
}

namespace andante::net {

struct QuerierGrpcOptions {
  // "host:port"; an empty host listens on all interfaces.
  std::string endpoint;
  // With multitenancy the tenants are metadata x-scope-orgid ("a|b"
  // merges); missing -> UNAUTHENTICATED "no org id", invalid ->
  // INVALID_ARGUMENT. Without, every call reads the single tenant.
  bool multitenancy_enabled = false;
};

class QuerierGrpcServer {
 public:
  // Starts serving on options.endpoint. `store` must outlive the server.
  // UNAVAILABLE when it cannot listen.
  static absl::StatusOr<std::unique_ptr<QuerierGrpcServer>> Start(
      const QuerierGrpcOptions& options, Store* store);
  ~QuerierGrpcServer();

  int port() const { return port_; }
  // Serves an accepted connection whose HTTP/2 preface is still unread;
  // takes ownership of `fd`. Thread-safe; after Shutdown the fd is closed.
  void Adopt(int fd);
  // Stops accepting calls, waits up to `grace` for running ones, cancels
  // the rest. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  QuerierGrpcServer(std::unique_ptr<grpc::Service> service,
                    std::unique_ptr<grpc::Server> server, int port);

  std::unique_ptr<grpc::Service> service_;  // outlives server_
  absl::Mutex mu_;
  std::unique_ptr<grpc::Server> server_ ABSL_GUARDED_BY(mu_);
  const int port_;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_STREAMING_QUERIER_SERVICE_H_
