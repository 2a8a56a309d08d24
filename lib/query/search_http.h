// The HTTP handlers of Tempo's search API, as library functions: given the
// decoded query parameters, the tenants and the Accept header, they answer
// a status and a body. The server only routes to them.
//
//   andante::query::HttpAnswer answer = andante::query::HandleSearch(
//       *store, {"single-tenant"}, andante::query::ParseQueryString(raw),
//       accept_header);
//   respond(answer.status, answer.content_type, answer.body);
//
// Bodies are tempopb messages (protobuf when Accept contains
// application/protobuf, otherwise proto3 JSON); errors are text/plain with
// Tempo's wording and a trailing newline.
#ifndef ANDANTE_QUERY_SEARCH_HTTP_H_
#define ANDANTE_QUERY_SEARCH_HTTP_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "andante/store.h"

namespace andante::query {

struct HttpAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Query parameters in order, percent- and '+'-decoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits and decodes a raw query string (`a=1&b=x%20y`).
QueryParams ParseQueryString(std::string_view query);

// GET /api/search. `tenants`: one or more tenant IDs, results merged.
HttpAnswer HandleSearch(Store& store, const std::vector<std::string>& tenants,
                        const QueryParams& params, std::string_view accept);

// GET /api/search/tags (v2 = false) and /api/v2/search/tags.
HttpAnswer HandleSearchTags(Store& store,
                            const std::vector<std::string>& tenants,
                            const QueryParams& params, std::string_view accept,
                            bool v2);

// GET /api/search/tag/<tag>/values and /api/v2/search/tag/<tag>/values;
// `tag` is the (decoded) path segment.
HttpAnswer HandleSearchTagValues(Store& store,
                                 const std::vector<std::string>& tenants,
                                 std::string_view tag,
                                 const QueryParams& params,
                                 std::string_view accept, bool v2);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_SEARCH_HTTP_H_
