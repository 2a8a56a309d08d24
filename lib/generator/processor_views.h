// The processors' push of a SpanBatchView (a request read from its wire bytes
// or its message tree, with spans marked `skip` left out): how
// MetricsGenerator's ingest tap feeds them; and andante/otlp.h's PushRequest
// to the generator. Outside the public headers because the view is the
// library's own type; a friend of both processors and of the generator.
#ifndef ANDANTE_GENERATOR_PROCESSOR_VIEWS_H_
#define ANDANTE_GENERATOR_PROCESSOR_VIEWS_H_

#include <string_view>

#include "absl/time/time.h"
#include "andante/metrics_generator.h"
#include "andante/service_graph.h"
#include "andante/span_metrics.h"
#include "generator/span_batch_view.h"

namespace andante {

struct ProcessorViews {
  // SpanMetricsProcessor::Push over a view (span_metrics.cc).
  static void Push(SpanMetricsProcessor& processor,
                   const internal::SpanBatchView& batch, absl::Time now);
  // ServiceGraphProcessor::Push over a view (service_graph.cc).
  static void Push(ServiceGraphProcessor& processor,
                   const internal::SpanBatchView& batch, absl::Time now);
  // PushRequest of a parsed request to the generator (metrics_generator.cc).
  static void Push(MetricsGenerator& generator, std::string_view tenant,
                   const andante::otlp::collector::trace::v1::
                       ExportTraceServiceRequest& request,
                   absl::Time now);

  // A processor's Push of serialized request bytes through a view: false on
  // bytes that do not parse (SpanMetricsProcessor::Push and
  // ServiceGraphProcessor::Push).
  template <typename Processor>
  static bool PushBytes(Processor& processor, std::string_view request,
                        absl::Time now) {
    // Called from a span tap of the store, whose split recorded the view.
    if (internal::SpanBatchView* recorded = internal::RecordedViewOf(request)) {
      for (internal::SpanView& s : recorded->spans()) s.skip = false;
      Push(processor, *recorded, now);
      return true;
    }
    internal::SpanBatchView view;
    andante::otlp::collector::trace::v1::ExportTraceServiceRequest parsed;
    if (!view.FromBytes(request, &parsed)) return false;
    Push(processor, view, now);
    return true;
  }

  // A processor's Push of a parsed request through a view (andante/otlp.h's
  // PushRequest overloads for the processors).
  template <typename Processor>
  static void PushTree(Processor& processor,
                       const andante::otlp::collector::trace::v1::
                           ExportTraceServiceRequest& request,
                       absl::Time now) {
    internal::SpanBatchView view;
    view.FromTree(request);
    Push(processor, view, now);
  }
};

}  // namespace andante

#endif  // ANDANTE_GENERATOR_PROCESSOR_VIEWS_H_
