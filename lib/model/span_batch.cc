// SpanBatch: the wire-bytes split with the parsing path behind it.
//
// FromProto first tries SplitSerializedByTrace, which covers every request a
// well-behaved exporter sends. Whatever it declines -- malformed bytes,
// invalid IDs, shapes it leaves to protobuf -- is parsed and split the
// classic way, so errors and edge cases behave exactly as a parse followed by
// Push(request) would, and only bad or odd requests pay for the parse.
#include "model/span_batch.h"

#include "andante/otlp.h"
#include "andante/span_tap.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "google/protobuf/arena.h"
#include "model/otlp_nesting.h"

namespace andante {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

uint64_t CountSpans(const ExportTraceServiceRequest& request) {
  uint64_t n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
  }
  return n;
}

// Splits a parsed request into `rep` the classic way.
void SplitParsed(const ExportTraceServiceRequest& request,
                 SpanBatch::Rep& rep) {
  absl::StatusOr<std::vector<internal::TraceFragment>> fragments =
      internal::SplitByTrace(request);
  if (fragments.ok()) {
    rep.fragments = std::move(*fragments);
    rep.span_count = 0;
    for (const auto& f : rep.fragments) rep.span_count += f.span_count;
  } else {
    rep.status = fragments.status();
    rep.span_count = CountSpans(request);
  }
}

}  // namespace

const SpanBatch::Rep& SpanBatchAccess::Get(const SpanBatch& batch) {
  return *batch.rep_;
}

namespace internal {

void SpanTapList::Add(SpanTap* tap) {
  absl::WriterMutexLock lock(&mu_);
  taps_.push_back(tap);
}

void SpanTapList::Remove(SpanTap* tap) {
  absl::WriterMutexLock lock(&mu_);
  taps_.erase(std::remove(taps_.begin(), taps_.end(), tap), taps_.end());
}

void SpanTapList::Show(std::string_view tenant,
                       const SpanBatch::Rep& rep) const {
  absl::ReaderMutexLock lock(&mu_);
  if (taps_.empty()) return;
  std::string serialized;
  std::string_view request = rep.proto;
  if (rep.request != nullptr) {
    serialized = rep.request->SerializeAsString();
    request = serialized;
  }
  RecordedViewScope scope(request, rep.view.get());
  for (SpanTap* tap : taps_) tap->OnSpans(tenant, request);
}

}  // namespace internal

SpanBatch SpanBatchAccess::Make(std::unique_ptr<SpanBatch::Rep> rep) {
  return SpanBatch(std::move(rep));
}

SpanBatch::SpanBatch(std::unique_ptr<Rep> rep)
    : rep_(std::move(rep)) {}
SpanBatch::SpanBatch(SpanBatch&& other) noexcept = default;
SpanBatch& SpanBatch::operator=(SpanBatch&& other) noexcept = default;
SpanBatch::~SpanBatch() = default;

uint64_t SpanBatch::span_count() const { return rep_->span_count; }

absl::StatusOr<SpanBatch> SpanBatch::FromProto(std::string_view request) {
  auto rep = std::make_unique<Rep>();
  rep->proto = request;
  internal::RecordedSpanBatchView view;
  if (internal::SpanViewRecordingWanted()) {
    view = internal::NewRecordedSpanBatchView();
  }
  if (internal::SplitSerializedByTrace(request, &rep->fragments, view.get())) {
    for (const auto& f : rep->fragments) rep->span_count += f.span_count;
    rep->view = std::move(view);
    return SpanBatch(std::move(rep));
  }
  rep->fragments.clear();
  google::protobuf::Arena arena;
  auto* parsed =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  if (absl::Status s = internal::ParseOtlpRequest(request, parsed); !s.ok()) {
    return s;
  }
  SplitParsed(*parsed, *rep);
  return SpanBatch(std::move(rep));
}

SpanBatch SpanBatchFromRequest(const ExportTraceServiceRequest& request) {
  auto rep = std::make_unique<SpanBatch::Rep>();
  rep->request = &request;
  SplitParsed(request, *rep);
  return SpanBatchAccess::Make(std::move(rep));
}

}  // namespace andante
