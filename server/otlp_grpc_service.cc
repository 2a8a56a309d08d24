#include "otlp_grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "http_server.h"
#include "grpc_listener.h"
#include "grpc_raw_service.h"
#include "metrics.h"
#include "receiver_push.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::server {
namespace {

constexpr char kExportRoute[] =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// TraceService with Export registered raw: gRPC hands over the request bytes
// (a ByteBuffer) instead of a parsed ExportTraceServiceRequest, and the
// bytes are split by SpanBatch::FromProto without building the message tree.
// Same method name, same synchronous threading as the generated service.
class TraceServiceImpl final : public RawGrpcService {
 public:
  TraceServiceImpl(const OtlpGrpcOptions& options, Store* store,
                   ServerMetrics* metrics)
      : options_(options),
        store_(store),
        metrics_(metrics),
        route_(RouteLabel(kExportRoute)) {
    AddRawUnaryMethod(kExportRoute,
                      [this](grpc::ServerContext* context,
                             const grpc::ByteBuffer* request,
                             grpc::ByteBuffer* response) {
                        return Export(context, request, response);
                      });
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
    if (s.ok()) *response = EmptyMessage();
    return ToGrpc(s);
  }

 private:
  absl::Status Push(grpc::ServerContext* context,
                    const grpc::ByteBuffer& buffer) {
    thread_local std::string joined;
    constexpr size_t kKeepJoinedBytes = 8 << 20;
    if (joined.capacity() > kKeepJoinedBytes) std::string().swap(joined);
    absl::StatusOr<std::string_view> contiguous = ContiguousBytes(buffer, &joined);
    if (!contiguous.ok()) return contiguous.status();
    const std::string_view bytes = *contiguous;

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
          metrics_->RecordPush("grpc", "", spans, 0, PushStatusLabel(tenant_error),
                               false, 0);
        }
        return tenant_error;
      }
    }
    absl::StatusOr<PushResult> pushed = store_->Push(tenant, *batch);
    if (metrics_ != nullptr) {
      metrics_->RecordPush(
          "grpc", tenant, spans, bytes.size(), PushStatusLabel(pushed.status()),
          pushed.ok(), pushed.ok() ? pushed->spans_discarded_trace_too_large : 0);
    }
    return pushed.status();
  }

  const OtlpGrpcOptions options_;
  Store* const store_;
  ServerMetrics* const metrics_;
  const std::string route_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcListener>> StartOtlpGrpc(
    const OtlpGrpcOptions& options, Store* store, ServerMetrics* metrics) {
  return GrpcListener::Start("OTLP gRPC", options.endpoint, options.max_recv_msg_size,
                             std::make_unique<TraceServiceImpl>(options, store, metrics));
}

}  // namespace andante::server
