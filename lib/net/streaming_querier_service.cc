#include "streaming_querier_service.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "http_server.h"  // SplitHostPort
#include "query/streaming_querier.h"
#include "tempopb/streaming_querier.grpc.pb.h"
#include "util/strings.h"

namespace andante::net {
namespace {

using internal::ToAbsl;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(internal::ToStd(s.message())));
}

class StreamingQuerierImpl final : public ::tempopb::StreamingQuerier::Service {
 public:
  StreamingQuerierImpl(const QuerierGrpcOptions& options, Store* store)
      : options_(options), store_(store) {}

  grpc::Status Search(
      grpc::ServerContext* context, const tempopb::SearchRequest* request,
      grpc::ServerWriter<tempopb::SearchResponse>* writer) override {
    absl::StatusOr<std::vector<std::string>> tenants = Tenants(*context);
    if (!tenants.ok()) return ToGrpc(tenants.status());
    return ToGrpc(query::StreamSearch(
        *store_, *tenants, *request,
        [&](const tempopb::SearchResponse& part) {
          return !context->IsCancelled() && writer->Write(part);
        }));
  }

  grpc::Status SearchTags(
      grpc::ServerContext* context, const tempopb::SearchTagsRequest* request,
      grpc::ServerWriter<tempopb::SearchTagsResponse>* writer) override {
    return One<tempopb::SearchTagsResponse>(context, *request, writer,
                                            &query::SearchTags);
  }

  grpc::Status SearchTagsV2(
      grpc::ServerContext* context, const tempopb::SearchTagsRequest* request,
      grpc::ServerWriter<tempopb::SearchTagsV2Response>* writer) override {
    return One<tempopb::SearchTagsV2Response>(context, *request, writer,
                                              &query::SearchTagsV2);
  }

  grpc::Status SearchTagValues(
      grpc::ServerContext* context,
      const tempopb::SearchTagValuesRequest* request,
      grpc::ServerWriter<tempopb::SearchTagValuesResponse>* writer) override {
    return One<tempopb::SearchTagValuesResponse>(context, *request, writer,
                                                 &query::SearchTagValues);
  }

  grpc::Status SearchTagValuesV2(
      grpc::ServerContext* context,
      const tempopb::SearchTagValuesRequest* request,
      grpc::ServerWriter<tempopb::SearchTagValuesV2Response>* writer)
      override {
    return One<tempopb::SearchTagValuesV2Response>(context, *request, writer,
                                                   &query::SearchTagValuesV2);
  }

 private:
  // A call answered with one message.
  template <typename Response, typename Request, typename Fn>
  grpc::Status One(grpc::ServerContext* context, const Request& request,
                   grpc::ServerWriter<Response>* writer, Fn fn) {
    absl::StatusOr<std::vector<std::string>> tenants = Tenants(*context);
    if (!tenants.ok()) return ToGrpc(tenants.status());
    Response response;
    absl::Status s = fn(*store_, *tenants, request, &response);
    if (!s.ok()) return ToGrpc(s);
    if (!writer->Write(response)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    return grpc::Status::OK;
  }

  absl::StatusOr<std::vector<std::string>> Tenants(
      const grpc::ServerContext& context) const {
    if (!options_.multitenancy_enabled) {
      return std::vector<std::string>{std::string(kSingleTenant)};
    }
    auto it = context.client_metadata().find("x-scope-orgid");
    if (it == context.client_metadata().end()) {
      return absl::UnauthenticatedError("no org id");
    }
    return ParseTenantIds(std::string_view(it->second.data(), it->second.size()));
  }

  const QuerierGrpcOptions options_;
  Store* const store_;
};

}  // namespace

QuerierGrpcServer::QuerierGrpcServer(std::unique_ptr<grpc::Service> service,
                                     std::unique_ptr<grpc::Server> server,
                                     int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

QuerierGrpcServer::~QuerierGrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<QuerierGrpcServer>> QuerierGrpcServer::Start(
    const QuerierGrpcOptions& options, Store* store) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options.endpoint, &host, &port);
      !s.ok()) {
    return s;
  }
  if (host.empty()) host = "0.0.0.0";
  std::string address = host.find(':') != std::string::npos
                            ? absl::StrCat("[", host, "]:", port)
                            : absl::StrCat(host, ":", port);
  auto service = std::make_unique<StreamingQuerierImpl>(options, store);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("gRPC query API: cannot listen on \"",
                     ToAbsl(options.endpoint), "\""));
  }
  return std::unique_ptr<QuerierGrpcServer>(new QuerierGrpcServer(
      std::move(service), std::move(server), selected_port));
}

void QuerierGrpcServer::Adopt(int fd) {
  absl::MutexLock lock(&mu_);
  if (server_ == nullptr) {
    ::close(fd);
    return;
  }
  grpc::AddInsecureChannelFromFd(server_.get(), fd);
}

void QuerierGrpcServer::Shutdown(absl::Duration grace) {
  std::unique_ptr<grpc::Server> server;
  {
    absl::MutexLock lock(&mu_);
    server = std::move(server_);
  }
  if (server == nullptr) return;
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::nanoseconds(absl::ToInt64Nanoseconds(grace));
  server->Shutdown(deadline);
  server->Wait();
}

}  // namespace andante::net
