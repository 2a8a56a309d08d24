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

class RawGrpcService : public grpc::Service {
 public:
  using Handler = std::function<grpc::Status(
      grpc::ServerContext*, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response)>;

 protected:
  // Registers `handler` for the full method name `route`
  // ("/package.Service/Method"); `route` must outlive the service.
  void AddRawUnaryMethod(const char* route, Handler handler);
};

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
