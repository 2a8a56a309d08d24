#include "traceql/evaluator.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "traceql/values.h"
#include "util/strings.h"

namespace andante::traceql::internal {
namespace {

constexpr uint32_t kAbsent = UINT32_MAX;

// Marks in Evaluator::mark_.
constexpr uint8_t kA = 1;        // left-hand span
constexpr uint8_t kRelated = 2;  // satisfies the relation / is related
constexpr uint8_t kKept = 4;     // kept right-hand span
constexpr uint8_t kPartner = 8;  // left-hand span taking part (union ops)
constexpr uint8_t kOut = 16;     // in the output

bool IsStructural(SpansetOp op) {
  return op != SpansetOp::kAnd && op != SpansetOp::kOr;
}

// The relation underlying a structural operator.
enum class Rel { kChild, kParent, kDesc, kAnc, kSibling };

Rel RelationOf(SpansetOp op, bool* negated, bool* with_partners) {
  *negated = false;
  *with_partners = false;
  switch (op) {
    case SpansetOp::kNotChild:
      *negated = true;
      [[fallthrough]];
    case SpansetOp::kChild:
      return Rel::kChild;
    case SpansetOp::kNotParent:
      *negated = true;
      [[fallthrough]];
    case SpansetOp::kParent:
      return Rel::kParent;
    case SpansetOp::kNotDesc:
      *negated = true;
      [[fallthrough]];
    case SpansetOp::kDesc:
      return Rel::kDesc;
    case SpansetOp::kNotAnc:
      *negated = true;
      [[fallthrough]];
    case SpansetOp::kAnc:
      return Rel::kAnc;
    case SpansetOp::kNotSibling:
      *negated = true;
      [[fallthrough]];
    case SpansetOp::kSibling:
      return Rel::kSibling;
    case SpansetOp::kUnionChild:
      *with_partners = true;
      return Rel::kChild;
    case SpansetOp::kUnionParent:
      *with_partners = true;
      return Rel::kParent;
    case SpansetOp::kUnionDesc:
      *with_partners = true;
      return Rel::kDesc;
    case SpansetOp::kUnionAnc:
      *with_partners = true;
      return Rel::kAnc;
    case SpansetOp::kUnionSibling:
      *with_partners = true;
      return Rel::kSibling;
    default:
      return Rel::kChild;
  }
}

void HexId(uint64_t id, std::string* out) {
  *out = absl::StrFormat("%016x", id);
}

// A hashable key for by() groups.
std::string GroupKey(const Val& v) {
  std::string k(1, static_cast<char>(v.type));
  switch (v.type) {
    case ValueType::kNil:
      break;
    case ValueType::kString:
      k.append(v.s);
      break;
    case ValueType::kFloat:
      k.append(reinterpret_cast<const char*>(&v.f), 8);
      break;
    case ValueType::kBool:
      k.push_back(v.b ? 1 : 0);
      break;
    default:
      k.append(reinterpret_cast<const char*>(&v.i), 8);
      break;
  }
  return k;
}

}  // namespace

Evaluator::Evaluator(const QueryImpl& query) : q_(query) {
  const SetNode& root = q_.sets[q_.root];
  if (root.kind == SetKind::kFilter) {
    first_filter_ = q_.root;
  } else if (root.kind == SetKind::kPipeline &&
             q_.sets[root.stages[0]].kind == SetKind::kFilter) {
    first_filter_ = root.stages[0];
    rest_.assign(root.stages.begin() + 1, root.stages.end());
  }
  regex_cache_.resize(q_.regex_count);
}

void Evaluator::Bind(const Trace& trace) {
  trace_ = &trace;
  keys_.resize(q_.slots.size());
  for (size_t k = 0; k < q_.slots.size(); ++k) {
    keys_[k] = trace.Find(q_.slots[k].name);
  }
  literal_sids_.resize(q_.exprs.size());
  for (int e : q_.string_literals) {
    uint32_t id = trace.Find(q_.exprs[e].str);
    literal_sids_[e] = id == kAbsent ? Val::kAbsentLiteral : id;
  }
  regex_memo_.resize(q_.regex_count);
  for (auto& memo : regex_memo_) memo.assign(trace.strings.size(), -1);
  skip_trace_ = false;
  for (int slot : q_.required_slots) {
    if (keys_[slot] == kAbsent) skip_trace_ = true;
  }
  for (int e : q_.required_literals) {
    if (literal_sids_[e] == Val::kAbsentLiteral) skip_trace_ = true;
  }
  if (q_.uses_span_id_strings) {
    span_id_hex_.resize(trace.spans.size());
    parent_id_hex_.resize(trace.spans.size());
    for (size_t k = 0; k < trace.spans.size(); ++k) {
      HexId(trace.spans[k].span_id, &span_id_hex_[k]);
      HexId(trace.spans[k].parent_span_id, &parent_id_hex_[k]);
    }
  }
  event_ = link_ = -1;
  div_by_zero_ = false;
}

Val Evaluator::Stored(const StoredValue& v) const {
  switch (v.type) {
    case ValueType::kString:
      return Val::Str(trace_->strings[v.str], v.str);
    case ValueType::kFloat:
      return Val::Float(v.f);
    case ValueType::kBool:
      return Val::Bool(v.b);
    case ValueType::kNil:
      return Val();
    case ValueType::kArray: {
      Val x;
      x.type = ValueType::kArray;
      x.i = v.i;
      return x;
    }
    default:
      return Val::Int(v.i, v.type);
  }
}

Val Evaluator::Lookup(AttributeRange range, uint32_t key) const {
  const StoredAttribute* a = trace_->attributes.data();
  for (uint32_t k = range.begin; k < range.end; ++k) {
    if (a[k].key == key) return Stored(a[k].value);
  }
  return Val();
}

Val Evaluator::AttributeValue(const Expr& e, uint32_t span) {
  uint32_t key = keys_[e.slot];
  if (key == kAbsent) return Val();
  const Span& s = trace_->spans[span];
  switch (e.scope) {
    case Scope::kSpan:
      return Lookup(s.attributes, key);
    case Scope::kResource:
      return Lookup(trace_->resources[s.resource].attributes, key);
    case Scope::kUnscoped: {
      Val v = Lookup(s.attributes, key);
      if (v.type != ValueType::kNil) return v;
      return Lookup(trace_->resources[s.resource].attributes, key);
    }
    case Scope::kEvent:
      if (event_ < 0) return Val();
      return Lookup(trace_->events[event_].attributes, key);
    case Scope::kLink:
      if (link_ < 0) return Val();
      return Lookup(trace_->links[link_].attributes, key);
    case Scope::kInstrumentation:
      if (s.scope == Trace::kNoScope) return Val();
      return Lookup(trace_->scopes[s.scope].attributes, key);
  }
  return Val();
}

Val Evaluator::IntrinsicValue(Intrinsic in, uint32_t span) {
  const Trace& t = *trace_;
  const Span& s = t.spans[span];
  switch (in) {
    case Intrinsic::kName:
      return Val::Str(t.strings[s.name], s.name);
    case Intrinsic::kStatus:
      return Val::Int(int64_t(s.status), ValueType::kStatus);
    case Intrinsic::kStatusMessage:
      return Val::Str(t.strings[s.status_message], s.status_message);
    case Intrinsic::kKind:
      return Val::Int(int64_t(s.kind), ValueType::kKind);
    case Intrinsic::kDuration:
      return Val::Int(s.duration_nanos, ValueType::kDuration);
    case Intrinsic::kChildCount:
      return Val::Int(s.child_count);
    case Intrinsic::kSpanId:
      return Val::Str(span_id_hex_[span]);
    case Intrinsic::kParentId:
      if (s.parent_span_id == 0) return Val();
      return Val::Str(parent_id_hex_[span]);
    case Intrinsic::kTraceId:
      return Val::Str(t.trace_id_hex);
    case Intrinsic::kTraceDuration:
      return Val::Int(t.duration_nanos, ValueType::kDuration);
    case Intrinsic::kRootName:
      if (t.root_span < 0) return Val();
      return Val::Str(t.strings[t.spans[t.root_span].name],
                      t.spans[t.root_span].name);
    case Intrinsic::kRootServiceName: {
      if (t.root_span < 0) return Val();
      uint32_t svc = t.resources[t.spans[t.root_span].resource].service_name;
      if (svc == kNoString) return Val();
      return Val::Str(t.strings[svc], svc);
    }
    case Intrinsic::kEventName:
      if (event_ < 0) return Val();
      return Val::Str(t.strings[t.events[event_].name], t.events[event_].name);
    case Intrinsic::kEventTimeSinceStart:
      if (event_ < 0) return Val();
      return Val::Int(t.events[event_].time_since_start_nanos,
                      ValueType::kDuration);
    case Intrinsic::kLinkTraceId:
      if (link_ < 0) return Val();
      return Val::Str(t.strings[t.links[link_].trace_id],
                      t.links[link_].trace_id);
    case Intrinsic::kLinkSpanId:
      if (link_ < 0) return Val();
      return Val::Str(t.strings[t.links[link_].span_id],
                      t.links[link_].span_id);
    case Intrinsic::kInstrumentationName:
      if (s.scope == Trace::kNoScope) return Val();
      return Val::Str(t.strings[t.scopes[s.scope].name],
                      t.scopes[s.scope].name);
    case Intrinsic::kInstrumentationVersion:
      if (s.scope == Trace::kNoScope) return Val();
      return Val::Str(t.strings[t.scopes[s.scope].version],
                      t.scopes[s.scope].version);
  }
  return Val();
}

Val Evaluator::Eval(int expr, uint32_t span) {
  const Expr& e = q_.exprs[expr];
  switch (e.kind) {
    case ExprKind::kLiteral:
      if (e.literal.type == ValueType::kString) {
        return Val::Str(e.str, literal_sids_[expr]);
      }
      return e.literal;
    case ExprKind::kAttribute:
      return AttributeValue(e, span);
    case ExprKind::kIntrinsic:
      return IntrinsicValue(e.intrinsic, span);
    case ExprKind::kUnary: {
      Val v = Eval(e.lhs, span);
      if (e.uop == UnOp::kNot) {
        // Tempo fails the query on `!` of a non-boolean; the span just
        // doesn't match here.
        if (v.type != ValueType::kBool) return Val();
        return Val::Bool(!v.b);
      }
      if (v.type == ValueType::kFloat) return Val::Float(-v.f);
      if (v.type == ValueType::kInt || v.type == ValueType::kDuration) {
        return Val::Int(static_cast<int64_t>(0 - static_cast<uint64_t>(v.i)),
                        v.type);
      }
      return Val();
    }
    case ExprKind::kBinary: {
      if (e.op == BinOp::kAnd) {
        if (!Eval(e.lhs, span).IsTrue()) return Val::Bool(false);
        return Val::Bool(Eval(e.rhs, span).IsTrue());
      }
      if (e.op == BinOp::kOr) {
        if (Eval(e.lhs, span).IsTrue()) return Val::Bool(true);
        return Val::Bool(Eval(e.rhs, span).IsTrue());
      }
      Val a = Eval(e.lhs, span);
      if (a.type == ValueType::kNil) {
        return e.op <= BinOp::kGe ? Val::Bool(false) : Val();
      }
      Val b = Eval(e.rhs, span);
      if (e.op <= BinOp::kGe) {
        if (a.type == ValueType::kArray || b.type == ValueType::kArray) {
          return Val::Bool(CompareArray(e.op, a, b));
        }
        return Val::Bool(CompareValues(e.op, a, b));
      }
      return Arithmetic(e.op, a, b, &div_by_zero_);
    }
    case ExprKind::kExists: {
      bool present = Eval(e.lhs, span).type != ValueType::kNil;
      return Val::Bool(e.negate ? !present : present);
    }
    case ExprKind::kRegex: {
      Val v = Eval(e.lhs, span);
      if (v.type == ValueType::kArray) {
        // =~: some element matches; !~: every element is a string that
        // does not match (true for an empty array).
        uint32_t begin =
            static_cast<uint32_t>(static_cast<uint64_t>(v.i) >> 32);
        uint32_t end = static_cast<uint32_t>(v.i);
        for (uint32_t k = begin; k < end; ++k) {
          Val x = Stored(trace_->array_values[k]);
          bool m = x.type == ValueType::kString && RE2::FullMatch(x.s, *e.re);
          if (!e.negate && m) return Val::Bool(true);
          if (e.negate && (m || x.type != ValueType::kString)) {
            return Val::Bool(false);
          }
        }
        return Val::Bool(e.negate);
      }
      if (v.type != ValueType::kString) return Val::Bool(false);
      bool m;
      if (v.sid < regex_memo_[e.regex_slot].size()) {
        int8_t& memo = regex_memo_[e.regex_slot][v.sid];
        if (memo < 0) {
          // Values repeat across traces (span names, services): remember
          // results by string, up to a bound.
          auto& cache = regex_cache_[e.regex_slot];
          auto it = cache.find(andante::internal::ToAbsl(v.s));
          if (it != cache.end()) {
            memo = it->second ? 1 : 0;
          } else {
            bool r = RE2::FullMatch(v.s, *e.re);
            if (cache.size() >= 16384) cache.clear();
            cache.emplace(std::string(v.s), r);
            memo = r ? 1 : 0;
          }
        }
        m = memo == 1;
      } else {
        m = RE2::FullMatch(v.s, *e.re);
      }
      return Val::Bool(e.negate ? !m : m);
    }
  }
  return Val();
}

bool Evaluator::CompareArray(BinOp op, const Val& a, const Val& b) const {
  if (a.type == ValueType::kArray && b.type == ValueType::kArray) return false;
  bool left = a.type == ValueType::kArray;
  const Val& arr = left ? a : b;
  const Val& other = left ? b : a;
  uint32_t begin = static_cast<uint32_t>(static_cast<uint64_t>(arr.i) >> 32);
  uint32_t end = static_cast<uint32_t>(arr.i);
  // `!=` holds when no element equals (every element satisfies `!=`); the
  // other comparisons when some element satisfies them.
  bool all = op == BinOp::kNe;
  for (uint32_t k = begin; k < end; ++k) {
    Val x = Stored(trace_->array_values[k]);
    bool r = left ? CompareValues(op, x, other) : CompareValues(op, other, x);
    if (all && !r) return false;
    if (!all && r) return true;
  }
  return all;
}

bool Evaluator::Matches(int expr, uint32_t span, bool events, bool links) {
  if (!events && !links) return Eval(expr, span).IsTrue();
  const Span& s = trace_->spans[span];
  bool result = false;
  auto with_links = [&]() {
    if (!links || s.links_begin == s.links_end) {
      link_ = -1;
      return Eval(expr, span).IsTrue();
    }
    for (uint32_t l = s.links_begin; l < s.links_end; ++l) {
      link_ = static_cast<int32_t>(l);
      if (Eval(expr, span).IsTrue()) return true;
    }
    return false;
  };
  if (!events || s.events_begin == s.events_end) {
    event_ = -1;
    result = with_links();
  } else {
    for (uint32_t ev = s.events_begin; ev < s.events_end && !result; ++ev) {
      event_ = static_cast<int32_t>(ev);
      result = with_links();
    }
  }
  event_ = link_ = -1;
  return result;
}

void Evaluator::Candidates(Spans* out) {
  uint32_t n = static_cast<uint32_t>(trace_->spans.size());
  out->clear();
  for (uint32_t s = 0; s < n; ++s) {
    bool keep;
    if (q_.all_conditions_required) {
      keep = true;
      for (int c : q_.condition_exprs) {
        if (!Matches(c, s, true, true)) {
          keep = false;
          break;
        }
      }
    } else {
      keep = q_.has_match_all_condition;
      for (size_t k = 0; k < q_.condition_exprs.size() && !keep; ++k) {
        keep = Matches(q_.condition_exprs[k], s, true, true);
      }
    }
    if (keep) out->push_back(s);
  }
}

absl::Status Evaluator::Evaluate(const Trace& trace,
                                 std::vector<SpanSet>* out) {
  // Keep the first spanset's buffers for reuse: most queries return one.
  if (!out->empty()) spare_ = std::move((*out)[0]);
  out->clear();
  Bind(trace);
  if (skip_trace_) return absl::OkStatus();
  uint32_t n = static_cast<uint32_t>(trace.spans.size());
  mark_.assign(n, 0);
  count_.assign(n, 0);
  Sets result;
  if (first_filter_ >= 0 && !q_.needs_candidate_filter) {
    // Fast path: no allocation for a trace the first filter rejects.
    const SetNode& f = q_.sets[first_filter_];
    scratch_.clear();
    for (uint32_t s = 0; s < n; ++s) {
      if (f.expr < 0 || Matches(f.expr, s, f.uses_events, f.uses_links)) {
        scratch_.push_back(s);
      }
    }
    if (scratch_.empty() && !div_by_zero_) return absl::OkStatus();
    if (rest_.empty() && !div_by_zero_) {
      out->push_back(std::move(spare_));
      (*out)[0].spans.assign(scratch_.begin(), scratch_.end());
      (*out)[0].attributes.clear();
      return absl::OkStatus();
    }
    Sets cur(1);
    cur[0].spans = scratch_;
    for (int stage : rest_) {
      Sets next;
      absl::Status st = EvalSet(stage, std::move(cur), &next);
      if (!st.ok()) return st;
      cur = std::move(next);
      if (cur.empty()) break;
    }
    result = std::move(cur);
  } else {
    absl::Status st = EvalAll(&result);
    if (!st.ok()) return st;
  }
  if (div_by_zero_) {
    return absl::InvalidArgumentError("query error: integer division by zero");
  }
  for (Set& s : result) {
    if (s.spans.empty()) continue;
    out->push_back(SpanSet{std::move(s.spans), std::move(s.attributes)});
  }
  return absl::OkStatus();
}

absl::Status Evaluator::EvalAll(Sets* result) {
  uint32_t n = static_cast<uint32_t>(trace_->spans.size());
  Sets input(1);
  if (q_.needs_candidate_filter) {
    Candidates(&input[0].spans);
  } else {
    input[0].spans.resize(n);
    for (uint32_t s = 0; s < n; ++s) input[0].spans[s] = s;
  }
  if (input[0].spans.empty()) return absl::OkStatus();
  return EvalSet(q_.root, std::move(input), result);
}

absl::Status Evaluator::EvalSet(int node, Sets input, Sets* out) {
  const SetNode& n = q_.sets[node];
  out->clear();
  switch (n.kind) {
    case SetKind::kFilter:
      for (Set& in : input) {
        if (n.expr >= 0) {
          size_t kept = 0;
          for (uint32_t s : in.spans) {
            if (Matches(n.expr, s, n.uses_events, n.uses_links)) {
              in.spans[kept++] = s;
            }
          }
          in.spans.resize(kept);
        }
        if (!in.spans.empty()) out->push_back(std::move(in));
      }
      return absl::OkStatus();
    case SetKind::kSpansetOp:
      return EvalSpansetOp(n, std::move(input), out);
    case SetKind::kPipeline: {
      Sets cur = std::move(input);
      for (int stage : n.stages) {
        Sets next;
        absl::Status st = EvalSet(stage, std::move(cur), &next);
        if (!st.ok()) return st;
        cur = std::move(next);
        if (cur.empty()) break;
      }
      *out = std::move(cur);
      return absl::OkStatus();
    }
    case SetKind::kScalarFilter:
      EvalScalarFilter(n, std::move(input), out);
      return absl::OkStatus();
    case SetKind::kBy:
      EvalBy(n, std::move(input), out);
      return absl::OkStatus();
    case SetKind::kCoalesce: {
      if (input.empty()) return absl::OkStatus();
      for (const Set& in : input) {
        for (uint32_t s : in.spans) mark_[s] |= kOut;
      }
      Set merged;
      for (uint32_t s = 0; s < mark_.size(); ++s) {
        if (mark_[s] & kOut) merged.spans.push_back(s);
        mark_[s] = 0;
      }
      out->push_back(std::move(merged));
      return absl::OkStatus();
    }
    case SetKind::kSelect:
      *out = std::move(input);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Evaluator::EvalSpansetOp(const SetNode& n, Sets input, Sets* out) {
  const uint32_t count = static_cast<uint32_t>(mark_.size());
  const std::vector<Span>& spans = trace_->spans;
  for (Set& in : input) {
    Sets lhs, rhs;
    {
      Sets one(1);
      one[0].spans = in.spans;
      absl::Status st = EvalSet(n.lhs, std::move(one), &lhs);
      if (!st.ok()) return st;
    }
    {
      Sets one(1);
      one[0].spans = in.spans;
      absl::Status st = EvalSet(n.rhs, std::move(one), &rhs);
      if (!st.ok()) return st;
    }
    auto emit = [&]() {
      Set result;
      result.attributes = in.attributes;
      for (uint32_t s = 0; s < count; ++s) {
        if (mark_[s] & kOut) result.spans.push_back(s);
        mark_[s] = 0;
        count_[s] = 0;
      }
      if (!result.spans.empty()) out->push_back(std::move(result));
    };
    if (!IsStructural(n.op)) {
      bool keep = n.op == SpansetOp::kAnd ? (!lhs.empty() && !rhs.empty())
                                          : (!lhs.empty() || !rhs.empty());
      if (!keep) continue;
      for (const Sets* side : {&lhs, &rhs}) {
        for (const Set& s : *side) {
          for (uint32_t span : s.spans) mark_[span] |= kOut;
        }
      }
      emit();
      continue;
    }
    bool negated, with_partners;
    Rel rel = RelationOf(n.op, &negated, &with_partners);
    // A negated relation holds for every right-hand span when the left side
    // matched nothing (the reference's fixture: `{kind=client} !> {...}`
    // keeps T2's server span although T2 has no client span).
    if (rhs.empty() || (lhs.empty() && !negated)) continue;
    if (lhs.size() > 1 || rhs.size() > 1) {
      return absl::InvalidArgumentError(
          "spanset operators are not supported for multiple spansets per "
          "trace. consider using coalesce()");
    }
    static const Spans kNone;
    const Spans& a = lhs.empty() ? kNone : lhs[0].spans;
    const Spans& b = rhs[0].spans;
    for (uint32_t s : a) mark_[s] |= kA;
    // Precompute what the relation needs.
    switch (rel) {
      case Rel::kParent:
        for (uint32_t s : a) {
          if (spans[s].parent >= 0) mark_[spans[s].parent] |= kRelated;
        }
        break;
      case Rel::kAnc:
        for (uint32_t s : a) {
          int32_t p = spans[s].parent;
          for (uint32_t steps = 0; p >= 0 && steps < count; ++steps) {
            if (mark_[p] & kRelated) break;
            mark_[p] |= kRelated;
            p = spans[p].parent;
          }
        }
        break;
      case Rel::kSibling:
        for (uint32_t s : a) {
          if (spans[s].parent >= 0) ++count_[spans[s].parent];
        }
        break;
      default:
        break;
    }
    for (uint32_t s : b) {
      int32_t p = spans[s].parent;
      bool related = false;
      switch (rel) {
        case Rel::kChild:
          related = p >= 0 && (mark_[p] & kA);
          break;
        case Rel::kParent:
        case Rel::kAnc:
          related = mark_[s] & kRelated;
          break;
        case Rel::kDesc:
          for (uint32_t steps = 0; p >= 0 && steps < count; ++steps) {
            if (mark_[p] & kA) {
              related = true;
              break;
            }
            p = spans[p].parent;
          }
          break;
        case Rel::kSibling:
          related = p >= 0 && count_[p] > ((mark_[s] & kA) ? 1u : 0u);
          break;
      }
      if (related != negated) mark_[s] |= kKept | kOut;
    }
    if (with_partners) {
      // Left-hand spans related to a kept right-hand span.
      std::fill(count_.begin(), count_.end(), 0);
      switch (rel) {
        case Rel::kChild:  // a is the parent of a kept b
          for (uint32_t s : b) {
            if ((mark_[s] & kKept) && spans[s].parent >= 0) {
              mark_[spans[s].parent] |= kPartner;
            }
          }
          break;
        case Rel::kDesc:  // a is an ancestor of a kept b
          for (uint32_t s : b) {
            if (!(mark_[s] & kKept)) continue;
            int32_t p = spans[s].parent;
            for (uint32_t steps = 0; p >= 0 && steps < count; ++steps) {
              if (mark_[p] & kPartner) break;
              mark_[p] |= kPartner;
              p = spans[p].parent;
            }
          }
          break;
        case Rel::kSibling:
          for (uint32_t s : b) {
            if ((mark_[s] & kKept) && spans[s].parent >= 0) {
              ++count_[spans[s].parent];
            }
          }
          break;
        default:
          break;
      }
      for (uint32_t s : a) {
        int32_t p = spans[s].parent;
        bool partner = false;
        switch (rel) {
          case Rel::kChild:
          case Rel::kDesc:
            partner = mark_[s] & kPartner;
            break;
          case Rel::kParent:  // a's parent is a kept b
            partner = p >= 0 && (mark_[p] & kKept);
            break;
          case Rel::kAnc:  // a is a descendant of a kept b
            for (uint32_t steps = 0; p >= 0 && steps < count; ++steps) {
              if (mark_[p] & kKept) {
                partner = true;
                break;
              }
              p = spans[p].parent;
            }
            break;
          case Rel::kSibling:
            partner = p >= 0 && count_[p] > ((mark_[s] & kKept) ? 1u : 0u);
            break;
        }
        if (partner) mark_[s] |= kOut;
      }
    }
    emit();
  }
  return absl::OkStatus();
}

void Evaluator::EvalScalarFilter(const SetNode& n, Sets input, Sets* out) {
  for (Set& in : input) {
    Val agg;
    if (n.agg == AggKind::kCount) {
      agg = Val::Int(static_cast<int64_t>(in.spans.size()));
    } else {
      bool any = false;
      double fsum = 0;
      int64_t isum = 0;
      size_t values = 0;
      for (uint32_t s : in.spans) {
        Val v = Eval(n.expr, s);
        if (!v.IsNumeric()) continue;
        switch (n.agg) {
          case AggKind::kSum:
            if (any && v.type != agg.type) continue;
            if (!any) agg = v;
            if (v.type == ValueType::kFloat) {
              fsum += v.f;
            } else {
              isum = static_cast<int64_t>(static_cast<uint64_t>(isum) +
                                          static_cast<uint64_t>(v.i));
            }
            break;
          case AggKind::kAvg:
            if (!any) agg = v;
            fsum += v.AsFloat();
            ++values;
            break;
          case AggKind::kMin:
            if (!any || v.AsFloat() < agg.AsFloat()) agg = v;
            break;
          case AggKind::kMax:
            if (!any || v.AsFloat() > agg.AsFloat()) agg = v;
            break;
          default:
            break;
        }
        any = true;
      }
      if (!any) continue;
      if (n.agg == AggKind::kSum) {
        if (agg.type == ValueType::kFloat) {
          agg.f = fsum;
        } else {
          agg.i = isum;
        }
      } else if (n.agg == AggKind::kAvg) {
        double mean = fsum / static_cast<double>(values);
        agg = agg.type == ValueType::kDuration
                  ? Val::Int(static_cast<int64_t>(mean), ValueType::kDuration)
                  : Val::Float(mean);
      }
    }
    if (!CompareValues(n.cmp, agg, n.threshold)) continue;
    in.attributes.push_back(NamedValue{n.label, ToValue(agg)});
    out->push_back(std::move(in));
  }
}

void Evaluator::EvalBy(const SetNode& n, Sets input, Sets* out) {
  for (Set& in : input) {
    absl::flat_hash_map<std::string, size_t> groups;
    size_t first = out->size();
    for (uint32_t s : in.spans) {
      Val v = Eval(n.expr, s);
      auto [it, inserted] = groups.try_emplace(GroupKey(v), out->size());
      if (inserted) {
        Set g;
        g.attributes = in.attributes;
        g.attributes.push_back(NamedValue{n.label, ToValue(v)});
        out->push_back(std::move(g));
      }
      (*out)[it->second].spans.push_back(s);
    }
    (void)first;
  }
}

}  // namespace andante::traceql::internal
