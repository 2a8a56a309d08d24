// Public entry points of andante/traceql.h.
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "andante/traceql.h"
#include "traceql/evaluator.h"
#include "traceql/parser.h"
#include "traceql/values.h"

namespace andante::traceql {
namespace {

// Go's time.Duration.String().
std::string GoDuration(int64_t d) {
  if (d == 0) return "0s";
  bool neg = d < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  std::string out;
  auto frac = [](uint64_t v, int prec, std::string* digits) {
    // Writes v / 10^prec with trailing zeros of the fraction removed.
    uint64_t pow = 1;
    for (int k = 0; k < prec; ++k) pow *= 10;
    uint64_t whole = v / pow, rest = v % pow;
    std::string f;
    if (rest != 0) {
      f = absl::StrFormat("%0*d", prec, rest);
      while (!f.empty() && f.back() == '0') f.pop_back();
      f = "." + f;
    }
    *digits = absl::StrCat(whole, f);
  };
  if (u < 1000000000ULL) {
    std::string digits;
    if (u < 1000) {
      out = absl::StrCat(u, "ns");
    } else if (u < 1000000) {
      frac(u, 3, &digits);
      out = digits + "\xC2\xB5s";
    } else {
      frac(u, 6, &digits);
      out = digits + "ms";
    }
  } else {
    uint64_t h = u / 3600000000000ULL;
    uint64_t rem = u % 3600000000000ULL;
    uint64_t m = rem / 60000000000ULL;
    uint64_t s = rem % 60000000000ULL;
    std::string secs;
    frac(s, 9, &secs);
    if (h > 0) {
      out = absl::StrCat(h, "h", m, "m", secs, "s");
    } else if (m > 0) {
      out = absl::StrCat(m, "m", secs, "s");
    } else {
      out = absl::StrCat(secs, "s");
    }
  }
  return neg ? "-" + out : out;
}

}  // namespace

std::string_view IntrinsicName(Intrinsic in) {
  switch (in) {
    case Intrinsic::kName:
      return "name";
    case Intrinsic::kStatus:
      return "status";
    case Intrinsic::kStatusMessage:
      return "statusMessage";
    case Intrinsic::kKind:
      return "kind";
    case Intrinsic::kDuration:
      return "duration";
    case Intrinsic::kChildCount:
      return "span:childCount";
    case Intrinsic::kSpanId:
      return "span:id";
    case Intrinsic::kParentId:
      return "span:parentID";
    case Intrinsic::kTraceId:
      return "trace:id";
    case Intrinsic::kTraceDuration:
      return "traceDuration";
    case Intrinsic::kRootName:
      return "rootName";
    case Intrinsic::kRootServiceName:
      return "rootServiceName";
    case Intrinsic::kEventName:
      return "event:name";
    case Intrinsic::kEventTimeSinceStart:
      return "event:timeSinceStart";
    case Intrinsic::kLinkTraceId:
      return "link:traceID";
    case Intrinsic::kLinkSpanId:
      return "link:spanID";
    case Intrinsic::kInstrumentationName:
      return "instrumentation:name";
    case Intrinsic::kInstrumentationVersion:
      return "instrumentation:version";
  }
  return "?";
}

std::string ValueToString(const Value& v) {
  switch (v.type) {
    case ValueType::kArray:
      return "(array)";
    case ValueType::kNil:
      return "nil";
    case ValueType::kInt:
      return absl::StrCat(v.i);
    case ValueType::kFloat:
      return absl::StrCat(v.f);
    case ValueType::kString:
      return v.s;
    case ValueType::kBool:
      return v.b ? "true" : "false";
    case ValueType::kDuration:
      return GoDuration(v.i);
    case ValueType::kStatus: {
      static const char* const kNames[] = {"unset", "ok", "error"};
      return v.i >= 0 && v.i < 3 ? kNames[v.i] : absl::StrCat(v.i);
    }
    case ValueType::kKind: {
      static const char* const kNames[] = {"unspecified", "internal",
                                           "server",      "client",
                                           "producer",    "consumer"};
      return v.i >= 0 && v.i < 6 ? kNames[v.i] : absl::StrCat(v.i);
    }
  }
  return "";
}

// The public classes' opaque state: the parser's and evaluator's types.
struct Query::Rep : internal::QueryImpl {
  explicit Rep(internal::QueryImpl&& parsed)
      : internal::QueryImpl(std::move(parsed)) {}
};

class Matcher::Rep : public internal::Evaluator {
 public:
  using internal::Evaluator::Evaluator;
};

Query::Query(std::shared_ptr<const Rep> impl) : impl_(std::move(impl)) {}

absl::StatusOr<Query> Query::Parse(std::string_view text) {
  absl::StatusOr<std::unique_ptr<internal::QueryImpl>> impl =
      internal::ParseQuery(text);
  if (!impl.ok()) return impl.status();
  return Query(std::make_shared<const Rep>(std::move(**impl)));
}

const QueryColumns& Query::columns() const { return impl_->columns; }
const std::vector<Condition>& Query::conditions() const {
  return impl_->conditions;
}
bool Query::all_conditions_required() const {
  return impl_->all_conditions_required;
}
const std::vector<Condition>& Query::span_conditions() const {
  return impl_->span_conditions;
}
int64_t Query::min_matching_spans() const { return impl_->min_matching_spans; }
const std::vector<NamedValue>& Query::hints() const { return impl_->hints; }
const std::string& Query::text() const { return impl_->text; }

void Query::SpanAttributes(const Trace& trace, uint32_t span,
                           std::vector<NamedValue>* out) const {
  out->clear();
  internal::Evaluator ev(*impl_);
  ev.Bind(trace);
  for (int idx : impl_->reported_exprs) {
    internal::Val v = ev.Eval(idx, span);
    if (v.type == ValueType::kNil) continue;
    const internal::Expr& e = impl_->exprs[idx];
    std::string name = e.kind == internal::ExprKind::kAttribute
                           ? e.str
                           : std::string(IntrinsicName(e.intrinsic));
    out->push_back(NamedValue{std::move(name), internal::ToValue(v)});
  }
}

Matcher::Matcher(const Query& query)
    : query_(query.impl_),
      evaluator_(std::make_unique<Rep>(*query_)) {}

Matcher::~Matcher() = default;

absl::Status Matcher::Evaluate(const Trace& trace, std::vector<SpanSet>* out) {
  return evaluator_->Evaluate(trace, out);
}

}  // namespace andante::traceql
