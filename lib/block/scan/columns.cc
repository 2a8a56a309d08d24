#include "block/scan/columns.h"

#include <algorithm>

namespace andante::internal::scan {

using traceql::Intrinsic;
using traceql::Scope;

uint32_t QueryColumnMask(const traceql::Query& query) {
  uint32_t mask = kCoreColumns;
  auto attribute = [&](const traceql::AttributeName& a) {
    switch (a.scope) {
      case Scope::kUnscoped:
      case Scope::kSpan:
        mask |= Bit(kV2SpanAttributes);
        break;
      case Scope::kEvent:
        mask |= Bit(kV2Events);
        break;
      case Scope::kLink:
        mask |= Bit(kV2Links);
        break;
      default:
        break;  // resources and scopes are always read
    }
  };
  auto intrinsic = [&](Intrinsic i) {
    switch (i) {
      case Intrinsic::kStatusMessage:
        mask |= Bit(kV2StatusMessages);
        break;
      case Intrinsic::kEventName:
      case Intrinsic::kEventTimeSinceStart:
        mask |= Bit(kV2Events);
        break;
      case Intrinsic::kLinkTraceId:
      case Intrinsic::kLinkSpanId:
        mask |= Bit(kV2Links);
        break;
      default:
        break;
    }
  };
  const traceql::QueryColumns& cols = query.columns();
  for (const auto& a : cols.attributes) attribute(a);
  for (const auto& a : cols.select_attributes) attribute(a);
  for (Intrinsic i : cols.intrinsics) intrinsic(i);
  for (Intrinsic i : cols.select_intrinsics) intrinsic(i);
  return mask;
}

std::vector<std::string> QuerySpanKeys(const traceql::Query& query) {
  std::vector<std::string> span_keys;
  for (const auto* list :
       {&query.columns().attributes, &query.columns().select_attributes}) {
    for (const traceql::AttributeName& a : *list) {
      if (a.scope == Scope::kSpan || a.scope == Scope::kUnscoped) {
        span_keys.push_back(a.name);
      }
    }
  }
  std::sort(span_keys.begin(), span_keys.end());
  span_keys.erase(std::unique(span_keys.begin(), span_keys.end()),
                  span_keys.end());
  return span_keys;
}

}  // namespace andante::internal::scan
