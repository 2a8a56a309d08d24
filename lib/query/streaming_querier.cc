#include "query/streaming_querier.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace andante::query {
namespace {

// Tempo's search API defaults for fields a gRPC request leaves at zero.
constexpr uint32_t kDefaultLimit = 20;
constexpr uint32_t kDefaultSpansPerSpanSet = 3;

// A logfmt token for `text`: always quoted, `"` and `\` escaped.
std::string Logfmt(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void AddRange(uint32_t start, uint32_t end, QueryParams* params) {
  if (start != 0) params->emplace_back("start", absl::StrCat(start));
  if (end != 0) params->emplace_back("end", absl::StrCat(end));
}

QueryParams SearchParams(const tempopb::SearchRequest& request) {
  QueryParams params;
  params.emplace_back("limit", absl::StrCat(request.limit() == 0
                                                ? kDefaultLimit
                                                : request.limit()));
  params.emplace_back("spss", absl::StrCat(request.spansperspanset() == 0
                                               ? kDefaultSpansPerSpanSet
                                               : request.spansperspanset()));
  AddRange(request.start(), request.end(), &params);
  if (!request.query().empty() ||
      (request.tags().empty() && request.mindurationms() == 0 &&
       request.maxdurationms() == 0)) {
    params.emplace_back("q", request.query());
    return params;
  }
  // Sorted, so the translated query does not depend on map order.
  std::vector<std::pair<std::string, std::string>> tags(
      request.tags().begin(), request.tags().end());
  std::sort(tags.begin(), tags.end());
  std::string logfmt;
  for (const auto& [k, v] : tags) {
    absl::StrAppend(&logfmt, logfmt.empty() ? "" : " ", Logfmt(k), "=",
                    Logfmt(v));
  }
  params.emplace_back("tags", std::move(logfmt));
  if (request.mindurationms() != 0) {
    params.emplace_back("minDuration",
                        absl::StrCat(request.mindurationms(), "ms"));
  }
  if (request.maxdurationms() != 0) {
    params.emplace_back("maxDuration",
                        absl::StrCat(request.maxdurationms(), "ms"));
  }
  return params;
}

QueryParams TagsParams(const tempopb::SearchTagsRequest& request) {
  QueryParams params;
  if (!request.scope().empty()) params.emplace_back("scope", request.scope());
  if (!request.query().empty()) params.emplace_back("q", request.query());
  if (request.maxtagsperscope() != 0) {
    params.emplace_back("limit", absl::StrCat(request.maxtagsperscope()));
  }
  AddRange(request.start(), request.end(), &params);
  return params;
}

QueryParams TagValuesParams(const tempopb::SearchTagValuesRequest& request) {
  QueryParams params;
  if (!request.query().empty()) params.emplace_back("q", request.query());
  if (request.maxtagvalues() != 0) {
    params.emplace_back("limit", absl::StrCat(request.maxtagvalues()));
  }
  AddRange(request.start(), request.end(), &params);
  return params;
}

}  // namespace

absl::Status StreamSearch(Store& store, const std::vector<std::string>& tenants,
                          const tempopb::SearchRequest& request,
                          const SearchSink& send) {
  absl::Time last_sent = absl::Now();
  bool gone = false;
  SearchSink partial = [&](const tempopb::SearchResponse& diff) {
    absl::Time now = absl::Now();
    if (diff.traces_size() == 0 && now - last_sent < kProgressInterval) {
      return true;
    }
    last_sent = now;
    if (!send(diff)) gone = true;
    return !gone;
  };
  tempopb::SearchResponse final_answer;
  absl::Status s =
      SearchProto(store, tenants, SearchParams(request), partial, &final_answer);
  if (gone) return absl::CancelledError("client went away");
  if (!s.ok()) return s;
  if (!send(final_answer)) return absl::CancelledError("client went away");
  return absl::OkStatus();
}

absl::Status SearchTags(Store& store, const std::vector<std::string>& tenants,
                        const tempopb::SearchTagsRequest& request,
                        tempopb::SearchTagsResponse* out) {
  return SearchTagsProto(store, tenants, TagsParams(request), out, nullptr);
}

absl::Status SearchTagsV2(Store& store, const std::vector<std::string>& tenants,
                          const tempopb::SearchTagsRequest& request,
                          tempopb::SearchTagsV2Response* out) {
  return SearchTagsProto(store, tenants, TagsParams(request), nullptr, out);
}

absl::Status SearchTagValues(Store& store,
                             const std::vector<std::string>& tenants,
                             const tempopb::SearchTagValuesRequest& request,
                             tempopb::SearchTagValuesResponse* out) {
  return SearchTagValuesProto(store, tenants, request.tagname(),
                              TagValuesParams(request), out, nullptr);
}

absl::Status SearchTagValuesV2(Store& store,
                               const std::vector<std::string>& tenants,
                               const tempopb::SearchTagValuesRequest& request,
                               tempopb::SearchTagValuesV2Response* out) {
  return SearchTagValuesProto(store, tenants, request.tagname(),
                              TagValuesParams(request), nullptr, out);
}

}  // namespace andante::query
