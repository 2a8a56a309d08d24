// The series registry behind the metrics generator: counters, gauges and
// classic histograms keyed by label set, with staleness, a per-registry
// series limit, external labels and exemplars. One registry per tenant.
//
// The span-metrics and service-graph processors (span_metrics.h,
// service_graph.h) write into a registry; a collector reads it every
// collection interval and ships the samples (e.g. by Prometheus remote
// write). All values are cumulative since the series was created.
//
// Usage:
//
//   andante::MetricsRegistry registry(andante::RegistryOptions{});
//   int calls = registry.NewCounter("calls_total");
//   registry.AddCounter(calls, {{"service", "checkout"}}, 1, absl::Now());
//   for (const andante::CollectedSample& s : registry.Collect(absl::Now())) {
//     // s.labels = {__name__="calls_total", service="checkout"}, s.value = 1
//   }
//
// Thread-safety: every method may be called from any thread.
#ifndef ANDANTE_METRICS_REGISTRY_H_
#define ANDANTE_METRICS_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace andante {

// A label as the registry's callers hand it: borrowed for the call only.
using LabelView = std::pair<std::string_view, std::string_view>;
// A label as the registry hands it out: owned.
using Label = std::pair<std::string, std::string>;

struct RegistryOptions {
  // A series not updated for this long is deleted at the next collection
  // (Tempo: registry.stale_duration). No staleness marker is sent.
  absl::Duration stale_duration = absl::Minutes(15);
  // Active series limit (Tempo: max_active_series; 0 = none). A histogram
  // counts as (buckets + 3) series. Once reached, new label sets are folded
  // into one series per metric labelled metric_overflow="true".
  int64_t max_active_series = 0;
  // Added to every series, overriding same-named labels
  // (Tempo: registry.external_labels, plus __metrics_gen_instance).
  std::vector<Label> external_labels;
  // Longer names/values are truncated byte-wise.
  size_t max_label_name_length = 1024;
  size_t max_label_value_length = 2048;
  // The exemplar label carrying the trace ID (Tempo: trace_id_label_name).
  std::string exemplar_label_name = "traceID";
};

// An exemplar attached to a collected bucket sample.
struct CollectedExemplar {
  std::vector<Label> labels;  // {exemplar_label_name: trace ID hex}
  double value = 0;           // the observed value
  int64_t timestamp_ms = 0;   // the collection time
};

// One sample of one series, as a remote-write TimeSeries entry carries it.
struct CollectedSample {
  std::vector<Label> labels;  // sorted by name, unique, includes __name__
  double value = 0;
  int64_t timestamp_ms = 0;  // Unix milliseconds
  std::optional<CollectedExemplar> exemplar;
};

class MetricsRegistry {
 public:
  explicit MetricsRegistry(RegistryOptions options);
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Declares a metric and returns its handle for the methods below.
  // `name` must be a valid Prometheus metric name. For histograms, `buckets`
  // are upper bounds in any order (sorted and deduplicated here); +Inf is
  // always appended and must not be listed.
  int NewCounter(std::string_view name);
  int NewGauge(std::string_view name);
  int NewHistogram(std::string_view name, std::vector<double> buckets);

  // Label rules (Tempo's): empty values are dropped (an empty later value
  // removes an earlier one of the same name); for duplicate names the last
  // wins; names and values are truncated; external labels override.
  // `labels` is only read during the call.

  // Adds `delta` (>= 0) to the counter with these labels, creating it at 0.
  void AddCounter(int metric, absl::Span<const LabelView> labels, double delta,
                  absl::Time now);
  // Sets the gauge with these labels.
  void SetGauge(int metric, absl::Span<const LabelView> labels, double value,
                absl::Time now);
  // Observes `value` with weight `multiplier` (count and buckets += m,
  // sum += value * m). `trace_id` (16 raw bytes, or empty for none) becomes
  // the exemplar of the smallest bucket holding `value`, replacing any
  // previous one since the last collection.
  void ObserveHistogram(int metric, absl::Span<const LabelView> labels,
                        double value, double multiplier,
                        std::string_view trace_id, absl::Time now);

  // One change to one metric, for Update.
  struct MetricUpdate {
    int metric;
    // Counter: delta (>= 0). Gauge: new value. Histogram: observed value.
    double value = 0;
    double multiplier = 1;      // histograms only
    std::string_view trace_id;  // histograms only: exemplar, or empty
  };
  // Applies `updates` (to different metrics) to the series sharing the label
  // set `labels`, which is processed once: the cheap way to record one span
  // in several metrics. `labels` and the trace IDs are only read during the
  // call.
  void Update(absl::Span<const LabelView> labels,
              absl::Span<const MetricUpdate> updates, absl::Time now);

  // One label set's updates for UpdateMany.
  struct LabelSetUpdates {
    absl::Span<const LabelView> labels;
    // A hash of `labels` computed by the caller, the same way for the same
    // labels (names and values as passed). Any function will do: it only
    // finds the label set's series again (every hit is checked byte for
    // byte), so a collision or another caller's different hash costs time,
    // never correctness.
    uint64_t hash = 0;
    absl::Span<const MetricUpdate> updates;
    // Optional: for each entry of `updates`, its position in the caller's
    // original sequence of all the updates of this UpdateMany call (unique
    // across the sets, increasing within a set). A caller that grouped its
    // updates by label set passes where each came from, so that a series
    // reached from several sets (the metric_overflow="true" series once
    // max_active_series is reached, or label sets made equal by the label
    // rules) gets their updates in that original order: the same float
    // sums and the same last exemplar as one Update per update in that
    // order. (Label sets that the label rules make equal are known as such
    // from the first call that finds the second one; that call may still
    // apply the first one's updates ahead.) Empty (in any set): the sets are
    // applied one after the other.
    absl::Span<const uint32_t> order;
  };
  // Update for each entry of `sets`, in order (see LabelSetUpdates::order),
  // under one lock and without hashing the labels again: the processors'
  // per-batch flush.
  void UpdateMany(absl::Span<const LabelSetUpdates> sets, absl::Time now);

  // Deletes stale series, then returns every active series' current value
  // at `now`. A counter, histogram _count or _bucket series collected for
  // the first time is preceded by a 0 sample at the start of the minute of
  // `now` minus 1 s (so rate() sees its first increment). Exemplars are
  // returned once and cleared.
  std::vector<CollectedSample> Collect(absl::Time now);

  // The current values in the Prometheus text exposition format, without
  // timestamps, initial zeros or exemplars; changes nothing.
  std::string ExpositionText() const;

  // Active series, counted as for max_active_series.
  int64_t active_series() const;
  // Series folded into an overflow series since creation.
  int64_t overflowed() const;
  // Heap bytes held by the series (keys, values, interned strings), an
  // estimate for the per-series memory budget.
  size_t ApproximateMemoryBytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace andante

#endif  // ANDANTE_METRICS_REGISTRY_H_
