// A hook on the ingest path: every accepted push is shown to the tap after it
// is durable, before the caller is acknowledged. The metrics generator is a
// tap; so is a test fixture that wants to assert on emitted spans.
#ifndef ANDANTE_SPAN_TAP_H_
#define ANDANTE_SPAN_TAP_H_

#include <string_view>

namespace andante::otlp::collector::trace::v1 {
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
      const andante::otlp::collector::trace::v1::
          ExportTraceServiceRequest& request) = 0;

  // Called instead of OnSpans when the push arrived as serialized bytes of an
  // ExportTraceServiceRequest that the store accepted, so a tap that reads
  // the wire format itself spares the parse. Returns true when it handled
  // the batch; false (the default) asks for OnSpans with the parsed request.
  // `request_bytes` is only valid during the call; same threading rules as
  // OnSpans.
  virtual bool OnSpanBytes(std::string_view tenant,
                           std::string_view request_bytes) {
    (void)tenant;
    (void)request_bytes;
    return false;
  }
};

}  // namespace andante

#endif  // ANDANTE_SPAN_TAP_H_
