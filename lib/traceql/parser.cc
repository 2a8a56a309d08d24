#include "traceql/parser.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "traceql/analysis.h"
#include "traceql/lexer.h"
#include "traceql/strcat.h"
#include "traceql/values.h"

namespace andante::traceql::internal {
namespace {

// Binary precedences inside `{ }` (higher binds tighter).
int FieldPrecedence(Tok t, BinOp* op) {
  switch (t) {
    case Tok::kAnd:
      *op = BinOp::kAnd;
      return 2;
    case Tok::kOr:
      *op = BinOp::kOr;
      return 2;
    case Tok::kEq:
      *op = BinOp::kEq;
      return 3;
    case Tok::kNe:
      *op = BinOp::kNe;
      return 3;
    case Tok::kLt:
      *op = BinOp::kLt;
      return 3;
    case Tok::kLe:
      *op = BinOp::kLe;
      return 3;
    case Tok::kGt:
      *op = BinOp::kGt;
      return 3;
    case Tok::kGe:
      *op = BinOp::kGe;
      return 3;
    case Tok::kRegex:
      *op = BinOp::kEq;
      return 3;  // marked by token
    case Tok::kNotRegex:
      *op = BinOp::kNe;
      return 3;  // marked by token
    case Tok::kAdd:
      *op = BinOp::kAdd;
      return 4;
    case Tok::kSub:
      *op = BinOp::kSub;
      return 4;
    case Tok::kMul:
      *op = BinOp::kMul;
      return 6;
    case Tok::kDiv:
      *op = BinOp::kDiv;
      return 6;
    case Tok::kMod:
      *op = BinOp::kMod;
      return 6;
    case Tok::kPow:
      *op = BinOp::kPow;
      return 7;
    default:
      return -1;
  }
}

// Spanset operator precedences: &&/|| 2, structural 3.
int SpansetPrecedence(Tok t, SpansetOp* op) {
  switch (t) {
    case Tok::kAnd:
      *op = SpansetOp::kAnd;
      return 2;
    case Tok::kOr:
      *op = SpansetOp::kOr;
      return 2;
    case Tok::kGt:
      *op = SpansetOp::kChild;
      return 3;
    case Tok::kLt:
      *op = SpansetOp::kParent;
      return 3;
    case Tok::kDesc:
      *op = SpansetOp::kDesc;
      return 3;
    case Tok::kAnc:
      *op = SpansetOp::kAnc;
      return 3;
    case Tok::kSibling:
      *op = SpansetOp::kSibling;
      return 3;
    case Tok::kNotChild:
      *op = SpansetOp::kNotChild;
      return 3;
    case Tok::kNotParent:
      *op = SpansetOp::kNotParent;
      return 3;
    case Tok::kNotDesc:
      *op = SpansetOp::kNotDesc;
      return 3;
    case Tok::kNotAnc:
      *op = SpansetOp::kNotAnc;
      return 3;
    case Tok::kNotRegex:
      *op = SpansetOp::kNotSibling;
      return 3;
    case Tok::kUnionChild:
      *op = SpansetOp::kUnionChild;
      return 3;
    case Tok::kUnionParent:
      *op = SpansetOp::kUnionParent;
      return 3;
    case Tok::kUnionDesc:
      *op = SpansetOp::kUnionDesc;
      return 3;
    case Tok::kUnionAnc:
      *op = SpansetOp::kUnionAnc;
      return 3;
    case Tok::kUnionSibling:
      *op = SpansetOp::kUnionSibling;
      return 3;
    default:
      return -1;
  }
}

bool IsNumericType(StaticType t) {
  return t == StaticType::kInt || t == StaticType::kFloat ||
         t == StaticType::kDuration || t == StaticType::kNumeric;
}

std::string_view TypeName(StaticType t) {
  switch (t) {
    case StaticType::kUnknown:
      return "attribute";
    case StaticType::kNil:
      return "nil";
    case StaticType::kInt:
      return "int";
    case StaticType::kFloat:
      return "float";
    case StaticType::kString:
      return "string";
    case StaticType::kBool:
      return "bool";
    case StaticType::kDuration:
      return "duration";
    case StaticType::kStatus:
      return "status";
    case StaticType::kKind:
      return "kind";
    case StaticType::kNumeric:
      return "number";
  }
  return "?";
}

StaticType IntrinsicType(Intrinsic in) {
  switch (in) {
    case Intrinsic::kStatus:
      return StaticType::kStatus;
    case Intrinsic::kKind:
      return StaticType::kKind;
    case Intrinsic::kDuration:
    case Intrinsic::kTraceDuration:
    case Intrinsic::kEventTimeSinceStart:
      return StaticType::kDuration;
    case Intrinsic::kChildCount:
      return StaticType::kInt;
    default:
      return StaticType::kString;
  }
}

StaticType FromValueType(ValueType t) {
  switch (t) {
    case ValueType::kNil:
      return StaticType::kNil;
    case ValueType::kInt:
      return StaticType::kInt;
    case ValueType::kFloat:
      return StaticType::kFloat;
    case ValueType::kString:
      return StaticType::kString;
    case ValueType::kBool:
      return StaticType::kBool;
    case ValueType::kDuration:
      return StaticType::kDuration;
    case ValueType::kStatus:
      return StaticType::kStatus;
    case ValueType::kKind:
      return StaticType::kKind;
    case ValueType::kArray:
      return StaticType::kUnknown;
  }
  return StaticType::kUnknown;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, QueryImpl* q)
      : text_(text), toks_(std::move(tokens)), q_(q) {}

  absl::Status Run() {
    absl::StatusOr<int> root = ParsePipeline();
    if (!root.ok()) return root.status();
    q_->root = *root;
    // Hints come last; when several with(...) are given the last one wins.
    while (Peek().type == Tok::kKeyword && Peek().text == "with") {
      absl::Status st = ParseHints();
      if (!st.ok()) return st;
    }
    if (Peek().type != Tok::kEof) return Unexpected(Peek());
    AnalyzeQuery(q_);
    return absl::OkStatus();
  }

 private:
  // ---- Tokens and errors ----
  const Token& Peek(size_t k = 0) const {
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  const Token& Take() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool Accept(Tok t) {
    if (Peek().type != t) return false;
    Take();
    return true;
  }
  std::string_view Source(uint32_t begin, uint32_t end) const {
    return text_.substr(begin, end - begin);
  }
  std::string_view TokenText(const Token& t) const {
    return Source(t.offset, t.end);
  }
  absl::Status ErrorAt(uint32_t offset, std::string_view msg) const {
    return absl::InvalidArgumentError(
        Cat("parse error at ", Position(text_, offset), ": ", msg));
  }
  absl::Status InvalidAt(uint32_t offset, std::string_view msg) const {
    return absl::InvalidArgumentError(
        Cat("invalid query at ", Position(text_, offset), ": ", msg));
  }
  absl::Status Unexpected(const Token& t) const {
    if (t.type == Tok::kEof) {
      return ErrorAt(t.offset, "syntax error: unexpected end of query");
    }
    return ErrorAt(t.offset,
                   Cat("syntax error: unexpected ",
                       t.type == Tok::kString ? DescribeToken(t)
                                              : Cat("'", TokenText(t), "'")));
  }
  absl::Status Expect(Tok t, std::string_view what) {
    if (Peek().type == t) {
      Take();
      return absl::OkStatus();
    }
    const Token& got = Peek();
    return ErrorAt(got.offset,
                   Cat("syntax error: expected ", what, ", found ",
                       got.type == Tok::kEof ? std::string("end of query")
                                             : Cat("'", TokenText(got), "'")));
  }

  struct DepthGuard {
    explicit DepthGuard(int* d) : d_(d) { ++*d_; }
    ~DepthGuard() { --*d_; }
    int* d_;
  };
  // Evaluation recurses over the trees; long operator chains such as
  // `.a + .a + ...` build deep trees without deep parser recursion.
  static constexpr uint32_t kMaxTreeDepth = 1000;
  absl::Status TooDeep(uint32_t offset) const {
    return ErrorAt(offset, Cat("expression has more than ", kMaxTreeDepth,
                               " nested operations"));
  }
  absl::Status CheckDepth(uint32_t offset) const {
    if (depth_ > Query::kMaxDepth) {
      return ErrorAt(offset, Cat("query nested more than ", Query::kMaxDepth,
                                 " levels deep"));
    }
    return absl::OkStatus();
  }

  // ---- Nodes ----
  int AddExpr(Expr e) {
    for (int child : {e.lhs, e.rhs}) {
      if (child >= 0) e.depth = std::max(e.depth, q_->exprs[child].depth + 1);
    }
    q_->exprs.push_back(std::move(e));
    return static_cast<int>(q_->exprs.size()) - 1;
  }
  int AddSet(SetNode n) {
    for (int child : {n.lhs, n.rhs}) {
      if (child >= 0) n.depth = std::max(n.depth, q_->sets[child].depth + 1);
    }
    q_->sets.push_back(std::move(n));
    return static_cast<int>(q_->sets.size()) - 1;
  }
  int Slot(Scope scope, const std::string& name) {
    auto [it, inserted] = slot_index_.try_emplace(
        Cat(static_cast<int>(scope), ":", name), q_->slots.size());
    if (inserted) q_->slots.push_back({scope, name});
    return static_cast<int>(it->second);
  }

  // ---- Pipelines and spanset expressions ----
  absl::StatusOr<int> ParsePipeline() {
    DepthGuard g(&depth_);
    if (absl::Status st = CheckDepth(Peek().offset); !st.ok()) return st;
    SetNode pipe;
    pipe.kind = SetKind::kPipeline;
    pipe.offset = Peek().offset;
    bool first = true;
    do {
      absl::StatusOr<int> stage = ParseStage(first);
      if (!stage.ok()) return stage.status();
      pipe.stages.push_back(*stage);
      first = false;
    } while (Accept(Tok::kPipe));
    if (pipe.stages.size() == 1) return pipe.stages[0];
    return AddSet(std::move(pipe));
  }

  absl::StatusOr<int> ParseStage(bool first) {
    const Token& t = Peek();
    if (t.type == Tok::kKeyword) {
      if (t.text == "by") return ParseBy();
      if (t.text == "select") return ParseSelect();
      if (t.text == "coalesce") {
        uint32_t at = Take().offset;
        if (first) {
          return ErrorAt(at, "coalesce() cannot start a pipeline");
        }
        if (absl::Status st = Expect(Tok::kLParen, "'('"); !st.ok()) return st;
        if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
        SetNode n;
        n.kind = SetKind::kCoalesce;
        n.offset = at;
        return AddSet(std::move(n));
      }
      if (t.text == "rate" || t.text == "count_over_time" ||
          t.text == "min_over_time" || t.text == "max_over_time" ||
          t.text == "avg_over_time" || t.text == "sum_over_time" ||
          t.text == "quantile_over_time" || t.text == "histogram_over_time" ||
          t.text == "compare") {
        if (first) return Unexpected(t);
        return InvalidAt(t.offset, Cat("metrics function ", t.text,
                                       "() is not supported by search"));
      }
      if (t.text == "count" || t.text == "avg" || t.text == "min" ||
          t.text == "max" || t.text == "sum") {
        return ParseScalarFilter();
      }
      return Unexpected(t);
    }
    // Skip leading '(' to see whether this is a spanset expression.
    size_t k = 0;
    while (Peek(k).type == Tok::kLParen) ++k;
    Tok kind = Peek(k).type;
    if (kind == Tok::kLBrace ||
        (kind == Tok::kKeyword &&
         (Peek(k).text == "by" || Peek(k).text == "select" ||
          Peek(k).text == "coalesce") &&
         k > 0)) {
      return ParseSpansetExpr(0);
    }
    if (kind == Tok::kInt || kind == Tok::kFloat || kind == Tok::kDuration ||
        kind == Tok::kSub ||
        (kind == Tok::kKeyword &&
         (Peek(k).text == "count" || Peek(k).text == "avg" ||
          Peek(k).text == "min" || Peek(k).text == "max" ||
          Peek(k).text == "sum"))) {
      return ParseScalarFilter();
    }
    if (k > 0) return ParseSpansetExpr(0);
    if (t.type == Tok::kEof) {
      return ErrorAt(t.offset,
                     "syntax error: unexpected end of query, "
                     "expected a spanset filter '{ ... }'");
    }
    return ErrorAt(t.offset, Cat("syntax error: unexpected '", TokenText(t),
                                 "', expected a spanset filter '{ ... }'"));
  }

  absl::StatusOr<int> ParseSpansetExpr(int min_prec) {
    DepthGuard g(&depth_);
    if (absl::Status st = CheckDepth(Peek().offset); !st.ok()) return st;
    absl::StatusOr<int> lhs = ParseSpansetPrimary();
    if (!lhs.ok()) return lhs;
    while (true) {
      SpansetOp op;
      int prec = SpansetPrecedence(Peek().type, &op);
      if (prec < 0 || prec < min_prec) break;
      uint32_t at = Take().offset;
      absl::StatusOr<int> rhs = ParseSpansetExpr(prec + 1);
      if (!rhs.ok()) return rhs;
      SetNode n;
      n.kind = SetKind::kSpansetOp;
      n.op = op;
      n.lhs = *lhs;
      n.rhs = *rhs;
      n.offset = at;
      lhs = AddSet(std::move(n));
      if (q_->sets[*lhs].depth > kMaxTreeDepth) return TooDeep(at);
    }
    return lhs;
  }

  absl::StatusOr<int> ParseSpansetPrimary() {
    const Token& t = Peek();
    if (t.type == Tok::kLBrace) return ParseFilter();
    if (t.type == Tok::kLParen) {
      Take();
      absl::StatusOr<int> inner = ParsePipeline();
      if (!inner.ok()) return inner;
      if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
      return inner;
    }
    if (t.type == Tok::kEof) {
      return ErrorAt(t.offset,
                     "syntax error: unexpected end of query, "
                     "expected a spanset filter '{ ... }'");
    }
    return ErrorAt(t.offset, Cat("syntax error: unexpected '", TokenText(t),
                                 "', expected a spanset filter '{ ... }'"));
  }

  absl::StatusOr<int> ParseFilter() {
    uint32_t open = Take().offset;
    SetNode n;
    n.kind = SetKind::kFilter;
    n.offset = open;
    if (Accept(Tok::kRBrace)) return AddSet(std::move(n));
    absl::StatusOr<int> body = ParseExpr(0);
    if (!body.ok()) return body;
    if (Peek().type == Tok::kEof) {
      return ErrorAt(Peek().offset,
                     "syntax error: unexpected end of query, expected '}'");
    }
    if (absl::Status st = Expect(Tok::kRBrace, "'}'"); !st.ok()) return st;
    const Expr& e = q_->exprs[*body];
    bool bare_attribute = e.kind == ExprKind::kAttribute;
    if (e.type != StaticType::kBool && !bare_attribute) {
      return InvalidAt(e.offset, Cat("filter body must be a boolean "
                                     "expression, found ",
                                     TypeName(e.type), " \"",
                                     Source(e.offset, e.end), "\""));
    }
    n.expr = *body;
    return AddSet(std::move(n));
  }

  // ---- Field expressions ----
  absl::StatusOr<int> ParseExpr(int min_prec) {
    DepthGuard g(&depth_);
    if (absl::Status st = CheckDepth(Peek().offset); !st.ok()) return st;
    absl::StatusOr<int> lhs = ParseUnary();
    if (!lhs.ok()) return lhs;
    while (true) {
      BinOp op;
      Tok tok = Peek().type;
      int prec = FieldPrecedence(tok, &op);
      if (prec < 0 || prec < min_prec) break;
      uint32_t at = Take().offset;
      int next = op == BinOp::kPow ? prec : prec + 1;
      absl::StatusOr<int> rhs = ParseExpr(next);
      if (!rhs.ok()) return rhs;
      if (tok == Tok::kRegex || tok == Tok::kNotRegex) {
        lhs = MakeRegex(*lhs, *rhs, tok == Tok::kNotRegex, at);
      } else {
        lhs = MakeBinary(op, *lhs, *rhs, at);
      }
      if (!lhs.ok()) return lhs;
      if (q_->exprs[*lhs].depth > kMaxTreeDepth) return TooDeep(at);
    }
    return lhs;
  }

  absl::StatusOr<int> ParseUnary() {
    const Token& t = Peek();
    if (t.type == Tok::kNot || t.type == Tok::kSub) {
      DepthGuard g(&depth_);
      if (absl::Status st = CheckDepth(t.offset); !st.ok()) return st;
      bool is_not = t.type == Tok::kNot;
      uint32_t at = Take().offset;
      absl::StatusOr<int> operand = ParseExpr(is_not ? 6 : 7);
      if (!operand.ok()) return operand;
      return MakeUnary(is_not ? UnOp::kNot : UnOp::kNeg, *operand, at);
    }
    return ParsePrimary();
  }

  absl::StatusOr<int> ParsePrimary() {
    const Token& t = Peek();
    Expr e;
    e.offset = t.offset;
    e.end = t.end;
    switch (t.type) {
      case Tok::kLParen: {
        Take();
        absl::StatusOr<int> inner = ParseExpr(0);
        if (!inner.ok()) return inner;
        uint32_t close = Peek().end;
        if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
        q_->exprs[*inner].offset = t.offset;
        q_->exprs[*inner].end = close;
        return inner;
      }
      case Tok::kInt:
        e.literal = Val::Int(t.int_value);
        e.type = StaticType::kInt;
        break;
      case Tok::kFloat:
        e.literal = Val::Float(t.float_value);
        e.type = StaticType::kFloat;
        break;
      case Tok::kDuration:
        e.literal = Val::Int(t.int_value, ValueType::kDuration);
        e.type = StaticType::kDuration;
        break;
      case Tok::kString:
        e.str = t.text;
        e.literal = Val::Str("");
        e.type = StaticType::kString;
        break;
      case Tok::kTrue:
      case Tok::kFalse:
        e.literal = Val::Bool(t.type == Tok::kTrue);
        e.type = StaticType::kBool;
        break;
      case Tok::kNil:
        e.type = StaticType::kNil;
        break;
      case Tok::kStatusValue:
        e.literal = Val::Int(t.int_value, ValueType::kStatus);
        e.type = StaticType::kStatus;
        break;
      case Tok::kKindValue:
        e.literal = Val::Int(t.int_value, ValueType::kKind);
        e.type = StaticType::kKind;
        break;
      case Tok::kAttribute:
        e.kind = ExprKind::kAttribute;
        e.scope = t.scope;
        e.str = t.text;
        e.slot = Slot(t.scope, t.text);
        e.type = StaticType::kUnknown;
        break;
      case Tok::kIntrinsic:
      case Tok::kScopedIntrinsic:
        e.kind = ExprKind::kIntrinsic;
        e.intrinsic = t.intrinsic;
        e.type = IntrinsicType(t.intrinsic);
        break;
      case Tok::kParentAttribute:
        return InvalidAt(t.offset, "the parent scope is not yet supported");
      case Tok::kKeyword:
        if (t.text == "parent" || t.text.starts_with("nestedSet")) {
          return InvalidAt(t.offset,
                           Cat("intrinsic ", t.text, " is not yet supported"));
        }
        return Unexpected(t);
      case Tok::kIdent:
        if (t.text == "minInt" || t.text == "maxInt") {
          e.literal = Val::Int(t.text == "minInt" ? INT64_MIN : INT64_MAX);
          e.type = StaticType::kInt;
          break;
        }
        return ErrorAt(t.offset, Cat("unknown identifier: ", t.text));
      default:
        return Unexpected(t);
    }
    Take();
    return AddExpr(std::move(e));
  }

  bool IsLiteral(int idx) const {
    return q_->exprs[idx].kind == ExprKind::kLiteral;
  }
  Val LiteralVal(int idx) const {
    const Expr& e = q_->exprs[idx];
    if (e.literal.type == ValueType::kString) return Val::Str(e.str);
    return e.literal;
  }
  int MakeLiteral(const Val& v, uint32_t offset, uint32_t end) {
    Expr e;
    e.offset = offset;
    e.end = end;
    e.literal = v;
    if (v.type == ValueType::kString) {
      e.str = std::string(v.s);
      e.literal = Val::Str("");
    }
    e.type = FromValueType(v.type);
    return AddExpr(std::move(e));
  }

  absl::StatusOr<int> MakeUnary(UnOp op, int operand, uint32_t at) {
    const Expr& x = q_->exprs[operand];
    uint32_t end = x.end;
    if (op == UnOp::kNot) {
      if (x.type != StaticType::kBool && x.type != StaticType::kUnknown) {
        return InvalidAt(
            at, Cat("operator ! requires a boolean, found ", TypeName(x.type)));
      }
    } else if (!IsNumericType(x.type) && x.type != StaticType::kUnknown) {
      return InvalidAt(
          at, Cat("unary - requires a number, found ", TypeName(x.type)));
    }
    if (IsLiteral(operand)) {
      Val v = LiteralVal(operand);
      if (op == UnOp::kNot) {
        v.b = !v.b;
      } else if (v.type == ValueType::kFloat) {
        v.f = -v.f;
      } else {
        v.i = static_cast<int64_t>(0 - static_cast<uint64_t>(v.i));
      }
      return MakeLiteral(v, at, end);
    }
    Expr e;
    e.kind = ExprKind::kUnary;
    e.uop = op;
    e.lhs = operand;
    e.offset = at;
    e.end = end;
    e.type = op == UnOp::kNot                 ? StaticType::kBool
             : x.type == StaticType::kUnknown ? StaticType::kNumeric
                                              : x.type;
    return AddExpr(std::move(e));
  }

  bool IsServiceName(const Expr& e) const {
    return e.kind == ExprKind::kAttribute && e.scope == Scope::kResource &&
           e.str == "service.name";
  }

  absl::StatusOr<int> MakeBinary(BinOp op, int l, int r, uint32_t at) {
    const Expr& a = q_->exprs[l];
    const Expr& b = q_->exprs[r];
    uint32_t begin = a.offset, end = b.end;
    StaticType ta = a.type, tb = b.type;
    std::string_view op_text = Source(at, at + 2);
    op_text = op_text.substr(
        0, op_text.size() > 1 &&
                   (op_text[1] == '=' || op_text[1] == '&' || op_text[1] == '|')
               ? 2
               : 1);
    // nil comparisons.
    if (ta == StaticType::kNil || tb == StaticType::kNil) {
      if (op != BinOp::kEq && op != BinOp::kNe) {
        return InvalidAt(
            at, Cat("operator ", op_text, " cannot be applied to nil"));
      }
      if (ta == StaticType::kNil && tb == StaticType::kNil) {
        return MakeLiteral(Val::Bool(false), begin, end);
      }
      int x = ta == StaticType::kNil ? r : l;
      const Expr& xe = q_->exprs[x];
      if (xe.kind == ExprKind::kIntrinsic || IsServiceName(xe)) {
        return InvalidAt(xe.offset, Cat("\"", Source(xe.offset, xe.end),
                                        "\" is always present; it cannot be "
                                        "compared with nil"));
      }
      if (xe.kind == ExprKind::kLiteral) {
        return MakeLiteral(Val::Bool(false), begin, end);
      }
      Expr e;
      e.kind = ExprKind::kExists;
      e.negate = op == BinOp::kEq;
      e.lhs = x;
      e.offset = begin;
      e.end = end;
      e.type = StaticType::kBool;
      return AddExpr(std::move(e));
    }
    StaticType result;
    if (op == BinOp::kAnd || op == BinOp::kOr) {
      for (StaticType t : {ta, tb}) {
        if (t != StaticType::kBool && t != StaticType::kUnknown) {
          return InvalidAt(at, Cat("operator ", op_text,
                                   " requires booleans, found ", TypeName(t)));
        }
      }
      result = StaticType::kBool;
    } else if (IsComparison(op)) {
      bool compatible = ta == StaticType::kUnknown ||
                        tb == StaticType::kUnknown || ta == tb ||
                        (IsNumericType(ta) && IsNumericType(tb));
      if (!compatible) {
        return InvalidAt(
            at, Cat("cannot compare ", TypeName(ta), " with ", TypeName(tb),
                    " (\"", Source(begin, end), "\")"));
      }
      StaticType known = ta != StaticType::kUnknown ? ta : tb;
      bool equality_only = known == StaticType::kBool ||
                           known == StaticType::kStatus ||
                           known == StaticType::kKind;
      if (equality_only && op != BinOp::kEq && op != BinOp::kNe) {
        return InvalidAt(at, Cat("operator ", op_text, " cannot be applied to ",
                                 TypeName(known)));
      }
      result = StaticType::kBool;
    } else {
      for (StaticType t : {ta, tb}) {
        if (!IsNumericType(t) && t != StaticType::kUnknown) {
          return InvalidAt(at, Cat("operator ", op_text,
                                   " requires numbers, found ", TypeName(t)));
        }
      }
      if (ta == StaticType::kInt && tb == StaticType::kInt) {
        result = StaticType::kInt;
      } else if (ta == StaticType::kUnknown || tb == StaticType::kUnknown ||
                 ta == StaticType::kNumeric || tb == StaticType::kNumeric) {
        result = StaticType::kNumeric;
      } else {
        result = StaticType::kFloat;
      }
    }
    // trace:id compared with a string literal: leading zeros don't count.
    if (IsComparison(op)) {
      for (auto [x, y] : {std::pair{l, r}, std::pair{r, l}}) {
        Expr& xe = q_->exprs[x];
        Expr& ye = q_->exprs[y];
        if (xe.kind == ExprKind::kIntrinsic &&
            xe.intrinsic == Intrinsic::kTraceId &&
            ye.kind == ExprKind::kLiteral &&
            ye.literal.type == ValueType::kString) {
          size_t nz = ye.str.find_first_not_of('0');
          ye.str = nz == std::string::npos ? "" : ye.str.substr(nz);
        }
      }
    }
    // Constant folding.
    if (IsLiteral(l) && IsLiteral(r)) {
      Val x = LiteralVal(l), y = LiteralVal(r);
      Val v;
      if (op == BinOp::kAnd) {
        v = Val::Bool(x.IsTrue() && y.IsTrue());
      } else if (op == BinOp::kOr) {
        v = Val::Bool(x.IsTrue() || y.IsTrue());
      } else if (IsComparison(op)) {
        v = Val::Bool(CompareValues(op, x, y));
      } else {
        bool div0 = false;
        v = Arithmetic(op, x, y, &div0);
        if (div0) return InvalidAt(at, "integer division by zero");
      }
      return MakeLiteral(v, begin, end);
    }
    Expr e;
    e.kind = ExprKind::kBinary;
    e.op = op;
    e.lhs = l;
    e.rhs = r;
    e.offset = begin;
    e.end = end;
    e.type = result;
    return AddExpr(std::move(e));
  }

  absl::StatusOr<int> MakeRegex(int l, int r, bool negate, uint32_t at) {
    const Expr& a = q_->exprs[l];
    const Expr& b = q_->exprs[r];
    if (b.kind != ExprKind::kLiteral || b.literal.type != ValueType::kString) {
      return InvalidAt(b.offset,
                       "the right side of =~ and !~ must be a string literal");
    }
    if (a.type != StaticType::kString && a.type != StaticType::kUnknown) {
      return InvalidAt(at, Cat("regular expression match requires a "
                               "string, found ",
                               TypeName(a.type)));
    }
    RE2::Options options;
    options.set_dot_nl(true);
    options.set_log_errors(false);
    auto re = std::make_shared<RE2>(b.str, options);
    if (!re->ok()) {
      return InvalidAt(b.offset, Cat("invalid regular expression \"", b.str,
                                     "\": ", re->error()));
    }
    Expr e;
    e.kind = ExprKind::kRegex;
    e.negate = negate;
    e.lhs = l;
    e.rhs = r;
    e.re = std::move(re);
    e.offset = a.offset;
    e.end = b.end;
    e.type = StaticType::kBool;
    if (a.kind == ExprKind::kLiteral) {
      bool m =
          a.literal.type == ValueType::kString && RE2::FullMatch(a.str, *e.re);
      return MakeLiteral(Val::Bool(negate ? !m : m), e.offset, e.end);
    }
    return AddExpr(std::move(e));
  }

  // ---- by(), select(), scalar filters ----
  absl::StatusOr<int> ParseBy() {
    uint32_t at = Take().offset;
    if (absl::Status st = Expect(Tok::kLParen, "'('"); !st.ok()) return st;
    absl::StatusOr<int> e = ParseExpr(0);
    if (!e.ok()) return e;
    uint32_t close = Peek().offset;
    if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
    if (!ReferencesSpan(*q_, *e)) {
      return InvalidAt(q_->exprs[*e].offset,
                       "by() must reference an attribute or intrinsic");
    }
    SetNode n;
    n.kind = SetKind::kBy;
    n.expr = *e;
    n.offset = at;
    n.label = Cat("by(",
                  andante::internal::ToStd(absl::StripAsciiWhitespace(
                      andante::internal::ToAbsl(Source(at + 3, close)))),
                  ")");
    return AddSet(std::move(n));
  }

  absl::StatusOr<int> ParseSelect() {
    uint32_t at = Take().offset;
    if (absl::Status st = Expect(Tok::kLParen, "'('"); !st.ok()) return st;
    SetNode n;
    n.kind = SetKind::kSelect;
    n.offset = at;
    do {
      const Token& t = Peek();
      if (t.type != Tok::kAttribute && t.type != Tok::kIntrinsic &&
          t.type != Tok::kScopedIntrinsic) {
        return ErrorAt(t.offset,
                       "syntax error: select() takes attributes or intrinsics");
      }
      absl::StatusOr<int> e = ParsePrimary();
      if (!e.ok()) return e;
      n.exprs.push_back(*e);
    } while (Accept(Tok::kComma));
    if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
    return AddSet(std::move(n));
  }

  // One side of a scalar filter.
  struct Scalar {
    bool has_agg = false;
    bool simple_agg = false;  // exactly one aggregate, nothing else
    AggKind agg = AggKind::kCount;
    int expr = -1;
    std::string label;
    bool is_const = false;
    Val value;
    uint32_t offset = 0;
  };

  absl::StatusOr<Scalar> ParseScalarPrimary() {
    DepthGuard g(&depth_);
    if (absl::Status st = CheckDepth(Peek().offset); !st.ok()) return st;
    const Token& t = Peek();
    Scalar s;
    s.offset = t.offset;
    switch (t.type) {
      case Tok::kInt:
        s.is_const = true;
        s.value = Val::Int(t.int_value);
        Take();
        return s;
      case Tok::kFloat:
        s.is_const = true;
        s.value = Val::Float(t.float_value);
        Take();
        return s;
      case Tok::kDuration:
        s.is_const = true;
        s.value = Val::Int(t.int_value, ValueType::kDuration);
        Take();
        return s;
      case Tok::kSub: {
        Take();
        absl::StatusOr<Scalar> inner = ParseScalarPrimary();
        if (!inner.ok()) return inner;
        if (!inner->is_const) {
          return InvalidAt(t.offset,
                           "arithmetic on aggregates is not yet "
                           "supported");
        }
        if (inner->value.type == ValueType::kFloat) {
          inner->value.f = -inner->value.f;
        } else {
          inner->value.i =
              static_cast<int64_t>(0 - static_cast<uint64_t>(inner->value.i));
        }
        inner->offset = t.offset;
        return inner;
      }
      case Tok::kLParen: {
        Take();
        absl::StatusOr<Scalar> inner = ParseScalarExpr(0);
        if (!inner.ok()) return inner;
        if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
        return inner;
      }
      case Tok::kKeyword: {
        AggKind kind;
        if (t.text == "count")
          kind = AggKind::kCount;
        else if (t.text == "avg")
          kind = AggKind::kAvg;
        else if (t.text == "min")
          kind = AggKind::kMin;
        else if (t.text == "max")
          kind = AggKind::kMax;
        else if (t.text == "sum")
          kind = AggKind::kSum;
        else
          return Unexpected(t);
        Take();
        if (absl::Status st = Expect(Tok::kLParen, "'('"); !st.ok()) return st;
        s.has_agg = s.simple_agg = true;
        s.agg = kind;
        if (kind != AggKind::kCount) {
          absl::StatusOr<int> e = ParseExpr(0);
          if (!e.ok()) return e.status();
          const Expr& x = q_->exprs[*e];
          if (!ReferencesSpan(*q_, *e)) {
            return InvalidAt(x.offset, Cat(t.text,
                                           "() must reference "
                                           "an attribute or intrinsic"));
          }
          if (!IsNumericType(x.type) && x.type != StaticType::kUnknown) {
            return InvalidAt(x.offset, Cat(t.text,
                                           "() requires a "
                                           "numeric argument, found ",
                                           TypeName(x.type)));
          }
          s.expr = *e;
        }
        uint32_t close = Peek().end;
        if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
        s.label = std::string(Source(t.offset, close));
        s.label.erase(std::remove_if(s.label.begin(), s.label.end(),
                                     [](char c) {
                                       return absl::ascii_isspace(
                                           static_cast<unsigned char>(c));
                                     }),
                      s.label.end());
        return s;
      }
      default:
        return Unexpected(t);
    }
  }

  absl::StatusOr<Scalar> ParseScalarExpr(int min_prec) {
    DepthGuard g(&depth_);
    if (absl::Status st = CheckDepth(Peek().offset); !st.ok()) return st;
    absl::StatusOr<Scalar> lhs = ParseScalarPrimary();
    if (!lhs.ok()) return lhs;
    while (true) {
      BinOp op;
      int prec = FieldPrecedence(Peek().type, &op);
      if (prec < 4) break;  // arithmetic only
      if (prec < min_prec) break;
      uint32_t at = Take().offset;
      absl::StatusOr<Scalar> rhs =
          ParseScalarExpr(op == BinOp::kPow ? prec : prec + 1);
      if (!rhs.ok()) return rhs;
      Scalar out;
      out.offset = lhs->offset;
      if (lhs->is_const && rhs->is_const) {
        bool div0 = false;
        out.is_const = true;
        out.value = Arithmetic(op, lhs->value, rhs->value, &div0);
        if (div0) return InvalidAt(at, "integer division by zero");
      } else {
        out.has_agg = true;  // arithmetic involving aggregates
      }
      lhs = out;
    }
    return lhs;
  }

  absl::StatusOr<int> ParseScalarFilter() {
    uint32_t at = Peek().offset;
    absl::StatusOr<Scalar> lhs = ParseScalarExpr(0);
    if (!lhs.ok()) return lhs.status();
    BinOp op;
    Tok tok = Peek().type;
    int prec = FieldPrecedence(tok, &op);
    if (prec != 3 || tok == Tok::kRegex || tok == Tok::kNotRegex) {
      if (Peek().type == Tok::kEof || Peek().type == Tok::kPipe ||
          Peek().type == Tok::kRParen) {
        return ErrorAt(Peek().offset,
                       "syntax error: an aggregate must be compared with a "
                       "value, e.g. count() > 2");
      }
      return Unexpected(Peek());
    }
    uint32_t op_at = Take().offset;
    absl::StatusOr<Scalar> rhs = ParseScalarExpr(0);
    if (!rhs.ok()) return rhs.status();
    if (!lhs->has_agg && !rhs->has_agg) {
      return ErrorAt(at,
                     "syntax error: a scalar filter needs an aggregate "
                     "(count(), avg(), min(), max(), sum())");
    }
    if (!(lhs->simple_agg && rhs->is_const)) {
      return InvalidAt(op_at,
                       "only \"aggregate <comparison> number\" scalar "
                       "filters are supported; this form is not yet "
                       "supported");
    }
    SetNode n;
    n.kind = SetKind::kScalarFilter;
    n.agg = lhs->agg;
    n.expr = lhs->expr;
    n.cmp = op;
    n.threshold = rhs->value;
    n.label = lhs->label;
    n.offset = at;
    return AddSet(std::move(n));
  }

  // ---- with(...) ----
  absl::Status ParseHints() {
    Take();
    if (absl::Status st = Expect(Tok::kLParen, "'('"); !st.ok()) return st;
    std::vector<NamedValue> hints;
    do {
      const Token& name = Peek();
      if (name.type != Tok::kIdent) {
        return ErrorAt(name.offset, "syntax error: expected a hint name");
      }
      NamedValue h;
      h.name = Take().text;
      if (absl::Status st = Expect(Tok::kEq, "'='"); !st.ok()) return st;
      const Token& v = Peek();
      switch (v.type) {
        case Tok::kString:
          h.value.type = ValueType::kString;
          h.value.s = v.text;
          break;
        case Tok::kInt:
          h.value.type = ValueType::kInt;
          h.value.i = v.int_value;
          break;
        case Tok::kFloat:
          h.value.type = ValueType::kFloat;
          h.value.f = v.float_value;
          break;
        case Tok::kDuration:
          h.value.type = ValueType::kDuration;
          h.value.i = v.int_value;
          break;
        case Tok::kTrue:
        case Tok::kFalse:
          h.value.type = ValueType::kBool;
          h.value.b = v.type == Tok::kTrue;
          break;
        case Tok::kStatusValue:
          h.value.type = ValueType::kStatus;
          h.value.i = v.int_value;
          break;
        case Tok::kKindValue:
          h.value.type = ValueType::kKind;
          h.value.i = v.int_value;
          break;
        default:
          return ErrorAt(v.offset,
                         "syntax error: a hint value must be a literal");
      }
      Take();
      hints.push_back(std::move(h));
    } while (Accept(Tok::kComma));
    if (absl::Status st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
    q_->hints = std::move(hints);
    return absl::OkStatus();
  }

  std::string_view text_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  QueryImpl* q_;
  absl::flat_hash_map<std::string, size_t> slot_index_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<QueryImpl>> ParseQuery(std::string_view text) {
  if (text.size() > Query::kMaxQueryBytes) {
    return absl::InvalidArgumentError(Cat("query is ", text.size(),
                                          " bytes, more than the limit of ",
                                          Query::kMaxQueryBytes));
  }
  absl::StatusOr<std::vector<Token>> tokens = Lex(text);
  if (!tokens.ok()) return tokens.status();
  auto q = std::make_unique<QueryImpl>();
  q->text = std::string(text);
  Parser parser(q->text, std::move(*tokens), q.get());
  if (absl::Status st = parser.Run(); !st.ok()) return st;
  return q;
}

}  // namespace andante::traceql::internal
