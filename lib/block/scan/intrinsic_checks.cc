#include "block/scan/intrinsic_checks.h"

#include <string_view>

#include "block/block_format.h"

namespace andante::internal::scan {

using traceql::CompareOp;
using traceql::Condition;
using traceql::Intrinsic;
using traceql::ValueType;

bool MarkIntrinsic(const Condition& c, const V2Page& page,
                   std::vector<uint8_t>* candidate) {
  uint32_t column;
  ValueType type;
  switch (c.intrinsic) {
    case Intrinsic::kStatus:
      column = kV2StatusCodes;
      type = ValueType::kStatus;
      break;
    case Intrinsic::kKind:
      column = kV2Kinds;
      type = ValueType::kKind;
      break;
    case Intrinsic::kDuration:
      column = kV2Durations;
      type = ValueType::kDuration;
      break;
    default:
      return true;
  }
  // The ordered comparisons (kEq..kGe), and only = and != for enums.
  static_assert(CompareOp::kGe > CompareOp::kEq &&
                CompareOp::kRegex > CompareOp::kGe);
  const CompareOp last =
      type == ValueType::kDuration ? CompareOp::kGe : CompareOp::kNe;
  if (c.literal.type != type || c.op > last) return true;
  std::string_view in = page.raw[column];
  for (uint32_t i = 0; i < page.span_count; ++i) {
    uint64_t u;
    if (!GetVarint64(&in, &u)) return false;
    int64_t v;
    if (type == ValueType::kDuration) {
      v = UnZigZag64(u);
    } else if (type == ValueType::kStatus) {
      v = static_cast<int64_t>(u == 1   ? traceql::SpanStatus::kOk
                               : u == 2 ? traceql::SpanStatus::kError
                                        : traceql::SpanStatus::kUnset);
    } else {
      const int32_t kd = static_cast<int32_t>(u);
      v = static_cast<int64_t>(kd >= 0 && kd <= 5
                                   ? static_cast<traceql::SpanKind>(kd)
                                   : traceql::SpanKind::kUnspecified);
    }
    const int64_t l = c.literal.i;
    bool holds;
    switch (c.op) {
      case CompareOp::kEq:
        holds = v == l;
        break;
      case CompareOp::kNe:
        holds = v != l;
        break;
      case CompareOp::kLt:
        holds = v < l;
        break;
      case CompareOp::kLe:
        holds = v <= l;
        break;
      case CompareOp::kGt:
        holds = v > l;
        break;
      default:
        holds = v >= l;
        break;
    }
    if (!holds) (*candidate)[i] = 0;
  }
  return true;
}

}  // namespace andante::internal::scan
