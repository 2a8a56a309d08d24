#include "block/scan/span_attribute_checks.h"

#include <algorithm>

#include "block/block_format.h"
#include "block/scan/varint.h"
#include "block/v2_page.h"

namespace andante::internal::scan {

using traceql::CompareOp;
using traceql::Condition;
using traceql::Scope;
using traceql::ValueType;

namespace {

// Reads one attribute value at *p (tag byte, then the value): the tag, and
// in *u a string index or zigzag int (0 for other tags). False if corrupt.
inline bool ReadValue(const char** p, const char* end, uint64_t nstr,
                      uint8_t* tag, uint64_t* u) {
  if (*p == end) return false;
  *tag = static_cast<uint8_t>(*(*p)++);
  *u = 0;
  switch (*tag) {
    case kV2String:
      return FastVarint(p, end, u) && *u < nstr;
    case kV2Int:
      return FastVarint(p, end, u);
    case kV2Bool:
      if (*p == end) return false;
      ++*p;
      return true;
    case kV2Double:
      if (end - *p < 8) return false;
      *p += 8;
      return true;
    case kV2Any: {
      uint64_t len;
      if (!FastVarint(p, end, &len) || len > static_cast<uint64_t>(end - *p)) {
        return false;
      }
      *p += len;
      return true;
    }
    case kV2NoValue:
      return true;
    default:
      return false;
  }
}

// Whether a value (tag, u as ReadValue gives them) of check k's key may
// satisfy it: another value type than the literal's is left to the engine.
inline bool CheckHolds(const SpanCheck& k, uint8_t tag, uint64_t u) {
  if (k.op == CompareOp::kPresent) return true;
  if (k.is_string) return tag != kV2String || u == k.str;
  if (tag != kV2Int) return true;
  const int64_t v = UnZigZag64(u);
  switch (k.op) {
    case CompareOp::kEq:
      return v == k.i;
    case CompareOp::kLt:
      return v < k.i;
    case CompareOp::kLe:
      return v <= k.i;
    case CompareOp::kGt:
      return v > k.i;
    default:
      return v >= k.i;
  }
}

absl::Status CorruptSpanAttributes() {
  return absl::DataLossError("v2 page: span attributes are corrupt");
}

}  // namespace

bool IsSpanCheck(const Condition& c, bool* needs_strings) {
  if (c.is_intrinsic || c.attribute.scope != Scope::kSpan) return false;
  *needs_strings = false;
  switch (c.op) {
    case CompareOp::kPresent:
      return true;
    case CompareOp::kEq:
      if (c.literal.type == ValueType::kString) {
        *needs_strings = true;
        return true;
      }
      return c.literal.type == ValueType::kInt;
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe:
      return c.literal.type == ValueType::kInt;
    default:
      return false;
  }
}

// MarkSpans decodes in place, with no per-span allocation: this loop is the
// whole cost of a page without candidates, so it stays out of line and branches
// on the common shapes (one-byte keys, string and int values) first.
[[gnu::noinline]] absl::Status MarkSpans(
    std::string_view column, uint32_t span_count, uint64_t nstr,
    const std::vector<SpanCheck>& checks,
    absl::FunctionRef<bool(uint32_t)> on_pass) {
  // A key the page lacks: no span can pass.
  uint64_t max_key = 0;
  for (const SpanCheck& k : checks) {
    if (k.key == UINT32_MAX) return absl::OkStatus();
    max_key = std::max<uint64_t>(max_key, k.key);
  }
  const SpanCheck* const first = checks.data();
  const size_t count = checks.size();
  const uint32_t all = count == 32 ? 0xffffffffu : (1u << count) - 1;
  const char* p = column.data();
  const char* const end = p + column.size();
  for (uint32_t span = 0; span < span_count; ++span) {
    uint64_t n;
    if (!FastVarint(&p, end, &n) || n > static_cast<uint64_t>(end - p) / 2) {
      return CorruptSpanAttributes();
    }
    uint32_t held = 0;  // bit j: checks[j] holds for this span
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t key, u;
      uint8_t tag;
      if (!FastVarint(&p, end, &key) || key >= nstr ||
          !ReadValue(&p, end, nstr, &tag, &u)) {
        return CorruptSpanAttributes();
      }
      // Most attributes are none of the checked keys.
      if (key > max_key) continue;
      for (size_t j = 0; j < count; ++j) {
        if (first[j].key == key && CheckHolds(first[j], tag, u)) {
          held |= 1u << j;
        }
      }
    }
    if (held == all && !on_pass(span)) return CorruptSpanAttributes();
  }
  if (p != end) return CorruptSpanAttributes();
  return absl::OkStatus();
}

[[gnu::noinline]] absl::Status MarkKeyedSpans(
    const std::vector<std::string_view>& columns, uint32_t span_count,
    uint64_t nstr, const std::vector<SpanCheck>& checks,
    std::vector<uint32_t>* held, absl::FunctionRef<bool(uint32_t)> on_pass) {
  const size_t count = checks.size();
  const uint32_t all = count == 32 ? 0xffffffffu : (1u << count) - 1;
  // One check: its passing spans as they come. More: a bit per check.
  if (count > 1) held->assign(span_count, 0);
  for (size_t j = 0; j < count; ++j) {
    const char* p = columns[j].data();
    const char* const end = p + columns[j].size();
    uint64_t key, span = 0, delta, u;
    uint64_t last = UINT64_MAX;  // the last span passed (one check)
    uint8_t tag;
    if (!FastVarint(&p, end, &key) || key != checks[j].key) {
      return CorruptSpanAttributes();
    }
    while (p != end) {
      if (!FastVarint(&p, end, &delta) || delta >= span_count - span ||
          !ReadValue(&p, end, nstr, &tag, &u)) {
        return CorruptSpanAttributes();
      }
      span += delta;
      if (!CheckHolds(checks[j], tag, u)) continue;
      if (count > 1) {
        (*held)[span] |= 1u << j;
      } else if (span != last) {
        last = span;
        if (!on_pass(static_cast<uint32_t>(span))) return absl::OkStatus();
      }
    }
  }
  if (count > 1) {
    for (uint32_t span = 0; span < span_count; ++span) {
      if ((*held)[span] == all && !on_pass(span)) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace andante::internal::scan
