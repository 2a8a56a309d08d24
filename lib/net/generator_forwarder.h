// Forwards every accepted push to a metrics generator running in another
// Andante process (-target=metrics-generator), as Tempo's distributor sends
// spans to its generator fleet: the ingest process then pays only for a copy
// of the request bytes, not for the processors.
//
// The forwarder is a SpanTap: the store shows it each accepted push as the
// serialized, validated OTLP ExportTraceServiceRequest. It copies the bytes
// into a bounded queue and returns; one worker thread per endpoint POSTs
// them to the generator's OTLP/HTTP receiver (<endpoint>/v1/traces,
// application/x-protobuf, X-Scope-OrgID: tenant). A full queue drops the
// request, a failed POST is not retried; both are counted and logged (at
// most once per 10 s each) and neither ever blocks or fails the push.
//
// Pushes of one tenant queued together travel in one POST: concatenated
// serialized ExportTraceServiceRequests are one request holding all their
// ResourceSpans in order (protobuf appends repeated fields), which the
// generator processes exactly as the pushes one after the other. The worker
// waits up to `batch_wait` for a batch to fill (`max_batch_bytes`); most of
// a POST's cost on the sending side is per request (HTTP client, system
// calls, wake-ups), not per byte.
//
// With several endpoints, a tenant's requests all go to one of them (chosen
// by a hash of the tenant), so client and server spans of one trace meet in
// one service-graph store. Tempo shards by trace ID over its ring instead.
#ifndef ANDANTE_NET_GENERATOR_FORWARDER_H_
#define ANDANTE_NET_GENERATOR_FORWARDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/span_tap.h"

namespace andante::net {

class MetricsRegistry;

struct GeneratorForwarderOptions {
  // Base URLs of the generators' OTLP/HTTP receivers, e.g.
  // "http://generator:4318" (metrics_generator_client.endpoints).
  std::vector<std::string> endpoints;
  // Pushes waiting per endpoint before new ones are dropped
  // (metrics_generator_client.queue_size).
  size_t queue_size = 1000;
  // A POST carries one tenant's queued pushes up to this many bytes (a
  // single larger push goes alone)...
  size_t max_batch_bytes = 4 << 20;
  // ... and the worker waits up to this long after a batch's first push for
  // more (or until the batch is full); zero sends at once.
  absl::Duration batch_wait = absl::Milliseconds(100);
  // One POST's timeout (metrics_generator_client.remote_timeout).
  absl::Duration timeout = absl::Seconds(5);
  // The OTLP/HTTP path on the generator.
  std::string path = "/v1/traces";
};

// What the forwarder has done since it started.
// Counted in pushes (SpanTap::OnSpans calls), not POSTs.
struct GeneratorForwarderStats {
  uint64_t sent = 0;     // in POSTs the generator answered with 2xx
  uint64_t failed = 0;   // in POSTs answered otherwise, or lost
  uint64_t dropped = 0;  // not sent: the queue was full (or at shutdown)
  uint64_t posts = 0;    // POSTs made
};

class GeneratorForwarder : public SpanTap {
 public:
  // INVALID_ARGUMENT without endpoints or with an endpoint that is not
  // http(s)://. With `registry`, registers Tempo's
  // tempo_distributor_metrics_generator_pushes_total and
  // _pushes_failures_total and andante_distributor_metrics_generator_dropped_total
  // there (the registry must outlive the forwarder): POSTs, failed POSTs,
  // dropped pushes.
  static absl::StatusOr<std::unique_ptr<GeneratorForwarder>> Start(
      GeneratorForwarderOptions options, MetricsRegistry* registry);

  // Stops the workers; requests still queued are sent for up to `timeout`
  // each, the rest dropped.
  ~GeneratorForwarder() override;

  void OnSpans(std::string_view tenant, std::string_view request) override;

  GeneratorForwarderStats Stats() const;

  // Waits until every queue is empty and no POST is in flight (tests).
  void WaitIdle();

 private:
  struct Endpoint;
  struct Counters;
  GeneratorForwarder() = default;
  void Run(Endpoint* e);

  GeneratorForwarderOptions options_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::unique_ptr<Counters> counters_;
};

}  // namespace andante::net

#endif  // ANDANTE_NET_GENERATOR_FORWARDER_H_
