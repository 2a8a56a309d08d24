// Zipkin v2 -> OTLP translation, with expected output worked out by hand from
// reference/ingest-protocols.md §4.1 and §4.3 (the collector's zipkinv2
// ToTranslator).
#include "receiver/zipkin/zipkin_translate.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "receiver/zipkin/ip_address.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "zipkin/zipkin.pb.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using KeyValues = google::protobuf::RepeatedPtrField<KeyValue>;

ExportTraceServiceRequest Decode(std::string_view body,
                                 ZipkinFormat format = ZipkinFormat::kV2Json) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeZipkinSpans(body, format, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

absl::Status DecodeError(std::string_view body) {
  ExportTraceServiceRequest out;
  return DecodeZipkinSpans(body, ZipkinFormat::kV2Json, &out);
}

// The only span of a one-span request.
Span OnlySpan(const ExportTraceServiceRequest& r) {
  EXPECT_EQ(r.resource_spans_size(), 1);
  if (r.resource_spans_size() != 1) return Span();
  EXPECT_EQ(r.resource_spans(0).scope_spans_size(), 1);
  EXPECT_EQ(r.resource_spans(0).scope_spans(0).spans_size(), 1);
  return r.resource_spans(0).scope_spans(0).spans(0);
}

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

// The translation of a request holding just `span_json`.
Span OneSpan(std::string_view span_json) { return OnlySpan(Decode(Cat({"[", span_json, "]"}))); }

std::string Bytes(std::initializer_list<int> b) {
  std::string out;
  for (int c : b) out.push_back(static_cast<char>(c));
  return out;
}

std::vector<std::string> Keys(const KeyValues& attrs) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : attrs) keys.push_back(kv.key());
  return keys;
}

const AnyValue* Attr(const KeyValues& attrs, std::string_view key) {
  for (const KeyValue& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

std::string StrAttr(const KeyValues& attrs, std::string_view key) {
  const AnyValue* v = Attr(attrs, key);
  EXPECT_NE(v, nullptr) << key;
  if (v == nullptr) return "<missing>";
  EXPECT_EQ(v->value_case(), AnyValue::kStringValue) << key;
  return v->string_value();
}

TEST(ZipkinTranslate, SixtyFourBitTraceIdGetsEightZeroBytes) {
  Span s = OneSpan(R"({"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312",)"
                   R"("parentId":"0020000000000001","name":"get /api","kind":"SERVER",)"
                   R"("timestamp":1700000000123456,"duration":150})");
  EXPECT_EQ(s.trace_id(), Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0x46, 0x3a, 0xc3, 0x5c, 0x9f, 0x64,
                                 0x13, 0xad}));
  EXPECT_EQ(s.span_id(), Bytes({0xa2, 0xfb, 0x4a, 0x1d, 0x1a, 0x96, 0xd3, 0x12}));
  EXPECT_EQ(s.parent_span_id(), Bytes({0x00, 0x20, 0, 0, 0, 0, 0, 0x01}));
  EXPECT_EQ(s.name(), "get /api");  // no case change
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(s.start_time_unix_nano(), 1700000000123456000u);
  EXPECT_EQ(s.end_time_unix_nano(), 1700000000123606000u);
  EXPECT_EQ(s.attributes_size(), 0);
  EXPECT_FALSE(s.has_status());
}

TEST(ZipkinTranslate, OneHundredTwentyEightBitTraceId) {
  Span s = OneSpan(R"({"traceId":"5af7183fb1d4cf5f463ac35c9f6413ad","id":"1","timestamp":1})");
  EXPECT_EQ(s.trace_id(), Bytes({0x5a, 0xf7, 0x18, 0x3f, 0xb1, 0xd4, 0xcf, 0x5f, 0x46, 0x3a,
                                 0xc3, 0x5c, 0x9f, 0x64, 0x13, 0xad}));
  EXPECT_EQ(s.span_id(), Bytes({0, 0, 0, 0, 0, 0, 0, 1}));  // short hex is a number
  // 17 digits: the leading one is the high half.
  s = OneSpan(R"({"traceId":"1463ac35c9f6413ad","id":"1","timestamp":1})");
  EXPECT_EQ(s.trace_id(), Bytes({0, 0, 0, 0, 0, 0, 0, 1, 0x46, 0x3a, 0xc3, 0x5c, 0x9f, 0x64,
                                 0x13, 0xad}));
}

TEST(ZipkinTranslate, MissingParentAndParentEqualToIdLeaveNoParent) {
  EXPECT_EQ(OneSpan(R"({"traceId":"1","id":"2","timestamp":1})").parent_span_id(), "");
  EXPECT_EQ(OneSpan(R"({"traceId":"1","id":"2","parentId":"2","timestamp":1})").parent_span_id(),
            "");
  EXPECT_EQ(OneSpan(R"({"traceId":"1","id":"2","parentId":"","timestamp":1})").parent_span_id(),
            "");
  EXPECT_EQ(OneSpan(R"({"traceId":"1","id":"2","parentId":null,"timestamp":1})").parent_span_id(),
            "");
}

TEST(ZipkinTranslate, SharedServerSpanKeepsTheClientsSpanId) {
  ExportTraceServiceRequest r = Decode(
      R"([{"traceId":"1","id":"a","kind":"SERVER","shared":true,"timestamp":2,)"
      R"("localEndpoint":{"serviceName":"backend"}},)"
      R"({"traceId":"1","id":"a","kind":"CLIENT","timestamp":1,"debug":true,)"
      R"("localEndpoint":{"serviceName":"api"}}])");
  ASSERT_EQ(r.resource_spans_size(), 2);
  // Sorted by service: api, backend.
  const Span& client = r.resource_spans(0).scope_spans(0).spans(0);
  const Span& server = r.resource_spans(1).scope_spans(0).spans(0);
  EXPECT_EQ(StrAttr(r.resource_spans(0).resource().attributes(), "service.name"), "api");
  EXPECT_EQ(StrAttr(r.resource_spans(1).resource().attributes(), "service.name"), "backend");
  EXPECT_EQ(client.kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(server.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(client.span_id(), server.span_id());
  EXPECT_EQ(server.span_id(), Bytes({0, 0, 0, 0, 0, 0, 0, 0x0a}));
  // shared and debug are dropped.
  EXPECT_EQ(client.attributes_size(), 0);
  EXPECT_EQ(server.attributes_size(), 0);
}

TEST(ZipkinTranslate, GroupsByServiceThenLibrary) {
  ExportTraceServiceRequest r = Decode(
      R"([{"traceId":"1","id":"1","timestamp":1,"localEndpoint":{"serviceName":"b"}},)"
      R"({"traceId":"1","id":"2","timestamp":1,"localEndpoint":{"serviceName":"a"},)"
      R"("tags":{"otel.library.name":"lib2","otel.library.version":"2.0"}},)"
      R"({"traceId":"1","id":"3","timestamp":1},)"
      R"({"traceId":"1","id":"4","timestamp":1,"localEndpoint":{"serviceName":"a"},)"
      R"("tags":{"otel.library.name":"lib1","otel.library.version":"1.0"}},)"
      R"({"traceId":"1","id":"5","timestamp":1,"localEndpoint":{"serviceName":"a"}},)"
      R"({"traceId":"1","id":"6","timestamp":1,"localEndpoint":{"serviceName":"a"},)"
      R"("tags":{"otel.library.name":"lib1","otel.library.version":"9.9"}}])");
  // "OTLPResourceNoServiceName" sorts before "a" and "b".
  ASSERT_EQ(r.resource_spans_size(), 3);
  EXPECT_EQ(r.resource_spans(0).resource().attributes_size(), 0);
  EXPECT_EQ(r.resource_spans(0).scope_spans(0).spans(0).span_id().back(), 3);
  const auto& a = r.resource_spans(1);
  EXPECT_EQ(StrAttr(a.resource().attributes(), "service.name"), "a");
  ASSERT_EQ(a.scope_spans_size(), 3);
  EXPECT_EQ(a.scope_spans(0).scope().name(), "");
  EXPECT_EQ(a.scope_spans(0).spans(0).span_id().back(), 5);
  EXPECT_EQ(a.scope_spans(1).scope().name(), "lib1");
  EXPECT_EQ(a.scope_spans(1).scope().version(), "1.0");  // from the group's first span
  ASSERT_EQ(a.scope_spans(1).spans_size(), 2);
  EXPECT_EQ(a.scope_spans(1).spans(0).span_id().back(), 4);
  EXPECT_EQ(a.scope_spans(1).spans(1).span_id().back(), 6);
  EXPECT_EQ(a.scope_spans(1).spans(1).attributes_size(), 0);  // library tags removed
  EXPECT_EQ(a.scope_spans(2).scope().name(), "lib2");
  EXPECT_EQ(a.scope_spans(2).scope().version(), "2.0");
  EXPECT_EQ(StrAttr(r.resource_spans(2).resource().attributes(), "service.name"), "b");
}

TEST(ZipkinTranslate, ResourceConventionTagsMoveToTheResource) {
  ExportTraceServiceRequest r = Decode(
      R"([{"traceId":"1","id":"1","timestamp":1,"localEndpoint":{"serviceName":"svc"},)"
      R"("tags":{"host.name":"h1","service.version":"1.2","k8s.pod.name":"p",)"
      R"("http.method":"GET","process.pid":"42","opencensus.starttime":"x"}},)"
      R"({"traceId":"1","id":"2","timestamp":1,"localEndpoint":{"serviceName":"svc"},)"
      R"("tags":{"host.name":"h2","db.system":"redis"}}])");
  ASSERT_EQ(r.resource_spans_size(), 1);
  const auto& res = r.resource_spans(0).resource().attributes();
  EXPECT_THAT(Keys(res), ElementsAre("service.name", "host.name", "service.version",
                                     "k8s.pod.name", "process.pid", "opencensus.starttime"));
  EXPECT_EQ(StrAttr(res, "host.name"), "h1");  // the group's first span only
  const auto& spans = r.resource_spans(0).scope_spans(0).spans();
  EXPECT_THAT(Keys(spans[0].attributes()), ElementsAre("http.method"));
  EXPECT_THAT(Keys(spans[1].attributes()), ElementsAre("db.system"));  // host.name dropped
}

TEST(ZipkinTranslate, ServiceNameSourceNamesTheResourceKey) {
  ExportTraceServiceRequest r = Decode(
      R"([{"traceId":"1","id":"1","timestamp":1,"localEndpoint":{"serviceName":"svc"},)"
      R"("tags":{"otlp.service.name.source":"faas.name","a":"b"}}])");
  const auto& res = r.resource_spans(0).resource().attributes();
  EXPECT_THAT(Keys(res), ElementsAre("faas.name"));
  EXPECT_EQ(StrAttr(res, "faas.name"), "svc");
  EXPECT_THAT(Keys(OnlySpan(r).attributes()), ElementsAre("a"));
}

TEST(ZipkinTranslate, KindRules) {
  auto kind = [](std::string_view fields) {
    return OneSpan(Cat({"{\"traceId\":\"1\",\"id\":\"1\",\"timestamp\":1,", fields, "}"}));
  };
  Span s = kind(R"("tags":{"span.kind":"internal"})");
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(s.attributes_size(), 0);
  s = kind(R"("tags":{"span.kind":"client"})");  // removed, not used
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_UNSPECIFIED);
  EXPECT_EQ(s.attributes_size(), 0);
  s = kind(R"("kind":"PRODUCER","tags":{"span.kind":"internal"})");  // kept
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_PRODUCER);
  EXPECT_EQ(StrAttr(s.attributes(), "span.kind"), "internal");
  EXPECT_EQ(kind(R"("kind":"CONSUMER")").kind(), Span::SPAN_KIND_CONSUMER);
  EXPECT_EQ(kind(R"("kind":"client")").kind(), Span::SPAN_KIND_UNSPECIFIED);  // case-sensitive
}

TEST(ZipkinTranslate, MissingTimestampStartsAtTheEpoch) {
  Span s = OneSpan(R"({"traceId":"1","id":"1","duration":250})");
  EXPECT_EQ(s.start_time_unix_nano(), 0u);
  EXPECT_EQ(s.end_time_unix_nano(), 250000u);
  const AnyValue* absent = Attr(s.attributes(), "otel.zipkin.absentField.startTime");
  ASSERT_NE(absent, nullptr);
  EXPECT_TRUE(absent->bool_value());
  s = OneSpan(R"({"traceId":"1","id":"1","timestamp":0})");
  EXPECT_NE(Attr(s.attributes(), "otel.zipkin.absentField.startTime"), nullptr);
}

TEST(ZipkinTranslate, ProtobufTimestampZeroIsTheEpochWithoutMark) {
  zipkin::proto3::ListOfSpans list;
  auto* z = list.add_spans();
  z->set_trace_id(std::string(16, '\x01'));
  z->set_id(std::string(8, '\x02'));
  z->set_duration(7);
  Span s = OnlySpan(Decode(list.SerializeAsString(), ZipkinFormat::kV2Proto));
  EXPECT_EQ(s.start_time_unix_nano(), 0u);
  EXPECT_EQ(s.end_time_unix_nano(), 7000u);
  EXPECT_EQ(s.attributes_size(), 0);
}

TEST(ZipkinTranslate, TagsStayStrings) {
  Span s = OneSpan(R"({"traceId":"1","id":"1","timestamp":1,)"
                   R"("tags":{"http.status_code":"200","ok":"true","pi":"3.14"}})");
  EXPECT_EQ(StrAttr(s.attributes(), "http.status_code"), "200");
  EXPECT_EQ(StrAttr(s.attributes(), "ok"), "true");
  EXPECT_EQ(StrAttr(s.attributes(), "pi"), "3.14");
  EXPECT_FALSE(s.has_status());  // no status from http.status_code in v2
}

TEST(ZipkinTranslate, StatusCodeTags) {
  auto span = [](std::string_view tags) {
    return OneSpan(Cat({R"({"traceId":"1","id":"1","timestamp":1,"tags":)", tags, "}"}));
  };
  Span s = span(R"({"otel.status_code":"STATUS_CODE_ERROR","otel.status_description":"boom"})");
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "boom");
  EXPECT_EQ(s.attributes_size(), 0);
  EXPECT_EQ(span(R"({"otel.status_code":"Ok"})").status().code(), Status::STATUS_CODE_OK);
  EXPECT_EQ(span(R"({"otel.status_code":"Error"})").status().code(), Status::STATUS_CODE_ERROR);
  s = span(R"({"otel.status_code":"bogus"})");  // unknown -> UNSET, still removed
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_UNSET);
  EXPECT_EQ(s.attributes_size(), 0);
  s = span(R"({"otel.status_description":"alone"})");  // kept without a code
  EXPECT_FALSE(s.has_status());
  EXPECT_EQ(StrAttr(s.attributes(), "otel.status_description"), "alone");
}

TEST(ZipkinTranslate, ErrorTagVariants) {
  auto span = [](std::string_view tags) {
    return OneSpan(Cat({R"({"traceId":"1","id":"1","timestamp":1,"tags":)", tags, "}"}));
  };
  Span s = span(R"({"error":"true"})");
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.attributes_size(), 0);
  s = span(R"({"error":"timeout"})");  // any value is an error; kept
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(StrAttr(s.attributes(), "error"), "timeout");
  s = span(R"({"error":"false"})");
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(StrAttr(s.attributes(), "error"), "false");
  s = span(R"({"error":""})");
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  // error overrides an OK code but keeps its description.
  s = span(R"({"otel.status_code":"STATUS_CODE_OK","otel.status_description":"d","error":"true"})");
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "d");
  EXPECT_EQ(s.attributes_size(), 0);
}

TEST(ZipkinTranslate, TraceState) {
  Span s = OneSpan(R"({"traceId":"1","id":"1","timestamp":1,"tags":{"w3c.tracestate":"k=v,x=y"}})");
  EXPECT_EQ(s.trace_state(), "k=v,x=y");
  EXPECT_EQ(s.attributes_size(), 0);
}

TEST(ZipkinTranslate, LinksFromOtlpLinkTags) {
  Span s = OneSpan(
      R"({"traceId":"1","id":"1","timestamp":1,"tags":{)"
      R"("otlp.link.0":"5af7183fb1d4cf5f463ac35c9f6413ad|a2fb4a1d1a96d312|k=v|{\"a\":\"b\",\"n\":3,\"d\":1.5,\"t\":true,\"z\":null,\"o\":{}}|2",)"
      R"("otlp.link.1":"too|few|parts",)"
      R"("otlp.link.2":"|\"0000000000000001\"||{\"p\":\"x|y\"}|0",)"
      R"("otlp.link.4":"after a gap: an attribute"}})");
  ASSERT_EQ(s.links_size(), 2);
  const auto& l0 = s.links(0);
  EXPECT_EQ(l0.trace_id(), Bytes({0x5a, 0xf7, 0x18, 0x3f, 0xb1, 0xd4, 0xcf, 0x5f, 0x46, 0x3a,
                                  0xc3, 0x5c, 0x9f, 0x64, 0x13, 0xad}));
  EXPECT_EQ(l0.span_id(), Bytes({0xa2, 0xfb, 0x4a, 0x1d, 0x1a, 0x96, 0xd3, 0x12}));
  EXPECT_EQ(l0.trace_state(), "k=v");
  EXPECT_EQ(l0.dropped_attributes_count(), 2u);
  EXPECT_THAT(Keys(l0.attributes()), ElementsAre("a", "n", "d", "t"));
  EXPECT_EQ(Attr(l0.attributes(), "n")->int_value(), 3);
  EXPECT_DOUBLE_EQ(Attr(l0.attributes(), "d")->double_value(), 1.5);
  EXPECT_TRUE(Attr(l0.attributes(), "t")->bool_value());
  const auto& l1 = s.links(1);  // link.1 had too few parts: dropped
  EXPECT_EQ(l1.trace_id(), "");  // empty hex = no ID
  EXPECT_EQ(l1.span_id(), Bytes({0, 0, 0, 0, 0, 0, 0, 1}));  // quotes stripped
  EXPECT_EQ(StrAttr(l1.attributes(), "p"), "x|y");  // JSON may hold pipes
  EXPECT_THAT(Keys(s.attributes()), ElementsAre("otlp.link.4"));

  EXPECT_THAT(DecodeError(R"([{"traceId":"1","id":"1","tags":{"otlp.link.0":"abc|def|||0"}}])")
                  .message(),
              HasSubstr("invalid length for ID"));
  EXPECT_THAT(DecodeError(R"([{"traceId":"1","id":"1","tags":{"otlp.link.0":"|||[]|0"}}])")
                  .message(),
              HasSubstr("cannot unmarshal array"));
  EXPECT_THAT(DecodeError(R"([{"traceId":"1","id":"1","tags":{"otlp.link.0":"|||{}|-1"}}])")
                  .message(),
              HasSubstr("invalid syntax"));
}

TEST(ZipkinTranslate, AnnotationsBecomeEvents) {
  Span s = OneSpan(
      R"({"traceId":"1","id":"1","timestamp":1,"annotations":[)"
      R"({"timestamp":1700000000000001,"value":"cache miss"},)"
      R"({"timestamp":1700000000000002,"value":"exception|{\"exception.type\":\"IOError\",\"n\":1,\"big\":1e300}|1"},)"
      R"({"timestamp":-5,"value":"two|parts"},)"
      R"({"value":"a|{\"x\":\"p|q\"}|0"}]})");
  ASSERT_EQ(s.events_size(), 4);
  EXPECT_EQ(s.events(0).name(), "cache miss");
  EXPECT_EQ(s.events(0).time_unix_nano(), 1700000000000001000u);
  EXPECT_EQ(s.events(0).attributes_size(), 0);
  EXPECT_EQ(s.events(1).name(), "exception");
  EXPECT_EQ(StrAttr(s.events(1).attributes(), "exception.type"), "IOError");
  EXPECT_EQ(Attr(s.events(1).attributes(), "n")->int_value(), 1);
  // Whole but beyond int64: Go's int64(float64) gives the minimum.
  EXPECT_EQ(Attr(s.events(1).attributes(), "big")->int_value(), INT64_MIN);
  EXPECT_EQ(s.events(1).dropped_attributes_count(), 1u);
  EXPECT_EQ(s.events(2).name(), "two");  // two parts: the name only
  EXPECT_EQ(s.events(2).time_unix_nano(), static_cast<uint64_t>(-5000));
  EXPECT_EQ(s.events(3).name(), "a");
  EXPECT_EQ(StrAttr(s.events(3).attributes(), "x"), "p|q");
  EXPECT_EQ(s.events(3).time_unix_nano(), 0u);

  EXPECT_THAT(DecodeError(R"([{"traceId":"1","id":"1","annotations":[{"value":"a|nope|0"}]}])")
                  .message(),
              HasSubstr("annotation \"a|nope|0\""));
  EXPECT_THAT(DecodeError(R"([{"traceId":"1","id":"1","annotations":[{"value":"a|{}|x"}]}])")
                  .message(),
              HasSubstr("invalid syntax"));
  EXPECT_THAT(
      DecodeError(R"([{"traceId":"1","id":"1","annotations":[{"value":"a|{}|4294967296"}]}])")
          .message(),
      HasSubstr("value out of range"));
  EXPECT_EQ(OneSpan(R"({"traceId":"1","id":"1","annotations":[{"value":"a|null|0"}]})")
                .events(0)
                .attributes_size(),
            0);
}

TEST(ZipkinTranslate, EndpointsBecomeNetAttributes) {
  Span s = OneSpan(
      R"({"traceId":"1","id":"1","timestamp":1,"kind":"CLIENT",)"
      R"("localEndpoint":{"serviceName":"api","ipv4":"10.0.0.1","port":8080},)"
      R"("remoteEndpoint":{"serviceName":"db","ipv6":"2001:DB8:0:0:0:0:0:1","port":5432},)"
      R"("tags":{"peer.service":"from-tag","a":"b"}})");
  EXPECT_THAT(Keys(s.attributes()),
              ElementsAre("peer.service", "a", "net.host.ip", "net.host.port", "net.peer.ip",
                          "net.peer.port"));
  EXPECT_EQ(StrAttr(s.attributes(), "net.host.ip"), "10.0.0.1");
  EXPECT_EQ(Attr(s.attributes(), "net.host.port")->int_value(), 8080);
  EXPECT_EQ(StrAttr(s.attributes(), "peer.service"), "db");  // overwritten in place
  EXPECT_EQ(StrAttr(s.attributes(), "net.peer.ip"), "2001:db8::1");
  EXPECT_EQ(Attr(s.attributes(), "net.peer.port")->int_value(), 5432);

  // ipv6 wins over ipv4; an IPv4-mapped IPv6 address prints as IPv4.
  s = OneSpan(R"({"traceId":"1","id":"1","timestamp":1,)"
              R"("localEndpoint":{"ipv4":"1.2.3.4","ipv6":"::1"},)"
              R"("remoteEndpoint":{"ipv6":"::ffff:192.168.1.1"}})");
  EXPECT_THAT(Keys(s.attributes()), ElementsAre("net.host.ip", "net.peer.ip"));
  EXPECT_EQ(StrAttr(s.attributes(), "net.host.ip"), "::1");
  EXPECT_EQ(StrAttr(s.attributes(), "net.peer.ip"), "192.168.1.1");
}

TEST(ZipkinTranslate, ProtobufEndpointsKeepGoSemantics) {
  zipkin::proto3::ListOfSpans list;
  auto* z = list.add_spans();
  z->set_trace_id(std::string(16, '\x01'));
  z->set_id(std::string(8, '\x02'));
  z->set_timestamp(1);
  z->mutable_local_endpoint()->set_ipv4(Bytes({192, 168, 0, 1}));
  z->mutable_local_endpoint()->set_port(70000);  // uint16(70000) = 4464
  z->mutable_remote_endpoint()->set_ipv4(Bytes({1, 2, 3, 4, 5}));
  z->mutable_remote_endpoint()->set_port(-1);  // uint16(-1) = 65535
  Span s = OnlySpan(Decode(list.SerializeAsString(), ZipkinFormat::kV2Proto));
  EXPECT_EQ(StrAttr(s.attributes(), "net.host.ip"), "192.168.0.1");
  EXPECT_EQ(Attr(s.attributes(), "net.host.port")->int_value(), 4464);
  EXPECT_EQ(StrAttr(s.attributes(), "net.peer.ip"), "?0102030405");
  EXPECT_EQ(Attr(s.attributes(), "net.peer.port")->int_value(), 65535);
}

TEST(ZipkinTranslate, RepeatedTagKeysKeepTheLastValue) {
  Span s = OneSpan(R"({"traceId":"1","id":"1","timestamp":1,"tags":{"a":"1","b":"2","a":"3"}})");
  EXPECT_THAT(Keys(s.attributes()), ElementsAre("a", "b"));
  EXPECT_EQ(StrAttr(s.attributes(), "a"), "3");
}

TEST(ZipkinTranslate, ManyTagsUseTheHashedPath) {
  std::string tags;
  for (int i = 0; i < 40; ++i) tags += "\"k" + std::to_string(i) + "\":\"v\",";
  tags += "\"k7\":\"last\",\"error\":\"true\"";
  Span s = OneSpan("{\"traceId\":\"1\",\"id\":\"1\",\"timestamp\":1,\"tags\":{" + tags + "}}");
  EXPECT_EQ(s.attributes_size(), 40);
  EXPECT_EQ(StrAttr(s.attributes(), "k7"), "last");
  EXPECT_EQ(s.status().code(), Status::STATUS_CODE_ERROR);
}

TEST(GoIp, FormatsLikeNetIpString) {
  std::array<uint8_t, 16> ip;
  auto fmt = [&](std::string_view text) {
    EXPECT_TRUE(ParseGoIp(text, &ip)) << text;
    return FormatGoIp(std::string_view(reinterpret_cast<const char*>(ip.data()), 16));
  };
  EXPECT_EQ(fmt("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(fmt("::"), "::");
  EXPECT_EQ(fmt("::1"), "::1");
  EXPECT_EQ(fmt("1::"), "1::");
  EXPECT_EQ(fmt("fe80:0000::0001"), "fe80::1");
  EXPECT_EQ(fmt("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");  // first longest run
  EXPECT_EQ(fmt("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");     // longest run wins
  EXPECT_EQ(fmt("2001:db8:1:2:3:4:5:0"), "2001:db8:1:2:3:4:5:0");  // one zero: no ::
  EXPECT_EQ(fmt("::ffff:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(fmt("::1.2.3.4"), "::102:304");
  EXPECT_EQ(fmt("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
  EXPECT_EQ(FormatGoIp(Bytes({127, 0, 0, 1})), "127.0.0.1");
  EXPECT_EQ(FormatGoIp(""), "<nil>");
  for (std::string_view bad : {"", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3",
                               "::1%eth0", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1",
                               "1:", "1:2:3:4:5:6:7::8", "host", "1.2.3.4:80", "::ffff:1.2.3"}) {
    EXPECT_FALSE(ParseGoIp(bad, &ip)) << bad;
  }
}

}  // namespace
}  // namespace andante::internal
