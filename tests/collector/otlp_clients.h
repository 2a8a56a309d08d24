// Real OTLP clients for the collector's tests: OTLP/HTTP protobuf over
// libcurl and OTLP/gRPC through the generated TraceService stub, plus a
// small builder of OTLP spans.
#ifndef ANDANTE_TESTS_COLLECTOR_OTLP_CLIENTS_H_
#define ANDANTE_TESTS_COLLECTOR_OTLP_CLIENTS_H_

#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "andante/otlp/collector/trace/v1/trace_service.grpc.pb.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::collector_test {

namespace otlp_collector = ::andante::otlp::collector::trace::v1;
namespace otlp_trace = ::andante::otlp::trace::v1;

// POSTs `request` as application/x-protobuf to `url`; the HTTP status, or
// -1 with `error` set when the request could not be made.
inline long PostOtlpHttp(
    const std::string& url,
    const otlp_collector::ExportTraceServiceRequest& request,
    std::string* error = nullptr) {
  const std::string body = request.SerializeAsString();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return -1;
  curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/x-protobuf");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t n, void*) { return size * n; });
  long status = -1;
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  } else if (error != nullptr) {
    *error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

// POSTs `body` with `content_type` to `url`; the HTTP status or -1.
inline long PostBody(const std::string& url, const std::string& content_type,
                     const std::string& body) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return -1;
  const std::string header = "Content-Type: " + content_type;
  curl_slist* headers = curl_slist_append(nullptr, header.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t n, void*) { return size * n; });
  long status = -1;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

// Exports `request` over OTLP/gRPC to `endpoint` ("host:port").
inline grpc::Status ExportOtlpGrpc(
    const std::string& endpoint,
    const otlp_collector::ExportTraceServiceRequest& request) {
  auto channel =
      grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  otlp_collector::ExportTraceServiceResponse response;
  // The method as exporters name it: the schemas here are compiled under
  // Andante's own package (andante.otlp), so the generated stub's path would
  // not be the one collectors serve.
  static const grpc::internal::RpcMethod kExport(
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
      grpc::internal::RpcMethod::NORMAL_RPC);
  return grpc::internal::BlockingUnaryCall<
      otlp_collector::ExportTraceServiceRequest,
      otlp_collector::ExportTraceServiceResponse, grpc::protobuf::MessageLite,
      grpc::protobuf::MessageLite>(channel.get(), kExport, &context, request,
                                   &response);
}

// Random lowercase hex IDs of `bytes` bytes, and their raw bytes.
inline std::string RandomHex(std::mt19937_64& rng, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    out += absl::StrCat(absl::Hex(rng() & 0xff, absl::kZeroPad2));
  }
  if (out.find_first_not_of('0') == std::string::npos) out.back() = '1';
  return out;
}

inline std::string HexToBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// Builds one resource's spans.
class RequestBuilder {
 public:
  explicit RequestBuilder(const std::string& service) {
    rs_ = request_.add_resource_spans();
    auto* attr = rs_->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value(service);
    rs_->add_scope_spans()->mutable_scope()->set_name("collector-test");
  }

  // Adds a span (IDs in hex; parent "" for a root) starting `offset_ms`
  // after a base a minute ago and lasting `duration_ms`.
  otlp_trace::Span* Add(const std::string& trace_id, const std::string& span_id,
                        const std::string& parent_id, const std::string& name,
                        int offset_ms = 0, int duration_ms = 10) {
    otlp_trace::Span* s = rs_->mutable_scope_spans(0)->add_spans();
    s->set_trace_id(HexToBytes(trace_id));
    s->set_span_id(HexToBytes(span_id));
    if (!parent_id.empty()) s->set_parent_span_id(HexToBytes(parent_id));
    s->set_name(name);
    const uint64_t start = static_cast<uint64_t>(
        absl::ToUnixNanos(absl::Now() - absl::Minutes(1)) +
        int64_t{offset_ms} * 1000000);
    s->set_start_time_unix_nano(start);
    s->set_end_time_unix_nano(start + uint64_t{1000000} * duration_ms);
    return s;
  }

  static void SetString(otlp_trace::Span* s, const std::string& key,
                        const std::string& value) {
    auto* a = s->add_attributes();
    a->set_key(key);
    a->mutable_value()->set_string_value(value);
  }
  static void SetInt(otlp_trace::Span* s, const std::string& key,
                     int64_t value) {
    auto* a = s->add_attributes();
    a->set_key(key);
    a->mutable_value()->set_int_value(value);
  }

  const otlp_collector::ExportTraceServiceRequest& request() const {
    return request_;
  }

 private:
  otlp_collector::ExportTraceServiceRequest request_;
  otlp_trace::ResourceSpans* rs_;
};

}  // namespace andante::collector_test

#endif  // ANDANTE_TESTS_COLLECTOR_OTLP_CLIENTS_H_
