#include "metrics.h"

#include <utility>

#include "andante/store.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace andante::net {
namespace {

// Tempo's (dskit's) request-duration buckets.
const std::vector<double>& RequestDurationBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100};
  return *buckets;
}

}  // namespace

void Counter::Inc(double v) { counter_->Increment(v); }
void Counter::Set(double v) {
  const double delta = v - counter_->Value();
  if (delta > 0) counter_->Increment(delta);
}
double Counter::Value() const { return counter_->Value(); }

void Gauge::Set(double v) { gauge_->Set(v); }
void Gauge::Add(double v) { gauge_->Increment(v); }
double Gauge::Value() const { return gauge_->Value(); }

void Histogram::Observe(double v) { histogram_->Observe(v); }

template <typename T>
T* Family<T>::Get(std::vector<std::string> key) {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(key);
  if (it != series_.end()) return it->second.get();
  prometheus::Labels labels;
  for (size_t i = 0; i < labels_.size() && i < key.size(); ++i) {
    labels.emplace(labels_[i], key[i]);
  }
  Native* native;
  if constexpr (std::is_same_v<T, Histogram>) {
    native = &family_->Add(labels, bounds_);
  } else {
    native = &family_->Add(labels);
  }
  T* raw = series_.emplace(std::move(key), std::make_unique<T>(native))
               .first->second.get();
  return raw;
}

template <typename T>
T* Family<T>::WithLabels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key;
  key.reserve(values.size());
  for (std::string_view v : values) key.emplace_back(v);
  return Get(std::move(key));
}

template <typename T>
T* Family<T>::WithLabels(const std::vector<std::string>& values) {
  return Get(values);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

MetricsRegistry::MetricsRegistry()
    : registry_(std::make_shared<prometheus::Registry>()) {}
MetricsRegistry::~MetricsRegistry() = default;

CounterFamily* MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> labels) {
  auto* native =
      &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  const bool unlabeled = labels.empty();
  std::unique_ptr<CounterFamily> f(new CounterFamily(native, std::move(labels)));
  CounterFamily* raw = f.get();
  if (unlabeled) raw->WithLabels({});
  absl::MutexLock lock(&mu_);
  counters_.push_back(std::move(f));
  return raw;
}

GaugeFamily* MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> labels) {
  auto* native =
      &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  const bool unlabeled = labels.empty();
  std::unique_ptr<GaugeFamily> f(new GaugeFamily(native, std::move(labels)));
  GaugeFamily* raw = f.get();
  if (unlabeled) raw->WithLabels({});
  absl::MutexLock lock(&mu_);
  gauges_.push_back(std::move(f));
  return raw;
}

HistogramFamily* MetricsRegistry::AddHistogram(std::string name,
                                               std::string help,
                                               std::vector<std::string> labels,
                                               std::vector<double> bounds) {
  auto* native =
      &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  const bool unlabeled = labels.empty();
  std::unique_ptr<HistogramFamily> f(
      new HistogramFamily(native, std::move(labels), std::move(bounds)));
  HistogramFamily* raw = f.get();
  if (unlabeled) raw->WithLabels({});
  absl::MutexLock lock(&mu_);
  histograms_.push_back(std::move(f));
  return raw;
}

void MetricsRegistry::AddCollector(std::function<void()> collect) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::Render() const {
  std::vector<std::function<void()>> collectors;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
  }
  {
    absl::MutexLock lock(&render_mu_);
    for (const auto& c : collectors) c();
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

ServerMetrics::ServerMetrics(const BuildInfo& build, std::string stats_tenant)
    : stats_tenant_(std::move(stats_tenant)) {
  build_info = registry.AddGauge(
      "tempo_build_info",
      "A metric with a constant '1' value labeled by version, revision, "
      "branch, and goversion from which tempo was built.",
      {"branch", "goversion", "revision", "version"});
  build_info
      ->WithLabels(
          {build.branch, build.goversion, build.revision, build.version})
      ->Set(1);
  request_duration = registry.AddHistogram(
      "tempo_request_duration_seconds",
      "Time (in seconds) spent serving HTTP requests.",
      {"method", "route", "status_code", "ws"}, RequestDurationBuckets());
  spans_received = registry.AddCounter(
      "tempo_distributor_spans_received_total",
      "The total number of spans received per tenant", {"tenant"});
  bytes_received = registry.AddCounter(
      "tempo_distributor_bytes_received_total",
      "The total number of proto bytes received per tenant", {"tenant"});
  ingester_bytes_received = registry.AddCounter(
      "tempo_ingester_bytes_received_total",
      "The total bytes received per tenant.", {"tenant", "data_type"});
  ingester_blocks = registry.AddCounter(
      "tempo_ingester_blocks_total",
      "The total number of blocks the ingester completed and flushed.");
  compactor_blocks_compacted =
      registry.AddCounter("tempo_compactor_blocks_compacted_total",
                          "The total number of input blocks compacted.");
  compactor_compaction_duration =
      registry.AddGauge("tempo_compactor_compaction_duration_seconds",
                        "Duration of the last compaction cycle.");
  accepted_spans = registry.AddCounter(
      "tempo_receiver_accepted_spans",
      "Number of spans successfully pushed into the pipeline.",
      {"receiver", "transport"});
  refused_spans = registry.AddCounter(
      "tempo_receiver_refused_spans",
      "Number of spans that could not be pushed into the pipeline.",
      {"receiver", "transport"});
  pushes = registry.AddCounter(
      "andante_distributor_pushes_total",
      "Push requests by transport and outcome (ok or the status code name).",
      {"transport", "status"});
  discarded_spans = registry.AddCounter(
      "tempo_discarded_spans_total",
      "The total number of samples that were discarded.", {"reason", "tenant"});
  udp_datagrams_dropped = registry.AddCounter(
      "andante_receiver_udp_datagrams_dropped_total",
      "UDP datagrams dropped before decoding finished (too large, queue "
      "full, malformed).",
      {"receiver", "transport", "reason"});
  live_traces =
      registry.AddGauge("tempo_ingester_live_traces",
                        "The current number of live traces", {"tenant"});
  traces_created = registry.AddCounter(
      "tempo_ingester_traces_created_total",
      "The total number of traces created per tenant.", {"tenant"});
  blocks_flushed = registry.AddCounter("tempo_ingester_blocks_flushed_total",
                                       "The total number of blocks flushed");
  block_flush_failures =
      registry.AddCounter("tempo_ingester_failed_flushes_total",
                          "The total number of failed block flushes");
  // No Tempo equivalent: Tempo's block list poller drops unreadable blocks
  // without counting them.
  blocks_damaged = registry.AddCounter(
      "andante_blocks_damaged_total",
      "Blocks found damaged (unreadable or inconsistent meta.json, index, "
      "bloom or data, or incomplete and unrecoverable); each is logged once "
      "and skipped or read around.");
  wal_bytes_written =
      registry.AddCounter("andante_wal_bytes_written_total",
                          "Bytes appended to the write-ahead log.");
  wal_bytes_on_disk =
      registry.AddGauge("andante_wal_bytes_on_disk",
                        "Bytes of write-ahead log segments currently on disk.");
  blocklist_length =
      registry.AddGauge("tempodb_blocklist_length",
                        "Total number of blocks per tenant", {"tenant"});
  blocklist_polls = registry.AddCounter(
      "andante_blocklist_polls_total",
      "Blocklist polls of the backend (every storage.trace.blocklist_poll).");
  blocklist_poll_failures = registry.AddCounter(
      "andante_blocklist_poll_failures_total",
      "Blocklist polls that could not list the backend (blocks kept).");
  blocklist_poll_duration = registry.AddGauge(
      "andante_blocklist_poll_duration_seconds",
      "Duration of the last blocklist poll.");
  compaction_cycles = registry.AddCounter(
      "andante_compaction_cycles_total", "Compaction cycles run.");
  compaction_blocks = registry.AddCounter(
      "tempodb_compaction_blocks_total", "Total number of blocks compacted.");
  compaction_objects_written = registry.AddCounter(
      "tempodb_compaction_objects_written_total",
      "Total number of objects written to backend during compaction.");
  retention_deleted = registry.AddCounter(
      "tempodb_retention_deleted_total",
      "Total number of blocks deleted by retention.");
  backend_aborted_uploads = registry.AddCounter(
      "andante_backend_aborted_uploads_total",
      "Multipart uploads left incomplete by a killed or failed writer and "
      "aborted by the cleanup.");
  pending_block_bytes = registry.AddGauge(
      "andante_pending_block_bytes",
      "Bytes of cut blocks waiting to be written to the backend.");
  block_cache_hits = registry.AddCounter(
      "andante_block_cache_hits_total",
      "Bloom shard and page index lookups answered by the block cache.");
  block_cache_misses = registry.AddCounter(
      "andante_block_cache_misses_total",
      "Bloom shard and page index lookups that read the backend.");
  block_cache_bytes = registry.AddGauge(
      "andante_block_cache_bytes", "Bytes held by the block cache.");
  search_blocks = registry.AddCounter(
      "andante_search_blocks_total",
      "Complete blocks considered by searches.");
  search_blocks_skipped = registry.AddCounter(
      "andante_search_blocks_skipped_total",
      "Complete blocks searches did not read: outside the time range, past "
      "the limit, or ruled out by a v2 block's index summaries.");
  search_inspected_bytes = registry.AddCounter(
      "andante_search_inspected_bytes_total",
      "Bytes searches read (WAL, block indexes and data), as inspectedBytes.");
  tag_summaries_damaged = registry.AddCounter(
      "andante_tag_summaries_damaged_total",
      "Damaged block tag summaries met by the tags endpoints, which then "
      "answered from the block's data.");
  attributes_truncated = registry.AddCounter(
      "tempo_distributor_attributes_truncated_total",
      "The total number of attribute keys or values truncated per tenant",
      {"tenant"});
  unflushed_bytes = registry.AddGauge(
      "andante_ingester_unflushed_bytes",
      "Span bytes not yet in a complete block (bounded by "
      "ingester.max_unflushed_bytes).");
  trace_index_bytes = registry.AddGauge(
      "andante_ingester_trace_index_bytes",
      "Bytes of the in-memory index of unflushed traces (bounded by "
      "ingester.max_trace_index_bytes).");
  block_flush_retries = registry.AddCounter(
      "andante_block_flush_retries_total",
      "Block builds that failed and were scheduled for a retry after a "
      "jittered exponential backoff.");
  tenants_in_flush_backoff = registry.AddGauge(
      "andante_flush_backoff_tenants",
      "Tenants whose block builds are waiting out a retry backoff.");
  flush_backoff_seconds = registry.AddGauge(
      "andante_flush_backoff_seconds",
      "The longest remaining retry backoff of a failed block build.");
  overrides_last_reload_successful = registry.AddGauge(
      "andante_overrides_last_reload_successful",
      "Whether the last per-tenant overrides reload succeeded (1) or kept "
      "the previous limits (0).");
  overrides_last_reload_successful->WithLabels({})->Set(1);
}

void ServerMetrics::UpdateOverrides(bool last_reload_successful) {
  overrides_last_reload_successful->WithLabels({})->Set(
      last_reload_successful ? 1 : 0);
}

void ServerMetrics::UpdateFromStore(const StoreStats& stats) {
  live_traces->WithLabels({stats_tenant_})
      ->Set(static_cast<double>(stats.live_traces));
  traces_created->WithLabels({stats_tenant_})
      ->Set(static_cast<double>(stats.traces_created));
  blocks_flushed->WithLabels({})->Set(
      static_cast<double>(stats.blocks_flushed));
  block_flush_failures->WithLabels({})->Set(
      static_cast<double>(stats.block_flush_failures));
  blocks_damaged->WithLabels({})->Set(
      static_cast<double>(stats.blocks_damaged));
  wal_bytes_written->WithLabels({})->Set(
      static_cast<double>(stats.wal_bytes_written));
  wal_bytes_on_disk->WithLabels({})->Set(
      static_cast<double>(stats.wal_bytes_on_disk));
  // Per tenant; a tenant whose blocks are all gone reads 0.
  if (!stats_tenant_.empty()) blocklist_tenants_.insert(stats_tenant_);
  for (const std::string& tenant : blocklist_tenants_) {
    if (!stats.blocklist_length.contains(tenant)) {
      blocklist_length->WithLabels({tenant})->Set(0);
    }
  }
  for (const auto& [tenant, blocks] : stats.blocklist_length) {
    blocklist_length->WithLabels({tenant})->Set(static_cast<double>(blocks));
    blocklist_tenants_.insert(tenant);
  }
  // Stats without the per-tenant map: the store-wide count.
  if (stats.blocklist_length.empty() && !stats_tenant_.empty()) {
    blocklist_length->WithLabels({stats_tenant_})
        ->Set(static_cast<double>(stats.blocks_in_backend));
  }
  auto mirror = [](CounterFamily* family, uint64_t v) {
    family->WithLabels({})->Set(static_cast<double>(v));
  };
  mirror(blocklist_polls, stats.blocklist_polls);
  mirror(blocklist_poll_failures, stats.blocklist_poll_failures);
  blocklist_poll_duration->WithLabels({})->Set(stats.blocklist_poll_seconds);
  mirror(compaction_cycles, stats.compaction_cycles);
  mirror(compaction_blocks, stats.compaction_blocks);
  mirror(ingester_blocks, stats.blocks_flushed);
  mirror(compactor_blocks_compacted, stats.compaction_blocks);
  compactor_compaction_duration->WithLabels({})->Set(stats.compaction_seconds);
  mirror(compaction_objects_written, stats.compaction_objects_written);
  mirror(retention_deleted, stats.retention_deleted);
  mirror(backend_aborted_uploads, stats.backend_aborted_uploads);
  pending_block_bytes->WithLabels({})->Set(
      static_cast<double>(stats.pending_block_bytes));
  // Limits: discarded spans and truncated attributes per tenant (the
  // store's counts are the only source, so they are mirrored, not added).
  for (const auto& [tenant, reasons] : stats.discarded_spans) {
    for (const auto& [reason, spans] : reasons) {
      discarded_spans->WithLabels({reason, tenant})
          ->Set(static_cast<double>(spans));
    }
  }
  for (const auto& [tenant, n] : stats.attributes_truncated) {
    attributes_truncated->WithLabels({tenant})->Set(static_cast<double>(n));
  }
  for (const std::string& tenant : live_tenants_) {
    if (!stats.live_traces_per_tenant.contains(tenant)) {
      live_traces->WithLabels({tenant})->Set(0);
    }
  }
  for (const auto& [tenant, n] : stats.live_traces_per_tenant) {
    if (tenant == stats_tenant_) continue;  // the store-wide value above
    live_traces->WithLabels({tenant})->Set(static_cast<double>(n));
    live_tenants_.insert(tenant);
  }
  unflushed_bytes->WithLabels({})->Set(
      static_cast<double>(stats.unflushed_bytes));
  trace_index_bytes->WithLabels({})->Set(
      static_cast<double>(stats.trace_index_bytes));
  mirror(block_flush_retries, stats.block_flush_retries);
  tenants_in_flush_backoff->WithLabels({})->Set(
      static_cast<double>(stats.tenants_in_flush_backoff));
  flush_backoff_seconds->WithLabels({})->Set(stats.flush_backoff_seconds);
  mirror(block_cache_hits, stats.block_cache_hits);
  mirror(block_cache_misses, stats.block_cache_misses);
  block_cache_bytes->WithLabels({})->Set(
      static_cast<double>(stats.block_cache_bytes));
  mirror(search_blocks, stats.search_blocks);
  mirror(search_blocks_skipped, stats.search_blocks_skipped);
  mirror(search_inspected_bytes, stats.search_inspected_bytes);
  mirror(tag_summaries_damaged, stats.tag_summaries_damaged);
}

void ServerMetrics::ObserveRequest(std::string_view method,
                                   std::string_view route,
                                   std::string_view status_code,
                                   double seconds) {
  request_duration->WithLabels({method, route, status_code, "false"})
      ->Observe(seconds);
  for (const auto& [label, alias] : kRouteAliases) {
    if (route == label) {
      request_duration->WithLabels({method, alias, status_code, "false"})
          ->Observe(seconds);
    }
  }
}

void ServerMetrics::ObserveIngesterPush(const absl::Status& status,
                                        double seconds) {
  const std::string_view code = status.ok() ? "success"
                                : status.code() == absl::StatusCode::kCancelled
                                    ? "cancel"
                                    : "error";
  ObserveRequest("gRPC", kIngesterPushRoute, code, seconds);
}

void ServerMetrics::RecordPush(std::string_view receiver,
                               std::string_view transport,
                               std::string_view tenant, uint64_t spans,
                               uint64_t bytes, std::string_view status,
                               bool accepted,
                               uint64_t discarded_trace_too_large) {
  auto n = static_cast<double>(spans);
  if (!tenant.empty()) {
    spans_received->WithLabels({tenant})->Inc(n);
    bytes_received->WithLabels({tenant})->Inc(static_cast<double>(bytes));
    if (accepted) {
      ingester_bytes_received->WithLabels({tenant, "trace"})
          ->Inc(static_cast<double>(bytes));
    }
  }
  (accepted ? accepted_spans : refused_spans)
      ->WithLabels({receiver, transport})
      ->Inc(n);
  pushes->WithLabels({transport, status})->Inc();
  // Discarded spans are mirrored from StoreStats (UpdateFromStore), which
  // counts every reason at its one enforcement point.
  (void)discarded_trace_too_large;
}

void ServerMetrics::RecordDroppedDatagram(std::string_view transport,
                                          std::string_view reason) {
  udp_datagrams_dropped->WithLabels({"jaeger", transport, reason})->Inc();
}

}  // namespace andante::net
