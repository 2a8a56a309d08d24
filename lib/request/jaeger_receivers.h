// The Jaeger receivers: Thrift over HTTP (POST /api/traces on 14268,
// answering as the Jaeger collector does), the agent's UDP datagrams
// (emitBatch on 6831 compact / 6832 binary) and gRPC PostSpans (14250). Each
// translates to OTLP (receiver/jaeger) and ends in TenantAndPush.
#ifndef ANDANTE_REQUEST_JAEGER_RECEIVERS_H_
#define ANDANTE_REQUEST_JAEGER_RECEIVERS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "andante/request.h"
#include "receiver_push.h"
#include "util/log.h"

namespace andante::request {

// POST /api/traces with a TBinaryProtocol jaeger.Batch:
//   202 (empty body)            accepted
//   400 "Unsupported content type: <type>" / "Cannot parse content type: …"
//   400 "Unable to process request body: <decode error>"
//   500 "Cannot submit Jaeger batch: <store error>" (also "no org id")
//   404 other paths, 405 other methods.
// `*route` is set to "api_traces" when the path matched.
void JaegerThriftHttp(Store* store, const RequestOptions& options,
                      const HttpRequest& req, HttpResponse* resp,
                      std::string_view* route);

// Decodes agent datagrams (emitBatch) into one request and pushes it once.
// A datagram that does not decode (or calls emitZipkinBatch) is dropped and
// counted as "malformed"; there is no one to answer. Refusals are logged at
// most once per interval of `warnings`.
void JaegerAgentDatagrams(Store* store, const RequestOptions& options,
                          JaegerAgentProtocol protocol,
                          absl::Span<const std::string> datagrams,
                          internal::LogThrottle* warnings);

// The transport label of an agent protocol: "udp_thrift_compact" or
// "udp_thrift_binary".
std::string_view JaegerAgentTransport(JaegerAgentProtocol protocol);

// Jaeger gRPC CollectorService/PostSpans (`message` decompressed):
// INVALID_ARGUMENT for batches that do not translate or carry bad IDs,
// UNAVAILABLE "no org id" without a tenant under multitenancy.
absl::Status JaegerGrpcPostSpans(Store* store, const RequestOptions& options,
                                 std::string_view message, const OrgIds& ids);

// Go's mime.ParseMediaType, reduced to what content negotiation needs: the
// lower-cased "type/subtype" before any parameters, or INVALID_ARGUMENT with
// Go's message ("mime: no media type", ...).
absl::StatusOr<std::string> ParseMediaType(std::string_view content_type);

}  // namespace andante::request

#endif  // ANDANTE_REQUEST_JAEGER_RECEIVERS_H_
