// The distributor step every receiver ends in: resolve the tenant, push the
// (translated) OTLP request into the Store, and record the outcome under the
// receiver's and transport's names — `tempo_receiver_accepted_spans` /
// `tempo_receiver_refused_spans{receiver, transport}`, as the OpenTelemetry
// collector's receivers label them.
//
//   absl::StatusOr<std::string> tenant =
//       ResolveTenant(multitenancy, req.Header("X-Scope-OrgID"),
//                     req.HeaderCount("X-Scope-OrgID"));
//   absl::Status s = PushTranslated(store, metrics, {"zipkin", "http"},
//                                   tenant, *request, body.size());
#ifndef ANDANTE_SERVER_RECEIVER_PUSH_H_
#define ANDANTE_SERVER_RECEIVER_PUSH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante {
class Store;
}

namespace andante::server {

struct ServerMetrics;

// Labels of one receiver endpoint: receiver "jaeger", "zipkin", "otlp";
// transport "grpc", "http", "collector_http", "udp_thrift_compact", ...
struct ReceiverLabel {
  std::string_view receiver;
  std::string_view transport;
};

// The tenant of a request. Multitenancy off: "single-tenant". On: the single
// org ID value (`org_id`, seen `count` times) if it is a valid tenant ID;
// none or several -> UNAVAILABLE "no org id" (retryable, as in Tempo);
// invalid -> INVALID_ARGUMENT naming the problem.
absl::StatusOr<std::string> ResolveTenant(bool multitenancy_enabled,
                                          std::optional<std::string_view> org_id,
                                          int count);

// Spans in `request`.
uint64_t CountSpans(
    const andante::otlp::collector::trace::v1::ExportTraceServiceRequest&
        request);

// Pushes `request` under `tenant` (an error there is returned as is, the
// spans counted as refused) and records the push. `payload_bytes` is what
// the client sent (after decompression), for tempo_distributor_bytes_received.
absl::Status PushTranslated(
    Store* store, ServerMetrics* metrics, ReceiverLabel label,
    const absl::StatusOr<std::string>& tenant,
    const andante::otlp::collector::trace::v1::ExportTraceServiceRequest&
        request,
    uint64_t payload_bytes);

// "ok", or the lower-case status code name: the `status` label of
// andante_distributor_pushes_total.
std::string PushStatusLabel(const absl::Status& status);

}  // namespace andante::server

#endif  // ANDANTE_SERVER_RECEIVER_PUSH_H_
