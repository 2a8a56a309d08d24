// Fuzzes the legacy search parameters: the `tags=` logfmt parser and its
// TraceQL translation, then the v2 tag-name parser. Neither may crash;
// every accepted tags string must translate into a query the TraceQL parser
// accepts (the translation quotes keys and values itself), and every
// rejection is an INVALID_ARGUMENT with a message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "andante/search.h"
#include "andante/traceql.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (size > 4096) return 0;
  absl::StatusOr<std::string> text =
      andante::LegacyTagsToTraceQL(input, size % 3 ? 0 : 10, size % 5 ? 0 : 20);
  if (text.ok()) {
    absl::StatusOr<andante::traceql::Query> q =
        andante::traceql::Query::Parse(*text);
    // Keys and values are quoted, so only invalid UTF-8 (refused by the
    // lexer) may make the translation unparsable.
    if (!q.ok() && q.status().code() != absl::StatusCode::kInvalidArgument) {
      abort();
    }
  } else if (text.status().code() != absl::StatusCode::kInvalidArgument ||
             text.status().message().empty()) {
    abort();
  }
  absl::StatusOr<andante::TagName> tag = andante::TagName::Parse(input);
  if (!tag.ok() && tag.status().code() != absl::StatusCode::kInvalidArgument) {
    abort();
  }
  return 0;
}
