// Sends one serialized ExportTraceServiceRequest to an OTLP receiver.
//
// Two transports: OTLP/gRPC (TraceService/Export, the bytes go out as they
// are through a generic stub, no re-encoding) and OTLP/HTTP (POST of
// application/x-protobuf over one keep-alive connection). Each sender owns
// one connection; give every worker thread its own.
#ifndef ANDANTE_BENCH_LOADGEN_SENDER_H_
#define ANDANTE_BENCH_LOADGEN_SENDER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace andante::loadgen {

struct SendResult {
  bool ok = false;
  // "ok", "http 429", "grpc UNAVAILABLE", "transport: <message>".
  std::string outcome;
  // Spans the server refused in an otherwise successful response
  // (ExportTracePartialSuccess.rejected_spans).
  int64_t rejected_spans = 0;
  std::string message;  // error detail from the server, if any
};

class Sender {
 public:
  virtual ~Sender() = default;
  // `body` is handed back unchanged.
  virtual SendResult Send(std::string& body) = 0;
  // The X-Scope-OrgID / x-scope-orgid of the following sends (--tenants).
  virtual void SetTenant(const std::string& tenant) = 0;
};

struct SenderOptions {
  std::string endpoint;  // host:port
  std::string http_path = "/v1/traces";
  std::string tenant;  // X-Scope-OrgID when not empty
  absl::Duration timeout = absl::Seconds(30);
};

std::unique_ptr<Sender> NewGrpcSender(const SenderOptions& options);
std::unique_ptr<Sender> NewHttpSender(const SenderOptions& options);

// Splits "host:port" ("[::1]:4318" too). False when there is no port.
bool SplitHostPort(const std::string& endpoint, std::string* host,
                   std::string* port);

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_SENDER_H_
