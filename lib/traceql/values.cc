#include "traceql/values.h"

#include <cmath>

namespace andante::traceql::internal {
namespace {

bool IsIntLike(const Val& v) {
  return v.type == ValueType::kInt || v.type == ValueType::kDuration;
}

template <typename T>
bool Ordered(BinOp op, T a, T b) {
  switch (op) {
    case BinOp::kEq:
      return a == b;
    case BinOp::kNe:
      return a != b;
    case BinOp::kLt:
      return a < b;
    case BinOp::kLe:
      return a <= b;
    case BinOp::kGt:
      return a > b;
    case BinOp::kGe:
      return a >= b;
    default:
      return false;
  }
}

int64_t IntPow(int64_t base, int64_t exp) {
  if (exp < 0) return base == 1 ? 1 : 0;
  int64_t r = 1;
  for (int64_t k = 0; k < exp && k < 64; ++k) {
    r = static_cast<int64_t>(static_cast<uint64_t>(r) *
                             static_cast<uint64_t>(base));
  }
  return r;
}

}  // namespace

bool CompareValues(BinOp op, const Val& a, const Val& b) {
  if (a.IsNumeric() && b.IsNumeric()) {
    if (IsIntLike(a) && IsIntLike(b)) return Ordered(op, a.i, b.i);
    return Ordered(op, a.AsFloat(), b.AsFloat());
  }
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::kString:
      if ((op == BinOp::kEq || op == BinOp::kNe) && a.sid != kNoString &&
          b.sid != kNoString) {
        return (a.sid == b.sid) == (op == BinOp::kEq);
      }
      return Ordered(op, a.s, b.s);
    case ValueType::kBool:
      if (op == BinOp::kEq) return a.b == b.b;
      if (op == BinOp::kNe) return a.b != b.b;
      return false;
    case ValueType::kStatus:
    case ValueType::kKind:
      if (op == BinOp::kEq) return a.i == b.i;
      if (op == BinOp::kNe) return a.i != b.i;
      return false;
    default:
      return false;
  }
}

Val Arithmetic(BinOp op, const Val& a, const Val& b, bool* div_by_zero) {
  if (!a.IsNumeric() || !b.IsNumeric()) return Val();
  if (a.type == ValueType::kInt && b.type == ValueType::kInt) {
    int64_t x = a.i, y = b.i;
    switch (op) {
      case BinOp::kAdd:
        return Val::Int(static_cast<int64_t>(static_cast<uint64_t>(x) +
                                             static_cast<uint64_t>(y)));
      case BinOp::kSub:
        return Val::Int(static_cast<int64_t>(static_cast<uint64_t>(x) -
                                             static_cast<uint64_t>(y)));
      case BinOp::kMul:
        return Val::Int(static_cast<int64_t>(static_cast<uint64_t>(x) *
                                             static_cast<uint64_t>(y)));
      case BinOp::kDiv:
      case BinOp::kMod:
        if (y == 0) {
          *div_by_zero = true;
          return Val();
        }
        if (x == INT64_MIN && y == -1) {
          return Val::Int(op == BinOp::kDiv ? x : 0);
        }
        return Val::Int(op == BinOp::kDiv ? x / y : x % y);
      case BinOp::kPow:
        return Val::Int(IntPow(x, y));
      default:
        return Val();
    }
  }
  double x = a.AsFloat(), y = b.AsFloat();
  switch (op) {
    case BinOp::kAdd:
      return Val::Float(x + y);
    case BinOp::kSub:
      return Val::Float(x - y);
    case BinOp::kMul:
      return Val::Float(x * y);
    case BinOp::kDiv:
      return Val::Float(x / y);
    case BinOp::kMod:
      return Val::Float(std::fmod(x, y));
    case BinOp::kPow:
      return Val::Float(std::pow(x, y));
    default:
      return Val();
  }
}

Value ToValue(const Val& v) {
  Value out;
  out.type = v.type;
  switch (v.type) {
    case ValueType::kFloat:
      out.f = v.f;
      break;
    case ValueType::kBool:
      out.b = v.b;
      break;
    case ValueType::kString:
      out.s = std::string(v.s);
      break;
    case ValueType::kNil:
      break;
    default:
      out.i = v.i;
      break;
  }
  return out;
}

}  // namespace andante::traceql::internal
