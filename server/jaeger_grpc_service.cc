#include "jaeger_grpc_service.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>

#include "absl/strings/str_cat.h"
#include "grpc_listener.h"
#include "grpc_raw_service.h"
#include "metrics.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "receiver_push.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr char kPostSpansRoute[] = "/jaeger.api_v2.CollectorService/PostSpans";

// CollectorService with PostSpans registered raw: the request bytes go to
// DecodeJaegerPostSpans, which reads them without a jaeger.api_v2 message
// tree.
class CollectorServiceImpl final : public RawGrpcService {
 public:
  CollectorServiceImpl(const JaegerGrpcOptions& options, Store* store,
                       ServerMetrics* metrics)
      : options_(options), store_(store), metrics_(metrics) {
    AddRawUnaryMethod(kPostSpansRoute,
                      [this](grpc::ServerContext* context,
                             const grpc::ByteBuffer* request,
                             grpc::ByteBuffer* response) {
                        return PostSpans(context, request, response);
                      });
  }

  grpc::Status PostSpans(grpc::ServerContext* context,
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
      metrics_->ObserveRequest(
          "gRPC", "jaeger_api_v2_collectorservice_postspans",
          s.ok() ? "success" : "error", seconds);
    }
    // Success: an empty PostSpansResponse.
    if (s.ok()) *response = EmptyMessage();
    return ToGrpc(s);
  }

 private:
  absl::Status Push(grpc::ServerContext* context, const grpc::ByteBuffer& buffer) {
    std::string joined;
    absl::StatusOr<std::string_view> bytes = ContiguousBytes(buffer, &joined);
    if (!bytes.ok()) return bytes.status();
    google::protobuf::Arena arena;
    auto* otlp =
        google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(
            &arena);
    uint64_t spans = 0;
    absl::Status translated =
        internal::DecodeJaegerPostSpans(*bytes, otlp, &spans);
    if (!translated.ok()) {
      if (metrics_ != nullptr) {
        metrics_->RecordPush("jaeger", "grpc", "", spans, 0,
                             PushStatusLabel(translated), false, 0);
      }
      return translated;
    }
    std::optional<std::string_view> org_id;
    int count = 0;
    if (options_.multitenancy_enabled) {
      auto range = context->client_metadata().equal_range("x-scope-orgid");
      for (auto it = range.first; it != range.second; ++it) {
        if (count++ == 0) {
          org_id = std::string_view(it->second.data(), it->second.size());
        }
      }
    }
    absl::StatusOr<std::string> tenant =
        ResolveTenant(options_.multitenancy_enabled, org_id, count);
    return PushTranslated(store_, metrics_, {"jaeger", "grpc"}, tenant, *otlp,
                          bytes->size());
  }

  const JaegerGrpcOptions options_;
  Store* const store_;
  ServerMetrics* const metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcListener>> StartJaegerGrpc(
    const JaegerGrpcOptions& options, Store* store, ServerMetrics* metrics) {
  return GrpcListener::Start("Jaeger gRPC", options.endpoint, options.max_recv_msg_size,
                             std::make_unique<CollectorServiceImpl>(options, store, metrics));
}

}  // namespace andante::server
