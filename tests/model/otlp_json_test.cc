#include "model/otlp_json.h"

#include <cmath>
#include <string>

#include "andante/rpc_status.pb.h"
#include "gtest/gtest.h"
#include "model/trace_split.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;

// The minimal valid body from reference/ingest-protocols.md §1.3.
constexpr char kMinimal[] = R"json(
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
  "scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"5b8efff798038103d269b633813fc700",
   "spanId":"eee19b7ec3c1b100","name":"op","kind":2,
   "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000"}]}]}]}
)json";

// Wraps span JSON members into a full request.
std::string WithSpan(const std::string& members) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{)"
         R"("traceId":"5b8efff798038103d269b633813fc700","spanId":"eee19b7ec3c1b100")" +
         (members.empty() ? "" : "," + members) + "}]}]}]}";
}

const Span& OnlySpan(const ExportTraceServiceRequest& req) {
  return req.resource_spans(0).scope_spans(0).spans(0);
}

TEST(OtlpJsonTest, ParsesMinimalBody) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(kMinimal, &req).ok());
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& rs = req.resource_spans(0);
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "svc");
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "lib");
  const Span& s = OnlySpan(req);
  EXPECT_EQ(s.trace_id(), std::string("\x5b\x8e\xff\xf7\x98\x03\x81\x03\xd2\x69\xb6\x33"
                                      "\x81\x3f\xc7\x00",
                                      16));
  EXPECT_EQ(s.span_id(), std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x00", 8));
  EXPECT_EQ(s.name(), "op");
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(s.start_time_unix_nano(), 1700000000000000000u);
  EXPECT_EQ(s.end_time_unix_nano(), 1700000000500000000u);
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());
  EXPECT_EQ(fragments->size(), 1u);
}

TEST(OtlpJsonTest, EmptyBodiesAreEmptyRequests) {
  ExportTraceServiceRequest req;
  EXPECT_TRUE(ParseOtlpJson("{}", &req).ok());
  EXPECT_TRUE(ParseOtlpJson(R"({"resourceSpans":[]})", &req).ok());
  EXPECT_TRUE(ParseOtlpJson(R"({"resourceSpans":null})", &req).ok());
  EXPECT_EQ(req.resource_spans_size(), 0);
}

TEST(OtlpJsonTest, EnumsAsNamesOrIntegers) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(WithSpan(R"("kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR","message":"boom"})"), &req).ok());
  EXPECT_EQ(OnlySpan(req).kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(OnlySpan(req).status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(OnlySpan(req).status().message(), "boom");

  ASSERT_TRUE(ParseOtlpJson(WithSpan(R"("kind":5,"status":{"code":1})"), &req).ok());
  EXPECT_EQ(OnlySpan(req).kind(), Span::SPAN_KIND_CONSUMER);
  EXPECT_EQ(OnlySpan(req).status().code(), Status::STATUS_CODE_OK);

  absl::Status s = ParseOtlpJson(WithSpan(R"("kind":"SPAN_KIND_BOGUS")"), &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum value "
            "\"SPAN_KIND_BOGUS\"");
}

TEST(OtlpJsonTest, Int64AsStringOrNumber) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(WithSpan(R"("startTimeUnixNano":1700000000000000001,"endTimeUnixNano":"18446744073709551615",
      "attributes":[{"key":"a","value":{"intValue":"-42"}},{"key":"b","value":{"intValue":7}},
                    {"key":"c","value":{"doubleValue":1.5}},{"key":"d","value":{"doubleValue":"NaN"}},
                    {"key":"e","value":{"boolValue":true}}],
      "events":[{"timeUnixNano":"5","name":"ev","droppedAttributesCount":"2"}])"),
                            &req)
                  .ok());
  const Span& s = OnlySpan(req);
  EXPECT_EQ(s.start_time_unix_nano(), 1700000000000000001u);
  EXPECT_EQ(s.end_time_unix_nano(), UINT64_MAX);
  EXPECT_EQ(s.attributes(0).value().int_value(), -42);
  EXPECT_EQ(s.attributes(1).value().int_value(), 7);
  EXPECT_EQ(s.attributes(2).value().double_value(), 1.5);
  EXPECT_TRUE(std::isnan(s.attributes(3).value().double_value()));
  EXPECT_TRUE(s.attributes(4).value().bool_value());
  EXPECT_EQ(s.events(0).time_unix_nano(), 5u);
  EXPECT_EQ(s.events(0).dropped_attributes_count(), 2u);

  absl::Status bad = ParseOtlpJson(WithSpan(R"("startTimeUnixNano":"12x")"), &req);
  EXPECT_EQ(bad.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: invalid integer \"12x\"");
  bad = ParseOtlpJson(WithSpan(R"("startTimeUnixNano":-1)"), &req);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  bad = ParseOtlpJson(WithSpan(R"("flags":4294967296)"), &req);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
}

TEST(OtlpJsonTest, SnakeCaseNamesAccepted) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(R"({"resource_spans":[{"schema_url":"s","scope_spans":[{"spans":[{
      "trace_id":"5b8efff798038103d269b633813fc700","span_id":"eee19b7ec3c1b100",
      "parent_span_id":"0102030405060708","start_time_unix_nano":"3","end_time_unix_nano":"4",
      "dropped_attributes_count":1,"trace_state":"k=v"}]}]}]})",
                            &req)
                  .ok());
  const Span& s = OnlySpan(req);
  EXPECT_EQ(req.resource_spans(0).schema_url(), "s");
  EXPECT_EQ(s.parent_span_id(), std::string("\1\2\3\4\5\6\7\x08", 8));
  EXPECT_EQ(s.start_time_unix_nano(), 3u);
  EXPECT_EQ(s.end_time_unix_nano(), 4u);
  EXPECT_EQ(s.dropped_attributes_count(), 1u);
  EXPECT_EQ(s.trace_state(), "k=v");
}

TEST(OtlpJsonTest, HexIdsExactLengthEitherCase) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{
      "traceId":"5B8EFFF798038103D269B633813FC700","spanId":"EEE19B7EC3C1B100","parentSpanId":""}]}]}]})",
                            &req)
                  .ok());
  EXPECT_EQ(OnlySpan(req).span_id(), std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x00", 8));
  EXPECT_TRUE(OnlySpan(req).parent_span_id().empty());

  std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{},
      {"traceId":"5b8efff798038103d269b633813fc7"}]}]}]})";
  absl::Status s = ParseOtlpJson(body, &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[3].traceId: length mismatch: want 32 hex "
            "characters, got 30");

  s = ParseOtlpJson(WithSpan(R"("parentSpanId":"eee19b7ec3c1b1")"), &req);
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].parentSpanId: length mismatch: want 16 "
            "hex characters, got 14");

  s = ParseOtlpJson(WithSpan(R"("links":[{"spanId":"eee19b7ec3c1b10g"}])"), &req);
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId: invalid hex character "
            "'g' at position 16");

  // Base64 is not accepted for IDs.
  s = ParseOtlpJson(WithSpan(R"("traceId":"W47/95gDgQPSabYzgT/HAA==")"), &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(OtlpJsonTest, BytesValueIsBase64AndNestedValues) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(WithSpan(R"("attributes":[
      {"key":"bin","value":{"bytesValue":"AAEC/w=="}},
      {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"1"},{}]}}},
      {"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}}])"),
                            &req)
                  .ok());
  const Span& s = OnlySpan(req);
  EXPECT_EQ(s.attributes(0).value().bytes_value(), std::string("\0\1\2\xff", 4));
  ASSERT_EQ(s.attributes(1).value().array_value().values_size(), 3);
  EXPECT_EQ(s.attributes(1).value().array_value().values(0).string_value(), "x");
  EXPECT_EQ(s.attributes(1).value().array_value().values(1).int_value(), 1);
  EXPECT_EQ(s.attributes(1).value().array_value().values(2).value_case(),
            andante::otlp::common::v1::AnyValue::VALUE_NOT_SET);
  EXPECT_EQ(s.attributes(2).value().kvlist_value().values(0).key(), "k");
  EXPECT_TRUE(s.attributes(2).value().kvlist_value().values(0).value().has_bool_value());

  absl::Status bad = ParseOtlpJson(WithSpan(R"("attributes":[{"key":"bin","value":{"bytesValue":"!!"}}])"), &req);
  EXPECT_EQ(bad.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: invalid "
            "base64");
}

TEST(OtlpJsonTest, UnknownFieldsSkipped) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(R"({"future":{"a":[1,2,{"b":null}]},"resourceSpans":[{"x":1,
      "instrumentationLibrarySpans":[{"spans":[{"traceId":"zz"}]}],
      "scopeSpans":[{"scope":{"name":"lib","extra":true},"spans":[{
      "traceId":"5b8efff798038103d269b633813fc700","spanId":"eee19b7ec3c1b100","unknown":"v"}]}]}]})",
                            &req)
                  .ok());
  EXPECT_EQ(req.resource_spans(0).scope_spans_size(), 1);
  EXPECT_EQ(OnlySpan(req).span_id().size(), 8u);
}

TEST(OtlpJsonTest, DeprecatedScopeSpansUsedWhenScopeSpansEmpty) {
  ExportTraceServiceRequest req;
  ASSERT_TRUE(ParseOtlpJson(R"({"resourceSpans":[{"deprecatedScopeSpans":[{"spans":[{
      "traceId":"5b8efff798038103d269b633813fc700","spanId":"eee19b7ec3c1b100"}]}]}]})",
                            &req)
                  .ok());
  EXPECT_EQ(req.resource_spans(0).scope_spans_size(), 1);
}

TEST(OtlpJsonTest, WrongTypesNamePath) {
  ExportTraceServiceRequest req;
  absl::Status s = ParseOtlpJson(R"({"resourceSpans":{}})", &req);
  EXPECT_EQ(s.message(), "resourceSpans: expected a JSON array");
  s = ParseOtlpJson(R"([])", &req);
  EXPECT_EQ(s.message(), "expected a JSON object");
  s = ParseOtlpJson(WithSpan(R"("name":5)"), &req);
  EXPECT_EQ(s.message(), "resourceSpans[0].scopeSpans[0].spans[0].name: expected a string");
}

TEST(OtlpJsonTest, DeepNestingRejected) {
  ExportTraceServiceRequest req;
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  absl::Status s = ParseOtlpJson(deep, &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nesting"), std::string::npos) << s.message();

  // Attribute values nested past the limit (three JSON levels per array),
  // within a valid structure.
  std::string value = R"({"stringValue":"leaf"})";
  for (int i = 0; i < kMaxOtlpJsonDepth / 3; ++i) {
    value = R"({"arrayValue":{"values":[)" + value + "]}}";
  }
  s = ParseOtlpJson(WithSpan(R"("attributes":[{"key":"k","value":)" + value + "}]"), &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid JSON: JSON nesting deeper than 420 levels");

  // Moderate nesting is fine.
  value = R"({"stringValue":"leaf"})";
  for (int i = 0; i < 10; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  EXPECT_TRUE(ParseOtlpJson(WithSpan(R"("attributes":[{"key":"k","value":)" + value + "}]"), &req).ok());
}

TEST(OtlpJsonTest, MalformedJsonRejected) {
  ExportTraceServiceRequest req;
  std::string body = kMinimal;
  for (size_t cut : {size_t{0}, size_t{1}, body.size() / 2, body.size() - 3}) {
    absl::Status s = ParseOtlpJson(std::string_view(body).substr(0, cut), &req);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << cut;
    EXPECT_EQ(s.message().rfind("invalid JSON: ", 0), 0u) << s.message();
  }
  EXPECT_FALSE(ParseOtlpJson("{\"a\":\"\xff\xfe\"}", &req).ok());  // invalid UTF-8
  EXPECT_FALSE(ParseOtlpJson("{} trailing", &req).ok());
}

TEST(OtlpJsonTest, ResponseBodies) {
  EXPECT_EQ(OtlpJsonSuccessBody(), R"({"partialSuccess":{}})");
  EXPECT_EQ(RpcStatusJson(3, "trace ids must be 128 bit, received 64 bits"),
            R"({"code":3,"message":"trace ids must be 128 bit, received 64 bits"})");
  EXPECT_EQ(RpcStatusJson(8, "say \"hi\"\n"), R"({"code":8,"message":"say \"hi\"\n"})");
  EXPECT_EQ(RpcStatusJson(13, "bad \xff utf8"), "{\"code\":13,\"message\":\"bad \xEF\xBF\xBD utf8\"}");

  andante::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(RpcStatusProto(3, "nope")));
  EXPECT_EQ(status.code(), 3);
  EXPECT_EQ(status.message(), "nope");
  EXPECT_EQ(RpcStatusProto(3, "ab"), std::string("\x08\x03\x12\x02" "ab", 6));
}

}  // namespace
}  // namespace andante::internal
