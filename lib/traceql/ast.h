// TraceQL abstract syntax tree: field expressions (inside `{ }`) and spanset
// nodes (filters, spanset operators, pipeline stages), both stored in flat
// arrays of a QueryImpl and linked by index.
#ifndef ANDANTE_LIB_TRACEQL_AST_H_
#define ANDANTE_LIB_TRACEQL_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "andante/traceql.h"
#include "re2/re2.h"

namespace andante::traceql::internal {

// A runtime value; strings are views (into the trace or the query).
struct Val {
  ValueType type = ValueType::kNil;
  union {
    int64_t i;
    double f;
    bool b;
  };
  std::string_view s;
  // For strings: the id in the bound trace's dictionary (equal ids <=> equal
  // strings), kNoString if the string does not come from the dictionary, or
  // kAbsentLiteral for a query literal the trace never interned.
  uint32_t sid = kNoString;
  static constexpr uint32_t kAbsentLiteral = UINT32_MAX - 1;
  Val() : i(0) {}
  static Val Int(int64_t v, ValueType t = ValueType::kInt) {
    Val x;
    x.type = t;
    x.i = v;
    return x;
  }
  static Val Float(double v) {
    Val x;
    x.type = ValueType::kFloat;
    x.f = v;
    return x;
  }
  static Val Bool(bool v) {
    Val x;
    x.type = ValueType::kBool;
    x.b = v;
    return x;
  }
  static Val Str(std::string_view v, uint32_t sid = kNoString) {
    Val x;
    x.type = ValueType::kString;
    x.s = v;
    x.sid = sid;
    return x;
  }
  bool IsNumeric() const {
    return type == ValueType::kInt || type == ValueType::kFloat ||
           type == ValueType::kDuration;
  }
  double AsFloat() const { return type == ValueType::kFloat ? f : double(i); }
  bool IsTrue() const { return type == ValueType::kBool && b; }
};

enum class ExprKind : uint8_t {
  kLiteral,
  kAttribute,
  kIntrinsic,
  kUnary,
  kBinary,
  kExists,  // `x != nil` (negate=false) / `x = nil` (negate=true)
  kRegex,   // `x =~ "re"` / `x !~ "re"` (negate)
};

enum class BinOp : uint8_t {
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
};

enum class UnOp : uint8_t { kNeg, kNot };

inline bool IsComparison(BinOp op) {
  return op == BinOp::kEq || op == BinOp::kNe || op == BinOp::kLt ||
         op == BinOp::kLe || op == BinOp::kGt || op == BinOp::kGe;
}

// Static types known at parse time; kUnknown for attributes.
enum class StaticType : uint8_t {
  kUnknown,
  kNil,
  kInt,
  kFloat,
  kString,
  kBool,
  kDuration,
  kStatus,
  kKind,
  kNumeric,  // arithmetic over unknown operands
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  BinOp op = BinOp::kEq;
  UnOp uop = UnOp::kNot;
  bool negate = false;
  int lhs = -1, rhs = -1;
  // kLiteral: value (strings in `str`).
  Val literal;
  std::string str;
  // kAttribute: scope + name, and the attribute slot of the query.
  Scope scope = Scope::kUnscoped;
  int slot = -1;
  // kIntrinsic.
  Intrinsic intrinsic = Intrinsic::kName;
  // kRegex: the compiled pattern and its memo slot in the evaluator.
  std::shared_ptr<const RE2> re;
  int regex_slot = -1;
  StaticType type = StaticType::kUnknown;
  uint32_t offset = 0, end = 0;  // source range
  uint32_t depth = 1;            // height of the subtree rooted here
};

enum class SetKind : uint8_t {
  kFilter,        // { expr } (expr = -1: match all)
  kSpansetOp,     // lhs OP rhs
  kPipeline,      // stages left to right
  kScalarFilter,  // aggregate CMP literal
  kBy,
  kCoalesce,
  kSelect,
};

enum class SpansetOp : uint8_t {
  kAnd,
  kOr,
  kChild,
  kParent,
  kDesc,
  kAnc,
  kSibling,
  kNotChild,
  kNotParent,
  kNotDesc,
  kNotAnc,
  kNotSibling,
  kUnionChild,
  kUnionParent,
  kUnionDesc,
  kUnionAnc,
  kUnionSibling,
};

enum class AggKind : uint8_t { kCount, kAvg, kMin, kMax, kSum };

struct SetNode {
  SetKind kind = SetKind::kFilter;
  int expr = -1;  // kFilter body; kBy / kScalarFilter argument
  SpansetOp op = SpansetOp::kAnd;
  int lhs = -1, rhs = -1;
  std::vector<int> stages;  // kPipeline: SetNode indices
  std::vector<int> exprs;   // kSelect
  AggKind agg = AggKind::kCount;
  BinOp cmp = BinOp::kEq;    // kScalarFilter
  Val threshold;             // kScalarFilter (numeric)
  std::string label;         // `by(...)`, `count()`: the spanset attribute name
  bool uses_events = false;  // kFilter: body references event scope
  bool uses_links = false;   // kFilter: body references link scope
  uint32_t offset = 0;
  uint32_t depth = 1;  // height of the subtree rooted here
};

struct AttributeSlot {
  Scope scope;
  std::string name;
};

// A parsed query.
struct QueryImpl {
  std::string text;
  std::vector<Expr> exprs;
  std::vector<SetNode> sets;
  int root = -1;  // SetNode index
  std::vector<AttributeSlot> slots;
  std::vector<NamedValue> hints;

  QueryColumns columns;
  std::vector<Condition> conditions;
  // Expression nodes evaluating each condition per span (parallel to
  // `conditions`; -1 for a match-all condition).
  std::vector<int> condition_exprs;
  bool all_conditions_required = true;
  // See Query::span_conditions.
  std::vector<Condition> span_conditions;
  int64_t min_matching_spans = 1;  // see Query::min_matching_spans
  bool has_match_all_condition = false;
  // Whether Tempo's candidate-span pre-filter can change the result; when
  // false the evaluator skips it.
  bool needs_candidate_filter = false;
  // String literal expressions (resolved to trace string ids per trace).
  std::vector<int> string_literals;
  int regex_count = 0;
  // Trace-level prefilter (AND mode only): a trace can match only if every
  // one of these attribute slots and string literals occurs in its
  // dictionary.
  std::vector<int> required_slots;
  std::vector<int> required_literals;
  // Intrinsics whose values need per-trace preparation.
  bool uses_span_id_strings = false;
  // Attributes/intrinsics reported on returned spans (Query::SpanAttributes).
  std::vector<int> reported_exprs;
};

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_AST_H_
