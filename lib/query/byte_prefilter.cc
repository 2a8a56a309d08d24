#include "query/byte_prefilter.h"

namespace andante::query {

using traceql::CompareOp;
using traceql::Intrinsic;

namespace {

// True if the query text holds a unary `!` (logical not) outside string
// literals: a negated comparison yields the same Condition as a plain one,
// so such queries are never prefiltered.
bool HasUnaryNot(std::string_view text) {
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '`') {
      quote = c;
      continue;
    }
    if (c == '!') {
      char n = i + 1 < text.size() ? text[i + 1] : 0;
      if (n != '=' && n != '~' && n != '>' && n != '<') return true;
    }
  }
  return false;
}

}  // namespace

BytePrefilter::BytePrefilter(const traceql::Query& query)
    : all_required_(query.all_conditions_required()) {
  // Only AND-mode queries (every condition must hold for one span): in OR
  // mode spanset operators and aggregates make conditions advisory.
  if (!all_required_ || HasUnaryNot(query.text())) return;
  bool any_unconstrained = false;
  for (const traceql::Condition& c : query.conditions()) {
    std::vector<std::string> need;
    bool string_eq = c.op == CompareOp::kEq &&
                     c.literal.type == traceql::ValueType::kString &&
                     !c.literal.s.empty();
    if (!c.is_intrinsic) {
      switch (c.op) {
        case CompareOp::kEq:
        case CompareOp::kNe:
        case CompareOp::kLt:
        case CompareOp::kLe:
        case CompareOp::kGt:
        case CompareOp::kGe:
        case CompareOp::kRegex:
        case CompareOp::kNotRegex:
        case CompareOp::kPresent:
          // Each comparison is false (or absent) for a missing attribute.
          if (!c.attribute.name.empty()) need.push_back(c.attribute.name);
          if (string_eq) need.push_back(c.literal.s);
          break;
        case CompareOp::kAbsent:
          break;
      }
    } else if (string_eq &&
               (c.intrinsic == Intrinsic::kName ||
                c.intrinsic == Intrinsic::kStatusMessage ||
                c.intrinsic == Intrinsic::kEventName ||
                c.intrinsic == Intrinsic::kInstrumentationName ||
                c.intrinsic == Intrinsic::kInstrumentationVersion)) {
      // Span-level values stored with the span. Trace-level intrinsics
      // (rootName, ...) may live in another fragment: never used.
      need.push_back(c.literal.s);
    }
    if (need.empty()) any_unconstrained = true;
    needs_.push_back(std::move(need));
  }
  if (needs_.empty()) {
    active_ = false;
  } else if (all_required_) {
    bool some = false;
    for (const auto& n : needs_) some |= !n.empty();
    active_ = some;
  } else {
    active_ = !any_unconstrained;
  }
}

bool BytePrefilter::MayMatch(std::string_view data) const {
  if (!active_) return true;
  auto holds = [&](const std::vector<std::string>& need) {
    for (const std::string& s : need) {
      if (data.find(s) == std::string_view::npos) return false;
    }
    return true;
  };
  if (all_required_) {
    for (const auto& need : needs_) {
      if (!holds(need)) return false;
    }
    return true;
  }
  for (const auto& need : needs_) {
    if (holds(need)) return true;
  }
  return false;
}

}  // namespace andante::query
