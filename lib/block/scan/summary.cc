#include "block/scan/summary.h"

#include <algorithm>
#include <string>

#include "block/block_format.h"

namespace andante::internal::scan {
namespace {

using traceql::CompareOp;
using traceql::Condition;
using traceql::Intrinsic;
using traceql::Scope;
using traceql::ValueType;

// Whether a condition with operator `op` is false for a missing value (a
// comparison with nil is false): the attribute must exist.
bool NeedsValue(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
    case CompareOp::kPresent:
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe:
    case CompareOp::kRegex:
      return true;
    default:
      return false;
  }
}

// Whether a span attribute `c` names may satisfy it, given the key's
// statistics `k` (null: no span of the page or block carries the key).
bool SpanKeyMayHold(const Condition& c, const V2KeyStats* k) {
  if (!NeedsValue(c.op)) return true;
  if (k == nullptr) return false;
  // Bounds decide only for an int literal against int values alone (a float
  // value compares numerically with an int literal: not decided here).
  if (c.literal.type != ValueType::kInt || k->types != (1u << kV2Int)) {
    return true;
  }
  const int64_t v = c.literal.i;
  switch (c.op) {
    case CompareOp::kEq:
      return k->min_int <= v && v <= k->max_int &&
             (k->ints.empty() ||
              std::binary_search(k->ints.begin(), k->ints.end(), v));
    case CompareOp::kLt:
      return k->min_int < v;
    case CompareOp::kLe:
      return k->min_int <= v;
    case CompareOp::kGt:
      return k->max_int > v;
    case CompareOp::kGe:
      return k->max_int >= v;
    default:
      return true;
  }
}

bool ConditionMayHold(const Condition& c, const BloomFilter& strings,
                      int64_t min_duration, int64_t max_duration,
                      const std::vector<V2KeyStats>* span_keys) {
  auto has = [&](const std::string& s) {
    return strings.MayContain(V2StringKey(s));
  };
  const bool string_eq =
      c.op == CompareOp::kEq && c.literal.type == ValueType::kString;
  if (c.is_intrinsic) {
    switch (c.intrinsic) {
      case Intrinsic::kName:
      case Intrinsic::kStatusMessage:
      case Intrinsic::kRootName:
      case Intrinsic::kRootServiceName:
      case Intrinsic::kInstrumentationName:
      case Intrinsic::kInstrumentationVersion:
        return !string_eq || has(c.literal.s);
      case Intrinsic::kDuration: {
        if (c.literal.type != ValueType::kDuration) return true;
        const int64_t v = c.literal.i;
        switch (c.op) {
          case CompareOp::kGt:
            return max_duration > v;
          case CompareOp::kGe:
            return max_duration >= v;
          case CompareOp::kLt:
            return min_duration < v;
          case CompareOp::kLe:
            return min_duration <= v;
          case CompareOp::kEq:
            return min_duration <= v && v <= max_duration;
          default:
            return true;
        }
      }
      default:
        return true;
    }
  }
  switch (c.attribute.scope) {
    case Scope::kUnscoped:
    case Scope::kSpan:
    case Scope::kResource:
    case Scope::kInstrumentation:
      break;
    default:
      return true;  // event and link attributes are not in the dictionary
  }
  if (span_keys != nullptr && c.attribute.scope == Scope::kSpan &&
      !SpanKeyMayHold(c, FindKeyStats(*span_keys, c.attribute.name))) {
    return false;
  }
  if (c.op == CompareOp::kEq) {
    return has(c.attribute.name) && (!string_eq || has(c.literal.s));
  }
  return !NeedsValue(c.op) || has(c.attribute.name);
}

}  // namespace

bool V2SummaryMayMatch(const traceql::Query& query, const BloomFilter& strings,
                       int64_t min_duration, int64_t max_duration,
                       const std::vector<V2KeyStats>* span_keys) {
  // Every span of a match satisfies all of these (in AND mode: all the
  // conditions)...
  for (const Condition& c : query.span_conditions()) {
    if (!ConditionMayHold(c, strings, min_duration, max_duration, span_keys)) {
      return false;
    }
  }
  // ... and, in OR mode, one of the conditions.
  const std::vector<Condition>& conditions = query.conditions();
  if (conditions.empty() || query.all_conditions_required()) return true;
  for (const Condition& c : conditions) {
    if (ConditionMayHold(c, strings, min_duration, max_duration, span_keys))
      return true;
  }
  return false;
}

}  // namespace andante::internal::scan
