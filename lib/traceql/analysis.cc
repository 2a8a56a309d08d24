#include "traceql/analysis.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "traceql/strcat.h"
#include "traceql/values.h"

namespace andante::traceql::internal {
namespace {

CompareOp ToCompareOp(BinOp op) {
  switch (op) {
    case BinOp::kEq:
      return CompareOp::kEq;
    case BinOp::kNe:
      return CompareOp::kNe;
    case BinOp::kLt:
      return CompareOp::kLt;
    case BinOp::kLe:
      return CompareOp::kLe;
    case BinOp::kGt:
      return CompareOp::kGt;
    default:
      return CompareOp::kGe;
  }
}

BinOp MirrorOp(BinOp op) {
  switch (op) {
    case BinOp::kLt:
      return BinOp::kGt;
    case BinOp::kLe:
      return BinOp::kGe;
    case BinOp::kGt:
      return BinOp::kLt;
    case BinOp::kGe:
      return BinOp::kLe;
    default:
      return op;
  }
}

// Whether Tempo reports this intrinsic as a span attribute in search
// results (names, durations, IDs and trace-level values are fields).
bool IsReportedIntrinsic(Intrinsic in) {
  switch (in) {
    case Intrinsic::kStatus:
    case Intrinsic::kStatusMessage:
    case Intrinsic::kKind:
    case Intrinsic::kChildCount:
    case Intrinsic::kInstrumentationName:
    case Intrinsic::kInstrumentationVersion:
      return true;
    default:
      return false;
  }
}

class Analyzer {
 public:
  explicit Analyzer(QueryImpl* q) : q_(q) {}

  Val LiteralVal(int idx) const {
    const Expr& e = q_->exprs[idx];
    if (e.literal.type == ValueType::kString) return Val::Str(e.str);
    return e.literal;
  }

  // A dedupe key for an attribute or intrinsic leaf.
  static std::string LeafKey(const Expr& e) {
    if (e.kind == ExprKind::kIntrinsic) {
      return Cat("i", static_cast<int>(e.intrinsic));
    }
    return Cat("a", static_cast<int>(e.scope), ":", e.str);
  }

  void AddColumn(const Expr& e, bool select) {
    QueryColumns& c = q_->columns;
    std::string key = LeafKey(e);
    bool is_new = seen_columns_[select ? 1 : 0].insert(key).second;
    if (e.kind == ExprKind::kIntrinsic) {
      if (is_new)
        (select ? c.select_intrinsics : c.intrinsics).push_back(e.intrinsic);
      if (e.intrinsic == Intrinsic::kSpanId ||
          e.intrinsic == Intrinsic::kParentId) {
        q_->uses_span_id_strings = true;
      }
    } else {
      if (is_new) {
        (select ? c.select_attributes : c.attributes)
            .push_back(AttributeName{e.scope, e.str});
      }
      if (e.scope == Scope::kUnscoped) unscoped_ = true;
    }
    // Reported attributes.
    bool reported = e.kind == ExprKind::kAttribute
                        ? (e.scope != Scope::kEvent && e.scope != Scope::kLink)
                        : IsReportedIntrinsic(e.intrinsic);
    if (!reported || !reported_seen_.insert(std::move(key)).second) return;
    q_->reported_exprs.push_back(static_cast<int>(&e - q_->exprs.data()));
  }

  bool IsLeaf(const Expr& e) const {
    return e.kind == ExprKind::kAttribute || e.kind == ExprKind::kIntrinsic;
  }

  void AddCondition(const Expr& leaf, CompareOp op, const Val* literal,
                    int expr, bool plain = true, int literal_expr = -1) {
    // A plain condition of an AND-mode query that is false for a missing
    // value lets a trace lacking the attribute (or the literal) be skipped.
    if (plain && op != CompareOp::kAbsent) {
      if (leaf.kind == ExprKind::kAttribute) {
        required_slots_.push_back(leaf.slot);
      }
      bool dictionary_valued =
          leaf.kind == ExprKind::kAttribute ||
          leaf.intrinsic == Intrinsic::kName ||
          leaf.intrinsic == Intrinsic::kStatusMessage ||
          leaf.intrinsic == Intrinsic::kRootName ||
          leaf.intrinsic == Intrinsic::kRootServiceName ||
          leaf.intrinsic == Intrinsic::kEventName ||
          leaf.intrinsic == Intrinsic::kInstrumentationName ||
          leaf.intrinsic == Intrinsic::kInstrumentationVersion;
      if (op == CompareOp::kEq && literal_expr >= 0 && dictionary_valued &&
          literal && literal->type == ValueType::kString) {
        required_literals_.push_back(literal_expr);
      }
    }
    q_->conditions.push_back(MakeCondition(leaf, op, literal));
    q_->condition_exprs.push_back(expr);
  }

  static Condition MakeCondition(const Expr& leaf, CompareOp op,
                                 const Val* literal) {
    Condition c;
    if (leaf.kind == ExprKind::kIntrinsic) {
      c.is_intrinsic = true;
      c.intrinsic = leaf.intrinsic;
    } else {
      c.attribute = AttributeName{leaf.scope, leaf.str};
    }
    c.op = op;
    if (literal) c.literal = ToValue(*literal);
    return c;
  }

  // The filter a query's spansets all come from: the root filter, or the
  // first stage of a root pipeline (-1: none, e.g. a spanset operator).
  int LeadingFilter(int idx) const {
    const SetNode& n = q_->sets[idx];
    if (n.kind == SetKind::kFilter) return idx;
    if (n.kind == SetKind::kPipeline && !n.stages.empty()) {
      return LeadingFilter(n.stages[0]);
    }
    return -1;
  }

  // The stages of pipeline `idx`, nested pipelines flattened (a set that is
  // no pipeline: itself).
  void Stages(int idx, std::vector<int>* out) const {
    const SetNode& n = q_->sets[idx];
    if (n.kind != SetKind::kPipeline) {
      out->push_back(idx);
      return;
    }
    for (int s : n.stages) Stages(s, out);
  }

  // Sets q_->min_matching_spans from the `count() > N` (>= N, = N) stages
  // after the leading filter. The stages between them keep subsets of their
  // input's spans (filters, by(), select(), coalesce(), other scalar
  // filters); a spanset operator ends the walk.
  void MinMatchingSpans() {
    std::vector<int> stages;
    Stages(q_->root, &stages);
    for (size_t k = 1; k < stages.size(); ++k) {
      const SetNode& n = q_->sets[stages[k]];
      if (n.kind == SetKind::kSpansetOp) return;
      if (n.kind != SetKind::kScalarFilter || n.agg != AggKind::kCount ||
          n.threshold.type != ValueType::kInt) {
        continue;
      }
      const int64_t t = n.threshold.i;
      int64_t min = 1;
      switch (n.cmp) {
        case BinOp::kGt:
          min = t < INT64_MAX ? t + 1 : t;
          break;
        case BinOp::kGe:
        case BinOp::kEq:
          min = t;
          break;
        default:
          break;
      }
      q_->min_matching_spans = std::max(q_->min_matching_spans, min);
    }
  }

  // Adds to q_->span_conditions the comparisons `leaf OP literal`,
  // `leaf =~ literal` and `leaf != nil` joined by `&&` at the top of filter
  // body `idx`: each is false for a span the body rejects. Other operands
  // (`||`, `!`, arithmetic, ...) add nothing.
  void ConjunctConditions(int idx) {
    const Expr& e = q_->exprs[idx];
    switch (e.kind) {
      case ExprKind::kBinary: {
        if (e.op == BinOp::kAnd) {
          ConjunctConditions(e.lhs);
          ConjunctConditions(e.rhs);
          return;
        }
        if (!IsComparison(e.op)) return;
        const Expr& a = q_->exprs[e.lhs];
        const Expr& b = q_->exprs[e.rhs];
        const bool leaf_left = IsLeaf(a) && b.kind == ExprKind::kLiteral;
        if (!leaf_left && !(IsLeaf(b) && a.kind == ExprKind::kLiteral)) {
          return;
        }
        Val lit = LiteralVal(leaf_left ? e.rhs : e.lhs);
        q_->span_conditions.push_back(
            MakeCondition(leaf_left ? a : b,
                          ToCompareOp(leaf_left ? e.op : MirrorOp(e.op)),
                          &lit));
        return;
      }
      case ExprKind::kRegex:
        if (!e.negate && IsLeaf(q_->exprs[e.lhs])) {
          Val pattern = Val::Str(q_->exprs[e.rhs].str);
          q_->span_conditions.push_back(
              MakeCondition(q_->exprs[e.lhs], CompareOp::kRegex, &pattern));
        }
        return;
      case ExprKind::kExists:
        if (!e.negate) {
          q_->span_conditions.push_back(
              MakeCondition(q_->exprs[e.lhs], CompareOp::kPresent, nullptr));
        }
        return;
      default:
        return;
    }
  }

  void PresenceCondition(int leaf) {
    Expr e;
    e.kind = ExprKind::kExists;
    e.lhs = leaf;
    e.type = StaticType::kBool;
    q_->exprs.push_back(std::move(e));
    int idx = static_cast<int>(q_->exprs.size()) - 1;
    AddCondition(q_->exprs[leaf], CompareOp::kPresent, nullptr, idx,
                 /*plain=*/false);
  }

  // Walks a filter body (or by/aggregate argument when `plain` is false).
  void CollectConditions(int idx, bool plain) {
    // Copy: adding presence nodes may reallocate q_->exprs.
    const Expr e = q_->exprs[idx];
    switch (e.kind) {
      case ExprKind::kLiteral:
        return;
      case ExprKind::kAttribute:
      case ExprKind::kIntrinsic:
        AddColumn(q_->exprs[idx], false);
        PresenceCondition(idx);
        return;
      case ExprKind::kExists:
        AddColumn(q_->exprs[e.lhs], false);
        if (plain) {
          AddCondition(q_->exprs[e.lhs],
                       e.negate ? CompareOp::kAbsent : CompareOp::kPresent,
                       nullptr, idx);
        } else {
          PresenceCondition(e.lhs);
        }
        return;
      case ExprKind::kRegex: {
        const Expr& leaf = q_->exprs[e.lhs];
        if (plain && IsLeaf(leaf)) {
          AddColumn(leaf, false);
          Val pattern = Val::Str(q_->exprs[e.rhs].str);
          AddCondition(leaf,
                       e.negate ? CompareOp::kNotRegex : CompareOp::kRegex,
                       &pattern, idx);
          return;
        }
        CollectConditions(e.lhs, false);
        return;
      }
      case ExprKind::kUnary:
        // `!(x = 1)` is true for a span without x, but Tempo's storage
        // layer only hands over spans where x is present (AND mode).
        if (e.uop == UnOp::kNot) negation_ = true;
        CollectConditions(e.lhs, false);
        return;
      case ExprKind::kBinary: {
        if (e.op == BinOp::kOr) or_mode_ = true;
        if (e.op == BinOp::kAnd || e.op == BinOp::kOr) {
          CollectConditions(e.lhs, plain);
          CollectConditions(e.rhs, plain);
          return;
        }
        const Expr& a = q_->exprs[e.lhs];
        const Expr& b = q_->exprs[e.rhs];
        if (plain && IsComparison(e.op) &&
            ((IsLeaf(a) && b.kind == ExprKind::kLiteral) ||
             (IsLeaf(b) && a.kind == ExprKind::kLiteral))) {
          bool leaf_left = IsLeaf(a);
          const Expr& leaf = leaf_left ? a : b;
          Val lit = LiteralVal(leaf_left ? e.rhs : e.lhs);
          AddColumn(leaf, false);
          AddCondition(leaf, ToCompareOp(leaf_left ? e.op : MirrorOp(e.op)),
                       &lit, idx, true, leaf_left ? e.rhs : e.lhs);
          return;
        }
        CollectConditions(e.lhs, false);
        CollectConditions(e.rhs, false);
        return;
      }
    }
  }

  void CollectSet(int idx, bool first_stage) {
    const SetNode& n = q_->sets[idx];
    switch (n.kind) {
      case SetKind::kFilter: {
        bool any_leaf = n.expr >= 0 && ReferencesSpan(*q_, n.expr);
        if (!any_leaf) {
          match_all_ = true;
        } else {
          CollectConditions(n.expr, true);
        }
        if (n.expr >= 0) MarkScopes(idx, n.expr);
        return;
      }
      case SetKind::kSpansetOp:
        spanset_op_ = true;
        if (n.op != SpansetOp::kAnd && n.op != SpansetOp::kOr) {
          match_all_ = true;
        }
        CollectSet(n.lhs, false);
        CollectSet(n.rhs, false);
        return;
      case SetKind::kPipeline:
        for (size_t k = 0; k < n.stages.size(); ++k) {
          CollectSet(n.stages[k], first_stage && k == 0);
        }
        return;
      case SetKind::kScalarFilter:
        has_aggregate_ = true;
        if (first_stage) non_filter_first_ = true;
        if (n.expr >= 0) CollectConditions(n.expr, false);
        return;
      case SetKind::kBy:
        if (first_stage) non_filter_first_ = true;
        has_by_ = true;
        CollectConditions(n.expr, false);
        return;
      case SetKind::kSelect:
        if (first_stage) non_filter_first_ = true;
        for (int e : n.exprs) AddColumn(q_->exprs[e], true);
        return;
      case SetKind::kCoalesce:
        return;
    }
  }

  void MarkScopes(int set, int idx) {
    const Expr& e = q_->exprs[idx];
    bool ev = (e.kind == ExprKind::kAttribute && e.scope == Scope::kEvent) ||
              (e.kind == ExprKind::kIntrinsic &&
               (e.intrinsic == Intrinsic::kEventName ||
                e.intrinsic == Intrinsic::kEventTimeSinceStart));
    bool ln = (e.kind == ExprKind::kAttribute && e.scope == Scope::kLink) ||
              (e.kind == ExprKind::kIntrinsic &&
               (e.intrinsic == Intrinsic::kLinkTraceId ||
                e.intrinsic == Intrinsic::kLinkSpanId));
    if (ev) q_->sets[set].uses_events = true;
    if (ln) q_->sets[set].uses_links = true;
    if (e.lhs >= 0) MarkScopes(set, e.lhs);
    if (e.rhs >= 0) MarkScopes(set, e.rhs);
  }

  void Run() {
    CollectSet(q_->root, true);
    bool or_mode = or_mode_ || spanset_op_ || has_aggregate_ || unscoped_;
    q_->all_conditions_required = !or_mode;
    if (!or_mode) {
      q_->required_slots = required_slots_;
      q_->required_literals = required_literals_;
      q_->span_conditions = q_->conditions;
    } else if (int f = LeadingFilter(q_->root);
               f >= 0 && q_->sets[f].expr >= 0) {
      ConjunctConditions(q_->sets[f].expr);
      MinMatchingSpans();
    }
    for (size_t k = 0; k < q_->exprs.size(); ++k) {
      Expr& e = q_->exprs[k];
      if (e.kind == ExprKind::kLiteral &&
          e.literal.type == ValueType::kString) {
        q_->string_literals.push_back(static_cast<int>(k));
      }
      if (e.kind == ExprKind::kRegex) e.regex_slot = q_->regex_count++;
    }
    q_->has_match_all_condition = match_all_;
    if (or_mode) {
      q_->needs_candidate_filter = non_filter_first_ && !match_all_;
    } else {
      q_->needs_candidate_filter = non_filter_first_ || has_by_ || negation_;
    }
  }

 private:
  QueryImpl* q_;
  absl::flat_hash_set<std::string> seen_columns_[2];  // [0] match, [1] select
  absl::flat_hash_set<std::string> reported_seen_;
  std::vector<int> required_slots_, required_literals_;
  bool has_aggregate_ = false;
  bool or_mode_ = false;
  bool spanset_op_ = false;
  bool unscoped_ = false;
  bool match_all_ = false;
  bool non_filter_first_ = false;
  bool has_by_ = false;
  bool negation_ = false;
};

}  // namespace

bool ReferencesSpan(const QueryImpl& q, int expr) {
  const Expr& e = q.exprs[expr];
  if (e.kind == ExprKind::kAttribute || e.kind == ExprKind::kIntrinsic) {
    return true;
  }
  return (e.lhs >= 0 && ReferencesSpan(q, e.lhs)) ||
         (e.rhs >= 0 && ReferencesSpan(q, e.rhs));
}

void AnalyzeQuery(QueryImpl* q) { Analyzer(q).Run(); }

}  // namespace andante::traceql::internal
