// Fuzzes the TraceQL parser, then evaluates every accepted query against a
// small trace: neither may crash or hang, and every rejection is an
// INVALID_ARGUMENT with a message.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "andante/traceql.h"

namespace {

const andante::traceql::Trace& SmallTrace() {
  static const andante::traceql::Trace* trace = [] {
    using andante::traceql::StoredValue;
    auto* t = new andante::traceql::Trace();
    uint32_t r = t->AddResource();
    t->AddAttribute("service.name", t->StringValue("frontend"));
    t->AddAttribute("a", StoredValue::Int(3));
    t->EndResource(r);
    uint32_t scope = t->AddScope("lib", "1.0");
    t->EndScope(scope);
    for (uint64_t k = 1; k <= 6; ++k) {
      andante::traceql::Span& s = t->AddSpan();
      s.span_id = k;
      s.parent_span_id = k == 1 ? 0 : k / 2;
      s.name = t->Intern(k % 2 ? "GET /x" : "charge");
      s.duration_nanos = static_cast<int64_t>(k) * 1000000;
      s.start_unix_nanos = 1700000000000000000LL + static_cast<int64_t>(k);
      s.status = k == 3 ? andante::traceql::SpanStatus::kError
                        : andante::traceql::SpanStatus::kUnset;
      s.kind = static_cast<andante::traceql::SpanKind>(k % 6);
      s.resource = r;
      s.scope = scope;
      t->AddAttribute("a", StoredValue::Int(static_cast<int64_t>(k)));
      t->AddAttribute("b", StoredValue::Float(0.5 * static_cast<double>(k)));
      t->AddAttribute("c", t->StringValue(k % 2 ? "x" : "y"));
      t->AddAttribute("d", StoredValue::Bool(k % 2));
      t->AddEvent("ev", 10);
      t->AddAttribute("e", StoredValue::Int(1));
      t->AddLink("0102", "03");
      t->EndSpan();
    }
    t->Finish();
    return t;
  }();
  return *trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<andante::traceql::Query> query =
      andante::traceql::Query::Parse(text);
  if (!query.ok()) {
    if (query.status().code() != absl::StatusCode::kInvalidArgument ||
        query.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  andante::traceql::Matcher matcher(*query);
  std::vector<andante::traceql::SpanSet> sets;
  absl::Status st = matcher.Evaluate(SmallTrace(), &sets);
  if (!st.ok() && st.code() != absl::StatusCode::kInvalidArgument) std::abort();
  std::vector<andante::traceql::NamedValue> attrs;
  for (const auto& set : sets) {
    for (uint32_t span : set.spans) {
      if (span >= SmallTrace().spans.size()) std::abort();
      query->SpanAttributes(SmallTrace(), span, &attrs);
    }
  }
  return 0;
}
