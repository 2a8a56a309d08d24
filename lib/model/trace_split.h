// Splitting an OTLP export request into one fragment per trace.
//
// The distributor regroups every request by trace ID before it reaches the
// ingester: each fragment is a self-contained serialized OTLP TracesData that
// holds only one trace's spans, each still under a copy of its original
// resource and instrumentation scope. Fragments of one trace can later be
// stored back to back, since concatenated TracesData bytes parse as one
// TracesData (see trace_combiner.h).
//
//   absl::StatusOr<std::vector<TraceFragment>> fragments = SplitByTrace(req);
//   if (!fragments.ok()) return fragments.status();  // INVALID_ARGUMENT
//   for (TraceFragment& f : *fragments) live_traces.Append(f.id, f.data);
#ifndef ANDANTE_MODEL_TRACE_SPLIT_H_
#define ANDANTE_MODEL_TRACE_SPLIT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "model/span_batch_view.h"

namespace andante::internal {

// The spans of one trace taken from one request.
struct TraceFragment {
  TraceId id;
  // Minimum start / maximum end time over the fragment's spans, Unix ns.
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  uint32_t span_count = 0;
  // A serialized OTLP TracesData holding only this trace's spans, each under
  // its original resource and scope (one ResourceSpans per source
  // ResourceSpans, one ScopeSpans per source ScopeSpans, order preserved).
  // The spans' trace_id fields are left out: every stored fragment is keyed
  // by `id`, and TraceCombiner(id) restores them on read.
  std::string data;
};

// Validates the IDs of every span and splits the request by trace ID.
//
// A trace ID must be exactly 16 bytes (all-zero is accepted, as in Tempo); a
// span ID exactly 8 bytes and not all zero. One bad span rejects the whole
// request with INVALID_ARGUMENT and Tempo's message: "trace ids must be 128
// bit, received N bits" or "span ids must be 64 bit and not all zero,
// received N bits".
//
// Fragments come out in order of their trace's first appearance; an empty
// request yields an empty vector. A ResourceSpans that carries only the
// pre-1.0 `instrumentation_library_spans` (field 1000) is read through it,
// like the OpenTelemetry collector does. Unknown fields of spans, resources
// and scopes are kept; those of ResourceSpans and ScopeSpans are dropped.
absl::StatusOr<std::vector<TraceFragment>> SplitByTrace(
    const andante::otlp::collector::trace::v1::ExportTraceServiceRequest&
        request);

// SplitByTrace on the wire bytes: splits `request`, a serialized
// ExportTraceServiceRequest, without parsing it into messages. It walks the
// protobuf wire format, checks every byte protobuf's parser would check
// (tags, lengths, varints, nesting, UTF-8 of string fields of every known
// message), validates the IDs, and copies each span's bytes (less its
// trace_id field) and its resource and scope bytes into the fragments.
//
// Returns true and sets `*fragments` (cleared first) when it could split the
// request; the fragments then parse equal to SplitByTrace's on the parsed
// request (bytes may differ: unknown fields stay where they were, default
// values sent explicitly are kept). Returns false, with `*fragments`
// unspecified, for anything it does not handle: bytes protobuf would reject
// (nesting deeper than kMaxOtlpMessageDepth included), invalid IDs, and rare
// shapes protobuf accepts (groups, a resource or scope field sent twice, a
// span with two trace_id fields, a legacy field-1000 entry it cannot read).
// The caller then parses the request (ParseOtlpRequest) and calls
// SplitByTrace, which decides and explains. The guarantee that matters:
// bytes this function accepts always parse with ParseOtlpMessage, and so do
// the fragments.
//
// With a `view`, the walk also records the spans' fields into it: on true,
// `*view` holds exactly what view->FromWire(request) would give (the
// metrics generator's input, so the tap need not walk the bytes again). On
// false it is unspecified.
bool SplitSerializedByTrace(std::string_view request,
                            std::vector<TraceFragment>* fragments,
                            SpanBatchView* view = nullptr);

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_TRACE_SPLIT_H_
