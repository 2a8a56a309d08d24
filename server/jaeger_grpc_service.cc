#include "jaeger_grpc_service.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <string_view>

#include "grpc_listener.h"
#include "grpc_raw_service.h"
#include "metrics.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "receiver_push.h"

namespace andante::server {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

constexpr char kPostSpansRoute[] = "/jaeger.api_v2.CollectorService/PostSpans";

// CollectorService with PostSpans registered raw: the request bytes go to
// DecodeJaegerPostSpans, which reads them without a jaeger.api_v2 message
// tree.
class CollectorServiceImpl final : public RawGrpcService {
 public:
  CollectorServiceImpl(const GrpcReceiverOptions& options, Store* store,
                       ServerMetrics* metrics)
      : options_(options), store_(store), metrics_(metrics) {
    AddReceiverMethod(kPostSpansRoute, "jaeger_api_v2_collectorservice_postspans",
                      metrics, options.max_recv_msg_size,
                      [this](grpc::ServerContext* context, std::string_view bytes) {
                        return Push(*context, bytes);
                      });
  }

 private:
  absl::Status Push(const grpc::ServerContext& context, std::string_view bytes) {
    google::protobuf::Arena arena;
    auto* otlp =
        google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(
            &arena);
    uint64_t spans = 0;
    absl::Status translated =
        internal::DecodeJaegerPostSpans(bytes, otlp, &spans);
    if (!translated.ok()) {
      if (metrics_ != nullptr) {
        metrics_->RecordPush("jaeger", "grpc", "", spans, 0,
                             PushStatusLabel(translated), false, 0);
      }
      return translated;
    }
    return PushTranslated(store_, metrics_, {"jaeger", "grpc"},
                          TenantOf(context, options_.multitenancy_enabled), *otlp,
                          bytes.size());
  }

  const GrpcReceiverOptions options_;
  Store* const store_;
  ServerMetrics* const metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcListener>> StartJaegerGrpc(
    const GrpcReceiverOptions& options, Store* store, ServerMetrics* metrics) {
  return GrpcListener::Start("Jaeger gRPC", options.endpoint, options.max_recv_msg_size,
                             std::make_unique<CollectorServiceImpl>(options, store, metrics));
}

}  // namespace andante::server
