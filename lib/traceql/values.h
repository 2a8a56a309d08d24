// TraceQL value semantics shared by constant folding and evaluation:
// comparisons and arithmetic with Tempo's typing and nil rules
// (shared/reference/traceql.md §3.3).
#ifndef ANDANTE_LIB_TRACEQL_VALUES_H_
#define ANDANTE_LIB_TRACEQL_VALUES_H_

#include "traceql/ast.h"

namespace andante::traceql::internal {

// `a op b` for a comparison op (kEq..kGe). Nil or mismatched types -> false.
bool CompareValues(BinOp op, const Val& a, const Val& b);

// `a op b` for an arithmetic op (kAdd..kPow). Nil/non-numeric -> nil.
// Integer division or modulo by zero sets *div_by_zero and returns nil.
Val Arithmetic(BinOp op, const Val& a, const Val& b, bool* div_by_zero);

// Owned copy of a runtime value.
Value ToValue(const Val& v);

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_VALUES_H_
