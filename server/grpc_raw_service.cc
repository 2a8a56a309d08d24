#include "grpc_raw_service.h"

#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "metrics.h"
#include "receiver_push.h"
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

void RawGrpcService::AddReceiverMethod(const char* route, std::string route_label,
                                       ServerMetrics* metrics, Receiver receive) {
  AddRawUnaryMethod(route, [route_label = std::move(route_label), metrics,
                            receive = std::move(receive)](
                               grpc::ServerContext* context,
                               const grpc::ByteBuffer* request,
                               grpc::ByteBuffer* response) {
    const auto start = std::chrono::steady_clock::now();
    // Kept per thread across calls, unless a huge request grew it.
    thread_local std::string joined;
    constexpr size_t kKeepJoinedBytes = 8 << 20;
    if (joined.capacity() > kKeepJoinedBytes) std::string().swap(joined);
    absl::Status s;
    try {
      absl::StatusOr<std::string_view> bytes = ContiguousBytes(*request, &joined);
      s = bytes.ok() ? receive(context, *bytes) : bytes.status();
    } catch (const std::exception& e) {
      s = absl::InternalError(absl::StrCat("internal error: ", e.what()));
    }
    if (metrics != nullptr) {
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      const std::string_view code = s.ok()                                    ? "success"
                                    : s.code() == absl::StatusCode::kCancelled ? "cancel"
                                                                               : "error";
      metrics->ObserveRequest("gRPC", route_label, code, seconds);
    }
    if (s.ok()) *response = EmptyMessage();
    return ToGrpc(s);
  });
}

absl::StatusOr<std::string> TenantOf(const grpc::ServerContext& context,
                                     bool multitenancy_enabled) {
  std::optional<std::string_view> org_id;
  int count = 0;
  if (multitenancy_enabled) {
    auto range = context.client_metadata().equal_range("x-scope-orgid");
    for (auto it = range.first; it != range.second; ++it) {
      if (count++ == 0) org_id = std::string_view(it->second.data(), it->second.size());
    }
  }
  return ResolveTenant(multitenancy_enabled, org_id, count);
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
