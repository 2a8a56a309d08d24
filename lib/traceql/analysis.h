// TraceQL query analysis, after parsing: the columns a query reads, the
// per-span conditions Tempo's storage layer derives from it (reference §3.5),
// AND/OR candidate mode, the trace-level prefilter and the attributes
// reported on returned spans.
#ifndef ANDANTE_LIB_TRACEQL_ANALYSIS_H_
#define ANDANTE_LIB_TRACEQL_ANALYSIS_H_

#include "traceql/ast.h"

namespace andante::traceql::internal {

// Fills q's columns, conditions, condition_exprs, candidate mode flags,
// prefilter lists, string literal and regex slots, and reported_exprs.
// REQUIRES: q->root set; called once.
void AnalyzeQuery(QueryImpl* q);

// Whether expression `expr` reads an attribute or intrinsic.
bool ReferencesSpan(const QueryImpl& q, int expr);

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_ANALYSIS_H_
