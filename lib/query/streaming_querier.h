// Tempo's gRPC StreamingQuerier (tempopb.StreamingQuerier) as library
// functions: a request message in, the stream of answer messages out. The
// gRPC glue (server/streaming_querier_service.*) only moves them over a
// socket; this file has no sockets and no gRPC.
//
//   absl::Status s = andante::query::StreamSearch(
//       *store, {"single-tenant"}, request,
//       [&](const tempopb::SearchResponse& part) { return writer->Write(part); });
//
// Search answers progressive partial results, as Tempo does: after each
// stage (the live data, each complete block) a message with the matching
// traces not sent before and the work done so far (`metrics`, with
// completedJobs < totalJobs), then one final message with the complete
// result (at most `Limit` traces, newest first) and completedJobs ==
// totalJobs. A client that appends traces and deduplicates them by traceID
// (Grafana) ends with the final set plus any trace it was shown on the way.
// Partial messages without anything new are sent at most every
// kProgressInterval. Tags and tag values answer one message.
//
// Request fields follow the HTTP API: Limit 0 means 20, SpansPerSpanSet 0
// means 3, start/end are Unix seconds (0 = unbounded), Tags is the
// pre-TraceQL key/value search used when Query is empty, maxTagsPerScope and
// maxTagValues play the HTTP `limit` parameter. Errors have the HTTP API's
// wording and canonical codes (INVALID_ARGUMENT for bad TraceQL).
#ifndef ANDANTE_QUERY_STREAMING_QUERIER_H_
#define ANDANTE_QUERY_STREAMING_QUERIER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "andante/store.h"
#include "query/search_http.h"
#include "tempopb/tempo.pb.h"

namespace andante::query {

// Least time between two partial messages that add no trace.
inline constexpr absl::Duration kProgressInterval = absl::Milliseconds(200);

// StreamingQuerier/Search. `send` gets every message in order and returns
// false when the client has gone (the search is then cancelled: CANCELLED).
// `tenants`: one or more, results merged.
absl::Status StreamSearch(Store& store, const std::vector<std::string>& tenants,
                          const tempopb::SearchRequest& request,
                          const SearchSink& send);

// StreamingQuerier/SearchTags and SearchTagsV2 (one message each).
absl::Status SearchTags(Store& store, const std::vector<std::string>& tenants,
                        const tempopb::SearchTagsRequest& request,
                        tempopb::SearchTagsResponse* out);
absl::Status SearchTagsV2(Store& store, const std::vector<std::string>& tenants,
                          const tempopb::SearchTagsRequest& request,
                          tempopb::SearchTagsV2Response* out);

// StreamingQuerier/SearchTagValues and SearchTagValuesV2 (one message each).
absl::Status SearchTagValues(Store& store,
                             const std::vector<std::string>& tenants,
                             const tempopb::SearchTagValuesRequest& request,
                             tempopb::SearchTagValuesResponse* out);
absl::Status SearchTagValuesV2(Store& store,
                               const std::vector<std::string>& tenants,
                               const tempopb::SearchTagValuesRequest& request,
                               tempopb::SearchTagValuesV2Response* out);

}  // namespace andante::query

#endif  // ANDANTE_QUERY_STREAMING_QUERIER_H_
