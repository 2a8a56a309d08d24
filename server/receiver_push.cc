#include "receiver_push.h"

#include "absl/strings/ascii.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "metrics.h"

namespace andante::server {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

absl::StatusOr<std::string> ResolveTenant(bool multitenancy_enabled,
                                          std::optional<std::string_view> org_id,
                                          int count) {
  if (!multitenancy_enabled) return std::string(kSingleTenant);
  if (!org_id.has_value() || count != 1) {
    return absl::UnavailableError("no org id");
  }
  std::string tenant(*org_id);
  if (absl::Status valid = ValidateTenantId(tenant); !valid.ok()) return valid;
  return tenant;
}

uint64_t CountSpans(const ExportTraceServiceRequest& request) {
  uint64_t n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
  }
  return n;
}

std::string PushStatusLabel(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

absl::Status PushTranslated(Store* store, ServerMetrics* metrics,
                            ReceiverLabel label,
                            const absl::StatusOr<std::string>& tenant,
                            const ExportTraceServiceRequest& request,
                            uint64_t payload_bytes) {
  const uint64_t spans = CountSpans(request);
  if (!tenant.ok()) {
    if (metrics != nullptr) {
      metrics->RecordPush(label.receiver, label.transport, "", spans,
                          payload_bytes, PushStatusLabel(tenant.status()),
                          false, 0);
    }
    return tenant.status();
  }
  absl::StatusOr<PushResult> pushed = store->Push(*tenant, request);
  if (metrics != nullptr) {
    metrics->RecordPush(label.receiver, label.transport, *tenant, spans,
                        payload_bytes, PushStatusLabel(pushed.status()),
                        pushed.ok(),
                        pushed.ok() ? pushed->spans_discarded_trace_too_large
                                    : 0);
  }
  return pushed.status();
}

}  // namespace andante::server
