// A gRPC service whose unary receiver methods take the raw request message
// instead of generated request classes: the receivers hand the bytes to
// their wire decoders (SpanBatch::FromProto, DecodeJaegerPostSpans) without
// building a message tree. Same method names and synchronous threading as a
// generated service.
//
// The service decompresses requests itself. GrpcListener turns gRPC's own
// per-message decompression off, because gRPC C++ 1.51 inflates a message
// completely before checking its size (a 4 MiB gzip bomb would cost
// gigabytes); a method here receives the message as sent, with its
// compressed flag and the call's grpc-encoding, and decompresses it with the
// bounded decoders the HTTP receivers use (receiver/grpc_message.h), so the
// decompressed size never exceeds the receive limit.
//
//   class MyService final : public RawGrpcService {
//    public:
//     MyService() {
//       AddReceiverMethod("/pkg.Service/Method", "pkg_service_method",
//                         nullptr, 4 << 20,
//                         [this](grpc::ServerContext* ctx,
//                                std::string_view request) { ... });
//     }
//   };
#ifndef ANDANTE_SERVER_GRPC_RAW_SERVICE_H_
#define ANDANTE_SERVER_GRPC_RAW_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace andante::server {

struct ServerMetrics;

class RawGrpcService : public grpc::Service {
 public:
  // A receiver's method: the request message, decompressed, as contiguous
  // bytes (valid for the call) in, the push's status out.
  using Receiver = std::function<absl::Status(grpc::ServerContext*,
                                              std::string_view request)>;

 protected:
  // Registers `receive` for the full method name `route`
  // ("/package.Service/Method"; must outlive the service) with what every
  // receiver method does around it: the request decompressed per its
  // grpc-encoding under `max_message_size` (errors as grpc-go's, see
  // receiver/grpc_message.h) and joined into one run of bytes, an exception
  // turned into INTERNAL, the call observed in `metrics` (may be null) as
  // `route_label` with code success, cancel or error, and an empty response
  // message on success.
  void AddReceiverMethod(const char* route, std::string route_label,
                         ServerMetrics* metrics, size_t max_message_size,
                         Receiver receive);
};

// The tenant of a receiver call: x-scope-orgid metadata under multitenancy
// (UNAVAILABLE "no org id" when missing or repeated), as ResolveTenant.
absl::StatusOr<std::string> TenantOf(const grpc::ServerContext& context,
                                     bool multitenancy_enabled);

// `s` as a gRPC status with the same code and message.
grpc::Status ToGrpc(const absl::Status& s);

// An empty response message (a proto3 message with no fields set
// serializes to no bytes).
grpc::ByteBuffer EmptyMessage();

}  // namespace andante::server

#endif  // ANDANTE_SERVER_GRPC_RAW_SERVICE_H_
