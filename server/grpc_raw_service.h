// A gRPC service whose unary methods take and return raw message bytes
// (grpc::ByteBuffer) instead of generated request/response classes: the
// receivers hand the bytes to their wire decoders (SpanBatch::FromProto,
// DecodeJaegerPostSpans) without building a message tree. Same method
// names and synchronous threading as a generated service.
//
//   class MyService final : public RawGrpcService {
//    public:
//     MyService() {
//       AddRawUnaryMethod("/pkg.Service/Method",
//                         [this](auto* ctx, auto* req, auto* resp) { ... });
//     }
//   };
#ifndef ANDANTE_SERVER_GRPC_RAW_SERVICE_H_
#define ANDANTE_SERVER_GRPC_RAW_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace andante::server {

struct ServerMetrics;

class RawGrpcService : public grpc::Service {
 public:
  using Handler = std::function<grpc::Status(
      grpc::ServerContext*, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response)>;
  // A receiver's method: the request message as contiguous bytes (valid
  // for the call) in, the push's status out.
  using Receiver = std::function<absl::Status(grpc::ServerContext*,
                                              std::string_view request)>;

 protected:
  // Registers `handler` for the full method name `route`
  // ("/package.Service/Method"); `route` must outlive the service.
  void AddRawUnaryMethod(const char* route, Handler handler);

  // Registers `receive` for `route` with what every receiver method does
  // around it: the request joined into one run of bytes, an exception
  // turned into INTERNAL, the call observed in `metrics` (may be null) as
  // `route_label` with code success, cancel or error, and an empty response
  // message on success.
  void AddReceiverMethod(const char* route, std::string route_label,
                         ServerMetrics* metrics, Receiver receive);
};

// The tenant of a receiver call: x-scope-orgid metadata under multitenancy
// (UNAVAILABLE "no org id" when missing or repeated), as ResolveTenant.
absl::StatusOr<std::string> TenantOf(const grpc::ServerContext& context,
                                     bool multitenancy_enabled);

// `s` as a gRPC status with the same code and message.
grpc::Status ToGrpc(const absl::Status& s);

// The message in `buffer` as one contiguous run of bytes, valid while
// `buffer` and `scratch` live: a view of gRPC's slice when it is one large
// slice, else joined into `scratch`.
absl::StatusOr<std::string_view> ContiguousBytes(const grpc::ByteBuffer& buffer,
                                                std::string* scratch);

// An empty response message (a proto3 message with no fields set
// serializes to no bytes).
grpc::ByteBuffer EmptyMessage();

}  // namespace andante::server

#endif  // ANDANTE_SERVER_GRPC_RAW_SERVICE_H_
