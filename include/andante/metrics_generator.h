// The metrics generator: Tempo's span-metrics and service-graph processors
// run per tenant on the spans the ingest path accepts, each tenant with its
// own series registry. It is a SpanTap (span_tap.h): register it with
// Store::AddSpanTap and call Collect every collection interval, then ship
// the samples (the server remote-writes them to Prometheus).
//
// Usage:
//
//   andante::MetricsGeneratorOptions options;
//   options.processors = {"span-metrics", "service-graphs"};
//   options.registry.external_labels = {{"cluster", "prod"}};
//   auto generator = andante::MetricsGenerator::Create(options);
//   store->AddSpanTap(generator->get());
//   ...  // every options.collection_interval:
//   for (auto& tenant : (*generator)->Collect(absl::Now())) {
//     // tenant.tenant, tenant.samples
//   }
//
// Thread-safety: every method may be called from any thread.
//
// Performance: the tap takes a few mutexes per push. Debian's abseil is
// built with Mutex deadlock detection on, which makes every lock update a
// global lock graph; the andante server turns it off at startup and an
// embedder on that abseil should do the same in its main:
//   absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#ifndef ANDANTE_METRICS_GENERATOR_H_
#define ANDANTE_METRICS_GENERATOR_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/metrics_registry.h"
#include "andante/service_graph.h"
#include "andante/span_metrics.h"
#include "andante/span_tap.h"

namespace andante {

struct MetricsGeneratorOptions {
  // Registry settings shared by every tenant's registry.
  RegistryOptions registry;
  // How often the embedder should call Collect (Tempo:
  // registry.collection_interval); informational for the library.
  absl::Duration collection_interval = absl::Seconds(15);
  // Spans whose end time is further than this from now are ignored
  // (Tempo: metrics_ingestion_time_range_slack). Zero = no filter.
  absl::Duration ingestion_time_range_slack = absl::Seconds(30);
  // Processors on for every tenant: "span-metrics" (= -count, -latency,
  // -size), "span-metrics-count", "span-metrics-latency",
  // "span-metrics-size", "service-graphs" (= -request, -latency),
  // "service-graphs-request", "service-graphs-latency". Unknown names are
  // INVALID_ARGUMENT at Create.
  std::vector<std::string> processors;
  // Per-tenant processor lists replacing `processors` for that tenant; the
  // entry "*" applies to tenants without their own.
  std::map<std::string, std::vector<std::string>, std::less<>>
      tenant_processors;
  // Per-tenant max_active_series replacing registry.max_active_series.
  std::map<std::string, int64_t, std::less<>> tenant_max_active_series;
  // When non-empty, every series of a tenant gets this label = tenant ID.
  std::string inject_tenant_id_as;
  SpanMetricsOptions span_metrics;
  ServiceGraphOptions service_graphs;
};

class MetricsGenerator : public SpanTap {
 public:
  // INVALID_ARGUMENT for an unknown processor name.
  static absl::StatusOr<std::unique_ptr<MetricsGenerator>> Create(
      MetricsGeneratorOptions options);

  ~MetricsGenerator() override;

  // SpanTap: PushWire(tenant, request, absl::Now()).
  void OnSpans(std::string_view tenant, std::string_view request) override;

  // Runs the tenant's processors over a serialized ExportTraceServiceRequest
  // (only read during the call), read straight from its wire bytes (no parse
  // into messages; the few encodings the reader declines, e.g. groups among
  // unknown fields, are parsed). Spans outside now ± slack are skipped.
  // False (nothing aggregated) when the bytes do not parse. Strings are not
  // UTF-8 checked here (SpanBatch::FromProto does). Produces exactly what
  // andante/otlp.h's PushRequest of the parsed request does;
  // traces_spanmetrics_size counts each span's encoded length, which is its
  // ByteSizeLong() for canonical encodings.
  bool PushWire(std::string_view tenant, std::string_view request_bytes,
                absl::Time now);

  // Resolves service-graph edges that waited longer than `wait`.
  void ExpireEdges(absl::Time now);

  struct TenantSamples {
    std::string tenant;
    std::vector<CollectedSample> samples;
  };
  // Collects every tenant's registry (see MetricsRegistry::Collect).
  std::vector<TenantSamples> Collect(absl::Time now);

  // All tenants' current series in the text exposition format.
  std::string ExpositionText() const;

  // Active series summed over tenants.
  int64_t active_series() const;

 private:
  // PushRequest (andante/otlp.h) reaches the tenants' processors through it.
  friend struct ProcessorViews;
  MetricsGenerator();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace andante

#endif  // ANDANTE_METRICS_GENERATOR_H_
