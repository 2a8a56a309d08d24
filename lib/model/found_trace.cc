// FoundTrace (include/andante/store.h): its Rep holds the combined trace as a
// TracesData message; andante/otlp.h gives that message out.
#include <memory>
#include <string>
#include <utility>

#include "andante/otlp.h"
#include "andante/store.h"
#include "model/trace_json.h"

namespace andante {

struct FoundTrace::Rep {
  otlp::trace::v1::TracesData trace;
};

// FoundTrace names this struct its friend. A FoundTrace holds no Rep until
// its trace is first asked for or set; an absent Rep is an empty trace.
struct FoundTraceAccess {
  static const otlp::trace::v1::TracesData& Get(const FoundTrace& found) {
    static const otlp::trace::v1::TracesData* const kEmpty =
        new otlp::trace::v1::TracesData();
    return found.rep_ == nullptr ? *kEmpty : found.rep_->trace;
  }
  static otlp::trace::v1::TracesData* Mutable(FoundTrace* found) {
    if (found->rep_ == nullptr) found->rep_ = std::make_unique<FoundTrace::Rep>();
    return &found->rep_->trace;
  }
};

FoundTrace::FoundTrace() = default;
FoundTrace::FoundTrace(const FoundTrace& other)
    : span_count(other.span_count),
      inspected_bytes(other.inspected_bytes),
      partial(other.partial),
      message(other.message),
      rep_(other.rep_ == nullptr ? nullptr : std::make_unique<Rep>(*other.rep_)) {}
FoundTrace& FoundTrace::operator=(const FoundTrace& other) {
  if (this != &other) *this = FoundTrace(other);
  return *this;
}
FoundTrace::FoundTrace(FoundTrace&& other) noexcept
    : span_count(std::exchange(other.span_count, 0)),
      inspected_bytes(std::exchange(other.inspected_bytes, 0)),
      partial(std::exchange(other.partial, false)),
      message(std::move(other.message)),
      rep_(std::move(other.rep_)) {}
FoundTrace& FoundTrace::operator=(FoundTrace&& other) noexcept {
  span_count = std::exchange(other.span_count, 0);
  inspected_bytes = std::exchange(other.inspected_bytes, 0);
  partial = std::exchange(other.partial, false);
  message = std::move(other.message);
  rep_ = std::move(other.rep_);
  return *this;
}
FoundTrace::~FoundTrace() = default;

std::string FoundTrace::SerializeAsTracesData() const {
  return FoundTraceAccess::Get(*this).SerializeAsString();
}

std::string FoundTrace::ToTempoJson() const {
  return internal::TraceToJsonV1(FoundTraceAccess::Get(*this));
}

const otlp::trace::v1::TracesData& TracesDataOf(const FoundTrace& found) {
  return FoundTraceAccess::Get(found);
}

otlp::trace::v1::TracesData* MutableTracesDataOf(FoundTrace* found) {
  return FoundTraceAccess::Mutable(found);
}

}  // namespace andante
