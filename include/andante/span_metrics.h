// The span-metrics processor: aggregates spans into RED series, as Tempo's
// metrics generator does, in a MetricsRegistry (metrics_registry.h).
//
//   traces_spanmetrics_calls_total               counter   spans (x multiplier)
//   traces_spanmetrics_latency_{bucket,sum,count} histogram seconds
//   traces_spanmetrics_size_total                counter   encoded span bytes
//   traces_target_info                           gauge 1   (enable_target_info)
//
// Labels: service, span_name, span_kind, status_code (status_message off by
// default; see intrinsic_dimensions), then `dimensions`: attribute values
// looked up in the resource first, then the span, under the attribute key
// with every character outside [A-Za-z0-9_] replaced by '_' and prefixed
// with "__" when it clashes with an intrinsic label name. Latency buckets
// carry the trace ID as an exemplar.
//
// Usage (an embedding program aggregating its own spans):
//
//   andante::MetricsRegistry registry(andante::RegistryOptions{});
//   andante::SpanMetricsOptions options;
//   options.dimensions = {"http.method"};
//   andante::SpanMetricsProcessor spanmetrics(options, &registry);
//   // `body`: a serialized OTLP ExportTraceServiceRequest. A parsed one:
//   // andante::PushRequest(&spanmetrics, request, now) (andante/otlp.h).
//   if (!spanmetrics.Push(body, absl::Now())) return InvalidArgument(...);
//   std::vector<andante::CollectedSample> samples =
//       registry.Collect(absl::Now());
//
// Thread-safety: Push may be called from any thread.
#ifndef ANDANTE_SPAN_METRICS_H_
#define ANDANTE_SPAN_METRICS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "andante/metrics_registry.h"


namespace andante {

struct SpanMetricsOptions {
  // Latency bucket upper bounds in seconds (+Inf is implicit). Default:
  // 0.002 * 2^k for k = 0..13, Tempo's default.
  std::vector<double> histogram_buckets = {0.002, 0.004, 0.008, 0.016, 0.032,
                                           0.064, 0.128, 0.256, 0.512, 1.024,
                                           2.048, 4.096, 8.192, 16.384};
  // Attribute keys added as labels (resource attributes first, then span).
  std::vector<std::string> dimensions;
  // Which intrinsic labels are on (Tempo: intrinsic_dimensions).
  struct Intrinsics {
    bool service = true;
    bool span_name = true;
    bool span_kind = true;
    bool status_code = true;
    bool status_message = false;
  } intrinsic_dimensions;
  // Which series are produced (processors span-metrics-count, -latency,
  // -size; "span-metrics" turns on all three).
  bool enable_count = true;
  bool enable_latency = true;
  bool enable_size = true;
  // traces_target_info plus job/instance labels on every series.
  bool enable_target_info = false;
  bool enable_instance_label = true;
  // Resource attributes left out of traces_target_info.
  std::vector<std::string> target_info_excluded_dimensions;
  // A double attribute (span first, then resource) holding the sampling
  // ratio v: each span then counts 1/v. Empty (Tempo's default) = off.
  std::string span_multiplier_key;
};

class SpanMetricsProcessor {
 public:
  // `registry` must outlive the processor; the processor declares its
  // metrics in it.
  SpanMetricsProcessor(const SpanMetricsOptions& options,
                       MetricsRegistry* registry);
  ~SpanMetricsProcessor();
  SpanMetricsProcessor(const SpanMetricsProcessor&) = delete;
  SpanMetricsProcessor& operator=(const SpanMetricsProcessor&) = delete;

  // Aggregates every span of `request`, a serialized OTLP
  // ExportTraceServiceRequest (only read during the call), with update time
  // `now`. False, with nothing aggregated, when the bytes do not parse as
  // one. andante/otlp.h's PushRequest does the same for a parsed request.
  bool Push(std::string_view request, absl::Time now);

 private:
  // MetricsGenerator's ingest tap pushes views of requests read from their
  // wire bytes through it.
  friend struct ProcessorViews;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace andante

#endif  // ANDANTE_SPAN_METRICS_H_
