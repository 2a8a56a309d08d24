// A hook on the ingest path: every accepted push is shown to the tap after it
// is durable, before the caller is acknowledged. The metrics generator is a
// tap; so is a test fixture that wants to assert on emitted spans.
#ifndef ANDANTE_SPAN_TAP_H_
#define ANDANTE_SPAN_TAP_H_

#include <string_view>

namespace opentelemetry::proto::collector::trace::v1 {
class ExportTraceServiceRequest;
}

namespace andante {

class SpanTap {
 public:
  virtual ~SpanTap() = default;
  // Called once per accepted push, possibly from many threads at once.
  // `request` is only valid during the call. Must not block for long: it runs
  // on the ingest path.
  virtual void OnSpans(
      std::string_view tenant,
      const opentelemetry::proto::collector::trace::v1::
          ExportTraceServiceRequest& request) = 0;
};

}  // namespace andante

#endif  // ANDANTE_SPAN_TAP_H_
