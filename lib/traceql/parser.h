// TraceQL parser: tokens -> validated QueryImpl (AST, attribute slots,
// columns and conditions).
#ifndef ANDANTE_LIB_TRACEQL_PARSER_H_
#define ANDANTE_LIB_TRACEQL_PARSER_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "traceql/ast.h"

namespace andante::traceql::internal {

// Parses and validates `text`. Errors are INVALID_ARGUMENT naming the
// position of the problem.
absl::StatusOr<std::unique_ptr<QueryImpl>> ParseQuery(std::string_view text);

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_PARSER_H_
