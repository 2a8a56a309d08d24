// What a SpanBatch (include/andante/store.h) holds, for the store that pushes
// it. The model module makes batches (SpanBatch::FromProto/FromRequest, in
// span_batch.cc); the ingest module consumes them.
#ifndef ANDANTE_MODEL_SPAN_BATCH_H_
#define ANDANTE_MODEL_SPAN_BATCH_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "andante/store.h"
#include "model/trace_split.h"

namespace andante::internal {

struct SpanBatchRep {
  // OK, or why Push must reject the batch (invalid IDs; Tempo's message).
  absl::Status status;
  // The spans split by trace ID (empty unless status is OK).
  std::vector<TraceFragment> fragments;
  uint64_t span_count = 0;
  // What the batch was made from, borrowed; exactly one is set. Span taps
  // are shown the request, parsed from `proto` when that is what we have.
  const andante::otlp::collector::trace::v1::ExportTraceServiceRequest*
      request = nullptr;
  std::string_view proto;
};

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_SPAN_BATCH_H_
