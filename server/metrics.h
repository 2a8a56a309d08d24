// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4) for /metrics.
//
//   MetricsRegistry registry;
//   CounterFamily* pushes = registry.AddCounter(
//       "andante_distributor_pushes_total", "Pushes by outcome.",
//       {"transport", "status"});
//   Counter* ok = pushes->WithLabels({"grpc", "ok"});  // cache on hot paths
//   ok->Inc();
//   std::string text = registry.Render();
//
// Families and series live as long as the registry; pointers to them stay
// valid. Updating a series is lock-free; WithLabels takes a lock.
//
// ServerMetrics (below) registers the metrics the andante server exposes,
// under Tempo's names.
#ifndef ANDANTE_SERVER_METRICS_H_
#define ANDANTE_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace andante {
struct StoreStats;
}

namespace andante::server {

// A monotonically increasing value.
class Counter {
 public:
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  // Mirrors a counter kept elsewhere (e.g. StoreStats); the caller keeps it
  // monotonic.
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed upper-bound buckets (+Inf implied).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double v);

  // Cumulative counts are computed at render time from per-bucket counts.
  const std::vector<double>& bounds() const { return *bounds_; }
  uint64_t BucketCount(size_t i) const {  // i == bounds().size() is +Inf
    return counts_[i].load(std::memory_order_relaxed);
  }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
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
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}
  T* Get(std::vector<std::string> key);

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;  // histograms only
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_
      ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
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

  // The text exposition of every family, in registration order: # HELP and
  // # TYPE lines, then one line per series (histograms: _bucket{le=...}
  // cumulative, _sum, _count). Label values are escaped (\\, \", \n).
  std::string Render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Entry {
    Kind kind;
    void* family;
  };
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<GaugeFamily>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> collectors_ ABSL_GUARDED_BY(mu_);
};

// Turns a route template into the `route` label Tempo uses (dskit's
// MakeLabelValue): each run of non-alphanumeric characters becomes one '_',
// leading/trailing '_' are trimmed, the rest lower-cased; "" becomes "root"
// ("/api/traces/{traceID}" -> "api_traces_traceid").
std::string RouteLabel(std::string_view route_template);

// Formats a sample value as Prometheus does (integers without a fraction,
// +Inf, -Inf, NaN).
std::string FormatMetricValue(double v);

// The andante server's metrics, registered under Tempo's names.
struct ServerMetrics {
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

  // Records one request: tempo_request_duration_seconds{method, route,
  // status_code, ws="false"}. `route` is already a RouteLabel.
  void ObserveRequest(std::string_view method, std::string_view route,
                      std::string_view status_code, double seconds);

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
                             std::string_view reason);

  MetricsRegistry registry;

  GaugeFamily* build_info;
  HistogramFamily* request_duration;
  CounterFamily* spans_received;
  CounterFamily* bytes_received;
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

 private:
  const std::string stats_tenant_;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_METRICS_H_
