// A Store that forwards to a replaceable underlying store, so a test
// collector's receivers keep one Store* while Reset swaps in an empty store.
// It also counts pushes in progress and the time the last one ended, which
// is what "the collector is quiet" means to the waits.
#ifndef ANDANTE_LIB_TESTING_FORWARDING_STORE_H_
#define ANDANTE_LIB_TESTING_FORWARDING_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "andante/store.h"

namespace andante::testing::collector_internal {

class ForwardingStore final : public Store {
 public:
  explicit ForwardingStore(std::shared_ptr<Store> inner);

  // The current underlying store.
  std::shared_ptr<Store> inner() const;
  // Makes `next` the underlying store and zeroes the span count; returns
  // the previous one (still receiving pushes that already hold it).
  std::shared_ptr<Store> Swap(std::shared_ptr<Store> next);

  // Spans accepted since construction or the last Swap.
  uint64_t spans_accepted() const { return spans_.load(); }
  // Zero when no push is in progress and none ended within `settle` before
  // `now`; otherwise how long to wait before asking again (the rest of the
  // settle period, or `poll` while a push is in progress).
  absl::Duration UntilQuiet(absl::Time now, absl::Duration settle,
                            absl::Duration poll) const;

  using Store::Push;  // of a parsed request
  absl::StatusOr<PushResult> Push(std::string_view tenant,
                                  const SpanBatch& batch) override;
  absl::StatusOr<FoundTrace> FindTraceById(
      std::string_view tenant, const TraceId& id,
      const TraceLookupOptions& options) override;
  absl::Status Flush() override;
  absl::Status RequestFlush() override;
  absl::Status PollBlocklist() override;
  absl::StatusOr<CompactionCycleReport> RunCompactionCycle() override;
  void AddSpanTap(SpanTap* tap) override;
  void RemoveSpanTap(SpanTap* tap) override;
  StoreStats Stats() const override;
  absl::Status Close() override;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<Store> inner_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> spans_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> last_push_end_nanos_{0};
};

}  // namespace andante::testing::collector_internal

#endif  // ANDANTE_LIB_TESTING_FORWARDING_STORE_H_
