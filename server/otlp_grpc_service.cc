#include "otlp_grpc_service.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/support/method_handler.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "http_server.h"
#include "metrics.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::server {
namespace {

constexpr char kExportRoute[] =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(internal::ToStd(s.message())));
}

std::string StatusLabel(const absl::Status& s) {
  if (s.ok()) return "ok";
  return absl::AsciiStrToLower(absl::StatusCodeToString(s.code()));
}

// TraceService with Export registered raw: gRPC hands over the request bytes
// (a ByteBuffer) instead of a parsed ExportTraceServiceRequest, and the
// bytes are split by SpanBatch::FromProto without building the message tree.
// Same method name, same synchronous threading as the generated service.
class TraceServiceImpl final : public grpc::Service {
 public:
  TraceServiceImpl(const OtlpGrpcOptions& options, Store* store,
                   ServerMetrics* metrics)
      : options_(options),
        store_(store),
        metrics_(metrics),
        route_(RouteLabel(kExportRoute)) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kExportRoute, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<TraceServiceImpl, grpc::ByteBuffer,
                                             grpc::ByteBuffer, grpc::ByteBuffer,
                                             grpc::ByteBuffer>(
            [](TraceServiceImpl* service, grpc::ServerContext* context,
               const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
              return service->Export(context, request, response);
            },
            this)));
  }

  grpc::Status Export(grpc::ServerContext* context,
                      const grpc::ByteBuffer* request,
                      grpc::ByteBuffer* response) {
    auto start = std::chrono::steady_clock::now();
    absl::Status s;
    try {
      s = Push(context, *request);
    } catch (const std::exception& e) {
      s = absl::InternalError(absl::StrCat("internal error: ", e.what()));
    }
    if (metrics_ != nullptr) {
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      std::string_view code = s.ok() ? "success"
                              : s.code() == absl::StatusCode::kCancelled
                                  ? "cancel"
                                  : "error";
      metrics_->ObserveRequest("gRPC", route_, code, seconds);
    }
    // Success: an empty ExportTraceServiceResponse (no partial_success),
    // which serializes to no bytes.
    if (s.ok()) {
      grpc::Slice empty;
      *response = grpc::ByteBuffer(&empty, 1);
    }
    return ToGrpc(s);
  }

 private:
  absl::Status Push(grpc::ServerContext* context,
                    const grpc::ByteBuffer& buffer) {
    // The message as one contiguous run of bytes: gRPC usually delivers it
    // in several slices (already decompressed).
    std::vector<grpc::Slice> slices;
    if (grpc::Status dumped = buffer.Dump(&slices); !dumped.ok()) {
      return absl::InternalError(dumped.error_message());
    }
    thread_local std::string joined;
    constexpr size_t kKeepJoinedBytes = 8 << 20;
    if (joined.capacity() > kKeepJoinedBytes) std::string().swap(joined);
    std::string_view bytes;
    if (slices.size() == 1) {
      bytes = std::string_view(reinterpret_cast<const char*>(slices[0].begin()),
                               slices[0].size());
    } else {
      joined.clear();
      for (const grpc::Slice& slice : slices) {
        joined.append(reinterpret_cast<const char*>(slice.begin()),
                      slice.size());
      }
      bytes = joined;
    }

    absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
    if (!batch.ok()) {
      // What grpc-go (and so the collector in Tempo) answers for a message
      // that does not unmarshal.
      return absl::InternalError(
          absl::StrCat("grpc: error unmarshalling request: ",
                       batch.status().message()));
    }
    const uint64_t spans = batch->span_count();
    std::string tenant(kSingleTenant);
    if (options_.multitenancy_enabled) {
      const auto& md = context->client_metadata();
      auto range = md.equal_range("x-scope-orgid");
      absl::Status tenant_error;
      if (range.first == range.second ||
          std::next(range.first) != range.second) {
        tenant_error = absl::UnavailableError("no org id");
      } else {
        tenant.assign(range.first->second.data(), range.first->second.size());
        tenant_error = ValidateTenantId(tenant);
      }
      if (!tenant_error.ok()) {
        if (metrics_ != nullptr) {
          metrics_->RecordPush("grpc", "", spans, 0, StatusLabel(tenant_error),
                               false, 0);
        }
        return tenant_error;
      }
    }
    absl::StatusOr<PushResult> pushed = store_->Push(tenant, *batch);
    if (metrics_ != nullptr) {
      metrics_->RecordPush(
          "grpc", tenant, spans, bytes.size(), StatusLabel(pushed.status()),
          pushed.ok(), pushed.ok() ? pushed->spans_discarded_trace_too_large : 0);
    }
    return pushed.status();
  }

  const OtlpGrpcOptions options_;
  Store* const store_;
  ServerMetrics* const metrics_;
  const std::string route_;
};

class OtlpGrpcServerImpl final : public OtlpGrpcServer {
 public:
  OtlpGrpcServerImpl(std::unique_ptr<TraceServiceImpl> service,
                     std::unique_ptr<grpc::Server> server, int port)
      : service_(std::move(service)), server_(std::move(server)), port_(port) {}
  ~OtlpGrpcServerImpl() override { Shutdown(absl::ZeroDuration()); }

  int port() const override { return port_; }

  void Shutdown(absl::Duration grace) override {
    if (server_ == nullptr) return;
    auto deadline = std::chrono::system_clock::now() +
                    std::chrono::nanoseconds(absl::ToInt64Nanoseconds(grace));
    server_->Shutdown(deadline);
    server_->Wait();
    server_.reset();
  }

 private:
  std::unique_ptr<TraceServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OtlpGrpcServer>> OtlpGrpcServer::Start(
    const OtlpGrpcOptions& options, Store* store, ServerMetrics* metrics) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options.endpoint, &host, &port); !s.ok()) {
    return s;
  }
  if (host.empty()) host = "0.0.0.0";
  std::string address = host.find(':') != std::string::npos
                            ? absl::StrCat("[", host, "]:", port)
                            : absl::StrCat(host, ":", port);

  auto service = std::make_unique<TraceServiceImpl>(options, store, metrics);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<uint64_t>(options.max_recv_msg_size, INT32_MAX)));
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("OTLP gRPC: cannot listen on \"", options.endpoint, "\""));
  }
  return std::unique_ptr<OtlpGrpcServer>(new OtlpGrpcServerImpl(
      std::move(service), std::move(server), selected_port));
}

}  // namespace andante::server
