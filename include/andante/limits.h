// Per-tenant limits and the overrides that set them, with Tempo's names and
// semantics (`overrides.defaults.*` and the per-tenant overrides file).
//
// A Store enforces the ingest limits on every push and the read limits on
// every query; an embedder sets them once or swaps them while running (the
// server reloads its overrides file every `per_tenant_override_period`):
//
//   andante::TenantLimits defaults;
//   defaults.rate_limit_bytes = 30'000'000;
//   auto overrides = std::make_shared<andante::Overrides>(defaults);
//   overrides->Set(defaults, {{"tenant-a", limits_for_a}});  // atomic swap
//   options.overrides = overrides;  // StoreOptions
//
//   std::shared_ptr<const andante::TenantLimits> l = overrides->ForTenant("b");
//
// Lookup follows Tempo: the tenant's own entry, else the "*" entry, else the
// defaults. Every method is thread-safe; a snapshot returned by ForTenant
// stays valid (and unchanged) for as long as the caller holds it.
#ifndef ANDANTE_LIMITS_H_
#define ANDANTE_LIMITS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace andante {

// How `rate_limit_bytes` is shared between instances (Tempo's
// `ingestion.rate_strategy`).
enum class RateStrategy {
  // Each instance admits `rate_limit_bytes` per second.
  kLocal,
  // The cluster admits `rate_limit_bytes` per second: each instance admits
  // that divided by the number of healthy instances. The burst stays local.
  kGlobal,
};

// The limits of one tenant. Zero means "unlimited" except where noted.
struct TenantLimits {
  // --- ingestion (checked on every push) ---
  RateStrategy rate_strategy = RateStrategy::kLocal;
  // Token bucket in bytes of the request as received: refills at this many
  // bytes per second, holds at most `burst_size_bytes`. A push larger than
  // what the bucket holds is refused whole (RESOURCE_EXHAUSTED, reason
  // "rate_limited"). Zero rate and burst refuse every push, as in Tempo.
  uint64_t rate_limit_bytes = 15'000'000;
  uint64_t burst_size_bytes = 20'000'000;
  // Live (not yet idle) traces per tenant on this instance; a push that
  // would start one more is refused (reason "live_traces_exceeded").
  uint64_t max_traces_per_user = 10'000;
  // Same, cluster wide: divided by the number of healthy instances.
  uint64_t max_global_traces_per_user = 0;
  // Attribute keys and string values longer than this are truncated to it
  // (on a UTF-8 boundary) before they are stored. 0 = off.
  uint64_t max_attribute_bytes = 0;
  // Spans of a trace beyond this many bytes are dropped (reason
  // "trace_too_large"); reads of such a trace answer what was kept.
  uint64_t max_bytes_per_trace = 5'000'000;

  // --- read ---
  // A search whose [start, end] is longer than this is refused
  // (INVALID_ARGUMENT naming the limit). Zero: no limit.
  absl::Duration max_search_duration = absl::ZeroDuration();
  // A tag-values answer stops growing past this many bytes (Tempo answers
  // what it gathered so far).
  uint64_t max_bytes_per_tag_values_query = 1'000'000;
  // Blocks a tag-values query may read. 0 = all.
  uint64_t max_blocks_per_tag_values_query = 0;

  // --- compaction ---
  // Block retention for this tenant; zero uses the compactor's.
  absl::Duration block_retention = absl::ZeroDuration();

  // --- metrics generator ---
  // Processors run for this tenant's spans ("span-metrics",
  // "service-graphs"); empty turns the generator off for the tenant.
  std::vector<std::string> metrics_generator_processors;
  // Active series cap of the tenant's registry; 0 = the generator default.
  uint64_t metrics_generator_max_active_series = 0;
};

// The `overrides` section of tempo.yaml: the defaults plus the per-tenant
// overrides file the server reloads.
struct OverridesConfig {
  // `overrides.defaults.*` (new form) or the flat keys (legacy form).
  TenantLimits defaults;
  // `overrides.per_tenant_override_config`: empty = none.
  std::string per_tenant_override_config;
  // `overrides.per_tenant_override_period` (Prometheus duration, 10s).
  absl::Duration per_tenant_override_period = absl::Seconds(10);
};

// The defaults plus per-tenant entries; swapped atomically as a whole.
class Overrides {
 public:
  // Every tenant gets `defaults` until Set says otherwise.
  explicit Overrides(TenantLimits defaults = TenantLimits());

  Overrides(const Overrides&) = delete;
  Overrides& operator=(const Overrides&) = delete;

  // Replaces everything at once. A key "*" applies to tenants without an
  // entry of their own. Readers see either the old or the new set, never a
  // mix.
  void Set(TenantLimits defaults, std::map<std::string, TenantLimits> tenants);

  // The limits in force for `tenant`. Never null.
  std::shared_ptr<const TenantLimits> ForTenant(std::string_view tenant) const;

  // The defaults in force.
  std::shared_ptr<const TenantLimits> Defaults() const;

  // Incremented by every Set; lets a caller cache per-tenant state.
  uint64_t generation() const;

 private:
  struct Snapshot {
    std::shared_ptr<const TenantLimits> defaults;
    std::map<std::string, std::shared_ptr<const TenantLimits>, std::less<>>
        tenants;
    uint64_t generation = 0;
  };
  std::shared_ptr<const Snapshot> Current() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
};

}  // namespace andante

#endif  // ANDANTE_LIMITS_H_
