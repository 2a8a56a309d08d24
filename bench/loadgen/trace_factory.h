// Realistic OTLP trace batches for the load generator.
//
// A TraceFactory invents traces the way a small microservice shop emits them:
// a SERVER root span in the `frontend` service, CLIENT -> SERVER hops into 3-5
// downstream services, database and cache CLIENT spans with varied SQL,
// INTERNAL spans, and a few percent of failing spans carrying an `exception`
// event. Spans are grouped by service into ResourceSpans, as an OpenTelemetry
// Collector's batch processor would forward them.
//
//   TraceFactory factory(/*seed=*/1);
//   BatchStats stats;
//   ExportTraceServiceRequest batch =
//       factory.BuildBatch(/*spans=*/1000, absl::Now(), &stats);
//
// Not thread-safe; one factory per thread.
#ifndef ANDANTE_BENCH_LOADGEN_TRACE_FACTORY_H_
#define ANDANTE_BENCH_LOADGEN_TRACE_FACTORY_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::loadgen {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

// Shape of the generated traces.
struct TraceShape {
  int min_spans = 8;  // spans per trace, inclusive
  int max_spans = 12;
  int min_services = 4;  // services per trace (frontend included), inclusive
  int max_services = 6;
  // Probability that a SERVER or database span fails. The failure also marks
  // the calling CLIENT span, so the share of error spans is about 1.3x this.
  double error_probability = 0.03;
  // Copies of the service catalogue: each trace runs in one group g picked
  // at random and its services are named "<name>-g<g>" (g > 0), multiplying
  // the distinct label sets a metrics generator sees. 1 = the catalogue as
  // is (and the same traces as without this option).
  int service_groups = 1;
};

// What BuildBatch produced, accumulated over calls.
struct BatchStats {
  int64_t traces = 0;
  int64_t spans = 0;
  int64_t error_spans = 0;
  int64_t services = 0;  // sum over traces of distinct services per trace
  int min_spans_per_trace = 0;
  int max_spans_per_trace = 0;
};

class TraceFactory {
 public:
  explicit TraceFactory(uint64_t seed, TraceShape shape = {});

  TraceFactory(const TraceFactory&) = delete;
  TraceFactory& operator=(const TraceFactory&) = delete;

  // Returns a request holding exactly `spans` spans in whole traces of
  // shape().min_spans..max_spans spans each (a batch smaller than
  // min_spans holds one shorter trace). Traces start within the 5 s before
  // `now`. Adds to `*stats` when it is not null.
  // REQUIRES: spans >= 1.
  ExportTraceServiceRequest BuildBatch(int spans, absl::Time now,
                                       BatchStats* stats);

  const TraceShape& shape() const { return shape_; }

 private:
  struct Draft;

  // Appends one trace of `spans` spans to `drafts`.
  void AddTrace(int spans, int64_t now_ns, std::vector<Draft>* drafts,
                BatchStats* stats);

  TraceShape shape_;
  std::mt19937_64 rng_;
};

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_TRACE_FACTORY_H_
