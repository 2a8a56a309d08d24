// The service-graph processor: pairs client and server spans of the same
// request (and producer/consumer spans) into edges between services, as
// Tempo's metrics generator does, and records them in a MetricsRegistry.
//
//   traces_service_graph_request_total                     counter
//   traces_service_graph_request_failed_total              counter
//   traces_service_graph_request_server_seconds_{bucket,sum,count}
//   traces_service_graph_request_client_seconds_{bucket,sum,count}
//   traces_service_graph_unpaired_spans_total              counter
//   traces_service_graph_dropped_spans_total               counter
//
// Labels: client, server, connection_type (absent for an ordinary edge;
// "messaging_system", "database" or "virtual_node") and `dimensions`.
//
// Pairing: a CLIENT/PRODUCER span waits under (trace ID, its span ID), a
// SERVER/CONSUMER span under (trace ID, its parent span ID); the edge is
// recorded once both sides arrived. A client span with a database attribute
// completes at once (connection_type="database"). An edge still incomplete
// after `wait` becomes a virtual-node edge (a root server span gets
// client="user" or its peer attribute; a client span with a peer attribute
// gets server=<peer>) or is counted in unpaired_spans_total.
//
// Usage:
//
//   andante::MetricsRegistry registry(andante::RegistryOptions{});
//   andante::ServiceGraphProcessor graph(andante::ServiceGraphOptions{},
//                                        &registry);
//   graph.Push(body, absl::Now());  // a serialized ExportTraceServiceRequest
//   graph.Expire(absl::Now());  // periodically, e.g. every 2 s
//
// Thread-safety: every method may be called from any thread.
#ifndef ANDANTE_SERVICE_GRAPH_H_
#define ANDANTE_SERVICE_GRAPH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "andante/metrics_registry.h"


namespace andante {

struct ServiceGraphOptions {
  // Bucket upper bounds in seconds for both latency histograms.
  std::vector<double> histogram_buckets = {0.1, 0.2, 0.4, 0.8,
                                           1.6, 3.2, 6.4, 12.8};
  // Attribute keys (resource first, then span) added as labels, sanitized
  // ([^A-Za-z0-9_] -> '_'). With enable_client_server_prefix each becomes
  // client_<dim> and server_<dim> from the respective side.
  std::vector<std::string> dimensions;
  bool enable_client_server_prefix = false;
  // Adds virtual_node="client"|"server" on virtual-node edges.
  bool enable_virtual_node_label = false;
  // How long an incomplete edge waits for its other side.
  absl::Duration wait = absl::Seconds(10);
  // Most incomplete edges held; spans beyond are dropped (and counted).
  int64_t max_items = 10000;
  // Span attributes naming an uninstrumented peer, in order.
  std::vector<std::string> peer_attributes = {"peer.service", "db.name",
                                              "db.system", "db.system.name"};
  // Attributes (resource, then span) marking a client span as a database
  // call, in order.
  std::vector<std::string> database_name_attributes = {
      "db.namespace", "db.name", "db.system", "db.system.name"};
  // Series produced (processors service-graphs-request / -latency).
  bool enable_request = true;
  bool enable_latency = true;
  // The span-multiplier attribute, as in SpanMetricsOptions.
  std::string span_multiplier_key;
};

class ServiceGraphProcessor {
 public:
  // `registry` must outlive the processor.
  ServiceGraphProcessor(const ServiceGraphOptions& options,
                        MetricsRegistry* registry);
  ~ServiceGraphProcessor();
  ServiceGraphProcessor(const ServiceGraphProcessor&) = delete;
  ServiceGraphProcessor& operator=(const ServiceGraphProcessor&) = delete;

  // Pairs the CLIENT, SERVER, PRODUCER and CONSUMER spans of `request`, a
  // serialized OTLP ExportTraceServiceRequest (only read during the call);
  // `now` starts the wait of new edges. False, with nothing done, when the
  // bytes do not parse as one. andante/otlp.h's PushRequest does the same
  // for a parsed request.
  bool Push(std::string_view request, absl::Time now);

  // Resolves every incomplete edge that has waited longer than `wait`.
  void Expire(absl::Time now);

  // Incomplete edges held now.
  int64_t pending_edges() const;
  // Spans dropped because max_items edges were pending.
  int64_t dropped_spans() const;
  // Edges expired without a virtual node (unpaired).
  int64_t expired_edges() const;

 private:
  // MetricsGenerator's ingest tap pushes views of requests read from their
  // wire bytes through it.
  friend struct ProcessorViews;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace andante

#endif  // ANDANTE_SERVICE_GRAPH_H_
