#include "grpc_listener.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpc_raw_service.h"
#include "http_server.h"  // SplitHostPort
#include "util/strings.h"

namespace andante::net {

using internal::ToAbsl;

GrpcListener::GrpcListener(std::unique_ptr<RawGrpcService> service,
                           std::unique_ptr<grpc::Server> server, int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

GrpcListener::~GrpcListener() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<GrpcListener>> GrpcListener::Start(
    std::string_view what, std::string_view endpoint,
    uint64_t max_recv_msg_size, std::unique_ptr<RawGrpcService> service) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(endpoint, &host, &port); !s.ok()) {
    return s;
  }
  if (host.empty()) host = "0.0.0.0";
  std::string address = host.find(':') != std::string::npos
                            ? absl::StrCat("[", host, "]:", port)
                            : absl::StrCat(host, ":", port);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<uint64_t>(max_recv_msg_size, INT_MAX)));
  // The service decompresses, bounded (see the header).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return absl::UnavailableError(absl::StrCat(
        ToAbsl(what), ": cannot listen on \"", ToAbsl(endpoint), "\""));
  }
  return std::unique_ptr<GrpcListener>(
      new GrpcListener(std::move(service), std::move(server), selected_port));
}

void GrpcListener::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::nanoseconds(absl::ToInt64Nanoseconds(grace));
  server_->Shutdown(deadline);
  server_->Wait();
  server_.reset();
}

}  // namespace andante::net
