// Zipkin JSON decoding: v2 (zipkin-go's SpanModel rules) and v1, and hostile
// bodies — every input ends in an error or a valid request, never a crash.
#include "receiver/zipkin/zipkin_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "receiver/zipkin/zipkin_v1_json.h"

namespace andante::internal {
namespace {

using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::opentelemetry::proto::common::v1::AnyValue;
using ::opentelemetry::proto::common::v1::KeyValue;
using ::opentelemetry::proto::trace::v1::Span;
using ::opentelemetry::proto::trace::v1::Status;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using KeyValues = google::protobuf::RepeatedPtrField<KeyValue>;

constexpr std::string_view kRealistic = R"([
 {"traceId":"5af7183fb1d4cf5f463ac35c9f6413ad","parentId":"6b221d5bc9e6496c",
  "id":"352bff9a74ca9ad2","kind":"CLIENT","name":"get /api","timestamp":1556604172355737,
  "duration":1431,"localEndpoint":{"serviceName":"frontend","ipv4":"192.168.99.1","port":3306},
  "remoteEndpoint":{"serviceName":"backend","ipv4":"172.19.0.3","port":9000},
  "annotations":[{"timestamp":1556604172355800,"value":"wire send"}],
  "tags":{"http.method":"GET","http.path":"/api","error":"true"},"debug":false,"shared":false},
 {"traceId":"5af7183fb1d4cf5f463ac35c9f6413ad","id":"352bff9a74ca9ad2","kind":"SERVER",
  "name":"get /api","timestamp":1556604172355900,"duration":1100,"shared":true,
  "localEndpoint":{"serviceName":"backend","ipv6":"fe80::1"}}
])";

absl::Status Parse(std::string_view body, ZipkinSpanBatch* batch) {
  return ParseZipkinV2Json(body, batch);
}

std::string ParseError(std::string_view body) {
  ZipkinSpanBatch batch;
  absl::Status s = Parse(body, &batch);
  EXPECT_FALSE(s.ok()) << body;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

const AnyValue* Attr(const KeyValues& attrs, std::string_view key) {
  for (const KeyValue& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

TEST(ZipkinJson, DecodesARealisticBody) {
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(kRealistic, &batch).ok());
  ASSERT_EQ(batch.spans.size(), 2u);
  const ZipkinSpan& c = batch.spans[0];
  EXPECT_EQ(c.trace_id_high, 0x5af7183fb1d4cf5fu);
  EXPECT_EQ(c.trace_id_low, 0x463ac35c9f6413adu);
  EXPECT_EQ(c.id, 0x352bff9a74ca9ad2u);
  EXPECT_EQ(c.parent_id, 0x6b221d5bc9e6496cu);
  EXPECT_EQ(c.kind, ZipkinKind::kClient);
  EXPECT_EQ(c.name, "get /api");
  EXPECT_EQ(c.start_unix_nano, 1556604172355737000u);
  EXPECT_EQ(c.duration_nanos, 1431000u);
  EXPECT_FALSE(c.timestamp_absent);
  EXPECT_EQ(c.local_endpoint.service_name, "frontend");
  EXPECT_EQ(c.local_endpoint.ipv4.size(), 16u);  // net.ParseIP's 16-byte form
  EXPECT_EQ(c.local_endpoint.port, 3306);
  EXPECT_EQ(c.remote_endpoint.service_name, "backend");
  EXPECT_EQ(c.tags_end - c.tags_begin, 3u);
  EXPECT_EQ(batch.tags[c.tags_begin].key, "http.method");
  EXPECT_EQ(c.annotations_end - c.annotations_begin, 1u);
  EXPECT_EQ(batch.annotations[c.annotations_begin].value, "wire send");
  EXPECT_EQ(batch.annotations[c.annotations_begin].time_unix_nano, 1556604172355800000u);
  EXPECT_EQ(batch.spans[1].local_endpoint.ipv6.size(), 16u);
}

TEST(ZipkinJson, KeysMatchCaseInsensitively) {
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(R"([{"TRACEID":"1","Id":"2","ParentID":"3","NAME":"n","Kind":"SERVER",)"
                    R"("TimeStamp":4,"DURATION":5,"LocalEndpoint":{"SERVICENAME":"s","Port":6},)"
                    R"("Annotations":[{"TIMESTAMP":7,"Value":"v"}],"TAGS":{"Key":"Val"}}])",
                    &batch)
                  .ok());
  const ZipkinSpan& s = batch.spans[0];
  EXPECT_EQ(s.trace_id_low, 1u);
  EXPECT_EQ(s.id, 2u);
  EXPECT_EQ(s.parent_id, 3u);
  EXPECT_EQ(s.name, "n");
  EXPECT_EQ(s.kind, ZipkinKind::kServer);
  EXPECT_EQ(s.start_unix_nano, 4000u);
  EXPECT_EQ(s.duration_nanos, 5000u);
  EXPECT_EQ(s.local_endpoint.service_name, "s");
  EXPECT_EQ(s.local_endpoint.port, 6);
  EXPECT_EQ(batch.annotations[0].value, "v");
  EXPECT_EQ(batch.tags[0].key, "Key");  // map keys keep their case
}

TEST(ZipkinJson, EmptyAndNullBodies) {
  for (std::string_view body : {"[]", " [ ] ", "null", "[null]", "[null,null]"}) {
    ZipkinSpanBatch batch;
    EXPECT_TRUE(Parse(body, &batch).ok()) << body;
    EXPECT_TRUE(batch.spans.empty()) << body;
  }
  EXPECT_THAT(ParseError(""), HasSubstr("invalid JSON"));
  EXPECT_THAT(ParseError("{}"), HasSubstr("cannot unmarshal object into Go value of type []*model.SpanModel"));
  EXPECT_THAT(ParseError("[1]"), HasSubstr("cannot unmarshal number into Go value of type model.SpanModel"));
  EXPECT_THAT(ParseError("[[]]"), HasSubstr("cannot unmarshal array"));
  EXPECT_THAT(ParseError("[] x"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ParseError("[],[]"), HasSubstr("invalid JSON"));
}

TEST(ZipkinJson, IdRules) {
  EXPECT_EQ(ParseError(R"([{"traceId":"1"}])"), "valid span id required");
  EXPECT_EQ(ParseError(R"([{"traceId":"1","id":""}])"), "valid span id required");
  EXPECT_EQ(ParseError(R"([{"traceId":"1","id":"0000000000000000"}])"), "valid span id required");
  EXPECT_EQ(ParseError(R"([{"traceId":"","id":"1"}])"), "valid traceId required");
  EXPECT_THAT(ParseError(R"([{"traceId":"xyz","id":"1"}])"),
              HasSubstr("strconv.ParseUint: parsing \"xyz\": invalid syntax"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"-1"}])"), HasSubstr("invalid syntax"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"0x1"}])"), HasSubstr("invalid syntax"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1ffffffffffffffff"}])"),
              HasSubstr("value out of range"));
  EXPECT_THAT(ParseError(R"([{"traceId":"10000000000000000ffffffffffffffff","id":"1"}])"),
              HasSubstr("value out of range"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","parentId":"zz"}])"),
              HasSubstr("invalid parentId"));
  EXPECT_THAT(ParseError(R"([{"traceId":1,"id":"1"}])"), HasSubstr("cannot unmarshal number"));
  EXPECT_THAT(ParseError(R"([{"traceId":null,"id":"1"}])"), HasSubstr("traceId"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":null}])"), HasSubstr("id"));

  // Leading zeros beyond 32 digits are still a number below 2^128.
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(R"([{"traceId":"000000000000000000000000000000000000000A","id":"B"}])", &batch).ok());
  EXPECT_EQ(batch.spans[0].trace_id_high, 0u);
  EXPECT_EQ(batch.spans[0].trace_id_low, 10u);
  // A missing trace ID is zero, as in Go (the store decides).
  batch.Clear();
  ASSERT_TRUE(Parse(R"([{"id":"1"}])", &batch).ok());
  EXPECT_EQ(batch.spans[0].trace_id_low, 0u);
}

TEST(ZipkinJson, WrongTypesAreErrors) {
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","tags":{"n":5}}])"),
              HasSubstr("cannot unmarshal number into Go struct field SpanModel.tags of type string"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","tags":{"b":true}}])"), HasSubstr("bool"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","tags":{"o":{}}}])"), HasSubstr("object"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","tags":[]}])"), HasSubstr("array"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","timestamp":-1}])"),
              HasSubstr("cannot unmarshal number -1 into Go struct field SpanModel.timestamp of type uint64"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","timestamp":1.5}])"), HasSubstr("number 1.5"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","timestamp":1e3}])"), HasSubstr("number 1e3"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","timestamp":"1"}])"), HasSubstr("string"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","duration":18446744073709551616}])"),
              HasSubstr("uint64"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","timestamp":1e999}])"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","name":5}])"), HasSubstr("string"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","kind":1}])"), HasSubstr("model.Kind"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","debug":"yes"}])"), HasSubstr("bool"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","localEndpoint":"x"}])"), HasSubstr("string"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","localEndpoint":{"port":70000}}])"),
              HasSubstr("uint16"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","localEndpoint":{"port":-1}}])"),
              HasSubstr("uint16"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","localEndpoint":{"ipv4":"1.2.3"}}])"),
              HasSubstr("invalid IP address: 1.2.3"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","localEndpoint":{"ipv6":5}}])"),
              HasSubstr("net.IP"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","annotations":[null]}])"),
              HasSubstr("null annotation"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","annotations":[{"timestamp":1.5}]}])"),
              HasSubstr("int64"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","annotations":[{"timestamp":9223372036854775808}]}])"),
              HasSubstr("int64"));
  EXPECT_THAT(ParseError(R"([{"traceId":"1","id":"1","annotations":{}}])"), HasSubstr("object"));
}

TEST(ZipkinJson, NullsAndUnknownFields) {
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(R"([{"traceId":"1","id":"1","name":null,"kind":null,"timestamp":null,)"
                    R"("localEndpoint":null,"remoteEndpoint":{"serviceName":null,"ipv4":"","port":null},)"
                    R"("annotations":null,"tags":{"a":null},"debug":null,)"
                    R"("extra":{"deep":[1,{"x":[true,null]}]},"more":[1,2,3],"str":"s"}])",
                    &batch)
                  .ok());
  const ZipkinSpan& s = batch.spans[0];
  EXPECT_TRUE(s.timestamp_absent);
  EXPECT_EQ(s.annotations_end, s.annotations_begin);
  ASSERT_EQ(s.tags_end - s.tags_begin, 1u);
  EXPECT_EQ(batch.tags[s.tags_begin].value, "");  // null tag value reads as ""
  EXPECT_TRUE(s.remote_endpoint.ipv4.empty());
}

TEST(ZipkinJson, RepeatedKeysMergeLikeGo) {
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(R"([{"traceId":"1","id":"1","tags":{"a":"1"},"annotations":[{"value":"x"}],)"
                    R"("localEndpoint":{"serviceName":"s"},"tags":{"b":"2"},)"
                    R"("annotations":[{"value":"y"}],"localEndpoint":{"port":9}}])",
                    &batch)
                  .ok());
  const ZipkinSpan& s = batch.spans[0];
  EXPECT_EQ(s.tags_end - s.tags_begin, 2u);                // maps merge
  ASSERT_EQ(s.annotations_end - s.annotations_begin, 1u);  // slices are replaced
  EXPECT_EQ(batch.annotations[s.annotations_begin].value, "y");
  EXPECT_EQ(s.local_endpoint.service_name, "s");  // pointed-to structs merge
  EXPECT_EQ(s.local_endpoint.port, 9);
}

TEST(ZipkinJson, HugeNumbersWrapLikeGo) {
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(R"([{"traceId":"1","id":"1","timestamp":18446744073709551615,)"
                    R"("duration":18446744073709551615}])",
                    &batch)
                  .ok());
  EXPECT_EQ(batch.spans[0].start_unix_nano, static_cast<uint64_t>(-1000));
  EXPECT_FALSE(batch.spans[0].timestamp_absent);
}

TEST(ZipkinJson, InvalidUtf8BecomesReplacementCharacters) {
  std::string body = R"([{"traceId":"1","id":"1","name":"a)";
  body += "\xff\xc3";
  body += R"(b","tags":{"k":"\u00e9"}}])";
  ZipkinSpanBatch batch;
  ASSERT_TRUE(Parse(body, &batch).ok());
  EXPECT_EQ(batch.spans[0].name, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  EXPECT_EQ(batch.tags[0].value, "\xC3\xA9");
  // Outside strings an invalid byte stays a syntax error.
  EXPECT_THAT(ParseError("[\xff]"), HasSubstr("invalid JSON"));
  // Control characters in strings are refused, as in Go.
  EXPECT_THAT(ParseError("[{\"traceId\":\"1\",\"id\":\"1\",\"name\":\"a\x01\"}]"),
              HasSubstr("invalid JSON"));
}

TEST(ZipkinJson, NestingIsBounded) {
  auto nested = [](int depth) {
    std::string v;
    for (int i = 0; i < depth; ++i) v += "[";
    for (int i = 0; i < depth; ++i) v += "]";
    return R"([{"traceId":"1","id":"1","x":)" + v + "}]";
  };
  ZipkinSpanBatch batch;
  EXPECT_TRUE(Parse(nested(30), &batch).ok());
  EXPECT_THAT(ParseError(nested(100)), HasSubstr("nesting deeper than"));
  EXPECT_THAT(ParseError(R"([{"id":"1","x":)" + std::string(100000, '[')),
              HasSubstr("nesting deeper than"));
  // Elsewhere a deep array is a type error before it is deep.
  EXPECT_THAT(ParseError(std::string(100000, '[')), HasSubstr("cannot unmarshal array"));
}

TEST(ZipkinJson, EveryTruncationIsAnErrorNeverACrash) {
  const std::string body(kRealistic);
  for (size_t n = 0; n < body.size(); ++n) {
    std::string prefix = body.substr(0, n);
    ExportTraceServiceRequest out;
    absl::Status s = DecodeZipkinSpans(prefix, ZipkinFormat::kV2Json, &out);
    // Only whitespace may be cut off the end of a complete body.
    if (body.find_first_not_of(" \n", n) != std::string::npos) {
      EXPECT_FALSE(s.ok()) << n;
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
    }
  }
}

TEST(ZipkinJson, SingleByteCorruptionsNeverCrash) {
  const std::string body(kRealistic);
  int ok = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    for (char c : {'\0', '"', '{', '}', '[', ']', ',', ':', '\\', '\xff', '9', '-'}) {
      std::string mutated = body;
      mutated[i] = c;
      ExportTraceServiceRequest out;
      absl::Status s = DecodeZipkinSpans(mutated, ZipkinFormat::kV2Json, &out);
      if (s.ok()) {
        ++ok;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
        EXPECT_FALSE(s.message().empty());
      }
    }
  }
  EXPECT_GT(ok, 0);  // some corruptions are still valid input
}

TEST(ZipkinJson, DecodeAppendsAndRoutes) {
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeZipkinSpans(kRealistic, ZipkinFormat::kV2Json, &out).ok());
  ASSERT_TRUE(DecodeZipkinSpans(kRealistic, ZipkinFormat::kV2Json, &out).ok());
  EXPECT_EQ(out.resource_spans_size(), 4);  // appended, not replaced
  EXPECT_EQ(ZipkinFormatFor("/api/v2/spans", "application/json"), ZipkinFormat::kV2Json);
  EXPECT_EQ(ZipkinFormatFor("/api/v2/spans", ""), ZipkinFormat::kV2Json);
  EXPECT_EQ(ZipkinFormatFor("/api/v2/spans", "application/x-protobuf"), ZipkinFormat::kV2Proto);
  EXPECT_EQ(ZipkinFormatFor("/", "application/x-protobuf"), ZipkinFormat::kV2Proto);
  // Exact comparison, as the collector does.
  EXPECT_EQ(ZipkinFormatFor("/api/v2/spans", "application/x-protobuf; charset=x"),
            ZipkinFormat::kV2Json);
  EXPECT_EQ(ZipkinFormatFor("/api/v1/spans", "application/x-protobuf"), ZipkinFormat::kV1Json);
  EXPECT_EQ(ZipkinFormatFor("/zipkin/api/v1/spans", "application/x-thrift"),
            ZipkinFormat::kV1Thrift);
  absl::Status thrift = DecodeZipkinSpans("x", ZipkinFormat::kV1Thrift, &out);
  EXPECT_EQ(thrift.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(thrift.message(), "zipkin v1 thrift is not supported");
}

// --- v1 ---------------------------------------------------------------------

ExportTraceServiceRequest V1(std::string_view body) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeZipkinSpans(body, ZipkinFormat::kV1Json, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::string V1Error(std::string_view body) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeZipkinSpans(body, ZipkinFormat::kV1Json, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << body;
  EXPECT_EQ(out.resource_spans_size(), 0);
  return std::string(s.message());
}

TEST(ZipkinV1Json, ClientSpanWithCoreAnnotations) {
  ExportTraceServiceRequest r = V1(R"([{
    "traceId":"0000000000000001","id":"0000000000000002","parentId":"0000000000000003",
    "name":"get","annotations":[
      {"timestamp":1000,"value":"cs","endpoint":{"serviceName":"api","ipv4":"10.0.0.1","port":80}},
      {"timestamp":1500,"value":"retry"},
      {"timestamp":2000,"value":"cr","endpoint":{"serviceName":"other"}},
      {"timestamp":3000,"value":""},
      null],
    "binaryAnnotations":[
      {"key":"lc","value":"http"},
      {"key":"http.status_code","value":"503"},
      {"key":"http.status_message","value":"unavailable"},
      {"key":"http.url","value":"/x"}]}])");
  ASSERT_EQ(r.resource_spans_size(), 1);
  const auto& res = r.resource_spans(0).resource().attributes();
  ASSERT_EQ(res.size(), 3);
  EXPECT_EQ(res[0].key(), "service.name");
  EXPECT_EQ(res[0].value().string_value(), "api");
  EXPECT_EQ(res[1].key(), "ipv4");
  EXPECT_EQ(res[1].value().string_value(), "10.0.0.1");
  EXPECT_EQ(res[2].key(), "port");
  EXPECT_EQ(res[2].value().string_value(), "80");
  const Span& s = r.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(s.trace_id(), std::string(15, '\0') + "\x01");
  EXPECT_EQ(s.span_id(), std::string(7, '\0') + "\x02");
  EXPECT_EQ(s.parent_span_id(), std::string(7, '\0') + "\x03");
  EXPECT_EQ(s.start_time_unix_nano(), 1000000u);  // earliest annotation
  EXPECT_EQ(s.end_time_unix_nano(), 2000000u);    // latest
  ASSERT_EQ(s.events_size(), 1);
  EXPECT_EQ(s.events(0).name(), "retry");
  EXPECT_EQ(s.events(0).time_unix_nano(), 1500000u);
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "unavailable");
  ASSERT_NE(Attr(s.attributes(), "component"), nullptr);
  EXPECT_EQ(Attr(s.attributes(), "component")->string_value(), "http");
  EXPECT_NE(Attr(s.attributes(), "http.status_code"), nullptr);
  EXPECT_EQ(Attr(s.attributes(), "lc"), nullptr);
}

TEST(ZipkinV1Json, TimestampsServiceFallbackAndStatus) {
  ExportTraceServiceRequest r = V1(R"([
    {"traceId":"00000000000000010000000000000002","id":"0000000000000003","name":"a",
     "timestamp":5,"duration":7,"annotations":[{"timestamp":1,"value":"sr"}],
     "binaryAnnotations":[{"key":"error","value":"oops","endpoint":{"serviceName":"svc"}},
                          {"key":"otel.status_description","value":"d"}]},
    {"traceId":"0000000000000001","id":"0000000000000004","name":"b",
     "binaryAnnotations":[{"key":"lc","value":"local"},{"key":"census.status_code","value":"0"}]},
    {"traceId":"0000000000000001","id":"0000000000000005","name":"c",
     "binaryAnnotations":[{"key":"otel.status_code","value":"1"}]}])");
  ASSERT_EQ(r.resource_spans_size(), 3);
  auto service = [&](int i) { return r.resource_spans(i).resource().attributes(0).value().string_value(); };
  EXPECT_EQ(service(0), "svc");             // binary annotation endpoint
  EXPECT_EQ(service(1), "local");           // lc
  EXPECT_EQ(service(2), "unknown-service");
  const Span& a = r.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(a.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(a.start_time_unix_nano(), 5000u);  // timestamp wins over annotations
  EXPECT_EQ(a.end_time_unix_nano(), 12000u);
  EXPECT_EQ(a.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(a.status().message(), "d");
  EXPECT_EQ(a.attributes_size(), 0);  // error and otel.* consumed
  const Span& b = r.resource_spans(1).scope_spans(0).spans(0);
  EXPECT_EQ(b.status().code(), Status::STATUS_CODE_OK);
  ASSERT_NE(Attr(b.attributes(), "otel.zipkin.absentField.startTime"), nullptr);
  EXPECT_GT(b.start_time_unix_nano(), 0u);  // "now"
  EXPECT_EQ(b.start_time_unix_nano(), b.end_time_unix_nano());
  const Span& c = r.resource_spans(2).scope_spans(0).spans(0);
  EXPECT_EQ(c.status().code(), Status::STATUS_CODE_OK);
}

TEST(ZipkinV1Json, Errors) {
  EXPECT_EQ(V1Error(R"([{"traceId":"1","id":"0000000000000001"}])"),
            "zipkinV1 span traceId: hex traceId span has wrong length (expected 16 or 32)");
  EXPECT_EQ(V1Error(R"([{"traceId":"0000000000000000","id":"0000000000000001"}])"),
            "zipkinV1 span traceId: traceId is zero");
  EXPECT_EQ(V1Error(R"([{"traceId":"000000000000000g","id":"0000000000000001"}])"),
            "zipkinV1 span traceId: encoding/hex: invalid byte: U+0067 'g'");
  EXPECT_EQ(V1Error(R"([{"traceId":"0000000000000001","id":"1"}])"),
            "zipkinV1 span id: hex Id has wrong length (expected 16)");
  EXPECT_EQ(V1Error(R"([{"traceId":"0000000000000001","id":"0000000000000000"}])"),
            "zipkinV1 span id: ID is zero");
  EXPECT_EQ(V1Error(R"([{"traceId":"0000000000000001","id":"0000000000000001","parentId":"0"}])"),
            "zipkinV1 span parentId: hex Id has wrong length (expected 16)");
  EXPECT_THAT(V1Error(R"([{"traceId":"0000000000000001","id":"0000000000000001",)"
                      R"("binaryAnnotations":[{"key":"sa","value":true}]}])"),
              HasSubstr("zipkinv1: json: cannot unmarshal bool"));
  EXPECT_THAT(V1Error("[null]"), HasSubstr("null span"));
  EXPECT_THAT(V1Error(""), HasSubstr("zipkinv1: "));
  EXPECT_THAT(V1Error("{}"), HasSubstr("cannot unmarshal object"));
  // A bad span after good ones leaves the request untouched.
  V1Error(R"([{"traceId":"0000000000000001","id":"0000000000000001"},{"traceId":"1","id":"1"}])");
}

TEST(ZipkinV1Json, EveryTruncationIsAnErrorNeverACrash) {
  const std::string body =
      R"([{"traceId":"0000000000000001","id":"0000000000000002","name":"x",)"
      R"("annotations":[{"timestamp":1,"value":"cs","endpoint":{"serviceName":"a"}}],)"
      R"("binaryAnnotations":[{"key":"k","value":"v"}]}])";
  for (size_t n = 0; n < body.size(); ++n) {
    ExportTraceServiceRequest out;
    absl::Status s = DecodeZipkinSpans(body.substr(0, n), ZipkinFormat::kV1Json, &out);
    EXPECT_FALSE(s.ok()) << n;
  }
}

TEST(GoJson, HelpersMatchGo) {
  uint64_t v;
  std::string err;
  EXPECT_TRUE(ParseGoHexUint64("FFFFFFFFFFFFFFFF", &v, &err));
  EXPECT_EQ(v, ~uint64_t{0});
  EXPECT_FALSE(ParseGoHexUint64("", &v, &err));
  EXPECT_EQ(err, "strconv.ParseUint: parsing \"\": invalid syntax");
  EXPECT_FALSE(ParseGoDecimalUint("4294967296", 32, &v, &err));
  EXPECT_EQ(err, "strconv.ParseUint: parsing \"4294967296\": value out of range");
  EXPECT_TRUE(ParseGoDecimalUint("4294967295", 32, &v, &err));
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  std::string scratch;
  EXPECT_EQ(ReplaceInvalidUtf8("a\xE2\x82" "b", &scratch), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
}

}  // namespace
}  // namespace andante::internal
