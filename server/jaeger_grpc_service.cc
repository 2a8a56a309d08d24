#include "jaeger_grpc_service.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>

#include "absl/strings/str_cat.h"
#include "grpc_listener.h"
#include "jaeger/api_v2/collector.grpc.pb.h"
#include "metrics.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "receiver_push.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using ::jaeger::api_v2::CollectorService;
using ::jaeger::api_v2::PostSpansRequest;
using ::jaeger::api_v2::PostSpansResponse;
using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(internal::ToStd(s.message())));
}

class CollectorServiceImpl final : public CollectorService::Service {
 public:
  CollectorServiceImpl(const JaegerGrpcOptions& options, Store* store,
                       ServerMetrics* metrics)
      : options_(options), store_(store), metrics_(metrics) {}

  grpc::Status PostSpans(grpc::ServerContext* context,
                         const PostSpansRequest* request,
                         PostSpansResponse* /*response*/) override {
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
    return ToGrpc(s);
  }

 private:
  absl::Status Push(grpc::ServerContext* context,
                    const PostSpansRequest& request) {
    google::protobuf::Arena arena;
    auto* otlp =
        google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(
            &arena);
    absl::Status translated =
        internal::TranslateJaegerProtoBatch(request.batch(), otlp);
    if (!translated.ok()) {
      if (metrics_ != nullptr) {
        metrics_->RecordPush("jaeger", "grpc", "",
                             static_cast<uint64_t>(request.batch().spans_size()),
                             0, PushStatusLabel(translated), false, 0);
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
                          request.ByteSizeLong());
  }

  const JaegerGrpcOptions options_;
  Store* const store_;
  ServerMetrics* const metrics_;
};

class JaegerGrpcServerImpl final : public JaegerGrpcServer {
 public:
  JaegerGrpcServerImpl(std::unique_ptr<CollectorServiceImpl> service,
                       std::unique_ptr<GrpcListener> listener)
      : service_(std::move(service)), listener_(std::move(listener)) {}
  ~JaegerGrpcServerImpl() override { Shutdown(absl::ZeroDuration()); }

  int port() const override { return listener_->port(); }
  void Shutdown(absl::Duration grace) override { listener_->Shutdown(grace); }

 private:
  std::unique_ptr<CollectorServiceImpl> service_;
  std::unique_ptr<GrpcListener> listener_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<JaegerGrpcServer>> JaegerGrpcServer::Start(
    const JaegerGrpcOptions& options, Store* store, ServerMetrics* metrics) {
  auto service = std::make_unique<CollectorServiceImpl>(options, store, metrics);
  absl::StatusOr<std::unique_ptr<GrpcListener>> listener =
      GrpcListener::Start("Jaeger gRPC", options.endpoint,
                          options.max_recv_msg_size, service.get());
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<JaegerGrpcServer>(
      new JaegerGrpcServerImpl(std::move(service), std::move(*listener)));
}

}  // namespace andante::server
