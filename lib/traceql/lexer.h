// TraceQL lexer: text -> tokens, following Tempo's rules (Go scanner tokens
// plus an attribute mode after scope prefixes). See
// shared/reference/traceql.md §1.
#ifndef ANDANTE_LIB_TRACEQL_LEXER_H_
#define ANDANTE_LIB_TRACEQL_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/traceql.h"

namespace andante::traceql::internal {

enum class Tok : uint8_t {
  kEof,
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kComma,
  // Operators.
  kEq,
  kNe,
  kGt,
  kGe,
  kLt,
  kLe,
  kRegex,
  kNotRegex,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAnd,
  kOr,
  kNot,
  kPipe,
  kDesc,
  kAnc,
  kSibling,  // >> << ~
  kNotChild,
  kNotParent,
  kNotDesc,
  kNotAnc,  // !> !< !>> !<<
  kUnionChild,
  kUnionParent,
  kUnionDesc,
  kUnionAnc,
  kUnionSibling,  // &> &< &>> &<< &~
  // Literals.
  kInt,
  kFloat,
  kDuration,
  kString,
  kTrue,
  kFalse,
  kNil,
  kStatusValue,  // ok error unset (int_value = SpanStatus)
  kKindValue,    // unspecified ... consumer (int_value = SpanKind)
  // Names.
  kAttribute,        // scoped/unscoped attribute; scope + text
  kIntrinsic,        // legacy intrinsic keyword; intrinsic
  kScopedIntrinsic,  // span:x trace:x ...; intrinsic
  kParentAttribute,  // parent.x (parses, rejected by validation)
  kKeyword,          // other keywords (count avg by ...); text
  kIdent,            // bare identifier; text
};

struct Token {
  Tok type = Tok::kEof;
  uint32_t offset = 0;     // byte offset of the first character
  uint32_t end = 0;        // byte offset one past the last character
  std::string text;        // identifier/keyword/attribute name/string value
  int64_t int_value = 0;   // kInt, kDuration (ns), kStatusValue, kKindValue
  double float_value = 0;  // kFloat
  Scope scope = Scope::kUnscoped;          // kAttribute
  Intrinsic intrinsic = Intrinsic::kName;  // kIntrinsic, kScopedIntrinsic
};

// Human-readable token description for error messages.
std::string DescribeToken(const Token& token);

// Formats "line L, col C" for a byte offset of `text`.
std::string Position(std::string_view text, uint32_t offset);

// Splits `text` into tokens ending with kEof. Errors are INVALID_ARGUMENT
// "parse error at line L, col C: ...".
absl::StatusOr<std::vector<Token>> Lex(std::string_view text);

// Parses a duration literal the way Tempo does (Prometheus syntax, then Go
// syntax). Returns false if neither accepts it.
bool ParseDurationText(std::string_view text, int64_t* nanos);

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_LEXER_H_
