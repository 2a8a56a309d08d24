// A hook on the ingest path: every accepted push is shown to the tap after it
// is durable, before the caller is acknowledged. The metrics generator is a
// tap; so is a test fixture that wants to assert on emitted spans.
//
// A tap sees each push as a serialized OTLP ExportTraceServiceRequest: the
// bytes it was pushed as (SpanBatch::FromProto), or the pushed message
// serialized once for all taps (SpanBatchFromRequest). Parse them with
// andante/otlp.h's classes, with any other compilation of the OTLP schema
// (e.g. the OpenTelemetry C++ SDK's), or read them with a wire reader: this
// header names no generated class.
//
//   class CountingTap : public andante::SpanTap {
//    public:
//     void OnSpans(std::string_view tenant,
//                  std::string_view request) override {
//       andante::otlp::collector::trace::v1::ExportTraceServiceRequest r;
//       if (r.ParseFromArray(request.data(), request.size())) ...
//     }
//   };
//   store->AddSpanTap(&tap);  // REQUIRES: tap outlives the store, or
//   ...                       // RemoveSpanTap(&tap) before it goes
#ifndef ANDANTE_SPAN_TAP_H_
#define ANDANTE_SPAN_TAP_H_

#include <string_view>

namespace andante {

class SpanTap {
 public:
  virtual ~SpanTap() = default;
  // Called once per accepted push, possibly from many threads at once.
  // `request` is a serialized ExportTraceServiceRequest the store accepted,
  // valid only during the call. Must not block for long: it runs on the
  // ingest path.
  virtual void OnSpans(std::string_view tenant, std::string_view request) = 0;
};

}  // namespace andante

#endif  // ANDANTE_SPAN_TAP_H_
