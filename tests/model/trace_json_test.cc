#include "model/trace_json.h"

#include "google/protobuf/util/json_util.h"

#include <string>

#include "andante/ids.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tempopb/tempo.pb.h"

namespace andante::internal {
namespace {

using ::nlohmann::json;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;
using ::andante::otlp::trace::v1::TracesData;

// The trace of the v1 example in reference/http-api.md §3.
TracesData ExampleTrace() {
  TracesData td;
  auto* rs = td.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("shop");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("otel-go");
  ss->mutable_scope()->set_version("1.2.0");
  Span* s = ss->add_spans();
  s->set_trace_id(std::string(TraceId::FromQueryHex("d6e9329d67b6146a")->bytes()));
  s->set_span_id(SpanId::FromHex("d6e9329d67b6146a")->ToBytes());
  s->set_name("GET /cart");
  s->set_kind(Span::SPAN_KIND_SERVER);
  s->set_start_time_unix_nano(1700000000000000000u);
  s->set_end_time_unix_nano(1700000000611000000u);
  auto* a = s->add_attributes();
  a->set_key("http.status_code");
  a->mutable_value()->set_int_value(200);
  auto* ev = s->add_events();
  ev->set_time_unix_nano(1700000000100000000u);
  ev->set_name("retry");
  s->mutable_status()->set_code(Status::STATUS_CODE_ERROR);
  s->mutable_status()->set_message("timeout");
  return td;
}

constexpr char kExampleV1[] = R"json(
{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
  "scopeSpans":[{"scope":{"name":"otel-go","version":"1.2.0"},
    "spans":[{"traceId":"AAAAAAAAAADW6TKdZ7YUag==","spanId":"1ukynWe2FGo=",
      "name":"GET /cart","kind":"SPAN_KIND_SERVER",
      "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000611000000",
      "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],
      "events":[{"timeUnixNano":"1700000000100000000","name":"retry"}],
      "status":{"code":"STATUS_CODE_ERROR","message":"timeout"}}]}]}]}
)json";

TEST(TraceJsonTest, V1MatchesReferenceExample) {
  std::string out = TraceToJsonV1(ExampleTrace());
  EXPECT_EQ(out.rfind(R"({"batches":[)", 0), 0u) << out;
  EXPECT_EQ(out.find("resourceSpans"), std::string::npos);
  EXPECT_EQ(json::parse(out), json::parse(kExampleV1)) << out;
}

TEST(TraceJsonTest, ZeroValuesOmittedAndEnumsNamed) {
  TracesData td;
  Span* s = td.add_resource_spans()->add_scope_spans()->add_spans();
  s->set_span_id(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  s->set_kind(Span::SPAN_KIND_CLIENT);
  s->set_flags(0x301);
  s->set_dropped_events_count(2);
  auto* a = s->add_attributes();
  a->set_key("d");
  a->mutable_value()->set_double_value(0.5);
  auto* b = s->add_attributes();
  b->set_key("b");
  b->mutable_value()->set_bytes_value(std::string("\0\xff", 2));
  json j = json::parse(TraceToJsonV1(td));
  const json& span = j["batches"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span["spanId"], "AQIDBAUGBwg=");
  EXPECT_EQ(span["kind"], "SPAN_KIND_CLIENT");
  EXPECT_EQ(span["flags"], 0x301);
  EXPECT_EQ(span["droppedEventsCount"], 2);
  EXPECT_EQ(span["attributes"][0]["value"]["doubleValue"], 0.5);
  EXPECT_EQ(span["attributes"][1]["value"]["bytesValue"], "AP8=");
  EXPECT_FALSE(span.contains("traceId"));
  EXPECT_FALSE(span.contains("startTimeUnixNano"));
  EXPECT_FALSE(span.contains("status"));
  EXPECT_FALSE(span.contains("name"));
}

TEST(TraceJsonTest, EmptyTraceDoesNotCrash) {
  EXPECT_EQ(TraceToJsonV1(TracesData()), "{}");
  EXPECT_EQ(TraceToProtoV1(TracesData()), "");
}

TEST(TraceJsonTest, V2Shapes) {
  json j = json::parse(TraceByIdResponseJsonV2(ExampleTrace(), 84211));
  EXPECT_EQ(j["metrics"]["inspectedBytes"], "84211");
  json v1 = json::parse(kExampleV1);
  EXPECT_EQ(j["trace"]["resourceSpans"], v1["batches"]);
  EXPECT_FALSE(j.contains("status"));
  EXPECT_FALSE(j.contains("message"));

  EXPECT_EQ(TraceByIdResponseJsonV2(TracesData(), 12),
            R"({"trace":{},"metrics":{"inspectedBytes":"12"}})");
  EXPECT_EQ(TraceByIdResponseJsonV2(TracesData(), 0), R"({"trace":{},"metrics":{}})");
}

TEST(TraceJsonTest, ProtoRoundTrip) {
  TracesData td = ExampleTrace();
  tempopb::Trace v1;
  ASSERT_TRUE(v1.ParseFromString(TraceToProtoV1(td)));
  ASSERT_EQ(v1.resourcespans_size(), 1);
  EXPECT_EQ(v1.resourcespans(0).SerializeAsString(), td.resource_spans(0).SerializeAsString());

  tempopb::TraceByIDResponse v2;
  ASSERT_TRUE(v2.ParseFromString(TraceByIdResponseProtoV2(td, 84211)));
  EXPECT_EQ(v2.trace().SerializeAsString(), td.SerializeAsString());
  EXPECT_EQ(v2.metrics().inspectedbytes(), 84211u);
  EXPECT_EQ(v2.status(), tempopb::COMPLETE);

  // Not found: trace present but empty.
  std::string empty = TraceByIdResponseProtoV2(TracesData(), 0);
  EXPECT_EQ(empty, std::string("\x0a\x00\x12\x00", 4));
  ASSERT_TRUE(v2.ParseFromString(empty));
  EXPECT_TRUE(v2.has_trace());
  EXPECT_EQ(v2.trace().resourcespans_size(), 0);
  // Byte-identical to what protobuf serializes for the same message.
  tempopb::TraceByIDResponse built;
  ASSERT_TRUE(built.mutable_trace()->ParseFromString(td.SerializeAsString()));
  built.mutable_metrics()->set_inspectedbytes(7);
  EXPECT_EQ(TraceByIdResponseProtoV2(td, 7), built.SerializeAsString());
}


// Values nested deeper than protobuf's JSON printer goes in one print are
// printed apart and spliced in; where one print still works, the text must
// be identical to it.
TEST(TraceJsonTest, DeepValuesPrintAsOnePrintWould) {
  TracesData td = ExampleTrace();
  Span* span = td.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  // Span attribute values at depth 5: 14 list levels reach depth 47, which
  // one print handles and the splicing (from depth 32) cuts; plus an array
  // of lists and a sibling that stays shallow.
  auto* value = span->add_attributes();
  value->set_key("deep");
  auto* v = value->mutable_value();
  for (int i = 0; i < 14; ++i) {
    auto* kv = v->mutable_kvlist_value()->add_values();
    kv->set_key("k");
    if (i % 3 == 0) {
      v->mutable_kvlist_value()->add_values()->set_key("sibling");
    }
    v = kv->mutable_value();
    if (i == 7) {
      v = v->mutable_array_value()->add_values();
      v->set_double_value(0.5);  // replaced below by the list it leads to
    }
  }
  v->set_string_value("leaf \"<quoted>\"");
  std::string direct;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(td, &direct).ok());
  std::string v2 = TraceByIdResponseJsonV2(td, 0);
  EXPECT_EQ(v2, R"({"trace":)" + direct + R"(,"metrics":{}})");
}

}  // namespace
}  // namespace andante::internal
