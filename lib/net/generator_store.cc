#include "generator_store.h"

#include <memory>
#include <string_view>

#include "andante/span_tap.h"
#include "model/span_batch.h"

namespace andante::net {
namespace {

class GeneratorOnlyStore final : public Store {
 public:
  absl::StatusOr<PushResult> Push(std::string_view tenant,
                                  const SpanBatch& batch) override {
    const SpanBatch::Rep& rep = internal::GetSpanBatchRep(batch);
    if (!rep.status.ok()) return rep.status;
    PushResult result;
    result.spans_accepted = rep.span_count;
    if (rep.span_count == 0) return result;
    taps_.Show(tenant, rep);
    return result;
  }

  absl::StatusOr<FoundTrace> FindTraceById(
      std::string_view, const TraceId&, const TraceLookupOptions&) override {
    return FoundTrace();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status PollBlocklist() override { return absl::OkStatus(); }
  absl::StatusOr<CompactionCycleReport> RunCompactionCycle() override {
    return absl::FailedPreconditionError(
        "a metrics-generator instance stores no blocks");
  }
  void AddSpanTap(SpanTap* tap) override { taps_.Add(tap); }
  void RemoveSpanTap(SpanTap* tap) override { taps_.Remove(tap); }
  StoreStats Stats() const override { return StoreStats(); }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  internal::SpanTapList taps_;
};

}  // namespace

std::unique_ptr<Store> OpenGeneratorOnlyStore() {
  return std::make_unique<GeneratorOnlyStore>();
}

}  // namespace andante::net
