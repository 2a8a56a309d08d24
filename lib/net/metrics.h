// Self-monitoring metrics on prometheus-cpp: counters, gauges and histograms
// with labels, rendered in the text exposition format for /metrics.
//
//   MetricsRegistry registry;
//   CounterFamily* pushes = registry.AddCounter(
//       "andante_distributor_pushes_total", "Pushes by outcome.",
//       {"transport", "status"});
//   Counter* ok = pushes->WithLabels({"grpc", "ok"});  // cache on hot paths
//   ok->Inc();
//   std::string text = registry.Render();
//
// The registry, the series and the exposition are prometheus-cpp's; this
// layer keeps label names positional (so call sites name values only) and
// adds collectors that mirror counters kept elsewhere (StoreStats) before
// each render. Families and series live as long as the registry; pointers
// to them stay valid. Updating a series is lock-free; WithLabels takes a
// lock.
//
// ServerMetrics (below) registers the metrics the andante server exposes,
// under Tempo's names.
#ifndef ANDANTE_NET_METRICS_H_
#define ANDANTE_NET_METRICS_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "andante/request.h"
#include "request/serve.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace andante {
struct StoreStats;
}

namespace andante::net {

// A monotonically increasing value.
class Counter {
 public:
  explicit Counter(prometheus::Counter* counter) : counter_(counter) {}
  void Inc(double v = 1);
  // Mirrors a counter kept elsewhere (e.g. StoreStats): raises the value to
  // `v`. Call only from a collector (collectors run one at a time); a lower
  // `v` leaves the value as it is.
  void Set(double v);
  double Value() const;

 private:
  prometheus::Counter* counter_;
};

// A value that goes up and down.
class Gauge {
 public:
  explicit Gauge(prometheus::Gauge* gauge) : gauge_(gauge) {}
  void Set(double v);
  void Add(double v);
  double Value() const;

 private:
  prometheus::Gauge* gauge_;
};

// Observations counted into fixed upper-bound buckets (+Inf implied; upper
// bounds are inclusive).
class Histogram {
 public:
  explicit Histogram(prometheus::Histogram* histogram)
      : histogram_(histogram) {}
  void Observe(double v);

 private:
  prometheus::Histogram* histogram_;
};

// The series of one metric name, one per distinct label-value tuple.
template <typename T>
class Family {
 public:
  // The series for `values` (one per label name, in order), created on first
  // use. The pointer stays valid for the registry's lifetime.
  T* WithLabels(std::initializer_list<std::string_view> values);
  T* WithLabels(const std::vector<std::string>& values);

 private:
  friend class MetricsRegistry;
  using Native = std::conditional_t<
      std::is_same_v<T, Counter>, prometheus::Counter,
      std::conditional_t<std::is_same_v<T, Gauge>, prometheus::Gauge,
                         prometheus::Histogram>>;
  Family(prometheus::Family<Native>* family, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : family_(family), labels_(std::move(labels)), bounds_(std::move(bounds)) {}
  T* Get(std::vector<std::string> key);

  prometheus::Family<Native>* const family_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;  // histograms only
  absl::Mutex mu_;
  absl::flat_hash_map<std::vector<std::string>, std::unique_ptr<T>> series_
      ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a metric. A family without labels has its single series from
  // the start (so it renders as 0). REQUIRES: `name` not registered yet.
  CounterFamily* AddCounter(std::string name, std::string help,
                            std::vector<std::string> labels = {});
  GaugeFamily* AddGauge(std::string name, std::string help,
                        std::vector<std::string> labels = {});
  // `bounds`: increasing bucket upper bounds, without +Inf.
  HistogramFamily* AddHistogram(std::string name, std::string help,
                                std::vector<std::string> labels,
                                std::vector<double> bounds);

  // Runs before every Render, to refresh values mirrored from elsewhere.
  void AddCollector(std::function<void()> collect);

  // The text exposition (version 0.0.4) of every family, by prometheus-cpp's
  // TextSerializer, after running the collectors.
  std::string Render() const;

  // The underlying registry, e.g. for a prometheus-cpp Exposer of an
  // embedding program.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  const std::shared_ptr<prometheus::Registry> registry_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<GaugeFamily>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> collectors_ ABSL_GUARDED_BY(mu_);
  // Held while collectors run, so mirrored counters are set one at a time.
  mutable absl::Mutex render_mu_;
};

// Tempo's route labels (request/serve.h).
using request::RouteLabel;

// The `route` label of the ingester push step (ObserveIngesterPush).
inline constexpr std::string_view kIngesterPushRoute =
    "/tempo.Pusher/PushSpans";

// Route labels also reported under their route template verbatim, as alert
// rules written against Tempo's documentation name them ({label, alias}).
inline constexpr std::pair<std::string_view, std::string_view>
    kRouteAliases[] = {
        {"api_traces_traceid", "/api/traces/{traceID}"},
        {"api_v2_traces_traceid", "/api/v2/traces/{traceID}"},
};

// The andante server's metrics, registered under Tempo's names; the request
// layer reports into them as its RequestObserver.
struct ServerMetrics final : public RequestObserver {
  struct BuildInfo {
    std::string version;
    std::string revision;
    std::string branch;
    std::string goversion;
  };
  // `stats_tenant`: the tenant label for values taken from StoreStats, which
  // are store-wide ("single-tenant" when multitenancy is off).
  ServerMetrics(const BuildInfo& build, std::string stats_tenant);

  // Mirrors store-wide counters and gauges; called by a collector that the
  // server registers with the store it opened.
  void UpdateFromStore(const StoreStats& stats);
  // andante_overrides_last_reload_successful (1 with no overrides file).
  void UpdateOverrides(bool last_reload_successful);

  // Records one request: tempo_request_duration_seconds{method, route,
  // status_code, ws="false"}. `route` is already a RouteLabel. A request on
  // a route with a template alias (kRouteAliases) is also observed under the
  // alias; see docs/self-monitoring.md.
  void ObserveRequest(std::string_view method, std::string_view route,
                      std::string_view status_code, double seconds) override;

  // RequestObserver: RecordPush below; GET /metrics renders the registry.
  void RecordPush(const PushRecord& p) override {
    RecordPush(p.receiver, p.transport, p.tenant, p.spans, p.bytes, p.status,
               p.accepted, p.discarded_trace_too_large);
    if (p.store_seconds >= 0) {
      ObserveIngesterPush(absl::Status(p.store_code, ""), p.store_seconds);
    }
  }
  std::string RenderMetrics() override { return registry.Render(); }

  // Records one receiver push's hand-off to the store (Andante's
  // distributor -> ingester step, which Tempo does over gRPC):
  // tempo_request_duration_seconds{method="gRPC",
  // route="/tempo.Pusher/PushSpans", status_code="success"|"cancel"|"error"}
  // as Tempo's gRPC instrumentation labels it. `seconds`: the Store::Push
  // call. Pass the push's status.
  void ObserveIngesterPush(const absl::Status& status, double seconds);

  // Records one push through a receiver: spans/bytes received per tenant,
  // accepted or refused spans per receiver/transport, the push outcome and
  // silently discarded spans.
  void RecordPush(std::string_view transport, std::string_view tenant,
                  uint64_t spans, uint64_t bytes, std::string_view status,
                  bool accepted, uint64_t discarded_trace_too_large) {
    RecordPush("otlp", transport, tenant, spans, bytes, status, accepted,
               discarded_trace_too_large);
  }
  // The same for any receiver ("otlp", "jaeger", "zipkin").
  void RecordPush(std::string_view receiver, std::string_view transport,
                  std::string_view tenant, uint64_t spans, uint64_t bytes,
                  std::string_view status, bool accepted,
                  uint64_t discarded_trace_too_large);

  // Records a UDP datagram the Jaeger agent receiver dropped before it
  // reached the store (`reason`: too_large, queue_full, malformed).
  void RecordDroppedDatagram(std::string_view transport,
                             std::string_view reason) override;

  MetricsRegistry registry;

  GaugeFamily* build_info;
  HistogramFamily* request_duration;
  CounterFamily* spans_received;
  CounterFamily* bytes_received;
  // tempo_ingester_bytes_received_total{tenant, data_type="trace"}: bytes of
  // pushes the store accepted.
  CounterFamily* ingester_bytes_received;
  // tempo_ingester_blocks_total: blocks the ingester completed and wrote to
  // the backend (the same count as tempo_ingester_blocks_flushed_total).
  CounterFamily* ingester_blocks;
  // tempo_compactor_blocks_compacted_total (input blocks merged, as
  // tempodb_compaction_blocks_total) and
  // tempo_compactor_compaction_duration_seconds (gauge: the last cycle).
  CounterFamily* compactor_blocks_compacted;
  GaugeFamily* compactor_compaction_duration;
  CounterFamily* accepted_spans;
  CounterFamily* refused_spans;
  CounterFamily* pushes;
  CounterFamily* discarded_spans;
  CounterFamily* udp_datagrams_dropped;
  GaugeFamily* live_traces;
  CounterFamily* traces_created;
  CounterFamily* blocks_flushed;
  CounterFamily* block_flush_failures;
  CounterFamily* blocks_damaged;
  CounterFamily* wal_bytes_written;
  GaugeFamily* wal_bytes_on_disk;
  GaugeFamily* blocklist_length;
  // Blocklist polls and compaction (StoreStats).
  CounterFamily* blocklist_polls;
  CounterFamily* blocklist_poll_failures;
  GaugeFamily* blocklist_poll_duration;
  CounterFamily* compaction_cycles;
  CounterFamily* compaction_blocks;
  CounterFamily* compaction_objects_written;
  CounterFamily* retention_deleted;
  CounterFamily* backend_aborted_uploads;
  GaugeFamily* pending_block_bytes;
  CounterFamily* block_cache_hits;
  CounterFamily* block_cache_misses;
  // Limits (StoreStats) and the per-tenant overrides file.
  CounterFamily* attributes_truncated;
  GaugeFamily* unflushed_bytes;
  GaugeFamily* trace_index_bytes;
  CounterFamily* block_flush_retries;
  GaugeFamily* tenants_in_flush_backoff;
  GaugeFamily* flush_backoff_seconds;
  GaugeFamily* overrides_last_reload_successful;
  GaugeFamily* block_cache_bytes;
  CounterFamily* search_blocks;
  CounterFamily* search_blocks_skipped;
  CounterFamily* search_inspected_bytes;
  CounterFamily* tag_summaries_damaged;

 private:
  const std::string stats_tenant_;
  // Tenants given a tempodb_blocklist_length value (collector thread only).
  std::set<std::string> blocklist_tenants_;
  // Tenants given a per-tenant tempo_ingester_live_traces value.
  std::set<std::string> live_tenants_;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_METRICS_H_
