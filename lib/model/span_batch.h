// What a SpanBatch (include/andante/store.h) holds, for the store that pushes
// it. The model module makes batches (SpanBatch::FromProto and, in
// andante/otlp.h, SpanBatchFromRequest; span_batch.cc); the ingest module
// consumes them.
#ifndef ANDANTE_MODEL_SPAN_BATCH_H_
#define ANDANTE_MODEL_SPAN_BATCH_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "andante/store.h"
#include "model/span_batch_view.h"
#include "model/trace_split.h"

namespace andante {

struct SpanBatch::Rep {
  // OK, or why Push must reject the batch (invalid IDs; Tempo's message).
  absl::Status status;
  // The spans split by trace ID (empty unless status is OK).
  std::vector<internal::TraceFragment> fragments;
  uint64_t span_count = 0;
  // What the batch was made from, borrowed; exactly one is set. Span taps
  // are shown `proto`, or the request serialized.
  const andante::otlp::collector::trace::v1::ExportTraceServiceRequest*
      request = nullptr;
  std::string_view proto;
  // The spans' fields recorded by the split of `proto` when a consumer asked
  // for them (SpanViewRecordingWanted), else null; shown to the span taps
  // beside the bytes (RecordedViewScope).
  internal::RecordedSpanBatchView view;
};

// Reaches a batch's Rep (SpanBatch names this struct its friend).
struct SpanBatchAccess {
  static const SpanBatch::Rep& Get(const SpanBatch& batch);
  static SpanBatch Make(std::unique_ptr<SpanBatch::Rep> rep);
};

namespace internal {
inline const SpanBatch::Rep& GetSpanBatchRep(const SpanBatch& batch) {
  return SpanBatchAccess::Get(batch);
}

// Shows an accepted batch to span taps as serialized bytes: those it came
// as, or its request serialized once (only taps pay for that). The view the
// split recorded, if any, goes along for the taps that read it (the metrics
// generator: RecordedViewOf).
void ShowSpanTaps(std::string_view tenant, const SpanBatch::Rep& rep,
                  const std::vector<SpanTap*>& taps);
}  // namespace internal

}  // namespace andante

#endif  // ANDANTE_MODEL_SPAN_BATCH_H_
