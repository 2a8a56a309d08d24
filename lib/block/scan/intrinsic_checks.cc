#include "block/scan/intrinsic_checks.h"

#include <string_view>

#include "block/block_format.h"
#include "block/scan/varint.h"
#include "util/coding.h"

namespace andante::internal::scan {

using traceql::CompareOp;
using traceql::Condition;
using traceql::Intrinsic;
using traceql::ValueType;

namespace {

// The column and value type of a condition MarkIntrinsic decides; false for
// the others.
bool Decides(const Condition& c, uint32_t* column, ValueType* type) {
  if (!c.is_intrinsic) return false;
  switch (c.intrinsic) {
    case Intrinsic::kStatus:
      *column = kV2StatusCodes;
      *type = ValueType::kStatus;
      break;
    case Intrinsic::kKind:
      *column = kV2Kinds;
      *type = ValueType::kKind;
      break;
    case Intrinsic::kDuration:
      *column = kV2Durations;
      *type = ValueType::kDuration;
      break;
    default:
      return false;
  }
  // The ordered comparisons (kEq..kGe), and only = and != for enums.
  static_assert(CompareOp::kGe > CompareOp::kEq &&
                CompareOp::kRegex > CompareOp::kGe);
  const CompareOp last =
      *type == ValueType::kDuration ? CompareOp::kGe : CompareOp::kNe;
  return c.literal.type == *type && c.op <= last;
}

}  // namespace

bool IsIntrinsicCheck(const Condition& c) {
  uint32_t column;
  ValueType type;
  return Decides(c, &column, &type);
}

uint32_t IntrinsicColumnBit(const Condition& c) {
  uint32_t column;
  ValueType type;
  return Decides(c, &column, &type) ? 1u << column : 0;
}

bool MarkIntrinsic(const Condition& c, const V2Page& page, uint32_t span_count,
                   std::vector<uint8_t>* candidate) {
  uint32_t column;
  ValueType type;
  if (!Decides(c, &column, &type)) return true;
  const char* p = page.raw[column].data();
  const char* const end = p + page.raw[column].size();
  uint8_t* const out = candidate->data();
  const uint32_t n = span_count;
  // Clears out[i] where holds(value i) is false; false if corrupt.
  auto run = [&](auto holds) {
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t u;
      if (!WordVarint(&p, end, &u)) return false;
      if (!holds(u)) out[i] = 0;
    }
    return true;
  };
  const int64_t l = c.literal.i;
  // duration > l or >= l, l >= 0: only the even zigzag values from `least`
  // pass, so a shorter varint fails unread (most spans of a selective bound).
  auto run_from = [&](uint64_t least) {
    const int short_of = VarintLength(least);
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t w;
      const int bytes = end - p >= 8 ? LoadVarintWord(p, &w) : 0;
      if (bytes == 0) {  // near the end, or over 8 bytes
        uint64_t u;
        if (!FastVarint(&p, end, &u)) return false;
        if ((u & 1) || u < least) out[i] = 0;
        continue;
      }
      p += bytes;
      if (bytes < short_of) {
        out[i] = 0;
      } else if (const uint64_t u = PackVarintWord(w, bytes);
                 (u & 1) || u < least) {
        out[i] = 0;
      }
    }
    return true;
  };
  constexpr int64_t kMaxBound = int64_t{1} << 61;
  if (type == ValueType::kDuration && l >= 0 && l < kMaxBound &&
      (c.op == CompareOp::kGt || c.op == CompareOp::kGe)) {
    // zigzag(d) = 2d for d >= 0, odd for d < 0.
    return run_from(c.op == CompareOp::kGt ? 2 * static_cast<uint64_t>(l) + 2
                                           : 2 * static_cast<uint64_t>(l));
  }
  if (type == ValueType::kDuration) {
    // The common case, one loop per operator.
    switch (c.op) {
      case CompareOp::kEq:
        return run([l](uint64_t u) { return UnZigZag64(u) == l; });
      case CompareOp::kNe:
        return run([l](uint64_t u) { return UnZigZag64(u) != l; });
      case CompareOp::kLt:
        return run([l](uint64_t u) { return UnZigZag64(u) < l; });
      case CompareOp::kLe:
        return run([l](uint64_t u) { return UnZigZag64(u) <= l; });
      case CompareOp::kGt:
        return run([l](uint64_t u) { return UnZigZag64(u) > l; });
      default:
        return run([l](uint64_t u) { return UnZigZag64(u) >= l; });
    }
  }
  // Status and kind: = and != of the enum's number.
  const bool eq = c.op == CompareOp::kEq;
  if (type == ValueType::kStatus) {
    return run([l, eq](uint64_t u) {
      const auto v =
          static_cast<int64_t>(u == 1   ? traceql::SpanStatus::kOk
                               : u == 2 ? traceql::SpanStatus::kError
                                        : traceql::SpanStatus::kUnset);
      return (v == l) == eq;
    });
  }
  return run([l, eq](uint64_t u) {
    const int32_t kd = static_cast<int32_t>(u);
    const auto v = static_cast<int64_t>(kd >= 0 && kd <= 5
                                            ? static_cast<traceql::SpanKind>(kd)
                                            : traceql::SpanKind::kUnspecified);
    return (v == l) == eq;
  });
}

}  // namespace andante::internal::scan
