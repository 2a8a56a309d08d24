#include "andante/metrics_generator.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "andante/otlp.h"
#include "generator/processor_views.h"
#include "generator/span_batch_view.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

struct Enabled {
  bool count = false, latency = false, size = false;
  bool graph_request = false, graph_latency = false;
  bool span_metrics() const { return count || latency || size; }
  bool service_graphs() const { return graph_request || graph_latency; }
};

absl::StatusOr<Enabled> ParseProcessors(const std::vector<std::string>& list) {
  Enabled e;
  for (const std::string& p : list) {
    if (p == "span-metrics") {
      e.count = e.latency = e.size = true;
    } else if (p == "span-metrics-count") {
      e.count = true;
    } else if (p == "span-metrics-latency") {
      e.latency = true;
    } else if (p == "span-metrics-size") {
      e.size = true;
    } else if (p == "service-graphs") {
      e.graph_request = e.graph_latency = true;
    } else if (p == "service-graphs-request") {
      e.graph_request = true;
    } else if (p == "service-graphs-latency") {
      e.graph_latency = true;
    } else if (p == "local-blocks" || p == "host-info" ||
               p == "service-graphs-connection-info") {
      // Accepted; not implemented (docs/metrics-generator.md).
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown metrics generator processor \"", p,
          "\" (span-metrics, span-metrics-count, span-metrics-latency, "
          "span-metrics-size, service-graphs, service-graphs-request, "
          "service-graphs-latency)"));
    }
  }
  return e;
}

// One tenant: its registry and the processors its overrides enable.
struct Tenant {
  std::unique_ptr<MetricsRegistry> registry;
  std::unique_ptr<SpanMetricsProcessor> span_metrics;
  std::unique_ptr<ServiceGraphProcessor> service_graphs;
};

// Runs the tenant's processors over `view`, skipping spans outside now ±
// slack. Sets every span's `skip` (a recorded view is shared by all taps).
void PushView(Tenant* t, absl::Duration slack, internal::SpanBatchView* view,
              absl::Time now) {
  if (slack > absl::ZeroDuration()) {
    const uint64_t lo = static_cast<uint64_t>(
        std::max<int64_t>(0, absl::ToUnixNanos(now - slack)));
    const uint64_t hi = static_cast<uint64_t>(absl::ToUnixNanos(now + slack));
    for (internal::SpanView& s : view->spans()) {
      s.skip = s.end_ns < lo || s.end_ns > hi;
    }
  } else {
    for (internal::SpanView& s : view->spans()) s.skip = false;
  }
  if (t->span_metrics != nullptr) {
    ProcessorViews::Push(*t->span_metrics, *view, now);
  }
  if (t->service_graphs != nullptr) {
    ProcessorViews::Push(*t->service_graphs, *view, now);
  }
}

}  // namespace

class MetricsGenerator::Impl {
 public:
  MetricsGeneratorOptions options;
  Enabled defaults;
  // While the generator lives, the store's split records the spans' fields
  // for the tap (PushWire reads them instead of the bytes).
  internal::SpanViewRecordingRequest recording;
  std::map<std::string, Enabled, std::less<>> per_tenant;

  mutable absl::Mutex mu;
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants
      ABSL_GUARDED_BY(mu);

  Tenant* Get(std::string_view id) {
    {
      // Every push comes here: a shared lock for the common case.
      absl::ReaderMutexLock lock(&mu);
      auto it = tenants.find(id);
      if (it != tenants.end()) return it->second.get();
    }
    absl::MutexLock lock(&mu);
    auto it = tenants.find(id);
    if (it != tenants.end()) return it->second.get();
    // Exact tenant entry, else the "*" entry, else the defaults.
    Enabled e = defaults;
    if (auto p = per_tenant.find(id); p != per_tenant.end()) {
      e = p->second;
    } else if (auto w = per_tenant.find("*"); w != per_tenant.end()) {
      e = w->second;
    }
    auto t = std::make_unique<Tenant>();
    RegistryOptions ro = options.registry;
    const auto& limits = options.tenant_max_active_series;
    if (auto m = limits.find(id); m != limits.end()) {
      ro.max_active_series = m->second;
    } else if (auto w = limits.find("*"); w != limits.end()) {
      ro.max_active_series = w->second;
    }
    if (!options.inject_tenant_id_as.empty()) {
      ro.external_labels.emplace_back(options.inject_tenant_id_as,
                                      std::string(id));
    }
    t->registry = std::make_unique<MetricsRegistry>(std::move(ro));
    if (e.span_metrics()) {
      SpanMetricsOptions so = options.span_metrics;
      so.enable_count = e.count;
      so.enable_latency = e.latency;
      so.enable_size = e.size;
      t->span_metrics =
          std::make_unique<SpanMetricsProcessor>(so, t->registry.get());
    }
    if (e.service_graphs()) {
      ServiceGraphOptions go = options.service_graphs;
      go.enable_request = e.graph_request;
      go.enable_latency = e.graph_latency;
      t->service_graphs =
          std::make_unique<ServiceGraphProcessor>(go, t->registry.get());
    }
    Tenant* raw = t.get();
    tenants.emplace(std::string(id), std::move(t));
    return raw;
  }

  // Tenants are never removed, so the pointers stay valid after the lock.
  std::vector<std::pair<std::string, Tenant*>> All() const {
    absl::ReaderMutexLock lock(&mu);
    std::vector<std::pair<std::string, Tenant*>> out;
    for (const auto& [id, t] : tenants) out.emplace_back(id, t.get());
    return out;
  }
};

MetricsGenerator::MetricsGenerator() : impl_(std::make_unique<Impl>()) {}
MetricsGenerator::~MetricsGenerator() = default;

absl::StatusOr<std::unique_ptr<MetricsGenerator>> MetricsGenerator::Create(
    MetricsGeneratorOptions options) {
  std::unique_ptr<MetricsGenerator> g(new MetricsGenerator());
  absl::StatusOr<Enabled> e = ParseProcessors(options.processors);
  if (!e.ok()) return e.status();
  g->impl_->defaults = *e;
  for (const auto& [tenant, list] : options.tenant_processors) {
    absl::StatusOr<Enabled> t = ParseProcessors(list);
    if (!t.ok()) return t.status();
    g->impl_->per_tenant[tenant] = *t;
  }
  g->impl_->options = std::move(options);
  return g;
}

void MetricsGenerator::OnSpans(std::string_view tenant,
                               std::string_view request) {
  PushWire(tenant, request, absl::Now());
}

void ProcessorViews::Push(MetricsGenerator& generator, std::string_view tenant,
                          const ExportTraceServiceRequest& request,
                          absl::Time now) {
  Tenant* t = generator.impl_->Get(tenant);
  if (t->span_metrics == nullptr && t->service_graphs == nullptr) return;
  internal::SpanBatchView view;
  view.FromTree(request);
  PushView(t, generator.impl_->options.ingestion_time_range_slack, &view, now);
}

void PushRequest(MetricsGenerator* generator, std::string_view tenant,
                 const ExportTraceServiceRequest& request, absl::Time now) {
  ProcessorViews::Push(*generator, tenant, request, now);
}

bool MetricsGenerator::PushWire(std::string_view tenant,
                                std::string_view request_bytes,
                                absl::Time now) {
  Tenant* t = impl_->Get(tenant);
  if (t->span_metrics == nullptr && t->service_graphs == nullptr) return true;
  // Called as a tap by the store, whose split recorded these bytes' view.
  if (internal::SpanBatchView* recorded =
          internal::RecordedViewOf(request_bytes)) {
    PushView(t, impl_->options.ingestion_time_range_slack, recorded, now);
    return true;
  }
  // One view per thread: its vectors keep their capacity across pushes.
  thread_local internal::SpanBatchView view;
  ExportTraceServiceRequest parsed;  // only for encodings FromWire declines
  if (!view.FromBytes(request_bytes, &parsed)) return false;
  PushView(t, impl_->options.ingestion_time_range_slack, &view, now);
  return true;
}

void MetricsGenerator::ExpireEdges(absl::Time now) {
  for (const auto& [id, t] : impl_->All()) {
    if (t->service_graphs != nullptr) t->service_graphs->Expire(now);
  }
}

std::vector<MetricsGenerator::TenantSamples> MetricsGenerator::Collect(
    absl::Time now) {
  std::vector<TenantSamples> out;
  // Without the tenants lock: pushes to other tenants are not held up.
  for (const auto& [id, t] : impl_->All()) {
    TenantSamples ts;
    ts.tenant = id;
    ts.samples = t->registry->Collect(now);
    if (!ts.samples.empty()) out.push_back(std::move(ts));
  }
  return out;
}

std::string MetricsGenerator::ExpositionText() const {
  std::string out;
  absl::flat_hash_set<std::string> typed;
  for (const auto& [id, t] : impl_->All()) {
    for (absl::string_view line : absl::StrSplit(t->registry->ExpositionText(),
                                                 '\n', absl::SkipEmpty())) {
      // One TYPE line per family across tenants.
      if (absl::StartsWith(line, "# TYPE ") &&
          !typed.insert(std::string(line)).second) {
        continue;
      }
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

int64_t MetricsGenerator::active_series() const {
  int64_t n = 0;
  for (const auto& [id, t] : impl_->All()) n += t->registry->active_series();
  return n;
}

}  // namespace andante
