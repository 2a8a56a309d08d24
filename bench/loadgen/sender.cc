#include "sender.h"

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "http_client.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "andante/rpc_status.pb.h"

namespace andante::loadgen {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceResponse;

const char* GrpcCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  int i = static_cast<int>(code);
  return i >= 0 && i < static_cast<int>(std::size(kNames)) ? kNames[i]
                                                           : "UNKNOWN_CODE";
}

// The OTLP method path. Spelled out: Andante compiles the schema under its
// own package name, so the descriptor's service name is not the wire name.
std::string ExportMethod() {
  return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
}

class GrpcSender : public Sender {
 public:
  explicit GrpcSender(const SenderOptions& options)
      : options_(options), method_(ExportMethod()) {
    grpc::ChannelArguments args;
    // One connection per worker, not one shared by all channels.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel(
        options.endpoint, grpc::InsecureChannelCredentials(), args);
    stub_ = std::make_unique<grpc::GenericStub>(channel_);
  }

  ~GrpcSender() override {
    queue_.Shutdown();
    void* tag;
    bool ok;
    while (queue_.Next(&tag, &ok)) {
    }
  }

  void SetTenant(const std::string& tenant) override {
    options_.tenant = tenant;
  }

  SendResult Send(std::string& body) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options_.timeout));
    if (!options_.tenant.empty()) {
      context.AddMetadata("x-scope-orgid", options_.tenant);
    }
    // The body outlives the call, so gRPC may reference it without a copy.
    grpc::Slice slice(body.data(), body.size(), grpc::Slice::STATIC_SLICE);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer reply;
    grpc::Status status;
    auto call = stub_->PrepareUnaryCall(&context, method_, request, &queue_);
    call->StartCall();
    call->Finish(&reply, &status, this);
    void* tag;
    bool ok = false;
    queue_.Next(&tag, &ok);

    SendResult result;
    if (!status.ok()) {
      result.outcome = absl::StrCat("grpc ", GrpcCodeName(status.error_code()));
      result.message = status.error_message();
      return result;
    }
    result.ok = true;
    result.outcome = "ok";
    std::vector<grpc::Slice> slices;
    if (reply.Length() > 0 && reply.Dump(&slices).ok()) {
      std::string bytes;
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      ExportTraceServiceResponse response;
      if (response.ParseFromString(bytes) && response.has_partial_success()) {
        result.rejected_spans = response.partial_success().rejected_spans();
        result.message = response.partial_success().error_message();
      }
    }
    return result;
  }

 private:
  SenderOptions options_;
  std::string method_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
  grpc::CompletionQueue queue_;
};

class HttpSender : public Sender {
 public:
  HttpSender(const SenderOptions& options, std::string host, std::string port)
      : options_(options),
        client_(std::move(host), std::move(port), options.timeout) {
    headers_.emplace_back("Content-Type", "application/x-protobuf");
    if (!options.tenant.empty()) {
      headers_.emplace_back("X-Scope-OrgID", options.tenant);
    }
  }

  void SetTenant(const std::string& tenant) override {
    for (auto& [name, value] : headers_) {
      if (name == "X-Scope-OrgID") {
        value = tenant;
        return;
      }
    }
    headers_.emplace_back("X-Scope-OrgID", tenant);
  }

  SendResult Send(std::string& body) override {
    HttpClient::Response r = client_.Request(
        boost::beast::http::verb::post, options_.http_path, body, headers_);
    SendResult result;
    if (r.status == 0) {
      result.outcome = absl::StrCat("transport: ", r.error);
      return result;
    }
    if (r.status < 200 || r.status > 299) {
      result.outcome = absl::StrCat("http ", r.status);
      // OTLP/HTTP answers a protobuf request's failure with a protobuf
      // google.rpc.Status; show its message, not the encoded bytes.
      andante::rpc::Status status;
      if (status.ParseFromString(r.body) && !status.message().empty()) {
        result.message = status.message().substr(0, 200);
      } else {
        result.message = r.body.substr(0, 200);
      }
      return result;
    }
    result.ok = true;
    result.outcome = "ok";
    ExportTraceServiceResponse response;
    if (!r.body.empty() && response.ParseFromString(r.body) &&
        response.has_partial_success()) {
      result.rejected_spans = response.partial_success().rejected_spans();
      result.message = response.partial_success().error_message();
    }
    return result;
  }

 private:
  SenderOptions options_;
  HttpClient client_;
  HttpClient::Headers headers_;
};

}  // namespace

bool SplitHostPort(const std::string& endpoint, std::string* host,
                   std::string* port) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon + 1 == endpoint.size()) return false;
  *host = endpoint.substr(0, colon);
  *port = endpoint.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "127.0.0.1";
  return true;
}

std::unique_ptr<Sender> NewGrpcSender(const SenderOptions& options) {
  return std::make_unique<GrpcSender>(options);
}

std::unique_ptr<Sender> NewHttpSender(const SenderOptions& options) {
  std::string host;
  std::string port;
  if (!SplitHostPort(options.endpoint, &host, &port)) return nullptr;
  return std::make_unique<HttpSender>(options, std::move(host),
                                      std::move(port));
}

}  // namespace andante::loadgen
