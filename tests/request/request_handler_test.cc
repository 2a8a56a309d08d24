// RequestHandler driven with bytes only: every receiver entry and the query
// API, checked against what the Store holds afterwards (read back through
// Store::FindTraceById, not through the request layer) and against what the
// observer saw.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/request.h"
#include "andante/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "tests/testing/store_options.h"

namespace andante {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::testing::HasSubstr;

constexpr char kTraceHex[] = "5b8efff798038103d269b633813fc700";

// Remembers every observation.
class RecordingObserver final : public RequestObserver {
 public:
  struct Request {
    std::string method, route, status;
  };
  struct Push {
    std::string receiver, transport, tenant, status;
    uint64_t spans;
    uint64_t bytes;
    bool accepted;
  };
  void ObserveRequest(std::string_view method, std::string_view route,
                      std::string_view status_code, double seconds) override {
    absl::MutexLock lock(&mu_);
    EXPECT_GE(seconds, 0);
    requests.push_back(
        {std::string(method), std::string(route), std::string(status_code)});
  }
  void RecordPush(const PushRecord& p) override {
    absl::MutexLock lock(&mu_);
    pushes.push_back({std::string(p.receiver), std::string(p.transport),
                      std::string(p.tenant), std::string(p.status), p.spans,
                      p.bytes, p.accepted});
  }
  void RecordDroppedDatagram(std::string_view transport,
                             std::string_view reason) override {
    absl::MutexLock lock(&mu_);
    drops.push_back(std::string(transport) + "/" + std::string(reason));
  }
  std::string RenderMetrics() override { return "# rendered\n"; }

  std::vector<Request> requests;
  std::vector<Push> pushes;
  std::vector<std::string> drops;

 private:
  absl::Mutex mu_;
};

class RequestHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("request_handler_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    StoreOptions options;
    options.wal.path = (dir_ / "wal").string();
    options.backend = OpenMemoryBackend();
    options.env = andante::testing::StillEnv();
    auto store = Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void TearDown() override {
    handler_.reset();
    if (store_ != nullptr) {
      EXPECT_TRUE(store_->Close().ok());
    }
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  RequestHandler& Handler(RequestOptions options = {}) {
    options.observer = &observer_;
    handler_ = std::make_unique<RequestHandler>(store_.get(), options);
    return *handler_;
  }

  // A request with `spans` spans of trace kTraceHex, service "shop".
  static ExportTraceServiceRequest Sample(int spans) {
    ExportTraceServiceRequest r;
    auto* rs = r.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("shop");
    auto* ss = rs->add_scope_spans();
    for (int i = 0; i < spans; ++i) {
      auto* span = ss->add_spans();
      span->set_trace_id(std::string(TraceId::FromHex(kTraceHex)->bytes()));
      std::string id(8, '\0');
      id[7] = static_cast<char>(i + 1);
      span->set_span_id(id);
      span->set_name("GET /cart");
      span->set_start_time_unix_nano(1700000000000000000ull);
      span->set_end_time_unix_nano(1700000000611000000ull);
    }
    return r;
  }

  static HttpRequest Post(std::string path, std::string content_type,
                          std::string body) {
    HttpRequest req;
    req.method = "POST";
    req.path = req.target = std::move(path);
    req.headers = {{"Content-Type", std::move(content_type)}};
    req.body = std::move(body);
    return req;
  }

  static HttpRequest Get(std::string target) {
    HttpRequest req;
    req.method = "GET";
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    return req;
  }

  // Spans of kTraceHex the store holds for `tenant`.
  uint64_t StoredSpans(std::string_view tenant) {
    auto found = store_->FindTraceById(tenant, *TraceId::FromHex(kTraceHex));
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->span_count : 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  RecordingObserver observer_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(RequestHandlerTest, OtlpHttpProtobufIsStoredAndObserved) {
  RequestHandler& h = Handler();
  HttpResponse r = h.OtlpHttp(Post("/v1/traces", "application/x-protobuf",
                                   Sample(3).SerializeAsString()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  EXPECT_EQ(StoredSpans("single-tenant"), 3u);

  ASSERT_EQ(observer_.requests.size(), 1u);
  EXPECT_EQ(observer_.requests[0].method, "POST");
  EXPECT_EQ(observer_.requests[0].route, "v1_traces");
  EXPECT_EQ(observer_.requests[0].status, "200");
  ASSERT_EQ(observer_.pushes.size(), 1u);
  EXPECT_EQ(observer_.pushes[0].receiver, "otlp");
  EXPECT_EQ(observer_.pushes[0].transport, "http");
  EXPECT_EQ(observer_.pushes[0].tenant, "single-tenant");
  EXPECT_EQ(observer_.pushes[0].spans, 3u);
  EXPECT_EQ(observer_.pushes[0].bytes, Sample(3).ByteSizeLong());
  EXPECT_EQ(observer_.pushes[0].status, "ok");
  EXPECT_TRUE(observer_.pushes[0].accepted);
}

TEST_F(RequestHandlerTest, OtlpHttpJsonAndUnknownPath) {
  RequestHandler& h = Handler();
  const std::string json =
      std::string(
          R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":")") +
      kTraceHex +
      R"(","spanId":"0000000000000009","name":"x","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000"}]}]}]})";
  HttpResponse r = h.OtlpHttp(Post("/v1/traces", "application/json", json));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(StoredSpans("single-tenant"), 1u);

  r = h.OtlpHttp(Post("/v1/other", "application/json", json));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(observer_.requests.back().route, "other");

  r = h.OtlpHttp(Post("/v1/traces", "application/x-protobuf", "\xff\xff\xff"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(StoredSpans("single-tenant"), 1u);
}

TEST_F(RequestHandlerTest, OtlpHttpTenantRules) {
  RequestOptions mt;
  mt.multitenancy_enabled = true;
  RequestHandler& h = Handler(mt);
  const std::string body = Sample(2).SerializeAsString();

  HttpRequest req = Post("/v1/traces", "application/x-protobuf", body);
  EXPECT_EQ(h.OtlpHttp(req).status, 503);  // no org id: retryable

  req.headers.emplace_back("X-Scope-OrgID", "a");
  req.headers.emplace_back("x-scope-orgid", "b");
  EXPECT_EQ(h.OtlpHttp(req).status, 503);  // two org ids

  req = Post("/v1/traces", "application/x-protobuf", body);
  req.headers.emplace_back("X-Scope-OrgID", "../etc");
  EXPECT_EQ(h.OtlpHttp(req).status, 400);  // invalid tenant

  req = Post("/v1/traces", "application/x-protobuf", body);
  req.headers.emplace_back("x-scope-orgid", "team-a");
  EXPECT_EQ(h.OtlpHttp(req).status, 200);
  EXPECT_EQ(StoredSpans("team-a"), 2u);
  EXPECT_EQ(StoredSpans("team-b"), 0u);

  ASSERT_EQ(observer_.pushes.size(), 4u);
  EXPECT_EQ(observer_.pushes[0].status, "unavailable");
  EXPECT_EQ(observer_.pushes[0].tenant, "");
  EXPECT_FALSE(observer_.pushes[0].accepted);
  EXPECT_EQ(observer_.pushes[2].status, "invalid_argument");
  EXPECT_EQ(observer_.pushes[3].tenant, "team-a");
}

TEST_F(RequestHandlerTest, OtlpGrpcBytesAndMetadata) {
  RequestOptions mt;
  mt.multitenancy_enabled = true;
  RequestHandler& h = Handler(mt);
  const std::string bytes = Sample(4).SerializeAsString();

  GrpcRequest call;
  call.message = bytes;
  absl::Status s = h.OtlpGrpc(call);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "no org id");

  call.metadata = {{"x-scope-orgid", "team-a"}};
  EXPECT_TRUE(h.OtlpGrpc(call).ok());
  EXPECT_EQ(StoredSpans("team-a"), 4u);

  GrpcRequest garbage;
  garbage.message = "\xff\xff\xff";
  garbage.metadata = call.metadata;
  s = h.OtlpGrpc(garbage);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("grpc: error unmarshalling request"));

  // A compressed flag without an encoding is grpc-go's error, before decoding.
  GrpcRequest flagged = call;
  flagged.compressed = true;
  s = h.OtlpGrpc(flagged);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(StoredSpans("team-a"), 4u);

  ASSERT_EQ(observer_.requests.size(), 4u);
  EXPECT_EQ(observer_.requests[0].method, "gRPC");
  EXPECT_EQ(observer_.requests[0].route,
            "opentelemetry_proto_collector_trace_v1_traceservice_export");
  EXPECT_EQ(observer_.requests[0].status, "error");
  EXPECT_EQ(observer_.requests[1].status, "success");
  ASSERT_EQ(observer_.pushes.size(), 2u);  // undecodable ones are not pushes
  EXPECT_EQ(observer_.pushes[1].transport, "grpc");
  EXPECT_EQ(observer_.pushes[1].bytes, bytes.size());
}

TEST_F(RequestHandlerTest, ZipkinV2Json) {
  RequestHandler& h = Handler();
  const std::string body =
      std::string(R"([{"traceId":")") + kTraceHex +
      R"(","id":"eee19b7ec3c1b100","name":"get","timestamp":1700000000000000,)"
      R"("duration":1000,"localEndpoint":{"serviceName":"shop"}}])";
  HttpResponse r = h.Zipkin(Post("/api/v2/spans", "application/json", body));
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(StoredSpans("single-tenant"), 1u);
  EXPECT_EQ(observer_.requests.back().route, "api_v2_spans");
  EXPECT_EQ(observer_.pushes.back().receiver, "zipkin");
  EXPECT_TRUE(observer_.pushes.back().accepted);

  r = h.Zipkin(Post("/api/v2/spans", "application/json", "[{"));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(observer_.pushes.back().accepted);
  EXPECT_EQ(observer_.pushes.back().bytes, 2u);
}

TEST_F(RequestHandlerTest, JaegerThriftHttpAnswers) {
  RequestHandler& h = Handler();
  HttpResponse r = h.JaegerThriftHttp(Post("/api/traces", "text/plain", "x"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "Unsupported content type: text/plain\n");

  r = h.JaegerThriftHttp(Post("/api/traces", "application/x-thrift", "\x0c"));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Unable to process request body: "));
  EXPECT_EQ(observer_.pushes.back().transport, "collector_http");
  EXPECT_FALSE(observer_.pushes.back().accepted);

  HttpRequest get = Get("/api/traces");
  r = h.JaegerThriftHttp(get);
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(h.JaegerThriftHttp(Get("/nope")).status, 404);
  EXPECT_EQ(observer_.requests[2].route, "api_traces");
  EXPECT_EQ(observer_.requests[3].route, "other");
}

TEST_F(RequestHandlerTest, JaegerGrpcAndAgentRefuseGarbage) {
  RequestHandler& h = Handler();
  GrpcRequest call;
  call.message = "\x0a\x05garbage";
  absl::Status s = h.JaegerGrpc(call);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(observer_.requests.back().route,
            "jaeger_api_v2_collectorservice_postspans");
  EXPECT_EQ(observer_.requests.back().status, "error");

  const std::vector<std::string> datagrams = {"not thrift", "\x82\x21"};
  h.JaegerAgent(JaegerAgentProtocol::kCompact, datagrams);
  EXPECT_EQ(observer_.drops,
            (std::vector<std::string>{"udp_thrift_compact/malformed",
                                      "udp_thrift_compact/malformed"}));
  EXPECT_EQ(StoredSpans("single-tenant"), 0u);
}

TEST_F(RequestHandlerTest, QueryApiReadsWhatReceiversWrote) {
  RequestOptions options;
  options.extra_api_routes.push_back(
      {"/metrics/generator", [](const HttpRequest& req) {
         HttpResponse r;
         r.SetText(200, "generator " + req.method + "\n");
         return r;
       }});
  RequestHandler& h = Handler(options);
  std::string path = std::string("/api/traces/") + kTraceHex;
  EXPECT_EQ(h.QueryApi(Get(path)).status, 404);

  ASSERT_EQ(h.OtlpHttp(Post("/v1/traces", "application/x-protobuf",
                            Sample(2).SerializeAsString()))
                .status,
            200);
  HttpResponse r = h.QueryApi(Get(path));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  nlohmann::json j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["batches"].size(), 1u);
  size_t span_ids = 0;
  for (size_t at = 0; (at = r.body.find("\"spanId\"", at)) != std::string::npos;
       ++at) {
    ++span_ids;
  }
  EXPECT_EQ(span_ids, 2u);

  EXPECT_EQ(h.QueryApi(Get("/metrics/generator")).body, "generator GET\n");
  EXPECT_EQ(h.QueryApi(Get("/metrics")).body, "# rendered\n");
  EXPECT_EQ(h.QueryApi(Get("/ready")).status, 200);
  h.SetStopping();
  r = h.QueryApi(Get("/ready"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "Application is stopping\n");
}

}  // namespace
}  // namespace andante
