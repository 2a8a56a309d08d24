// A gRPC service whose unary receiver methods take the raw request message
// instead of generated request classes: the bytes go to the request layer
// (andante/request.h), whose decoders read them without building a message
// tree. Same method names and synchronous threading as a generated service.
//
// The service decompresses requests itself. GrpcListener turns gRPC's own
// per-message decompression off, because gRPC C++ 1.51 inflates a message
// completely before checking its size (a 4 MiB gzip bomb would cost
// gigabytes); a method here receives the message as sent, with its
// compressed flag and the call's grpc-encoding, and the request layer
// decompresses it with the bounded decoders the HTTP receivers use
// (receiver/grpc_message.h), so the decompressed size never exceeds the
// receive limit.
//
//   class MyService final : public RawGrpcService {
//    public:
//     MyService() {
//       AddReceiverMethod("/pkg.Service/Method",
//                         [this](const GrpcRequest& request) { ... });
//     }
//   };
#ifndef ANDANTE_NET_GRPC_RAW_SERVICE_H_
#define ANDANTE_NET_GRPC_RAW_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/request.h"

namespace andante::net {

class RawGrpcService : public grpc::Service {
 public:
  // A receiver's method: the request message as received, with the call's
  // metadata (views valid for the call), in; the status to answer out.
  using Receiver = std::function<absl::Status(const GrpcRequest& request)>;

  // A service of one receiver method.
  RawGrpcService() = default;
  RawGrpcService(const char* route, Receiver receive) {
    AddReceiverMethod(route, std::move(receive));
  }

 protected:
  // Registers `receive` for the full method name `route`
  // ("/package.Service/Method"; must outlive the service): it gets the
  // request message as sent (compressed flag, grpc-encoding) joined into one
  // run of bytes, and an empty response message is sent on success.
  void AddReceiverMethod(const char* route, Receiver receive);
};

// `s` as a gRPC status with the same code and message.
grpc::Status ToGrpc(const absl::Status& s);

// An empty response message (a proto3 message with no fields set
// serializes to no bytes).
grpc::ByteBuffer EmptyMessage();

}  // namespace andante::net

#endif  // ANDANTE_NET_GRPC_RAW_SERVICE_H_
