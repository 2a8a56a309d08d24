// Why a push's spans were discarded (the `reason` label of
// tempo_discarded_spans_total) and the errors that name each limit, worded
// like Tempo's so clients and alert rules that match on them keep working.
//
// One reason per limit; every enforcement point counts its spans under it.
#ifndef ANDANTE_TENANT_LIMIT_ERRORS_H_
#define ANDANTE_TENANT_LIMIT_ERRORS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "andante/limits.h"

namespace andante::internal {

enum class DiscardReason : int {
  // `rate_limit_bytes` / `burst_size_bytes`: the whole push is refused (429).
  kRateLimited = 0,
  // `max_traces_per_user`: spans of traces that would be new are dropped;
  // the push succeeds (Tempo drops silently).
  kLiveTracesExceeded,
  // `max_bytes_per_trace`: spans past the trace's budget are dropped; the
  // push succeeds.
  kTraceTooLarge,
  // IngesterOptions.max_unflushed_bytes{,_per_tenant} (Andante's memory
  // bound): the whole push is refused (429) until blocks are written.
  kMemoryLimitExceeded,
  // IngesterOptions.max_pending_block_bytes: block building is behind; the
  // whole push is refused (429).
  kFlushBacklog,
};
inline constexpr size_t kDiscardReasonCount = 5;

// The label value: "rate_limited", "live_traces_exceeded", ...
std::string_view DiscardReasonName(DiscardReason reason);

// RESOURCE_EXHAUSTED, Tempo's wording:
// "RATE_LIMITED: ingestion rate limit (local: L bytes/s, global: G bytes/s,
// burst: B bytes) exceeded while adding N bytes for user T", or, when one
// push is larger than the burst, "RATE_LIMITED: batch size (N bytes) exceeds
// ingestion limit (local: ...) for user T".
absl::Status RateLimitedError(std::string_view tenant, uint64_t local_rate,
                              uint64_t global_rate, uint64_t burst,
                              uint64_t bytes);

// RESOURCE_EXHAUSTED "MEMORY_LIMIT_EXCEEDED: ..." naming the bound and
// whether it is the tenant's or the store's.
absl::Status MemoryLimitError(std::string_view tenant, bool per_tenant,
                              uint64_t held, uint64_t limit, uint64_t bytes);

// The message of a trace read that answers only what was kept (Tempo's
// PARTIAL TraceByIDResponse): "Trace exceeds maximum size of N bytes, a
// partial trace is returned".
std::string PartialTraceMessage(uint64_t max_bytes_per_trace);

// The rate a tenant's bucket refills at on this instance: `rate_limit_bytes`,
// divided by `instances` (at least 1) under the global strategy.
uint64_t LocalRate(const TenantLimits& limits, size_t instances);

// The live-trace cap on this instance: the smaller non-zero of
// `max_traces_per_user` and `max_global_traces_per_user` / instances
// (Tempo's ingester limiter, replication factor 1); 0 = unlimited.
uint64_t LocalMaxTraces(const TenantLimits& limits, size_t instances);

}  // namespace andante::internal

#endif  // ANDANTE_TENANT_LIMIT_ERRORS_H_
