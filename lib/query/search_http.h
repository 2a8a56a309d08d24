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

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "andante/store.h"

namespace andante::tempopb {
class SearchResponse;
class SearchTagsResponse;
class SearchTagsV2Response;
class SearchTagValuesResponse;
class SearchTagValuesV2Response;
}  // namespace andante::tempopb

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

// The same answers as tempopb messages, for the HTTP handlers above and the
// gRPC StreamingQuerier (query/streaming_querier.h). Errors carry the HTTP
// handlers' wording; INVALID_ARGUMENT for bad parameters or TraceQL.

// Receives a partial search answer while the search runs: the traces not
// sent before and the work done so far. Returns false to cancel.
using SearchSink = std::function<bool(const tempopb::SearchResponse&)>;

// /api/search. `partial`, if set, is called after each stage (live data,
// each block); *out is the complete final answer.
absl::Status SearchProto(Store& store, const std::vector<std::string>& tenants,
                         const QueryParams& params, const SearchSink& partial,
                         tempopb::SearchResponse* out);

// /api/search/tags (fills *v1_out) or /api/v2/search/tags (*v2_out);
// exactly one of them is non-null.
absl::Status SearchTagsProto(Store& store,
                             const std::vector<std::string>& tenants,
                             const QueryParams& params,
                             tempopb::SearchTagsResponse* v1_out,
                             tempopb::SearchTagsV2Response* v2_out);

// /api/search/tag/<tag>/values (*v1_out) or the v2 form (*v2_out); exactly
// one of them is non-null.
absl::Status SearchTagValuesProto(Store& store,
                                  const std::vector<std::string>& tenants,
                                  std::string_view tag,
                                  const QueryParams& params,
                                  tempopb::SearchTagValuesResponse* v1_out,
                                  tempopb::SearchTagValuesV2Response* v2_out);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_SEARCH_HTTP_H_
