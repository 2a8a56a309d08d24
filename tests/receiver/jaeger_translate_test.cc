// The Jaeger -> OTLP translation rules (reference/ingest-protocols.md §4.2),
// checked through the Thrift decoder and, where the paths differ, the
// protobuf translator. Expected values are worked out by hand from the
// collector's rules, including pcommon.Map's attribute order (Put keeps a
// key's first position; Remove moves the last attribute into the hole).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "jaeger_types.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "receiver/jaeger/jaeger_thrift.h"

namespace andante::internal {
namespace {

namespace jt = ::jaeger::thrift;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;

constexpr int64_t kStartMicros = 1700000000000000;  // 2023-11-14T22:13:20Z

std::string Hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
  return out;
}

// "key=<type>:<value>" per attribute, in order: s string, b bool, i int,
// d double, x bytes (hex).
std::string Attrs(const google::protobuf::RepeatedPtrField<KeyValue>& attrs) {
  std::vector<std::string> parts;
  for (const KeyValue& kv : attrs) {
    const auto& v = kv.value();
    std::string value;
    switch (v.value_case()) {
      case ::andante::otlp::common::v1::AnyValue::kStringValue:
        value = "s:" + v.string_value();
        break;
      case ::andante::otlp::common::v1::AnyValue::kBoolValue:
        value = v.bool_value() ? "b:true" : "b:false";
        break;
      case ::andante::otlp::common::v1::AnyValue::kIntValue:
        value = absl::StrCat("i:", v.int_value());
        break;
      case ::andante::otlp::common::v1::AnyValue::kDoubleValue:
        value = absl::StrCat("d:", v.double_value());
        break;
      case ::andante::otlp::common::v1::AnyValue::kBytesValue:
        value = "x:" + Hex(v.bytes_value());
        break;
      default:
        value = "?";
    }
    parts.push_back(kv.key() + "=" + value);
  }
  return absl::StrJoin(parts, " ");
}

std::string StatusText(const Span& span) {
  if (!span.has_status()) return "none";
  return absl::StrCat(Status::StatusCode_Name(span.status().code()), ":",
                      span.status().message());
}

jt::Tag StrTag(const std::string& key, const std::string& value) {
  jt::Tag t;
  t.key = key;
  t.vType = jt::TagType::STRING;
  t.__set_vStr(value);
  return t;
}
jt::Tag BoolTag(const std::string& key, bool value) {
  jt::Tag t;
  t.key = key;
  t.vType = jt::TagType::BOOL;
  t.__set_vBool(value);
  return t;
}
jt::Tag LongTag(const std::string& key, int64_t value) {
  jt::Tag t;
  t.key = key;
  t.vType = jt::TagType::LONG;
  t.__set_vLong(value);
  return t;
}
jt::Tag DoubleTag(const std::string& key, double value) {
  jt::Tag t;
  t.key = key;
  t.vType = jt::TagType::DOUBLE;
  t.__set_vDouble(value);
  return t;
}
jt::Tag BinaryTag(const std::string& key, const std::string& value) {
  jt::Tag t;
  t.key = key;
  t.vType = jt::TagType::BINARY;
  t.__set_vBinary(value);
  return t;
}

jt::Span MakeSpan(int64_t span_id, std::vector<jt::Tag> tags = {}) {
  jt::Span s;
  s.traceIdHigh = 0x0102030405060708;
  s.traceIdLow = 0x090a0b0c0d0e0f10;
  s.spanId = span_id;
  s.parentSpanId = 0;
  s.operationName = "op";
  s.flags = 1;
  s.startTime = kStartMicros;
  s.duration = 1500;
  if (!tags.empty()) s.__set_tags(std::move(tags));
  return s;
}

std::string EncodeBinary(const jt::Batch& batch) {
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  apache::thrift::protocol::TBinaryProtocolT<apache::thrift::transport::TMemoryBuffer> proto(
      buffer);
  batch.write(&proto);
  return buffer->getBufferAsString();
}

ExportTraceServiceRequest DecodeBatch(const jt::Batch& batch) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerThriftBatch(EncodeBinary(batch), ThriftProtocol::kBinary, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// The single span of a one-span batch.
Span TranslateOne(const jt::Span& span, const std::string& service = "svc") {
  jt::Batch batch;
  batch.process.serviceName = service;
  batch.spans = {span};
  ExportTraceServiceRequest out = DecodeBatch(batch);
  EXPECT_EQ(out.resource_spans_size(), 1);
  if (out.resource_spans_size() != 1 || out.resource_spans(0).scope_spans_size() != 1 ||
      out.resource_spans(0).scope_spans(0).spans_size() != 1) {
    ADD_FAILURE() << "want one span, got " << out.DebugString();
    return Span();
  }
  return out.resource_spans(0).scope_spans(0).spans(0);
}

TEST(JaegerTranslateTest, ThriftTagTypes) {
  jt::Tag unknown = StrTag("u", "ignored");
  // An unnamed TagType: 7 is the largest value the enum (0..4, so 3 bits)
  // can hold; 9 was outside its range, undefined behaviour (UBSan).
  unknown.vType = static_cast<jt::TagType::type>(7);
  Span span = TranslateOne(MakeSpan(1, {StrTag("s", "x"), DoubleTag("d", 1.5),
                                        BoolTag("b", true), LongTag("l", -7),
                                        BinaryTag("bin", std::string("\x01\x02", 2)),
                                        unknown}));
  EXPECT_EQ(Attrs(span.attributes()),
            "s=s:x d=d:1.5 b=b:true l=i:-7 bin=x:0102 "
            "u=s:<Unknown Jaeger TagType \"<UNSET>\">");
}

TEST(JaegerTranslateTest, ProtoTagTypesUseTheirOwnNumbering) {
  jaeger::api_v2::Batch batch;
  batch.mutable_process()->set_service_name("svc");
  auto* span = batch.add_spans();
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  auto add = [&](const std::string& key, int type) {
    auto* kv = span->add_tags();
    kv->set_key(key);
    kv->set_v_type(static_cast<jaeger::api_v2::ValueType>(type));
    kv->set_v_str("str");
    kv->set_v_bool(true);
    kv->set_v_int64(42);
    kv->set_v_float64(2.5);
    kv->set_v_binary("\xff");
    return kv;
  };
  add("string", 0);
  add("bool", 1);
  add("int64", 2);
  add("float64", 3);
  add("binary", 4);
  add("unknown", 9);
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  EXPECT_EQ(Attrs(out.resource_spans(0).scope_spans(0).spans(0).attributes()),
            "string=s:str bool=b:true int64=i:42 float64=d:2.5 binary=x:ff "
            "unknown=s:<Unknown Jaeger TagType \"9\">");
}

TEST(JaegerTranslateTest, DuplicateTagKeysKeepFirstPositionLastValue) {
  Span span = TranslateOne(
      MakeSpan(1, {LongTag("a", 1), StrTag("b", "2"), LongTag("a", 3), BoolTag("a", false)}));
  EXPECT_EQ(Attrs(span.attributes()), "a=b:false b=s:2");
}

TEST(JaegerTranslateTest, IdsAreBigEndianAndWidenedTo128Bits) {
  jt::Span s = MakeSpan(-2);
  s.traceIdHigh = 0;
  s.traceIdLow = -1;
  s.parentSpanId = 0x00000000000000ab;
  Span span = TranslateOne(s);
  EXPECT_EQ(Hex(span.trace_id()), "0000000000000000ffffffffffffffff");
  EXPECT_EQ(Hex(span.span_id()), "fffffffffffffffe");
  EXPECT_EQ(Hex(span.parent_span_id()), "00000000000000ab");

  Span full = TranslateOne(MakeSpan(0x1112131415161718));
  EXPECT_EQ(Hex(full.trace_id()), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(Hex(full.span_id()), "1112131415161718");
  EXPECT_EQ(full.parent_span_id(), "");  // root: no parent, not 8 zero bytes
}

TEST(JaegerTranslateTest, MicrosecondsBecomeNanoseconds) {
  Span span = TranslateOne(MakeSpan(1));
  EXPECT_EQ(span.name(), "op");
  EXPECT_EQ(span.start_time_unix_nano(), 1700000000000000000ull);
  EXPECT_EQ(span.end_time_unix_nano(), 1700000000001500000ull);
}

TEST(JaegerTranslateTest, SpanKindTag) {
  struct Case {
    jt::Tag tag;
    Span::SpanKind want;
  } cases[] = {
      {StrTag("span.kind", "client"), Span::SPAN_KIND_CLIENT},
      {StrTag("span.kind", "server"), Span::SPAN_KIND_SERVER},
      {StrTag("span.kind", "producer"), Span::SPAN_KIND_PRODUCER},
      {StrTag("span.kind", "consumer"), Span::SPAN_KIND_CONSUMER},
      {StrTag("span.kind", "internal"), Span::SPAN_KIND_INTERNAL},
      {StrTag("span.kind", "SERVER"), Span::SPAN_KIND_UNSPECIFIED},  // case-sensitive
      {BoolTag("span.kind", true), Span::SPAN_KIND_UNSPECIFIED},     // not a string
  };
  for (const Case& c : cases) {
    Span span = TranslateOne(MakeSpan(1, {StrTag("a", "1"), c.tag}));
    EXPECT_EQ(span.kind(), c.want) << c.tag.vStr;
    EXPECT_EQ(Attrs(span.attributes()), "a=s:1");  // always removed
  }
  EXPECT_EQ(TranslateOne(MakeSpan(1)).kind(), Span::SPAN_KIND_UNSPECIFIED);
}

TEST(JaegerTranslateTest, ErrorTagTrueSetsErrorWithDescription) {
  Span span = TranslateOne(MakeSpan(
      1, {BoolTag("error", true), StrTag("otel.status_description", "boom"),
          StrTag("http.status_message", "Not Found"), StrTag("x", "y")}));
  EXPECT_EQ(StatusText(span), "STATUS_CODE_ERROR:boom");
  // error removed: x moves to slot 0; then the description (slot 1) is
  // removed and http.status_message moves into it.
  EXPECT_EQ(Attrs(span.attributes()), "x=s:y http.status_message=s:Not Found");
}

TEST(JaegerTranslateTest, ErrorTagFallsBackToHttpStatusMessage) {
  Span span = TranslateOne(
      MakeSpan(1, {StrTag("http.status_message", "Bad Gateway"), BoolTag("error", true)}));
  EXPECT_EQ(StatusText(span), "STATUS_CODE_ERROR:Bad Gateway");
  EXPECT_EQ(Attrs(span.attributes()), "http.status_message=s:Bad Gateway");
}

TEST(JaegerTranslateTest, ErrorTagThatIsNotBoolTrueStays) {
  Span as_string = TranslateOne(MakeSpan(1, {StrTag("error", "true")}));
  EXPECT_EQ(StatusText(as_string), "none");
  EXPECT_EQ(Attrs(as_string.attributes()), "error=s:true");

  Span as_false = TranslateOne(MakeSpan(1, {BoolTag("error", false)}));
  EXPECT_EQ(StatusText(as_false), "none");
  EXPECT_EQ(Attrs(as_false.attributes()), "error=b:false");

  // error=false does not stop the http.status_code fallback.
  Span with_http =
      TranslateOne(MakeSpan(1, {BoolTag("error", false), LongTag("http.status_code", 500)}));
  EXPECT_EQ(StatusText(with_http), "STATUS_CODE_ERROR:");
  EXPECT_EQ(Attrs(with_http.attributes()), "error=b:false http.status_code=i:500");
}

TEST(JaegerTranslateTest, OtelStatusCodeIsAlwaysRemoved) {
  // The error tag wins; otel.status_code goes anyway, the description stays
  // consumed by step 1.
  Span both = TranslateOne(MakeSpan(
      1, {StrTag("otel.status_code", "OK"), BoolTag("error", true), StrTag("z", "1")}));
  EXPECT_EQ(StatusText(both), "STATUS_CODE_ERROR:");
  EXPECT_EQ(Attrs(both.attributes()), "z=s:1");

  Span ok = TranslateOne(MakeSpan(
      1, {StrTag("otel.status_code", "ok"), StrTag("otel.status_description", "fine")}));
  EXPECT_EQ(StatusText(ok), "STATUS_CODE_OK:fine");
  EXPECT_EQ(Attrs(ok.attributes()), "");

  Span error = TranslateOne(MakeSpan(1, {StrTag("otel.status_code", "Error")}));
  EXPECT_EQ(StatusText(error), "STATUS_CODE_ERROR:");

  // Unrecognised value: the status exists but stays UNSET, with the message.
  Span weird = TranslateOne(MakeSpan(
      1, {StrTag("otel.status_code", "weird"), StrTag("otel.status_description", "d")}));
  ASSERT_TRUE(weird.has_status());
  EXPECT_EQ(StatusText(weird), "STATUS_CODE_UNSET:d");

  // otel.status_code present means no http.status_code fallback.
  Span no_fallback = TranslateOne(
      MakeSpan(1, {LongTag("otel.status_code", 2), LongTag("http.status_code", 500)}));
  EXPECT_EQ(StatusText(no_fallback), "STATUS_CODE_UNSET:");
  EXPECT_EQ(Attrs(no_fallback.attributes()), "http.status_code=i:500");
}

TEST(JaegerTranslateTest, HttpStatusCodeFallback) {
  struct Case {
    jt::Tag code;
    const char* kind;  // span.kind tag, "" for none
    const char* want;
  } cases[] = {
      {LongTag("http.status_code", 404), "client", "STATUS_CODE_ERROR:Not Found"},
      {LongTag("http.status_code", 404), "server", "none"},
      {LongTag("http.status_code", 404), "producer", "STATUS_CODE_ERROR:Not Found"},
      {LongTag("http.status_code", 404), "", "STATUS_CODE_ERROR:Not Found"},
      {StrTag("http.status_code", "503"), "server", "STATUS_CODE_ERROR:Not Found"},
      {LongTag("http.status_code", 399), "", "STATUS_CODE_ERROR:Not Found"},
      {LongTag("http.status_code", 398), "", "none"},
      {LongTag("http.status_code", 100), "", "none"},
      {LongTag("http.status_code", 99), "", "STATUS_CODE_ERROR:Not Found"},
      {StrTag("http.status_code", "+200"), "", "none"},
      {StrTag("http.status_code", "-5"), "", "STATUS_CODE_ERROR:Not Found"},
      {StrTag("http.status_code", "abc"), "", "none"},
      {StrTag("http.status_code", "200 "), "", "none"},
      {StrTag("http.status_code", "+-200"), "", "none"},
      {StrTag("http.status_code", "99999999999999999999"), "", "none"},
      {DoubleTag("http.status_code", 500), "", "none"},
  };
  for (const Case& c : cases) {
    std::vector<jt::Tag> tags = {c.code, StrTag("http.status_message", "Not Found")};
    if (*c.kind != '\0') tags.push_back(StrTag("span.kind", c.kind));
    Span span = TranslateOne(MakeSpan(1, tags));
    EXPECT_EQ(StatusText(span), c.want) << c.code.vStr << c.code.vLong << " " << c.kind;
    // http.status_code and http.status_message are kept.
    EXPECT_EQ(span.attributes_size(), 2);
  }
}

TEST(JaegerTranslateTest, ErrorTrueSkipsHttpFallback) {
  Span span = TranslateOne(MakeSpan(1, {LongTag("http.status_code", 200), BoolTag("error", true)}));
  EXPECT_EQ(StatusText(span), "STATUS_CODE_ERROR:");
  EXPECT_EQ(Attrs(span.attributes()), "http.status_code=i:200");
}

TEST(JaegerTranslateTest, RemovalMovesTheLastAttribute) {
  Span span = TranslateOne(MakeSpan(
      1, {StrTag("span.kind", "client"), StrTag("a", "1"), StrTag("b", "2"), StrTag("c", "3")}));
  EXPECT_EQ(Attrs(span.attributes()), "c=s:3 a=s:1 b=s:2");
}

TEST(JaegerTranslateTest, ProcessBecomesResource) {
  jt::Batch batch;
  batch.process.serviceName = "svc";
  batch.process.__set_tags({StrTag("hostname", "h1"), StrTag("jaeger.version", "Go-2.30.0"),
                            StrTag("ip", "10.0.0.1")});
  batch.spans = {MakeSpan(1)};
  ExportTraceServiceRequest out = DecodeBatch(batch);
  ASSERT_EQ(out.resource_spans_size(), 1);
  // [service.name hostname jaeger.version ip] + host.name, hostname removed
  // (host.name moves into its slot); + opencensus.exporterversion,
  // jaeger.version removed (the new key moves into its slot).
  EXPECT_EQ(Attrs(out.resource_spans(0).resource().attributes()),
            "service.name=s:svc host.name=s:h1 opencensus.exporterversion=s:Jaeger-Go-2.30.0 "
            "ip=s:10.0.0.1");
  EXPECT_EQ(out.resource_spans(0).scope_spans_size(), 1);
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).scope().name(), "");
}

TEST(JaegerTranslateTest, ProcessRenamesOnlyWhenTargetAbsent) {
  jt::Batch batch;
  batch.process.serviceName = "svc";
  batch.process.__set_tags({LongTag("hostname", 7), StrTag("host.name", "real"),
                            StrTag("opencensus.exporterversion", "x"),
                            StrTag("jaeger.version", "v")});
  batch.spans = {MakeSpan(1)};
  ExportTraceServiceRequest out = DecodeBatch(batch);
  EXPECT_EQ(Attrs(out.resource_spans(0).resource().attributes()),
            "service.name=s:svc hostname=i:7 host.name=s:real opencensus.exporterversion=s:x "
            "jaeger.version=s:v");

  // A non-string hostname keeps its type as host.name.
  batch.process.__set_tags({LongTag("hostname", 7)});
  out = DecodeBatch(batch);
  EXPECT_EQ(Attrs(out.resource_spans(0).resource().attributes()),
            "service.name=s:svc host.name=i:7");

  // A service.name tag overrides the service name in place.
  batch.process.__set_tags({StrTag("service.name", "other")});
  out = DecodeBatch(batch);
  EXPECT_EQ(Attrs(out.resource_spans(0).resource().attributes()), "service.name=s:other");
}

TEST(JaegerTranslateTest, EmptyServiceNameIsOmitted) {
  jt::Batch batch;
  batch.process.serviceName = "";
  batch.spans = {MakeSpan(1)};
  ExportTraceServiceRequest out = DecodeBatch(batch);
  EXPECT_EQ(out.resource_spans(0).resource().attributes_size(), 0);
  batch.process.__set_tags({StrTag("k", "v")});
  out = DecodeBatch(batch);
  EXPECT_EQ(Attrs(out.resource_spans(0).resource().attributes()), "k=s:v");
}

jt::SpanRef Ref(jt::SpanRefType::type type, int64_t high, int64_t low, int64_t span) {
  jt::SpanRef r;
  r.refType = type;
  r.traceIdHigh = high;
  r.traceIdLow = low;
  r.spanId = span;
  return r;
}

std::string Links(const Span& span) {
  std::vector<std::string> parts;
  for (const auto& link : span.links()) {
    parts.push_back(absl::StrCat(Hex(link.trace_id()).substr(24), "/", Hex(link.span_id()), "/",
                                 Attrs(link.attributes())));
  }
  return absl::StrJoin(parts, " ");
}

TEST(JaegerTranslateTest, ParentFromReferencesWhenParentSpanIdIsZero) {
  jt::Span s = MakeSpan(1);
  const int64_t hi = s.traceIdHigh, lo = s.traceIdLow;
  s.__set_references({Ref(jt::SpanRefType::FOLLOWS_FROM, hi, lo, 0x0a),
                      Ref(jt::SpanRefType::CHILD_OF, 0, 0x99, 0x0b),  // other trace
                      Ref(jt::SpanRefType::CHILD_OF, hi, lo, 0x0c)});
  Span span = TranslateOne(s);
  EXPECT_EQ(Hex(span.parent_span_id()), "000000000000000c");
  EXPECT_EQ(Links(span),
            "0d0e0f10/000000000000000a/opentracing.ref_type=s:follows_from "
            "00000099/000000000000000b/opentracing.ref_type=s:child_of");
}

TEST(JaegerTranslateTest, FollowsFromParentStaysALink) {
  jt::Span s = MakeSpan(1);
  s.__set_references({Ref(jt::SpanRefType::FOLLOWS_FROM, s.traceIdHigh, s.traceIdLow, 0x0a)});
  Span span = TranslateOne(s);
  EXPECT_EQ(Hex(span.parent_span_id()), "000000000000000a");
  EXPECT_EQ(Links(span), "0d0e0f10/000000000000000a/opentracing.ref_type=s:follows_from");
}

TEST(JaegerTranslateTest, ParentSpanIdWinsAndItsChildOfRefIsDropped) {
  jt::Span s = MakeSpan(1);
  s.parentSpanId = 0x0d;
  s.__set_references({Ref(jt::SpanRefType::CHILD_OF, s.traceIdHigh, s.traceIdLow, 0x0e),
                      Ref(jt::SpanRefType::CHILD_OF, s.traceIdHigh, s.traceIdLow, 0x0d)});
  Span span = TranslateOne(s);
  EXPECT_EQ(Hex(span.parent_span_id()), "000000000000000d");
  EXPECT_EQ(Links(span), "0d0e0f10/000000000000000e/opentracing.ref_type=s:child_of");
}

TEST(JaegerTranslateTest, MissingParentAndOnlyForeignReferences) {
  jt::Span s = MakeSpan(1);
  s.__set_references({Ref(jt::SpanRefType::CHILD_OF, 7, 8, 0x0b)});
  Span span = TranslateOne(s);
  EXPECT_EQ(span.parent_span_id(), "");
  EXPECT_EQ(Hex(span.links(0).trace_id()), "00000000000000070000000000000008");
  EXPECT_EQ(Links(span), "00000008/000000000000000b/opentracing.ref_type=s:child_of");
}

TEST(JaegerTranslateTest, LogsBecomeEvents) {
  jt::Span s = MakeSpan(1);
  jt::Log named;
  named.timestamp = kStartMicros + 123;
  named.fields = {StrTag("message", "m"), StrTag("event", "exception"), LongTag("n", 1)};
  jt::Log bare;
  bare.timestamp = kStartMicros + 5;
  jt::Log typed;
  typed.timestamp = kStartMicros;
  typed.fields = {LongTag("event", 3), StrTag("k", "v")};
  s.__set_logs({named, bare, typed});
  Span span = TranslateOne(s);
  ASSERT_EQ(span.events_size(), 3);
  EXPECT_EQ(span.events(0).time_unix_nano(), 1700000000000123000ull);
  EXPECT_EQ(span.events(0).name(), "exception");
  EXPECT_EQ(Attrs(span.events(0).attributes()), "message=s:m n=i:1");
  EXPECT_EQ(span.events(1).time_unix_nano(), 1700000000000005000ull);
  EXPECT_EQ(span.events(1).name(), "");
  EXPECT_EQ(span.events(1).attributes_size(), 0);
  // A non-string event field is removed and names nothing.
  EXPECT_EQ(span.events(2).name(), "");
  EXPECT_EQ(Attrs(span.events(2).attributes()), "k=s:v");
}

TEST(JaegerTranslateTest, ThriftKeepsScopeAndTraceStateTagsAsAttributes) {
  Span span = TranslateOne(MakeSpan(
      1, {StrTag("otel.scope.name", "lib"), StrTag("w3c.tracestate", "a=b")}));
  EXPECT_EQ(span.trace_state(), "");
  EXPECT_EQ(Attrs(span.attributes()), "otel.scope.name=s:lib w3c.tracestate=s:a=b");
}

TEST(JaegerTranslateTest, AllZeroSpansAreSkipped) {
  jt::Batch batch;
  batch.process.serviceName = "svc";
  jt::Span blank;
  jt::Span blank_with_empty_tags;
  blank_with_empty_tags.__set_tags({});
  batch.spans = {blank, MakeSpan(1), blank_with_empty_tags};
  ExportTraceServiceRequest out = DecodeBatch(batch);
  ASSERT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 2);
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(0).name(), "op");
  // A present (empty) list makes the span non-blank, as in Go.
  EXPECT_EQ(Hex(out.resource_spans(0).scope_spans(0).spans(1).trace_id()),
            std::string(32, '0'));
}

TEST(JaegerTranslateTest, InvalidUtf8BecomesReplacementCharacters) {
  jt::Span s = MakeSpan(1, {StrTag("k\xff", "caf\xc3\xa9 \xc3"), StrTag("ok", "\xed\xa0\x80")});
  s.operationName = "op\x80";
  Span span = TranslateOne(s, "svc\xfe");
  EXPECT_EQ(span.name(), "op\xef\xbf\xbd");
  EXPECT_EQ(Attrs(span.attributes()),
            "k\xef\xbf\xbd=s:caf\xc3\xa9 \xef\xbf\xbd "
            "ok=s:\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate is 3 bad bytes
  jt::Batch batch;
  batch.process.serviceName = "svc\xfe";
  batch.spans = {s};
  ExportTraceServiceRequest out = DecodeBatch(batch);
  EXPECT_EQ(out.resource_spans(0).resource().attributes(0).value().string_value(),
            "svc\xef\xbf\xbd");
  ExportTraceServiceRequest reparsed;
  EXPECT_TRUE(reparsed.ParseFromString(out.SerializeAsString()));
}

TEST(JaegerTranslateTest, ProtoAppliesTheSameSpanRules) {
  jaeger::api_v2::Batch batch;
  batch.mutable_process()->set_service_name("svc");
  auto* span = batch.add_spans();
  span->set_trace_id(std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07", 16));
  span->set_span_id(std::string("\x00\x00\x00\x00\x00\x00\x00\x01", 8));
  auto tag = [&](const std::string& key, const std::string& value) {
    auto* kv = span->add_tags();
    kv->set_key(key);
    kv->set_v_str(value);
  };
  tag("span.kind", "client");
  tag("http.status_code", "404");
  tag("w3c.tracestate", "k=v");
  tag("otel.status_code", "");
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  const Span& got = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(got.kind(), Span::SPAN_KIND_CLIENT);
  // otel.status_code present (empty): status UNSET, no http fallback.
  EXPECT_EQ(StatusText(got), "STATUS_CODE_UNSET:");
  EXPECT_EQ(got.trace_state(), "k=v");
  EXPECT_EQ(Attrs(got.attributes()), "http.status_code=s:404");
}

}  // namespace
}  // namespace andante::internal
