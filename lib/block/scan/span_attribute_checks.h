// The span-attribute prefilter of a v2 scan: a query's `span.key OP literal`
// conditions resolved against a page's dictionary (SpanCheck), and the walks
// over a page's span attribute column or key chunks that find the spans no
// check is certainly false for.
#ifndef ANDANTE_LIB_BLOCK_SCAN_SPAN_ATTRIBUTE_CHECKS_H_
#define ANDANTE_LIB_BLOCK_SCAN_SPAN_ATTRIBUTE_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/traceql.h"

namespace andante::internal::scan {

// One `span.key OP literal` check of the span-attribute prefilter, with
// key and string literal resolved to page dictionary indices.
struct SpanCheck {
  uint32_t key;  // page string index; UINT32_MAX: not in the page
  traceql::CompareOp op;
  bool is_string;
  int64_t i;
  uint32_t str;  // page string index of a string literal or UINT32_MAX
};
// More checks than this: the first ones only (fewer checks: still sound).
constexpr size_t kMaxSpanChecks = 32;

// Whether the prefilter can use condition `c`, and whether it needs the
// page's dictionary for it (a string literal).
bool IsSpanCheck(const traceql::Condition& c, bool* needs_strings);

// The prefilter's checks for `query`: its span_conditions() (which must all
// hold on one span) that IsSpanCheck accepts. key_index / string_index map a
// key / string literal to its page dictionary index (UINT32_MAX: absent).
// False if no condition applies.
template <typename KeyIndex, typename StringIndex>
bool BuildSpanChecks(const traceql::Query& query, KeyIndex key_index,
                     StringIndex string_index, std::vector<SpanCheck>* out) {
  out->clear();
  for (const traceql::Condition& c : query.span_conditions()) {
    bool needs_strings;
    if (!IsSpanCheck(c, &needs_strings)) continue;
    SpanCheck k{key_index(c.attribute.name), c.op, needs_strings,
                needs_strings ? 0 : c.literal.i,
                needs_strings ? string_index(c.literal.s) : UINT32_MAX};
    out->push_back(k);
    if (out->size() == kMaxSpanChecks) break;
  }
  return !out->empty();
}

// Walks a page's span attribute column (`span_count` spans; dictionary of
// `nstr` strings, or UINT64_MAX when the dictionary is not loaded) and calls
// on_pass(span) for each span no check is certainly false for: every key
// present with a value that may satisfy it (another value type than the
// literal's: left to the engine). on_pass returns false for a corrupt page.
absl::Status MarkSpans(std::string_view column, uint32_t span_count,
                       uint64_t nstr, const std::vector<SpanCheck>& checks,
                       absl::FunctionRef<bool(uint32_t)> on_pass);

// MarkSpans for a keyed page: `columns[j]` is the key chunk of checks[j]'s
// key. Walks only those chunks (each entry: span delta, value) and calls
// on_pass(span), once per span, in span order, for each span every check
// may hold for; stops early when on_pass returns false. `held` is scratch.
absl::Status MarkKeyedSpans(const std::vector<std::string_view>& columns,
                            uint32_t span_count, uint64_t nstr,
                            const std::vector<SpanCheck>& checks,
                            std::vector<uint32_t>* held,
                            absl::FunctionRef<bool(uint32_t)> on_pass);

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_SPAN_ATTRIBUTE_CHECKS_H_
