#include "grpc_raw_service.h"

#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include <utility>
#include <vector>

#include "util/strings.h"

namespace andante::server {

void RawGrpcService::AddRawUnaryMethod(const char* route, Handler handler) {
  AddMethod(new grpc::internal::RpcServiceMethod(
      route, grpc::internal::RpcMethod::NORMAL_RPC,
      new grpc::internal::RpcMethodHandler<RawGrpcService, grpc::ByteBuffer,
                                           grpc::ByteBuffer, grpc::ByteBuffer,
                                           grpc::ByteBuffer>(
          [handler = std::move(handler)](
              RawGrpcService*, grpc::ServerContext* context,
              const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
            return handler(context, request, response);
          },
          this)));
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(internal::ToStd(s.message())));
}

absl::StatusOr<std::string_view> ContiguousBytes(const grpc::ByteBuffer& buffer,
                                                std::string* scratch) {
  // gRPC usually delivers a message (already decompressed) in several
  // slices.
  std::vector<grpc::Slice> slices;
  if (grpc::Status dumped = buffer.Dump(&slices); !dumped.ok()) {
    return absl::InternalError(dumped.error_message());
  }
  // A small slice keeps its bytes inline in the grpc::Slice object, which
  // dies with `slices`: only a large one may be viewed in place (its
  // refcounted storage lives as long as `buffer`).
  constexpr size_t kInlineSafeSize = 64;
  if (slices.size() == 1 && slices[0].size() > kInlineSafeSize) {
    return std::string_view(reinterpret_cast<const char*>(slices[0].begin()),
                            slices[0].size());
  }
  scratch->clear();
  for (const grpc::Slice& slice : slices) {
    scratch->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return std::string_view(*scratch);
}

grpc::ByteBuffer EmptyMessage() {
  grpc::Slice empty;
  return grpc::ByteBuffer(&empty, 1);
}

}  // namespace andante::server
