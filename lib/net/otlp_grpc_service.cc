#include "otlp_grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "andante/store.h"
#include "grpc_listener.h"
#include "grpc_raw_service.h"
#include "metrics.h"
#include "receiver_push.h"

namespace andante::server {
namespace {

constexpr char kExportRoute[] =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// TraceService with Export registered raw: RawGrpcService hands over the
// request bytes (decompressed) instead of a parsed ExportTraceServiceRequest,
// and the bytes are split by SpanBatch::FromProto without building the
// message tree.
// Same method name, same synchronous threading as the generated service.
class TraceServiceImpl final : public RawGrpcService {
 public:
  TraceServiceImpl(const GrpcReceiverOptions& options, Store* store,
                   ServerMetrics* metrics)
      : options_(options), store_(store), metrics_(metrics) {
    AddReceiverMethod(kExportRoute, RouteLabel(kExportRoute), metrics,
                      options.max_recv_msg_size,
                      [this](grpc::ServerContext* context, std::string_view bytes) {
                        return Push(*context, bytes);
                      });
  }

 private:
  absl::Status Push(const grpc::ServerContext& context, std::string_view bytes) {
    absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
    if (!batch.ok()) {
      // What grpc-go (and so the collector in Tempo) answers for a message
      // that does not unmarshal.
      return absl::InternalError(
          absl::StrCat("grpc: error unmarshalling request: ",
                       batch.status().message()));
    }
    const uint64_t spans = batch->span_count();
    absl::StatusOr<std::string> tenant = TenantOf(context, options_.multitenancy_enabled);
    if (!tenant.ok()) {
      if (metrics_ != nullptr) {
        metrics_->RecordPush("grpc", "", spans, 0, PushStatusLabel(tenant.status()),
                             false, 0);
      }
      return tenant.status();
    }
    absl::StatusOr<PushResult> pushed = store_->Push(*tenant, *batch);
    if (metrics_ != nullptr) {
      metrics_->RecordPush(
          "grpc", *tenant, spans, bytes.size(), PushStatusLabel(pushed.status()),
          pushed.ok(), pushed.ok() ? pushed->spans_discarded_trace_too_large : 0);
    }
    return pushed.status();
  }

  const GrpcReceiverOptions options_;
  Store* const store_;
  ServerMetrics* const metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcListener>> StartOtlpGrpc(
    const GrpcReceiverOptions& options, Store* store, ServerMetrics* metrics) {
  return GrpcListener::Start("OTLP gRPC", options.endpoint, options.max_recv_msg_size,
                             std::make_unique<TraceServiceImpl>(options, store, metrics));
}

}  // namespace andante::server
