#include "query/search_http.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "andante/search.h"
#include "andante/traceql.h"
#include "google/protobuf/util/json_util.h"
#include "tempopb/tempo.pb.h"
#include "util/strings.h"

namespace andante::query {
namespace {

constexpr uint32_t kMaxLimit = 262144;
constexpr uint32_t kMaxSpss = 100;

HttpAnswer Error(int status, absl::string_view message) {
  HttpAnswer a;
  a.status = status;
  a.content_type = "text/plain; charset=utf-8";
  a.body = absl::StrCat(message, "\n");
  return a;
}

int HttpStatus(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kCancelled:
      return 499;
    default:
      return 500;
  }
}

std::optional<std::string> Param(const QueryParams& params,
                                 std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

// Unix seconds that must fit an int32 (strconv.ParseInt(s, 10, 32)).
absl::Status ParseSeconds(const QueryParams& params, std::string_view name,
                          int64_t* out) {
  *out = 0;
  std::optional<std::string> v = Param(params, name);
  if (!v.has_value() || v->empty()) return absl::OkStatus();
  int32_t n;
  if (absl::SimpleAtoi(*v, &n)) {
    *out = n;
    return absl::OkStatus();
  }
  int64_t wide;
  bool range = absl::SimpleAtoi(*v, &wide);
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid ", internal::ToAbsl(name), ": strconv.ParseInt: parsing \"", *v,
      range ? "\": value out of range" : "\": invalid syntax"));
}

absl::Status ParseRange(const QueryParams& params, int64_t* start,
                        int64_t* end) {
  absl::Status s = ParseSeconds(params, "start", start);
  if (s.ok()) s = ParseSeconds(params, "end", end);
  if (!s.ok()) return s;
  if (*start != 0 && *end != 0 && *end <= *start) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http parameter start must be before end. received start=", *start,
        " end=", *end));
  }
  return absl::OkStatus();
}

bool WantsProtobuf(std::string_view accept) {
  return absl::StrContains(internal::ToAbsl(accept), "application/protobuf");
}

// Serializes `msg`; `empty_list` names a repeated field that JSON shows as
// [] when empty, as Tempo's non-nil empty lists do.
HttpAnswer Answer(const google::protobuf::Message& msg, std::string_view accept,
                  std::string_view empty_list, bool list_empty) {
  HttpAnswer a;
  if (WantsProtobuf(accept)) {
    a.content_type = "application/protobuf";
    msg.SerializeToString(&a.body);
    return a;
  }
  a.content_type = "application/json";
  google::protobuf::util::JsonPrintOptions options;
  auto s = google::protobuf::util::MessageToJsonString(msg, &a.body, options);
  if (!s.ok()) return Error(500, std::string(s.message()));
  if (list_empty && !empty_list.empty()) {
    std::string field =
        absl::StrCat("\"", internal::ToAbsl(empty_list), "\":[]");
    a.body.insert(1, a.body.size() > 2 ? field + "," : field);
  }
  return a;
}

void SetAnyValue(const traceql::Value& v,
                 andante::otlp::common::v1::AnyValue* out) {
  switch (v.type) {
    case traceql::ValueType::kString:
      out->set_string_value(v.s);
      break;
    case traceql::ValueType::kInt:
      out->set_int_value(v.i);
      break;
    case traceql::ValueType::kFloat:
      out->set_double_value(v.f);
      break;
    case traceql::ValueType::kBool:
      out->set_bool_value(v.b);
      break;
    default:
      out->set_string_value(traceql::ValueToString(v));
  }
}

void AddAttributes(const std::vector<traceql::NamedValue>& in,
                   google::protobuf::RepeatedPtrField<
                       andante::otlp::common::v1::KeyValue>* out) {
  for (const traceql::NamedValue& nv : in) {
    auto* kv = out->Add();
    kv->set_key(nv.name);
    SetAnyValue(nv.value, kv->mutable_value());
  }
}

void ToProto(const SearchTrace& t, bool with_spansets,
             tempopb::TraceSearchMetadata* out) {
  out->set_traceid(t.trace_id_hex);
  out->set_rootservicename(t.root_service_name);
  out->set_roottracename(t.root_trace_name);
  out->set_starttimeunixnano(static_cast<uint64_t>(t.start_unix_nanos));
  out->set_durationms(t.duration_ms);
  if (with_spansets) {
    for (const SearchSpanSet& set : t.span_sets) {
      tempopb::SpanSet* ps = out->add_spansets();
      ps->set_matched(set.matched);
      AddAttributes(set.attributes, ps->mutable_attributes());
      for (const SearchSpan& span : set.spans) {
        tempopb::Span* sp = ps->add_spans();
        sp->set_spanid(span.span_id_hex);
        sp->set_name(span.name);
        sp->set_starttimeunixnano(static_cast<uint64_t>(span.start_unix_nanos));
        sp->set_durationnanos(static_cast<uint64_t>(span.duration_nanos));
        AddAttributes(span.attributes, sp->mutable_attributes());
      }
    }
    if (out->spansets_size() > 0) *out->mutable_spanset() = out->spansets(0);
  }
  for (const auto& [name, stats] : t.service_stats) {
    tempopb::ServiceStats& ps = (*out->mutable_servicestats())[name];
    ps.set_spancount(stats.span_count);
    ps.set_errorcount(stats.error_count);
  }
}

std::vector<std::string> TenantsOr(const std::vector<std::string>& tenants) {
  return tenants;
}

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

void Accumulate(const SearchMetrics& in, SearchMetrics* out) {
  out->inspected_traces += in.inspected_traces;
  out->inspected_bytes += in.inspected_bytes;
  out->inspected_spans += in.inspected_spans;
  out->total_blocks += in.total_blocks;
  out->total_block_bytes += in.total_block_bytes;
}

// Jobs, as Tempo counts them: one per stage (the live data of a tenant, each
// complete block); `done` marks every job completed. Until then at least one
// job is open: the final answer is the last one.
void FillSearchMetrics(const SearchMetrics& in, uint32_t stages_done, bool done,
                       tempopb::SearchMetrics* m) {
  m->set_inspectedtraces(in.inspected_traces);
  m->set_inspectedbytes(in.inspected_bytes);
  m->set_inspectedspans(in.inspected_spans);
  m->set_totalblocks(in.total_blocks);
  m->set_totalblockbytes(in.total_block_bytes);
  uint32_t total = std::max<uint32_t>(1, in.total_blocks + 1);
  m->set_totaljobs(total);
  m->set_completedjobs(done ? total : std::min(stages_done, total - 1));
}

}  // namespace

QueryParams ParseQueryString(std::string_view query) {
  QueryParams out;
  auto decode = [](std::string_view s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '+') {
        r.push_back(' ');
      } else if (c == '%' && i + 2 < s.size()) {
        int hi = absl::ascii_isxdigit(s[i + 1]) ? 1 : 0;
        int lo = absl::ascii_isxdigit(s[i + 2]) ? 1 : 0;
        if (hi && lo) {
          auto hex = [](char h) {
            return h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10;
          };
          r.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
          i += 2;
        } else {
          r.push_back(c);
        }
      } else {
        r.push_back(c);
      }
    }
    return r;
  };
  for (absl::string_view apart :
       absl::StrSplit(internal::ToAbsl(query), '&', absl::SkipEmpty())) {
    std::string_view part = internal::ToStd(apart);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(decode(part), "");
    } else {
      out.emplace_back(decode(part.substr(0, eq)), decode(part.substr(eq + 1)));
    }
  }
  return out;
}

absl::Status SearchProto(Store& store, const std::vector<std::string>& tenants,
                         const QueryParams& params, const SearchSink& partial,
                         tempopb::SearchResponse* out) {
  out->Clear();
  std::optional<std::string> q = Param(params, "q");
  std::optional<std::string> tags = Param(params, "tags");
  if (q.has_value() && tags.has_value()) {
    return Invalid(
                 "invalid request: can't specify tags and q in the same query");
  }
  SearchOptions options;
  if (std::optional<std::string> v = Param(params, "limit"); v && !v->empty()) {
    int64_t n;
    if (!absl::SimpleAtoi(*v, &n)) {
      return Invalid(absl::StrCat("invalid limit: strconv.Atoi: parsing \"",
                                     *v, "\": invalid syntax"));
    }
    if (n <= 0) return Invalid("invalid limit: must be a positive number");
    if (n > kMaxLimit) {
      return Invalid(
                   absl::StrCat("limit ", n, " exceeds max limit ", kMaxLimit));
    }
    options.limit = static_cast<uint32_t>(n);
  }
  if (std::optional<std::string> v = Param(params, "spss"); v && !v->empty()) {
    int64_t n;
    if (!absl::SimpleAtoi(*v, &n) || n < 0) {
      return Invalid(absl::StrCat("invalid spss: ", *v));
    }
    if (n > kMaxSpss) {
      return Invalid(absl::StrCat("spans per span set exceeds ", kMaxSpss,
                                     ". received ", n));
    }
    options.spans_per_spanset = static_cast<uint32_t>(n);
  }
  absl::Status s = ParseRange(params, &options.start_unix_seconds,
                              &options.end_unix_seconds);
  if (!s.ok()) return Invalid(s.message());
  if (options.start_unix_seconds != 0 && options.end_unix_seconds != 0 &&
      options.end_unix_seconds - options.start_unix_seconds > 168 * 3600) {
    return Invalid(absl::StrCat("range specified by start and end exceeds 168h0m0s. "
                          "received start=",
                          options.start_unix_seconds,
                          " end=", options.end_unix_seconds));
  }
  uint32_t min_ms = 0, max_ms = 0;
  for (auto [name, dst] :
       {std::pair<std::string_view, uint32_t*>{"minDuration", &min_ms},
        {"maxDuration", &max_ms}}) {
    std::optional<std::string> v = Param(params, name);
    if (!v.has_value() || v->empty()) continue;
    absl::Duration d;
    if (!absl::ParseDuration(*v, &d) || d < absl::ZeroDuration()) {
      return Invalid(absl::StrCat("invalid ", internal::ToAbsl(name),
                                     ": time: invalid duration \"", *v, "\""));
    }
    *dst = static_cast<uint32_t>(
        std::min<int64_t>(absl::ToInt64Milliseconds(d), UINT32_MAX));
  }
  if (max_ms != 0 && min_ms > max_ms) {
    return Invalid("invalid maxDuration: must be greater than minDuration");
  }

  std::string text;
  bool legacy = false;
  if (q.has_value()) {
    text = *q;
    if (text.empty()) text = "{}";
  } else {
    legacy = true;
    std::string tag_text = tags.value_or("");
    if (!tags.has_value() && !Param(params, "start") && !Param(params, "end")) {
      // Early Grafana: every unknown parameter is a tag.
      static const std::set<std::string, std::less<>> kKnown = {
          "limit", "spss", "minDuration", "maxDuration", "start", "end"};
      for (const auto& [k, v] : params) {
        if (kKnown.contains(k)) continue;
        absl::StrAppend(&tag_text, tag_text.empty() ? "" : " ", "\"", k,
                        "\"=\"", v, "\"");
      }
    }
    absl::StatusOr<std::string> translated =
        LegacyTagsToTraceQL(tag_text, min_ms, max_ms);
    if (!translated.ok()) return Invalid(translated.status().message());
    text = *translated;
  }
  absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
  if (!query.ok()) {
    return Invalid(
        absl::StrCat("invalid TraceQL query: ", query.status().message()));
  }

  SearchResult merged;
  // Streaming: each report sends the traces not sent before and the work
  // done so far over all tenants.
  absl::flat_hash_set<std::string> sent;
  uint32_t stages_done = 0;
  if (partial) {
    options.progress = [&](const SearchResult& so_far) {
      ++stages_done;
      tempopb::SearchResponse diff;
      for (const SearchTrace& t : so_far.traces) {
        if (sent.insert(t.trace_id_hex).second) {
          ToProto(t, !legacy, diff.add_traces());
        }
      }
      SearchMetrics m = merged.metrics;
      Accumulate(so_far.metrics, &m);
      FillSearchMetrics(m, stages_done, /*done=*/false, diff.mutable_metrics());
      return partial(diff);
    };
  }
  for (const std::string& tenant : TenantsOr(tenants)) {
    absl::StatusOr<SearchResult> r = store.Search(tenant, *query, options);
    if (!r.ok()) return r.status();
    Accumulate(r->metrics, &merged.metrics);
    for (SearchTrace& t : r->traces) merged.traces.push_back(std::move(t));
  }
  std::stable_sort(merged.traces.begin(), merged.traces.end(),
                   [](const SearchTrace& a, const SearchTrace& b) {
                     return a.start_unix_nanos > b.start_unix_nanos;
                   });
  if (merged.traces.size() > options.limit) merged.traces.resize(options.limit);

  for (const SearchTrace& t : merged.traces) {
    ToProto(t, !legacy, out->add_traces());
  }
  FillSearchMetrics(merged.metrics, stages_done, /*done=*/true,
                    out->mutable_metrics());
  return absl::OkStatus();
}

HttpAnswer HandleSearch(Store& store, const std::vector<std::string>& tenants,
                        const QueryParams& params, std::string_view accept) {
  tempopb::SearchResponse resp;
  absl::Status s = SearchProto(store, tenants, params, nullptr, &resp);
  if (!s.ok()) return Error(HttpStatus(s), s.message());
  return Answer(resp, accept, "traces", resp.traces_size() == 0);
}



namespace {

absl::StatusOr<TagScope> ParseScope(std::string_view s) {
  if (s.empty() || s == "none") return TagScope::kAll;
  if (s == "resource") return TagScope::kResource;
  if (s == "span") return TagScope::kSpan;
  if (s == "intrinsic") return TagScope::kIntrinsic;
  if (s == "event") return TagScope::kEvent;
  if (s == "link") return TagScope::kLink;
  if (s == "instrumentation") return TagScope::kInstrumentation;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid scope: ", internal::ToAbsl(s)));
}

const std::vector<std::string>& Intrinsics() {
  static const auto* const kList =
      new std::vector<std::string>{"duration",
                                   "name",
                                   "status",
                                   "statusMessage",
                                   "kind",
                                   "rootServiceName",
                                   "rootName",
                                   "traceDuration",
                                   "event:name",
                                   "event:timeSinceStart",
                                   "link:spanID",
                                   "link:traceID",
                                   "instrumentation:name",
                                   "instrumentation:version",
                                   "trace:id",
                                   "span:id",
                                   "span:parentID",
                                   "span:status",
                                   "span:statusMessage",
                                   "span:duration",
                                   "span:name",
                                   "span:kind",
                                   "trace:rootName",
                                   "trace:rootService",
                                   "trace:duration"};
  return *kList;
}

// limit parameter: 0 (absent or non-numeric) = unlimited.
size_t Limit(const QueryParams& params) {
  std::optional<std::string> v = Param(params, "limit");
  uint32_t n = 0;
  if (v.has_value() && absl::SimpleAtoi(*v, &n)) return n;
  return 0;
}

void Truncate(std::vector<std::string>* v, size_t limit) {
  if (limit != 0 && v->size() > limit) v->resize(limit);
}

tempopb::MetadataMetrics* FillMetrics(tempopb::MetadataMetrics* m,
                                      uint64_t bytes, uint32_t blocks) {
  m->set_inspectedbytes(bytes);
  m->set_totalblocks(blocks);
  m->set_totaljobs(1);
  m->set_completedjobs(1);
  return m;
}

}  // namespace

absl::Status SearchTagsProto(Store& store,
                             const std::vector<std::string>& tenants,
                             const QueryParams& params,
                             tempopb::SearchTagsResponse* v1_out,
                             tempopb::SearchTagsV2Response* v2_out) {
  const bool v2 = v2_out != nullptr;
  absl::StatusOr<TagScope> scope =
      ParseScope(Param(params, "scope").value_or(""));
  if (!scope.ok()) return scope.status();
  TagSearchOptions options;
  absl::Status s = ParseRange(params, &options.start_unix_seconds,
                              &options.end_unix_seconds);
  if (!s.ok()) return s;
  std::optional<traceql::Query> query;
  if (v2) {
    if (std::optional<std::string> q = Param(params, "q"); q && !q->empty()) {
      absl::StatusOr<traceql::Query> parsed = traceql::Query::Parse(*q);
      if (parsed.ok()) query = *std::move(parsed);  // unparsable: ignored
    }
  }
  if (query.has_value()) options.query = &*query;

  std::set<std::string> sets[5];
  uint64_t bytes = 0;
  uint32_t blocks = 0;
  for (const std::string& tenant : tenants) {
    absl::StatusOr<TagsResult> r = store.SearchTags(tenant, *scope, options);
    if (!r.ok()) return r.status();
    bytes += r->inspected_bytes;
    blocks += r->total_blocks;
    const std::vector<std::string>* ins[5] = {&r->resource, &r->span, &r->event,
                                              &r->link, &r->instrumentation};
    for (int i = 0; i < 5; ++i) sets[i].insert(ins[i]->begin(), ins[i]->end());
  }
  size_t limit = Limit(params);
  static const char* const kNames[5] = {"resource", "span", "event", "link",
                                        "instrumentation"};
  if (!v2) {
    std::set<std::string> all;
    if (*scope == TagScope::kIntrinsic) {
      all.insert(Intrinsics().begin(), Intrinsics().end());
    } else {
      for (const auto& set : sets) all.insert(set.begin(), set.end());
    }
    std::vector<std::string> names(all.begin(), all.end());
    Truncate(&names, limit);
    tempopb::SearchTagsResponse& resp = *v1_out;
    resp.Clear();
    for (std::string& n : names) resp.add_tagnames(std::move(n));
    FillMetrics(resp.mutable_metrics(), bytes, blocks);
    return absl::OkStatus();
  }
  tempopb::SearchTagsV2Response& resp = *v2_out;
  resp.Clear();
  for (int i = 0; i < 5; ++i) {
    bool always =
        i < 2 && (*scope == TagScope::kAll ||
                  *scope == (i == 0 ? TagScope::kResource : TagScope::kSpan));
    if (sets[i].empty() && !always) continue;
    std::vector<std::string> names(sets[i].begin(), sets[i].end());
    Truncate(&names, limit);
    tempopb::SearchTagsV2Scope* sc = resp.add_scopes();
    sc->set_name(kNames[i]);
    for (std::string& n : names) sc->add_tags(std::move(n));
  }
  if (*scope == TagScope::kAll || *scope == TagScope::kIntrinsic) {
    std::vector<std::string> names = Intrinsics();
    Truncate(&names, limit);
    tempopb::SearchTagsV2Scope* sc = resp.add_scopes();
    sc->set_name("intrinsic");
    for (std::string& n : names) sc->add_tags(std::move(n));
  }
  FillMetrics(resp.mutable_metrics(), bytes, blocks);
  return absl::OkStatus();
}

HttpAnswer HandleSearchTags(Store& store,
                            const std::vector<std::string>& tenants,
                            const QueryParams& params, std::string_view accept,
                            bool v2) {
  if (v2) {
    tempopb::SearchTagsV2Response resp;
    absl::Status s = SearchTagsProto(store, tenants, params, nullptr, &resp);
    if (!s.ok()) return Error(HttpStatus(s), s.message());
    return Answer(resp, accept, "scopes", resp.scopes_size() == 0);
  }
  tempopb::SearchTagsResponse resp;
  absl::Status s = SearchTagsProto(store, tenants, params, &resp, nullptr);
  if (!s.ok()) return Error(HttpStatus(s), s.message());
  return Answer(resp, accept, "tagNames", resp.tagnames_size() == 0);
}

namespace {

std::string TypeName(traceql::ValueType t) {
  switch (t) {
    case traceql::ValueType::kInt:
      return "int";
    case traceql::ValueType::kFloat:
      return "float";
    case traceql::ValueType::kBool:
      return "bool";
    case traceql::ValueType::kDuration:
      return "duration";
    case traceql::ValueType::kStatus:
    case traceql::ValueType::kKind:
      return "keyword";
    default:
      return "string";
  }
}

}  // namespace

absl::Status SearchTagValuesProto(Store& store,
                                  const std::vector<std::string>& tenants,
                                  std::string_view tag_text,
                                  const QueryParams& params,
                                  tempopb::SearchTagValuesResponse* v1_out,
                                  tempopb::SearchTagValuesV2Response* v2_out) {
  const bool v2 = v2_out != nullptr;
  if (tag_text.empty()) return Invalid("please provide a non-empty tagName");
  TagSearchOptions options;
  absl::Status s = ParseRange(params, &options.start_unix_seconds,
                              &options.end_unix_seconds);
  if (!s.ok()) return s;
  TagName tag;
  if (v2) {
    absl::StatusOr<TagName> parsed = TagName::Parse(tag_text);
    if (!parsed.ok()) return parsed.status();
    tag = *parsed;
  } else {
    tag.attribute.scope = traceql::Scope::kUnscoped;
    tag.attribute.name = std::string(tag_text);
  }
  std::optional<traceql::Query> query;
  if (v2) {
    if (std::optional<std::string> q = Param(params, "q"); q && !q->empty()) {
      absl::StatusOr<traceql::Query> parsed = traceql::Query::Parse(*q);
      if (parsed.ok()) query = *std::move(parsed);  // unparsable: unfiltered
    }
  }
  if (query.has_value()) options.query = &*query;

  std::vector<traceql::Value> values;
  uint64_t bytes = 0;
  uint32_t blocks = 0;
  using traceql::Intrinsic;
  bool fixed = tag.is_intrinsic && (tag.intrinsic == Intrinsic::kStatus ||
                                    tag.intrinsic == Intrinsic::kKind);
  bool none = tag.is_intrinsic && (tag.intrinsic == Intrinsic::kDuration ||
                                   tag.intrinsic == Intrinsic::kTraceDuration);
  if (fixed) {
    // Tempo lists every keyword of the enum.
    const int n = tag.intrinsic == Intrinsic::kStatus ? 3 : 6;
    static const int kStatusOrder[] = {1, 2, 0};  // ok, error, unset
    static const int kKindOrder[] = {3, 2, 4, 5, 1, 0};
    for (int i = 0; i < n; ++i) {
      traceql::Value v;
      v.type = tag.intrinsic == Intrinsic::kStatus ? traceql::ValueType::kStatus
                                                   : traceql::ValueType::kKind;
      v.i =
          tag.intrinsic == Intrinsic::kStatus ? kStatusOrder[i] : kKindOrder[i];
      values.push_back(v);
    }
  } else if (!none) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const std::string& tenant : tenants) {
      absl::StatusOr<TagValuesResult> r =
          store.SearchTagValues(tenant, tag, options);
      if (!r.ok()) return r.status();
      bytes += r->inspected_bytes;
      blocks += r->total_blocks;
      for (traceql::Value& v : r->values) {
        if (seen.emplace(TypeName(v.type), traceql::ValueToString(v)).second) {
          values.push_back(std::move(v));
        }
      }
    }
  }
  size_t limit = Limit(params);
  if (limit != 0 && values.size() > limit) values.resize(limit);
  if (!v2) {
    std::set<std::string> strings;
    for (const traceql::Value& v : values) {
      strings.insert(traceql::ValueToString(v));
    }
    if (tag_text == "status.code") strings.insert({"unset", "ok", "error"});
    if (tag_text == "error") strings.insert("true");
    tempopb::SearchTagValuesResponse& resp = *v1_out;
    resp.Clear();
    for (const std::string& v : strings) resp.add_tagvalues(v);
    FillMetrics(resp.mutable_metrics(), bytes, blocks);
    return absl::OkStatus();
  }
  tempopb::SearchTagValuesV2Response& resp = *v2_out;
  resp.Clear();
  for (const traceql::Value& v : values) {
    tempopb::TagValue* tv = resp.add_tagvalues();
    tv->set_type(TypeName(v.type));
    tv->set_value(traceql::ValueToString(v));
  }
  FillMetrics(resp.mutable_metrics(), bytes, blocks);
  return absl::OkStatus();
}

HttpAnswer HandleSearchTagValues(Store& store,
                                 const std::vector<std::string>& tenants,
                                 std::string_view tag_text,
                                 const QueryParams& params,
                                 std::string_view accept, bool v2) {
  if (v2) {
    tempopb::SearchTagValuesV2Response resp;
    absl::Status s =
        SearchTagValuesProto(store, tenants, tag_text, params, nullptr, &resp);
    if (!s.ok()) return Error(HttpStatus(s), s.message());
    return Answer(resp, accept, "tagValues", resp.tagvalues_size() == 0);
  }
  tempopb::SearchTagValuesResponse resp;
  absl::Status s =
      SearchTagValuesProto(store, tenants, tag_text, params, &resp, nullptr);
  if (!s.ok()) return Error(HttpStatus(s), s.message());
  return Answer(resp, accept, "tagValues", resp.tagvalues_size() == 0);
}


}  // namespace andante::query
