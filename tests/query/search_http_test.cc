// The search and tags HTTP handlers (lib/query/search_http.h) over a real
// Store: status codes and Tempo's error wording, JSON shape details, the
// protobuf form, and a strict proto3 JSON check of every JSON response with
// Debian's python3-protobuf (json_format.Parse, unknown fields refused)
// against the tempopb messages compiled from lib/proto.
#include "query/search_http.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "andante/backend.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tempopb/tempo.pb.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante::query {
namespace {

using json = nlohmann::json;
using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::testing::HasSubstr;

constexpr uint64_t kBase = 1'700'000'000'000'000'000ull;

class SearchHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new testing::TempDir("andante-search-http");
    StoreOptions options =
        testing::TestStoreOptions(tmp_->path(), OpenMemoryBackend());
    auto store = Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = store->release();
    std::mt19937_64 rng(11);
    for (int i = 0; i < 30; ++i) {
      ExportTraceServiceRequest req;
      auto* rs = testing::AddResource(req, i % 2 ? "cart" : "shop-backend");
      // A small trace ID (leading zeros) for the first trace.
      TraceId id = i == 0
                       ? *TraceId::FromHex("000000000000000000000000000abcde")
                       : testing::RandomTraceId(rng);
      SpanId root = testing::RandomSpanId(rng);
      testing::AddSpan(rs, id, root, "GET /checkout",
                       kBase + i * 1'000'000'000ull, 300'000'000);
      auto* c =
          testing::AddSpan(rs, id, testing::RandomSpanId(rng), "charge",
                           kBase + i * 1'000'000'000ull + 1000, 200'000'000);
      c->set_parent_span_id(root.ToBytes());
      auto* a = c->add_attributes();
      a->set_key("http.status_code");
      a->mutable_value()->set_int_value(i % 3 == 0 ? 500 : 200);
      auto* f = c->add_attributes();
      f->set_key("ratio");
      f->mutable_value()->set_double_value(0.25 * i);
      if (i % 3 == 0) {
        c->mutable_status()->set_code(
            andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
      }
      auto* ev = c->add_events();
      ev->set_name("retry");
      ev->set_time_unix_nano(kBase + i * 1'000'000'000ull + 5000);
      auto* ea = ev->add_attributes();
      ea->set_key("attempt");
      ea->mutable_value()->set_int_value(2);
      ASSERT_TRUE(store_->Push(kSingleTenant, req).ok());
      if (i == 14) {
        ASSERT_TRUE(store_->Flush().ok());  // half in a block
      }
    }
  }
  static void TearDownTestSuite() {
    delete store_;
    delete tmp_;
  }

  // Runs a handler; message_ names the tempopb message its JSON body must be.
  HttpAnswer Get(std::string_view path, std::string_view query,
                 std::string_view accept = "") {
    QueryParams params = ParseQueryString(query);
    std::vector<std::string> tenants = {std::string(kSingleTenant)};
    HttpAnswer a;
    std::string message;
    if (path == "/api/search") {
      a = HandleSearch(*store_, tenants, params, accept);
      message = "SearchResponse";
    } else if (path == "/api/search/tags" || path == "/api/v2/search/tags") {
      bool v2 = path == "/api/v2/search/tags";
      a = HandleSearchTags(*store_, tenants, params, accept, v2);
      message = v2 ? "SearchTagsV2Response" : "SearchTagsResponse";
    } else {
      bool v2 = path.rfind("/api/v2/", 0) == 0;
      std::string_view tag = path.substr(v2 ? 19 : 16);
      tag.remove_suffix(7);  // "/values"
      a = HandleSearchTagValues(*store_, tenants, tag, params, accept, v2);
      message = v2 ? "SearchTagValuesV2Response" : "SearchTagValuesResponse";
    }
    message_ = message;
    return a;
  }

  static testing::TempDir* tmp_;
  static Store* store_;
  std::string message_;  // the tempopb message the last Get answered with
};

testing::TempDir* SearchHttpTest::tmp_ = nullptr;
Store* SearchHttpTest::store_ = nullptr;

TEST_F(SearchHttpTest, SearchJsonShape) {
  HttpAnswer a = Get("/api/search",
                     "q=%7B+span.http.status_code+%3D+500+%7D&limit=3&spss=1");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, "application/json");
  json j = json::parse(a.body);
  ASSERT_EQ(j["traces"].size(), 3u);
  // Newest first: traces 27, 24, 21 (every third has status code 500).
  EXPECT_EQ(j["traces"][0]["startTimeUnixNano"],
            std::to_string(kBase + 27'000'000'000ull));
  EXPECT_EQ(j["traces"][1]["startTimeUnixNano"],
            std::to_string(kBase + 24'000'000'000ull));
  const json& t = j["traces"][0];
  EXPECT_EQ(t["rootServiceName"], "cart");
  EXPECT_EQ(t["rootTraceName"], "GET /checkout");
  EXPECT_EQ(t["durationMs"], 300);
  EXPECT_EQ(t["spanSet"], t["spanSets"][0]);
  EXPECT_EQ(t["spanSets"][0]["matched"], 1);
  EXPECT_EQ(t["spanSets"][0]["spans"][0]["name"], "charge");
  EXPECT_EQ(t["spanSets"][0]["spans"][0]["spanID"].get<std::string>().size(),
            16u);
  EXPECT_EQ(t["spanSets"][0]["spans"][0]["durationNanos"], "200000000");
  EXPECT_EQ(t["serviceStats"]["cart"]["spanCount"], 2);
  EXPECT_EQ(t["serviceStats"]["cart"]["errorCount"], 1);
  EXPECT_TRUE(j["metrics"]["inspectedBytes"].is_string());
  EXPECT_TRUE(j["metrics"]["inspectedSpans"].is_string());
  EXPECT_GT(j["metrics"]["inspectedTraces"].get<int>(), 0);
}

TEST_F(SearchHttpTest, TraceIdWithoutLeadingZeros) {
  HttpAnswer a = Get("/api/search", "q=%7B%7D&limit=100");
  ASSERT_EQ(a.status, 200) << a.body;
  json j = json::parse(a.body);
  EXPECT_EQ(j["traces"].size(), 30u);
  bool found = false;
  for (const json& t : j["traces"]) found |= t["traceID"] == "abcde";
  EXPECT_TRUE(found);
}

TEST_F(SearchHttpTest, DefaultLimitIs20AndEmptyResultHasTraces) {
  json j = json::parse(Get("/api/search", "q=%7B%7D").body);
  EXPECT_EQ(j["traces"].size(), 20u);
  HttpAnswer none = Get("/api/search", "q=%7B+name+%3D+%22nope%22+%7D");
  ASSERT_EQ(none.status, 200);
  EXPECT_THAT(none.body, HasSubstr("\"traces\":[]"));
}

TEST_F(SearchHttpTest, PipelineAttributes) {
  HttpAnswer a =
      Get("/api/search",
          "q=%7B+%7D+%7C+by(resource.service.name)+%7C+count()+%3E+0&limit=2");
  ASSERT_EQ(a.status, 200) << a.body;
  json j = json::parse(a.body);
  ASSERT_FALSE(j["traces"].empty());
  EXPECT_FALSE(j["traces"][0]["spanSets"][0]["attributes"].empty()) << a.body;
}

TEST_F(SearchHttpTest, LegacyTagsSearch) {
  HttpAnswer a = Get("/api/search",
                     "tags=service.name%3Dcart+http.status_code%3D500&"
                     "minDuration=100ms&limit=50");
  ASSERT_EQ(a.status, 200) << a.body;
  json j = json::parse(a.body);
  EXPECT_EQ(j["traces"].size(), 5u);  // odd i (cart) and i % 3 == 0
  for (const json& t : j["traces"]) EXPECT_FALSE(t.contains("spanSets"));
}

TEST_F(SearchHttpTest, Errors) {
  HttpAnswer a = Get("/api/search", "q=%7B+.a+%3D+%7D");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(a.body,
              HasSubstr("invalid TraceQL query: parse error at line 1"));
  EXPECT_EQ(a.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Get("/api/search", "q=%7B%7D&tags=a%3Db").body,
            "invalid request: can't specify tags and q in the same query\n");
  EXPECT_EQ(Get("/api/search", "limit=0").body,
            "invalid limit: must be a positive number\n");
  EXPECT_EQ(Get("/api/search", "spss=101").body,
            "spans per span set exceeds 100. received 101\n");
  EXPECT_EQ(
      Get("/api/search", "start=20&end=10").body,
      "http parameter start must be before end. received start=20 end=10\n");
  EXPECT_EQ(Get("/api/search", "start=1700000000000").status, 400);
  EXPECT_EQ(Get("/api/search", "minDuration=2s&maxDuration=1s").body,
            "invalid maxDuration: must be greater than minDuration\n");
  EXPECT_EQ(Get("/api/search/tags", "scope=bogus").body,
            "invalid scope: bogus\n");
  EXPECT_EQ(Get("/api/v2/search/tag/%7B/values", "").status, 400);
}

TEST_F(SearchHttpTest, Protobuf) {
  HttpAnswer a = Get("/api/search", "q=%7B%7D&limit=5",
                     "application/json, application/protobuf");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "application/protobuf");
  tempopb::SearchResponse resp;
  ASSERT_TRUE(resp.ParseFromString(a.body));
  EXPECT_EQ(resp.traces_size(), 5);
  EXPECT_GT(resp.metrics().inspectedspans(), 0u);
}

TEST_F(SearchHttpTest, Tags) {
  json v1 = json::parse(Get("/api/search/tags", "").body);
  EXPECT_EQ(v1["tagNames"], json({"attempt", "http.method", "http.status_code",
                                  "ratio", "service.name"}));
  json v2 = json::parse(Get("/api/v2/search/tags", "").body);
  std::map<std::string, json> scopes;
  for (const json& s : v2["scopes"]) scopes[s["name"]] = s["tags"];
  EXPECT_EQ(scopes["resource"], json({"service.name"}));
  EXPECT_EQ(scopes["span"], json({"http.method", "http.status_code", "ratio"}));
  EXPECT_EQ(scopes["event"], json({"attempt"}));
  EXPECT_TRUE(scopes.count("intrinsic"));
  json span_only = json::parse(Get("/api/v2/search/tags", "scope=span").body);
  ASSERT_EQ(span_only["scopes"].size(), 1u);
  // Narrowed by a query: no span of service "nope".
  json narrowed = json::parse(
      Get("/api/v2/search/tags",
          "scope=span&q=%7B+resource.service.name+%3D+%22nope%22+%7D")
          .body);
  EXPECT_TRUE(narrowed["scopes"][0]["tags"].is_null() ||
              narrowed["scopes"][0]["tags"].empty());
}

TEST_F(SearchHttpTest, TagValues) {
  json v1 = json::parse(Get("/api/search/tag/service.name/values", "").body);
  EXPECT_EQ(v1["tagValues"], json({"cart", "shop-backend"}));
  json v2 = json::parse(
      Get("/api/v2/search/tag/span.http.status_code/values", "").body);
  EXPECT_EQ(
      v2["tagValues"],
      json::parse(
          R"([{"type":"int","value":"200"},{"type":"int","value":"500"}])"));
  json status = json::parse(Get("/api/v2/search/tag/status/values", "").body);
  EXPECT_EQ(status["tagValues"].size(), 3u);
  EXPECT_EQ(status["tagValues"][0]["type"], "keyword");
  json dur = json::parse(Get("/api/v2/search/tag/duration/values", "").body);
  EXPECT_EQ(dur["tagValues"], json::array());
  json ratio = json::parse(Get("/api/v2/search/tag/.ratio/values",
                               "q=%7B+span.http.status_code+%3D+500+%7D")
                               .body);
  EXPECT_EQ(ratio["tagValues"].size(), 10u);  // i % 3 == 0 of 30
  EXPECT_EQ(ratio["tagValues"][0]["type"], "float");
  json names = json::parse(Get("/api/v2/search/tag/name/values", "").body);
  EXPECT_EQ(names["tagValues"].size(), 2u);
}

// Last (gtest runs tests in order within a file): every JSON body the other
// tests produced parses strictly.
// Every JSON shape the handlers produce (search with and without span sets,
// metrics and pipelines, the legacy tags form, tags and tag values v1 and v2
// with and without a query), parsed by protobuf's strict proto3 JSON parser.
TEST_F(SearchHttpTest, EveryJsonResponseParsesStrictly) {
  const std::pair<std::string_view, std::string_view> kRequests[] = {
      {"/api/search", "q=%7B+span.http.status_code+%3D+500+%7D&limit=3&spss=1"},
      {"/api/search", "q=%7B%7D&limit=100"},
      {"/api/search", "q=%7B+name+%3D+%22nope%22+%7D"},
      {"/api/search",
       "q=%7B+%7D+%7C+by(resource.service.name)+%7C+count()+%3E+0&limit=2"},
      {"/api/search", "tags=service.name%3Dcart+http.status_code%3D500"},
      {"/api/search", "minDuration=100ms&maxDuration=1s&limit=4"},
      {"/api/search/tags", ""},
      {"/api/search/tags", "scope=span"},
      {"/api/v2/search/tags", ""},
      {"/api/v2/search/tags", "scope=resource"},
      {"/api/v2/search/tags",
       "scope=span&q=%7B+resource.service.name+%3D+%22nope%22+%7D"},
      {"/api/search/tag/service.name/values", ""},
      {"/api/v2/search/tag/span.http.status_code/values", ""},
      {"/api/v2/search/tag/status/values", ""},
      {"/api/v2/search/tag/duration/values", ""},
      {"/api/v2/search/tag/.ratio/values",
       "q=%7B+span.http.status_code+%3D+500+%7D"},
      {"/api/v2/search/tag/name/values", ""},
      {"/api/v2/search/tag/event.attempt/values", ""},
  };
  const char* python = std::getenv("STRICT_PYTHON");
  const char* protoc = std::getenv("PROTOC");
  const char* root = std::getenv("PROTO_ROOT");
  const char* script = std::getenv("STRICT_JSON_CHECK");
  const char* kUnset = " unset: run under `meson test` (tests/query/meson.build)";
  ASSERT_NE(python, nullptr) << "STRICT_PYTHON" << kUnset;
  ASSERT_NE(protoc, nullptr) << "PROTOC" << kUnset;
  ASSERT_NE(root, nullptr) << "PROTO_ROOT" << kUnset;
  ASSERT_NE(script, nullptr) << "STRICT_JSON_CHECK" << kUnset;
  std::string cmd =
      std::string(python) + " " + script + " " + protoc + " " + root;
  int n = 0;
  for (const auto& [path, query] : kRequests) {
    HttpAnswer a = Get(path, query);
    ASSERT_EQ(a.status, 200) << path << "?" << query << ": " << a.body;
    ASSERT_EQ(a.content_type, "application/json") << path << "?" << query;
    std::string file = tmp_->path() + "/resp" + std::to_string(n++) + ".json";
    std::ofstream(file) << a.body;
    cmd += " " + message_ + "=" + file;
  }
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace
}  // namespace andante::query
