#include "andante/request.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "andante/backend.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/testing/manual_env.h"
#include "gtest/gtest.h"
#include "metrics.h"
#include "nlohmann/json.hpp"
#include "andante/otlp/trace/v1/trace.pb.h"
#include "tempopb/tempo.pb.h"

namespace andante::net {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

constexpr char kTraceHex[] = "5b8efff798038103d269b633813fc700";

class ApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("api_routes_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    StoreOptions options;
    options.wal.path = (dir_ / "wal").string();
    options.backend = OpenMemoryBackend();
    options.env = &env_;  // never advanced: no background work
    auto store = Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    metrics_ = std::make_unique<ServerMetrics>(
        ServerMetrics::BuildInfo{"0.1.0", "abc", "main", "none"},
        "single-tenant");
  }

  void TearDown() override {
    if (store_ != nullptr) {
      EXPECT_TRUE(store_->Close().ok());
    }
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void PushSample(std::string_view tenant = "single-tenant") {
    ExportTraceServiceRequest r;
    auto* rs = r.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("shop");
    auto* span = rs->add_scope_spans()->add_spans();
    span->set_trace_id(std::string(TraceId::FromHex(kTraceHex)->bytes()));
    span->set_span_id(std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x00", 8));
    span->set_name("GET /cart");
    span->set_start_time_unix_nano(1700000000000000000ull);
    span->set_end_time_unix_nano(1700000000611000000ull);
    auto pushed = store_->Push(tenant, r);
    ASSERT_TRUE(pushed.ok()) << pushed.status();
  }

  HttpResponse Call(
      std::string method, std::string target,
      std::vector<std::pair<std::string, std::string>> headers = {},
      RequestOptions options = {}) {
    options.observer = metrics_.get();
    RequestHandler routes(store_.get(), options);
    HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    req.headers = std::move(headers);
    return routes.QueryApi(req);
  }

  HttpResponse Get(
      std::string target,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Call("GET", std::move(target), std::move(headers));
  }

  std::filesystem::path dir_;
  andante::testing::ManualEnv env_;  // outlives store_
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerMetrics> metrics_;
};

constexpr char kText[] = "text/plain; charset=utf-8";

TEST_F(ApiRoutesTest, TraceNotFoundV1Is404EmptyBody) {
  HttpResponse r = Get(std::string("/api/traces/") + kTraceHex);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "");
}

TEST_F(ApiRoutesTest, TraceNotFoundV2Is200EmptyTrace) {
  HttpResponse r = Get(std::string("/api/v2/traces/") + kTraceHex);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_TRUE(j.contains("trace"));
  EXPECT_FALSE(j["trace"].contains("resourceSpans"));

  r = Get(std::string("/api/v2/traces/") + kTraceHex,
          {{"Accept", "application/protobuf"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/protobuf");
  tempopb::TraceByIDResponse pb;
  ASSERT_TRUE(pb.ParseFromString(r.body));
  EXPECT_EQ(pb.trace().resourcespans_size(), 0);
}

TEST_F(ApiRoutesTest, FoundTraceV1JsonAndProto) {
  PushSample();
  HttpResponse r = Get(std::string("/api/traces/") + kTraceHex);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body.rfind("{\"batches\":", 0), 0u) << r.body;

  r = Get(std::string("/api/traces/") + kTraceHex,
          {{"accept", "application/protobuf"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/protobuf");
  andante::otlp::trace::v1::TracesData trace;
  ASSERT_TRUE(trace.ParseFromString(r.body));
  ASSERT_EQ(trace.resource_spans_size(), 1);
  EXPECT_EQ(trace.resource_spans(0).scope_spans(0).spans(0).name(),
            "GET /cart");
}

TEST_F(ApiRoutesTest, FoundTraceV2) {
  PushSample();
  HttpResponse r = Get(std::string("/api/v2/traces/") + kTraceHex);
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["trace"]["resourceSpans"].size(), 1u);
}

TEST_F(ApiRoutesTest, ShortIdsAreLeftPadded) {
  ExportTraceServiceRequest req;
  auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(
      TraceId::FromHex("0000000000000000d6e9329d67b6146a")->bytes()));
  span->set_span_id(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  span->set_name("jaeger");
  ASSERT_TRUE(store_->Push("single-tenant", req).ok());
  HttpResponse r = Get("/api/traces/d6e9329d67b6146a");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ApiRoutesTest, AcceptNegotiation) {
  PushSample();
  std::string path = std::string("/api/traces/") + kTraceHex;
  struct Case {
    const char* accept;
    const char* want;
  };
  for (Case c :
       {Case{"application/json", "application/json"},
        Case{"application/json, application/protobuf", "application/protobuf"},
        Case{"application/x-protobuf", "application/json"},
        Case{"*/*", "application/json"},
        Case{"text/html;q=0.1, application/protobuf;q=0.9",
             "application/protobuf"}}) {
    HttpResponse r = Get(path, {{"Accept", c.accept}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, c.want) << c.accept;
  }
}

TEST_F(ApiRoutesTest, BadTraceIds) {
  HttpResponse r = Get("/api/traces/abxd");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, kText);
  EXPECT_EQ(r.body.rfind("trace IDs can only contain hex characters: invalid "
                         "character 'x' at position ",
                         0),
            0u)
      << r.body;
  EXPECT_EQ(r.body.back(), '\n');

  r = Get(std::string("/api/v2/traces/") + kTraceHex + "00");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "trace IDs can't be larger than 128 bits\n");

  // No ID at all does not match the route.
  EXPECT_EQ(Get("/api/traces/").status, 404);
  EXPECT_EQ(Get("/api/traces/abc/def").status, 404);
}

TEST_F(ApiRoutesTest, StartEndValidation) {
  std::string path = std::string("/api/traces/") + kTraceHex;
  HttpResponse r = Get(path + "?start=abc");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "invalid start: strconv.ParseInt: parsing \"abc\": invalid "
            "syntax\n");
  r = Get(path + "?start=1&end=99999999999999999999");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "invalid end: strconv.ParseInt: parsing \"99999999999999999999\": "
            "value out of range\n");
  r = Get(path + "?start=200&end=100");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "http parameter start must be before end. received start=200 "
            "end=100\n");
  r = Get(path + "?start=100&end=100");
  EXPECT_EQ(r.status, 400);

  // One side zero or empty is no range check.
  EXPECT_EQ(Get(path + "?start=200&end=0").status, 404);
  EXPECT_EQ(Get(path + "?start=&end=").status, 404);
  PushSample();
  EXPECT_EQ(Get(path + "?start=1&end=4000000000").status, 200);
}

TEST_F(ApiRoutesTest, TracesAcceptAnyMethod) {
  PushSample();
  std::string path = std::string("/api/v2/traces/") + kTraceHex;
  EXPECT_EQ(Call("POST", path).status, 200);
}

TEST_F(ApiRoutesTest, MultitenancyNeedsAValidOrgId) {
  RequestOptions mt;
  mt.multitenancy_enabled = true;
  std::string path = std::string("/api/traces/") + kTraceHex;

  HttpResponse r = Call("GET", path, {}, mt);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "no org id\n");
  EXPECT_EQ(r.content_type, kText);

  const std::string too_long(151, 'a');
  for (const std::string& bad :
       std::vector<std::string>{"..", "a/b", "", "a|..", too_long}) {
    r = Call("GET", path, {{"X-Scope-OrgID", bad}}, mt);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.body.back(), '\n');
  }

  PushSample("team-a");
  EXPECT_EQ(Call("GET", path, {{"X-Scope-OrgID", "team-b"}}, mt).status, 404);
  EXPECT_EQ(Call("GET", path, {{"x-scope-orgid", "team-a"}}, mt).status, 200);
  EXPECT_EQ(Call("GET", path, {{"X-Scope-OrgID", "team-b|team-a"}}, mt).status,
            200);
  // Without multitenancy the header is ignored.
  EXPECT_EQ(Call("GET", path, {{"X-Scope-OrgID", "team-a"}}).status, 404);
  // Echo needs no tenant.
  EXPECT_EQ(Call("GET", "/api/echo", {}, mt).status, 200);
}

TEST_F(ApiRoutesTest, OpsEndpoints) {
  HttpResponse r = Get("/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ready\n");
  EXPECT_EQ(r.content_type, kText);

  r = Call("POST", "/api/echo");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "echo\n");

  r = Get("/api/status/buildinfo");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  ASSERT_EQ(r.body.back(), '\n');
  auto j = nlohmann::ordered_json::parse(r.body);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"version", "revision", "branch",
                                      "buildUser", "buildDate", "goVersion"}));
  EXPECT_FALSE(j["version"].get<std::string>().empty());
  EXPECT_EQ(Call("POST", "/api/status/buildinfo").status, 405);

  r = Get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
}

TEST_F(ApiRoutesTest, FlushMovesDataToBlocks) {
  PushSample();
  HttpResponse r = Call("POST", "/flush");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Get("/flush").status, 204);
  EXPECT_EQ(Call("DELETE", "/flush").status, 405);
  // Plain /flush queues the cut blocks for the flush workers; ?wait=true
  // answers once they are written.
  EXPECT_EQ(Call("POST", "/flush?wait=true").status, 204);
  EXPECT_GE(store_->Stats().blocks_flushed, 1u);
  EXPECT_EQ(Get(std::string("/api/traces/") + kTraceHex).status, 200);
}

TEST_F(ApiRoutesTest, MetricsEndpointAndRequestDurations) {
  Get(std::string("/api/traces/") + kTraceHex);
  HttpResponse r = Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(r.body.find("tempo_build_info{"), std::string::npos);
  EXPECT_NE(r.body.find("tempo_request_duration_seconds_count{method=\"GET\","
                        "route=\"api_traces_traceid\",status_code=\"404\","
                        "ws=\"false\"} 1"),
            std::string::npos)
      << r.body;
}

TEST_F(ApiRoutesTest, HttpApiPrefix) {
  RequestOptions o;
  o.http_api_prefix = "/tempo/";
  EXPECT_EQ(Call("GET", "/tempo/api/echo", {}, o).status, 200);
  EXPECT_EQ(Call("GET", "/api/echo", {}, o).status, 404);
  EXPECT_EQ(Call("GET", "/ready", {}, o).status, 200);  // not prefixed
  EXPECT_EQ(Call("GET", std::string("/tempo/api/v2/traces/") + kTraceHex, {}, o)
                .status,
            200);
}

}  // namespace
}  // namespace andante::net
