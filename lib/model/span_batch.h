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

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
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

// The span taps a store shows its accepted batches to (Store::AddSpanTap).
// Thread-safe; Remove waits for a Show in progress, so a removed tap is
// never called again.
class SpanTapList {
 public:
  void Add(SpanTap* tap) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(SpanTap* tap) ABSL_LOCKS_EXCLUDED(mu_);
  // Shows an accepted batch to every tap as serialized bytes: those it came
  // as, or its request serialized once (only when there are taps). The view
  // the split recorded, if any, goes along for the taps that read it (the
  // metrics generator: RecordedViewOf).
  void Show(std::string_view tenant, const SpanBatch::Rep& rep) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::vector<SpanTap*> taps_ ABSL_GUARDED_BY(mu_);
};
}  // namespace internal

}  // namespace andante

#endif  // ANDANTE_MODEL_SPAN_BATCH_H_
