// The step every receiver ends in, whatever its protocol: settle the tenant
// from the org IDs the request carries, push the decoded spans into the
// Store, and record the outcome under the receiver's and transport's names
// (`tempo_receiver_accepted_spans` / `tempo_receiver_refused_spans
// {receiver, transport}`, as the OpenTelemetry collector's receivers label
// them, plus the distributor's per-tenant counters).
//
//   absl::Status s = TenantAndPush(store, options, {"zipkin", "http"},
//                                  OrgIdsOf(req), batch, body.size());
#ifndef ANDANTE_REQUEST_RECEIVER_PUSH_H_
#define ANDANTE_REQUEST_RECEIVER_PUSH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/request.h"

namespace andante {
class SpanBatch;
}

namespace andante::request {

// Labels of one receiver endpoint: receiver "jaeger", "zipkin", "otlp";
// transport "grpc", "http", "collector_http", "udp_thrift_compact", ...
struct ReceiverLabel {
  std::string_view receiver;
  std::string_view transport;
};

// The org IDs a request carries: the first value and how many there were.
struct OrgIds {
  std::optional<std::string_view> first;
  int count = 0;
};

// X-Scope-OrgID headers; x-scope-orgid metadata. Views into `req`.
OrgIds OrgIdsOf(const HttpRequest& req);
OrgIds OrgIdsOf(const GrpcRequest& req);

// The tenant of a push. Multitenancy off: "single-tenant". On: the single
// org ID if it is a valid tenant ID; none or several -> UNAVAILABLE "no org
// id" (retryable, as in Tempo); invalid -> INVALID_ARGUMENT naming the
// problem.
absl::StatusOr<std::string> ResolveTenant(bool multitenancy_enabled,
                                          const OrgIds& ids);

// "ok", or the lower-case status code name: the `status` label of
// andante_distributor_pushes_total.
std::string PushStatusLabel(const absl::Status& status);

// Records a request refused before the tenant step (it did not decode).
void RecordRefused(RequestObserver* observer, ReceiverLabel label,
                   uint64_t spans, uint64_t bytes, const absl::Status& status);

// Settles the tenant of `ids`, pushes `batch` under it and records the
// outcome in options.observer. A tenant error or the store's error is
// returned as is (the spans counted as refused). `payload_bytes` is what the
// client sent, after decompression (tempo_distributor_bytes_received_total).
absl::Status TenantAndPush(Store* store, const RequestOptions& options,
                           ReceiverLabel label, const OrgIds& ids,
                           const SpanBatch& batch, uint64_t payload_bytes);

}  // namespace andante::request

#endif  // ANDANTE_REQUEST_RECEIVER_PUSH_H_
