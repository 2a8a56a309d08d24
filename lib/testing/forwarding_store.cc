#include "forwarding_store.h"

#include <utility>

namespace andante::testing::collector_internal {

ForwardingStore::ForwardingStore(std::shared_ptr<Store> inner)
    : inner_(std::move(inner)) {}

std::shared_ptr<Store> ForwardingStore::inner() const {
  absl::MutexLock lock(&mu_);
  return inner_;
}

std::shared_ptr<Store> ForwardingStore::Swap(std::shared_ptr<Store> next) {
  absl::MutexLock lock(&mu_);
  std::swap(inner_, next);
  spans_.store(0);
  return next;
}

absl::Duration ForwardingStore::UntilQuiet(absl::Time now,
                                           absl::Duration settle,
                                           absl::Duration poll) const {
  if (in_flight_.load() > 0) return poll;
  const absl::Duration since =
      now - absl::FromUnixNanos(last_push_end_nanos_.load());
  return since >= settle ? absl::ZeroDuration() : settle - since;
}

absl::StatusOr<PushResult> ForwardingStore::Push(std::string_view tenant,
                                                 const SpanBatch& batch) {
  in_flight_.fetch_add(1);
  std::shared_ptr<Store> store = inner();
  absl::StatusOr<PushResult> result =
      store == nullptr ? absl::UnavailableError("test collector stopped")
                       : store->Push(tenant, batch);
  if (result.ok()) spans_.fetch_add(result->spans_accepted);
  last_push_end_nanos_.store(absl::ToUnixNanos(absl::Now()));
  in_flight_.fetch_sub(1);
  return result;
}

absl::StatusOr<FoundTrace> ForwardingStore::FindTraceById(
    std::string_view tenant, const TraceId& id,
    const TraceLookupOptions& options) {
  std::shared_ptr<Store> store = inner();
  if (store == nullptr) return absl::UnavailableError("test collector stopped");
  return store->FindTraceById(tenant, id, options);
}

absl::Status ForwardingStore::Flush() {
  std::shared_ptr<Store> store = inner();
  return store == nullptr ? absl::OkStatus() : store->Flush();
}

absl::Status ForwardingStore::RequestFlush() {
  std::shared_ptr<Store> store = inner();
  return store == nullptr ? absl::OkStatus() : store->RequestFlush();
}

absl::Status ForwardingStore::PollBlocklist() {
  std::shared_ptr<Store> store = inner();
  return store == nullptr ? absl::OkStatus() : store->PollBlocklist();
}

absl::StatusOr<CompactionCycleReport> ForwardingStore::RunCompactionCycle() {
  std::shared_ptr<Store> store = inner();
  if (store == nullptr) return absl::UnavailableError("test collector stopped");
  return store->RunCompactionCycle();
}

void ForwardingStore::AddSpanTap(SpanTap* tap) {
  if (std::shared_ptr<Store> store = inner(); store != nullptr) {
    store->AddSpanTap(tap);
  }
}

void ForwardingStore::RemoveSpanTap(SpanTap* tap) {
  if (std::shared_ptr<Store> store = inner(); store != nullptr) {
    store->RemoveSpanTap(tap);
  }
}

StoreStats ForwardingStore::Stats() const {
  std::shared_ptr<Store> store = inner();
  return store == nullptr ? StoreStats{} : store->Stats();
}

absl::Status ForwardingStore::Close() {
  std::shared_ptr<Store> store = Swap(nullptr);
  return store == nullptr ? absl::OkStatus() : store->Close();
}

}  // namespace andante::testing::collector_internal
