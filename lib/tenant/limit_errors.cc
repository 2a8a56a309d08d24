#include "tenant/limit_errors.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace andante::internal {

std::string_view DiscardReasonName(DiscardReason reason) {
  switch (reason) {
    case DiscardReason::kRateLimited:
      return "rate_limited";
    case DiscardReason::kLiveTracesExceeded:
      return "live_traces_exceeded";
    case DiscardReason::kTraceTooLarge:
      return "trace_too_large";
    case DiscardReason::kMemoryLimitExceeded:
      return "memory_limit_exceeded";
    case DiscardReason::kFlushBacklog:
      return "flush_backlog";
  }
  return "unknown_error";
}

absl::Status RateLimitedError(std::string_view tenant, uint64_t local_rate,
                              uint64_t global_rate, uint64_t burst,
                              uint64_t bytes) {
  const std::string limits =
      absl::StrCat("(local: ", local_rate, " bytes/s, global: ", global_rate,
                   " bytes/s, burst: ", burst, " bytes)");
  if (bytes > burst) {
    return absl::ResourceExhaustedError(
        absl::StrCat("RATE_LIMITED: batch size (", bytes,
                     " bytes) exceeds ingestion limit ", limits, " for user ",
                     absl::string_view(tenant.data(), tenant.size())));
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("RATE_LIMITED: ingestion rate limit ", limits,
                   " exceeded while adding ", bytes, " bytes for user ",
                   absl::string_view(tenant.data(), tenant.size())));
}

absl::Status MemoryLimitError(std::string_view tenant, bool per_tenant,
                              uint64_t held, uint64_t limit, uint64_t bytes) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "MEMORY_LIMIT_EXCEEDED: ",
      per_tenant ? "per-tenant unflushed bytes limit"
                 : "unflushed bytes limit of all tenants",
      " (", limit, " bytes, ", held, " held) exceeded while adding ", bytes,
      " bytes for user ", absl::string_view(tenant.data(), tenant.size()),
      "; retry once blocks are flushed"));
}

std::string PartialTraceMessage(uint64_t max_bytes_per_trace) {
  return absl::StrCat("Trace exceeds maximum size of ", max_bytes_per_trace,
                      " bytes, a partial trace is returned");
}

uint64_t LocalRate(const TenantLimits& limits, size_t instances) {
  if (limits.rate_strategy == RateStrategy::kLocal) {
    return limits.rate_limit_bytes;
  }
  return limits.rate_limit_bytes / std::max<size_t>(instances, 1);
}

uint64_t LocalMaxTraces(const TenantLimits& limits, size_t instances) {
  uint64_t local = limits.max_traces_per_user;
  if (limits.max_global_traces_per_user > 0) {
    uint64_t global =
        limits.max_global_traces_per_user / std::max<size_t>(instances, 1);
    global = std::max<uint64_t>(global, 1);
    local = local == 0 ? global : std::min(local, global);
  }
  return local;
}

}  // namespace andante::internal
