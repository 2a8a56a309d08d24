#include "grpc_raw_service.h"

#include <grpc/byte_buffer.h>
#include <grpc/compression.h>
#include <grpc/slice.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include <cstdint>
#include <new>
#include <utility>

#include "util/strings.h"

// gRPC core's accessor for the flags of the message a call last received
// (src/core/lib/surface/call_test_only.h, exported with C++ linkage by
// libgrpc 1.51; not in the installed headers). It is the only way a
// synchronous C++ server sees the compressed flag of a message whose call
// has no grpc-encoding: gRPC then hands the payload over as if it were
// uncompressed. Weak, so a libgrpc without it still links; that one check
// (grpc-go's "compressed flag set with identity or empty encoding") is then
// skipped and the bytes fail to decode instead.
uint32_t grpc_call_test_only_get_message_flags(grpc_call* call)
    __attribute__((weak));

namespace andante::net {
namespace {

// The compressed flag among a received message's flags
// (GRPC_WRITE_INTERNAL_COMPRESS in gRPC core's transport.h).
constexpr uint32_t kCompressedFlag = 0x80000000u;

// One request message as gRPC core received it, per-message decompression
// off: the framed bytes, compressed or not.
struct RawRequest {
  RawRequest() = default;
  RawRequest(const RawRequest&) = delete;
  RawRequest& operator=(const RawRequest&) = delete;
  ~RawRequest() {
    if (buffer != nullptr) grpc_byte_buffer_destroy(buffer);
  }

  // Owned; null when the call carried no message.
  grpc_byte_buffer* buffer = nullptr;
  // The message's flags as received (kCompressedFlag), when readable.
  uint32_t flags = 0;
};

// A unary method handler like gRPC's RpcMethodHandler, but handing over the
// received grpc_byte_buffer as it is: grpc::ByteBuffer hides whether the
// message was compressed and with what.
class RawUnaryHandler final : public grpc::internal::MethodHandler {
 public:
  using Fn = std::function<grpc::Status(grpc::ServerContext*, const RawRequest&,
                                        grpc::ByteBuffer* response)>;
  explicit RawUnaryHandler(Fn fn) : fn_(std::move(fn)) {}

  void RunHandler(const HandlerParameter& param) final {
    grpc::ByteBuffer response;
    grpc::Status status = param.status;
    if (status.ok()) {
      auto* request = static_cast<RawRequest*>(param.request);
      status = grpc::internal::CatchingFunctionHandler([&] {
        return fn_(static_cast<grpc::ServerContext*>(param.server_context),
                   *request, &response);
      });
      request->~RawRequest();
    }
    grpc::internal::UnaryRunHandlerHelper(param, &response, status);
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** /*handler_data*/) final {
    // Lives in the call's arena, as RpcMethodHandler's request does;
    // RunHandler destroys it (and so the buffer, which is ours now).
    void* memory = grpc::g_core_codegen_interface->grpc_call_arena_alloc(
        call, sizeof(RawRequest));
    auto* request = new (memory) RawRequest;
    request->buffer = req;
    if (req != nullptr && grpc_call_test_only_get_message_flags != nullptr) {
      request->flags = grpc_call_test_only_get_message_flags(call);
    }
    *status = grpc::Status::OK;
    return request;
  }

 private:
  const Fn fn_;
};

// The message bytes of `buffer` as one contiguous run, valid while `buffer`
// and `scratch` live: a view of its only slice, else joined into `scratch`.
std::string_view ContiguousBytes(const grpc_byte_buffer& buffer,
                                 std::string* scratch) {
  const grpc_slice_buffer& slices = buffer.data.raw.slice_buffer;
  if (slices.count == 1) {
    return std::string_view(
        reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slices.slices[0])),
        GRPC_SLICE_LENGTH(slices.slices[0]));
  }
  scratch->clear();
  scratch->reserve(slices.length);
  for (size_t i = 0; i < slices.count; ++i) {
    scratch->append(
        reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slices.slices[i])),
        GRPC_SLICE_LENGTH(slices.slices[i]));
  }
  return std::string_view(*scratch);
}

// The request message of a receiver call as received: a view into the
// request or `joined`, its compressed flag and the call's encoding.
absl::Status RequestMessage(const grpc::ServerContext& context,
                            const RawRequest& request, std::string* joined,
                            GrpcRequest* out) {
  if (request.buffer == nullptr || request.buffer->type != GRPC_BB_RAW) {
    return absl::InternalError("grpc: no request message");
  }
  const grpc_byte_buffer& buffer = *request.buffer;
  out->message = ContiguousBytes(buffer, joined);
  // gRPC marks the buffer with the call's algorithm when the compressed flag
  // is set and the call's grpc-encoding is one it knows; otherwise only the
  // flags tell.
  const grpc_compression_algorithm algorithm = buffer.data.raw.compression;
  if (algorithm != GRPC_COMPRESS_NONE) {
    out->compressed = true;
    const char* name = nullptr;
    if (grpc_compression_algorithm_name(algorithm, &name) != 0 &&
        name != nullptr) {
      out->encoding = name;
    }
  } else if ((request.flags & kCompressedFlag) != 0) {
    out->compressed = true;
    // gRPC consumes a grpc-encoding it knows; one it does not may still be
    // in the metadata.
    auto it = context.client_metadata().find("grpc-encoding");
    if (it != context.client_metadata().end()) {
      out->encoding = std::string_view(it->second.data(), it->second.size());
    }
  }
  for (const auto& [key, value] : context.client_metadata()) {
    out->metadata.emplace_back(std::string_view(key.data(), key.size()),
                               std::string_view(value.data(), value.size()));
  }
  return absl::OkStatus();
}

// Drops a per-thread buffer that a huge request grew.
void TrimScratch(std::string* s) {
  constexpr size_t kKeepBytes = 8 << 20;
  if (s->capacity() > kKeepBytes) std::string().swap(*s);
}

}  // namespace

void RawGrpcService::AddReceiverMethod(const char* route, Receiver receive) {
  auto handler = [receive = std::move(receive)](grpc::ServerContext* context,
                                                const RawRequest& request,
                                                grpc::ByteBuffer* response) {
    // Kept per thread across calls, unless a huge request grew it.
    thread_local std::string joined;
    TrimScratch(&joined);
    GrpcRequest req;
    absl::Status s = RequestMessage(*context, request, &joined, &req);
    if (s.ok()) s = receive(req);
    if (s.ok()) *response = EmptyMessage();
    return ToGrpc(s);
  };
  AddMethod(new grpc::internal::RpcServiceMethod(
      route, grpc::internal::RpcMethod::NORMAL_RPC,
      new RawUnaryHandler(std::move(handler))));
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(internal::ToStd(s.message())));
}

grpc::ByteBuffer EmptyMessage() {
  grpc::Slice empty;
  return grpc::ByteBuffer(&empty, 1);
}

}  // namespace andante::net
