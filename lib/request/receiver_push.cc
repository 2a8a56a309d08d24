#include "receiver_push.h"

#include "absl/strings/ascii.h"
#include "andante/store.h"
#include "andante/tenant.h"

namespace andante::request {

OrgIds OrgIdsOf(const HttpRequest& req) {
  OrgIds ids;
  ids.first = req.Header("X-Scope-OrgID");
  if (ids.first.has_value()) ids.count = req.HeaderCount("X-Scope-OrgID");
  return ids;
}

OrgIds OrgIdsOf(const GrpcRequest& req) {
  OrgIds ids;
  for (const auto& [key, value] : req.metadata) {
    if (key != "x-scope-orgid") continue;
    if (ids.count++ == 0) ids.first = value;
  }
  return ids;
}

absl::StatusOr<std::string> ResolveTenant(bool multitenancy_enabled,
                                          const OrgIds& ids) {
  if (!multitenancy_enabled) return std::string(kSingleTenant);
  if (!ids.first.has_value() || ids.count != 1) {
    return absl::UnavailableError("no org id");
  }
  std::string tenant(*ids.first);
  if (absl::Status valid = ValidateTenantId(tenant); !valid.ok()) return valid;
  return tenant;
}

std::string PushStatusLabel(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

void RecordRefused(RequestObserver* observer, ReceiverLabel label,
                   uint64_t spans, uint64_t bytes, const absl::Status& status) {
  if (observer == nullptr) return;
  const std::string status_label = PushStatusLabel(status);
  PushRecord r;
  r.receiver = label.receiver;
  r.transport = label.transport;
  r.spans = spans;
  r.bytes = bytes;
  r.status = status_label;
  observer->RecordPush(r);
}

absl::Status TenantAndPush(Store* store, const RequestOptions& options,
                           ReceiverLabel label, const OrgIds& ids,
                           const SpanBatch& batch, uint64_t payload_bytes) {
  const uint64_t spans = batch.span_count();
  absl::StatusOr<std::string> tenant =
      ResolveTenant(options.multitenancy_enabled, ids);
  if (!tenant.ok()) {
    RecordRefused(options.observer, label, spans, payload_bytes,
                  tenant.status());
    return tenant.status();
  }
  absl::StatusOr<PushResult> pushed = store->Push(*tenant, batch);
  if (options.observer != nullptr) {
    const std::string status_label = PushStatusLabel(pushed.status());
    PushRecord r;
    r.receiver = label.receiver;
    r.transport = label.transport;
    r.tenant = *tenant;
    r.spans = spans;
    r.bytes = payload_bytes;
    r.status = status_label;
    r.accepted = pushed.ok();
    r.discarded_trace_too_large =
        pushed.ok() ? pushed->spans_discarded_trace_too_large : 0;
    options.observer->RecordPush(r);
  }
  return pushed.status();
}

}  // namespace andante::request
