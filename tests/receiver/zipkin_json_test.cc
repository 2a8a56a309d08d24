// Zipkin JSON decoding: v2 (zipkin-go's SpanModel rules) and v1, and hostile
// bodies — every input ends in an error or a valid request, never a crash —
// and the v2 simdjson path checked against the nlohmann reference.
#include "receiver/zipkin/zipkin_json.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "receiver/zipkin/zipkin_json_sax.h"
#include "receiver/zipkin/zipkin_json_simd.h"
#include "tests/testing/zipkin_test_encoder.h"
#include "receiver/zipkin/zipkin_v1_json.h"
#include "util/strings.h"

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

// --- simdjson path vs the nlohmann reference ----------------------------------

// Everything a batch says, strings by value.
std::string Dump(const ZipkinSpanBatch& b) {
  auto str = [](std::string_view v) { return absl::StrCat("\"", absl::CHexEscape(ToAbsl(v)), "\""); };
  auto endpoint = [&](const ZipkinEndpoint& e) {
    return absl::StrCat("{", str(e.service_name), " ", str(e.ipv4), " ", str(e.ipv6), " ", e.port, "}");
  };
  std::string out;
  for (const ZipkinSpan& s : b.spans) {
    absl::StrAppend(&out, "span ", s.trace_id_high, ":", s.trace_id_low, " ", s.id, " ", s.parent_id,
                    " ", s.start_unix_nano, " ", s.duration_nanos, " ", s.timestamp_absent, " ",
                    static_cast<int>(s.kind), " ", str(s.name), " ", endpoint(s.local_endpoint), " ",
                    endpoint(s.remote_endpoint), " tags [", s.tags_begin, ",", s.tags_end,
                    ") annotations [", s.annotations_begin, ",", s.annotations_end, ")\n");
  }
  for (const ZipkinTag& t : b.tags) absl::StrAppend(&out, "tag ", str(t.key), "=", str(t.value), "\n");
  for (const ZipkinAnnotation& a : b.annotations) {
    absl::StrAppend(&out, "annotation ", a.time_unix_nano, " ", str(a.value), "\n");
  }
  return out;
}

// A batch that already holds a span, so appending is checked too.
void Prefill(ZipkinSpanBatch* batch) {
  ASSERT_TRUE(ParseZipkinV2JsonSax(R"([{"id":"7","tags":{"k":"v"},"annotations":[{"value":"a"}]}])",
                                   batch)
                  .ok());
}

// Checks that the simdjson path, when it accepts `body`, produces exactly the
// reference's batch, and that ParseZipkinV2Json gives the reference's status,
// message and batch (the unspecified prefix on error included) either way.
// Returns whether the simdjson path accepted the body.
bool ExpectSameAsReference(std::string_view body) {
  ZipkinSpanBatch reference;
  Prefill(&reference);
  const absl::Status expected = ParseZipkinV2JsonSax(body, &reference);

  ZipkinSpanBatch fast;
  Prefill(&fast);
  const bool accepted = TryParseZipkinV2JsonSimd(body, &fast);
  if (accepted) {
    EXPECT_TRUE(expected.ok()) << "simdjson accepted what the reference rejects (" << expected
                               << "): " << absl::CHexEscape(ToAbsl(body));
    if (expected.ok()) {
      EXPECT_EQ(Dump(fast), Dump(reference)) << absl::CHexEscape(ToAbsl(body));
    }
  }

  ZipkinSpanBatch combined;
  Prefill(&combined);
  const absl::Status got = ParseZipkinV2Json(body, &combined);
  EXPECT_EQ(got.code(), expected.code()) << absl::CHexEscape(ToAbsl(body));
  EXPECT_EQ(got.message(), expected.message()) << absl::CHexEscape(ToAbsl(body));
  EXPECT_EQ(Dump(combined), Dump(reference)) << absl::CHexEscape(ToAbsl(body));
  return accepted;
}

TEST(ZipkinJsonSimd, TakesWellFormedBodies) {
  EXPECT_TRUE(ExpectSameAsReference(kRealistic));
  EXPECT_TRUE(ExpectSameAsReference(
      R"([{"TRACEID":"1","Id":"2","ParentID":"3","NAME":"n","Kind":"SERVER",)"
      R"("TimeStamp":4,"DURATION":5,"LocalEndpoint":{"SERVICENAME":"s","Port":6},)"
      R"("Annotations":[{"TIMESTAMP":7,"Value":"v"}],"TAGS":{"Key":"Val"}}])"));
  EXPECT_TRUE(ExpectSameAsReference(
      R"([{"traceId":"1","id":"1","name":null,"kind":null,"timestamp":null,)"
      R"("localEndpoint":null,"remoteEndpoint":{"serviceName":null,"ipv4":"","port":null},)"
      R"("annotations":null,"tags":{"a":null},"debug":null,)"
      R"("extra":{"deep":[1,{"x":[true,null]}]},"more":[1,2,3],"str":"s"}])"));
  EXPECT_TRUE(ExpectSameAsReference(
      R"([{"traceId":"1","id":"1","tags":{"a":"1"},"annotations":[{"value":"x"}],)"
      R"("localEndpoint":{"serviceName":"s"},"tags":{"b":"2"},)"
      R"("annotations":[{"value":"y"}],"localEndpoint":{"port":9},"tags":null,"tags":{"c":"3"}}])"));
  EXPECT_TRUE(ExpectSameAsReference(R"([{"traceId":"1","id":"1","timestamp":18446744073709551615,)"
                                    R"("duration":18446744073709551615}])"));
  EXPECT_TRUE(ExpectSameAsReference(
      R"([{"traceId":"000000000000000000000000000000000000000A","id":"B","parentId":""}])"));
  for (std::string_view body : {"[]", " [ ] ", "[null]", "[null,null]", "\t\r\n[\n]\n"}) {
    EXPECT_TRUE(ExpectSameAsReference(body)) << body;
  }
  // Escapes, in keys too, and every kind of number where it is skipped.
  EXPECT_TRUE(ExpectSameAsReference(
      R"([{"tr\u0061ceId":"1","\u0069d":"2","name":"\"q\"\\\/\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00",)"
      R"("tags":{"k\u0000":"v\u0000","\ud800\udc00":"\uDBFF\uDFFF"},)"
      R"("x":[-0,0,-1,1.5,-1.5e-3,1E+2,1e-400,123456789012345678901234567890,-9223372036854775809],)"
      R"("annotations":[{"timestamp":-9223372036854775808,"value":"a"},{"timestamp":-0},)"
      R"({"timestamp":9223372036854775807,"y":{"z":[[[]]]}}]}])"));
}

TEST(ZipkinJsonSimd, InvalidUtf8GoesThroughTheReference) {
  std::string body = R"([{"traceId":"1","id":"1","name":"a)";
  body += "\xff\xc3";
  body += R"(b","tags":{"k)";
  body += "\xed\xa0\x80";
  body += R"(":"\u00e9"}}])";
  EXPECT_FALSE(ExpectSameAsReference(body));
  ZipkinSpanBatch batch;
  ASSERT_TRUE(ParseZipkinV2Json(body, &batch).ok());
  EXPECT_EQ(batch.spans[0].name, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  // Every corpus-style invalid byte, in a value, a key and an unknown field.
  for (std::string_view bad : {"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    for (std::string text : {absl::StrCat(R"([{"id":"1","name":")", ToAbsl(bad), R"("}])"),
                             absl::StrCat(R"([{"id":"1","tags":{")", ToAbsl(bad), R"(":"v"}}])"),
                             absl::StrCat(R"([{"id":"1","x":[")", ToAbsl(bad), R"("]}])")}) {
      EXPECT_FALSE(ExpectSameAsReference(text));
    }
  }
}

TEST(ZipkinJsonSimd, DeclinesWhatTheReferenceRejectsOrReadsDifferently) {
  auto nested = [](std::string_view where, int depth) {
    std::string v;
    for (int i = 0; i < depth; ++i) v += "[";
    for (int i = 0; i < depth; ++i) v += "]";
    std::string body(where);
    body.replace(body.find('@'), 1, v);
    return body;
  };
  std::vector<std::string> bodies = {
      "", " ", "null", " null ", "{}", "[1]", "[[]]", "[] x", "[],[]", "[1]]", "[", "[{", "true",
      "\"x\"", "1", "\xEF\xBB\xBF[]", std::string("[]\0", 3), std::string("[{\"id\":\"1\"}]\0", 13),
      std::string("[{\"id\":\"1\",\"x\":\"\0\"}]", 20),
      R"([{"traceId":"1"}])", R"([{"traceId":"1","id":""}])", R"([{"id":"0000000000000000"}])",
      R"([{"traceId":"","id":"1"}])", R"([{"traceId":"xyz","id":"1"}])", R"([{"id":"-1"}])",
      R"([{"id":"0x1"}])", R"([{"id":"1ffffffffffffffff"}])", R"([{"id":"1","parentId":"zz"}])",
      R"([{"traceId":1,"id":"1"}])", R"([{"traceId":null,"id":"1"}])", R"([{"id":null}])",
      R"([{"id":"1","tags":{"n":5}}])", R"([{"id":"1","tags":{"b":true}}])",
      R"([{"id":"1","tags":{"o":{}}}])", R"([{"id":"1","tags":[]}])",
      R"([{"id":"1","timestamp":-1}])", R"([{"id":"1","timestamp":-0}])",
      R"([{"id":"1","timestamp":1.5}])", R"([{"id":"1","timestamp":1e3}])",
      R"([{"id":"1","timestamp":1.0}])", R"([{"id":"1","timestamp":"1"}])",
      R"([{"id":"1","timestamp":01}])", R"([{"id":"1","duration":18446744073709551616}])",
      R"([{"id":"1","timestamp":1e999}])", R"([{"id":"1","x":1e999}])", R"([{"id":"1","x":-1e999}])",
      "[{\"id\":\"1\",\"x\":1" + std::string(400, '0') + "}]", R"([{"id":"1","name":5}])",
      R"([{"id":"1","kind":1}])", R"([{"id":"1","debug":"yes"}])", R"([{"id":"1","shared":1}])",
      R"([{"id":"1","localEndpoint":"x"}])", R"([{"id":"1","localEndpoint":[]}])",
      R"([{"id":"1","localEndpoint":{"port":70000}}])", R"([{"id":"1","localEndpoint":{"port":-1}}])",
      R"([{"id":"1","localEndpoint":{"port":1.0}}])", R"([{"id":"1","localEndpoint":{"ipv4":"1.2.3"}}])",
      R"([{"id":"1","localEndpoint":{"ipv6":5}}])", R"([{"id":"1","localEndpoint":{"serviceName":{}}}])",
      R"([{"id":"1","annotations":[null]}])", R"([{"id":"1","annotations":[1]}])",
      R"([{"id":"1","annotations":[{"timestamp":1.5}]}])",
      R"([{"id":"1","annotations":[{"timestamp":9223372036854775808}]}])",
      R"([{"id":"1","annotations":[{"timestamp":-9223372036854775809}]}])",
      R"([{"id":"1","annotations":[{"value":[]}]}])", R"([{"id":"1","annotations":{}}])",
      // Malformed JSON where the reference would never look at the value.
      R"([{"id":"1","x":tru}])", R"([{"id":"1","x":truex}])", R"([{"id":"1","x":nul}])",
      R"([{"id":"1","x":[1 2]}])", R"([{"id":"1","x":[1,]}])", R"([{"id":"1","x":{"a" 1}}])",
      R"([{"id":"1","x":{"a":1,}}])", R"([{"id":"1","x":{1:1}}])", R"([{"id":"1","x":"\x"}])",
      R"([{"id":"1","x":"\u12"}])", R"([{"id":"1","x":-}])", R"([{"id":"1","x":.5}])",
      R"([{"id":"1","x":+1}])", R"([{"id":"1","x":1.}])", R"([{"id":"1","x":1e}])",
      R"([{"id":"1","x":NaN}])", R"([{"id":"1","x":'s'}])", R"([{"id":"1" "x":1}])",
      R"([{"id":"1",}])", R"([{,"id":"1"}])", R"([{"id":"1"},])", R"([,{"id":"1"}])",
      R"([{"id":"1"}{"id":"2"}])", R"([{"id":"1","x":[}])", R"([{"id":"1","x":]}])",
      // Surrogate escapes the reference refuses.
      R"([{"id":"1","name":"\ud800"}])", R"([{"id":"1","name":"\udc00"}])",
      R"([{"id":"1","name":"\ud800\u0041"}])", R"([{"id":"1","name":"\ud800\ue000"}])",
      R"([{"id":"1","x":"\ud800x"}])", R"([{"id":"1","\udfff":1}])",
      R"([{"id":"1","tags":{"\ud800\ud800":"v"}}])",
      // Control characters must be escaped, in keys and skipped values too.
      "[{\"id\":\"1\",\"name\":\"a\x01\"}]", "[{\"id\":\"1\",\"x\":\"\t\"}]",
      "[{\"id\":\"1\",\"k\x1f\":1}]", "[{\"id\":\"1\",\"x\":\"\x7f\"}]",
      // Whitespace JSON does not allow.
      "[{\"id\":\"1\",\"x\":\f1}]", "[{\"id\":\"1\",\"x\":\v1}]", "[\xc2\xa0]",
      // Nesting right at and past the limit, in each place a value is skipped.
      nested(R"([{"id":"1","x":@}])", 62), nested(R"([{"id":"1","x":@}])", 63),
      nested(R"([{"id":"1","localEndpoint":{"x":@}}])", 61),
      nested(R"([{"id":"1","localEndpoint":{"x":@}}])", 62),
      nested(R"([{"id":"1","annotations":[{"x":@}]}])", 60),
      nested(R"([{"id":"1","annotations":[{"x":@}]}])", 61),
      R"([{"id":"1","x":)" + std::string(100000, '['), std::string(100000, '['),
      // Hex IDs at the edges of strconv.ParseUint.
      R"([{"id":"ffffffffffffffff","parentId":"FFFFFFFFFFFFFFFF"}])",
      R"([{"id":"0000000000000000000000000001","traceId":"00000000000000000000000000000000000000001"}])",
      R"([{"id":"10000000000000000"}])", R"([{"id":"0"}])", R"([{"id":"1","parentId":"00"}])",
      R"([{"id":"1","parentId":"0g"}])", R"([{"id":"1","parentId":" 1"}])",
      R"([{"id":"1","parentId":"10"}])", R"([{"id":"1","traceId":"g0000000000000000"}])",
      R"([{"id":"1","traceId":"ffffffffffffffffffffffffffffffff"}])",
      R"([{"id":"1","traceId":"1ffffffffffffffffffffffffffffffff"}])",
      // A good span before a bad one: the reference leaves a prefix.
      R"([{"id":"1","name":"a"},{"id":"2","tags":{"k":1}}])",
      R"([{"id":"1","name":"a"},{"id":"0"}])",
  };
  for (const std::string& body : bodies) ExpectSameAsReference(body);
  // The limits themselves are where the reference puts them.
  EXPECT_TRUE(ExpectSameAsReference(nested(R"([{"id":"1","x":@}])", 62)));
  EXPECT_TRUE(ExpectSameAsReference(nested(R"([{"id":"1","annotations":[{"x":@}]}])", 60)));
  EXPECT_THAT(ParseError(nested(R"([{"id":"1","x":@}])", 63)), HasSubstr("nesting deeper than"));
}

TEST(ZipkinJsonSimd, AgreesOnTheFuzzCorpus) {
  // __FILE__ is relative to the build directory meson runs tests from.
  const std::filesystem::path corpus =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "fuzz" / "corpus" / "zipkin_json";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    ExpectSameAsReference(body);
    ++files;
  }
  EXPECT_GE(files, 10);
}

// Zipkin-shaped bodies with what real clients and hostile ones send: keys in
// any case and order, unknown fields of any shape, escapes and non-ASCII
// text, nulls, numbers in every JSON form, odd whitespace.
class RandomZipkinJson {
 public:
  explicit RandomZipkinJson(uint32_t seed) : rng_(seed) {}

  std::string Body() {
    std::string out = Ws() + "[";
    const int spans = Int(0, 6);
    for (int i = 0; i < spans; ++i) {
      if (i > 0) out += "," + Ws();
      out += Chance(20) ? "null" : Span();
    }
    return out + "]" + Ws();
  }

  // `body` with a few bytes replaced, inserted or removed.
  std::string Mutate(std::string body) {
    static constexpr std::string_view kBytes = "\"\\{}[],:0-9e.nul \x01\xff\xc3\xa9u";
    const int edits = Int(1, 3);
    for (int i = 0; i < edits && !body.empty(); ++i) {
      size_t at = static_cast<size_t>(Int(0, static_cast<int>(body.size()) - 1));
      char c = kBytes[static_cast<size_t>(Int(0, static_cast<int>(kBytes.size()) - 1))];
      switch (Int(0, 2)) {
        case 0: body[at] = c; break;
        case 1: body.insert(at, 1, c); break;
        default: body.erase(at, 1); break;
      }
    }
    return body;
  }

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(0, 99) < percent; }

  std::string Ws() {
    static constexpr std::string_view kWs[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    return std::string(kWs[Int(0, 6)]);
  }

  std::string Key(std::string_view name) {
    std::string k(name);
    for (char& c : k) {
      if (Chance(15)) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (Chance(5) && !k.empty()) {  // an escaped first letter
      k = absl::StrCat("\\u00", absl::Hex(static_cast<unsigned char>(k[0]), absl::kZeroPad2),
                       k.substr(1));
    }
    return "\"" + k + "\"" + Ws() + ":" + Ws();
  }

  std::string Text() {
    static constexpr std::string_view kPieces[] = {
        "a", "GET /api", "x", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\u4e2d",
        "\\ud83d\\ude00", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\\u0000", " ", "%",
        "http.method", "1"};
    std::string s = "\"";
    const int n = Int(0, 6);
    for (int i = 0; i < n; ++i) s += kPieces[Int(0, 18)];
    return s + "\"";
  }

  std::string Hex(int max_digits) {
    static constexpr std::string_view kDigits = "0123456789abcdefABCDEF";
    std::string s = "\"";
    const int n = Int(1, max_digits);
    for (int i = 0; i < n; ++i) s += kDigits[Int(0, 21)];
    return s + "\"";
  }

  std::string Number() {
    static constexpr std::string_view kNumbers[] = {
        "0", "1", "-0", "-1", "42", "1556604172355737", "18446744073709551615",
        "18446744073709551616", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "1.5", "-2.5e-3", "1E3", "1e+2", "65535", "65536",
        "123456789012345678901234567890"};
    return std::string(kNumbers[Int(0, 17)]);
  }

  std::string AnyValue(int depth) {
    switch (Int(0, depth > 3 ? 4 : 6)) {
      case 0: return "null";
      case 1: return Chance(50) ? "true" : "false";
      case 2: return Number();
      case 3:
      case 4: return Text();
      case 5: {
        std::string out = "[";
        const int n = Int(0, 3);
        for (int i = 0; i < n; ++i) out += (i ? "," : "") + Ws() + AnyValue(depth + 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        const int n = Int(0, 3);
        for (int i = 0; i < n; ++i) out += (i ? "," : "") + Ws() + Key("u") + AnyValue(depth + 1);
        return out + "}";
      }
    }
  }

  // A value of the right type most of the time, something else otherwise.
  std::string Maybe(std::string good) {
    if (Chance(3)) return "null";
    if (Chance(1)) return AnyValue(3);
    return good;
  }

  // Mostly a timestamp, sometimes any number.
  std::string Micros() {
    if (Chance(5)) return Number();
    return std::to_string(std::uniform_int_distribution<uint64_t>(0, uint64_t{1} << 53)(rng_));
  }

  std::string Endpoint() {
    static constexpr std::string_view kIps[] = {"\"10.0.0.1\"", "\"::1\"", "\"fe80::1\"", "\"\"",
                                                "\"::ffff:1.2.3.4\""};
    std::vector<std::string> fields = {Key("serviceName") + Maybe(Text()),
                                       Key("ipv4") + Maybe(std::string(kIps[Int(0, 4)])),
                                       Key("ipv6") + Maybe(std::string(kIps[Int(0, 4)])),
                                       Key("port") + Maybe(std::to_string(Int(0, 65535)))};
    if (Chance(20)) fields.push_back(Key("extra") + AnyValue(2));
    return Object(fields);
  }

  std::string Annotations() {
    std::string out = "[";
    const int n = Int(0, 3);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> fields = {Key("timestamp") + Maybe(Micros()),
                                         Key("value") + Maybe(Text())};
      if (Chance(10)) fields.push_back(Key("endpoint") + AnyValue(2));
      out += (i ? "," : "") + Ws() + Object(fields);
    }
    return out + "]";
  }

  std::string Tags() {
    std::vector<std::string> fields;
    const int n = Int(0, 5);
    for (int i = 0; i < n; ++i) fields.push_back(Text() + ":" + Ws() + (Chance(5) ? "null" : Text()));
    return Object(fields);
  }

  std::string Object(std::vector<std::string> fields) {
    std::shuffle(fields.begin(), fields.end(), rng_);
    std::string out = "{" + Ws();
    bool first = true;
    for (const std::string& field : fields) {
      if (Chance(10)) continue;  // absent
      out += (first ? "" : ",") + Ws() + field;
      first = false;
    }
    return out + Ws() + "}";
  }

  std::string Span() {
    static constexpr std::string_view kKinds[] = {"\"CLIENT\"", "\"SERVER\"", "\"PRODUCER\"",
                                                  "\"CONSUMER\"", "\"client\"", "\"\""};
    std::vector<std::string> fields = {
        Key("traceId") + (Chance(97) ? Hex(32) : Maybe(Hex(40))),
        Key("id") + (Chance(97) ? Hex(16) : Maybe(Hex(17))),
        Key("parentId") + Maybe(Hex(16)),
        Key("name") + Maybe(Text()),
        Key("kind") + Maybe(std::string(kKinds[Int(0, 5)])),
        Key("timestamp") + Maybe(Micros()),
        Key("duration") + Maybe(Micros()),
        Key("debug") + Maybe(Chance(50) ? "true" : "false"),
        Key("shared") + Maybe(Chance(50) ? "true" : "false"),
        Key("localEndpoint") + Maybe(Endpoint()),
        Key("remoteEndpoint") + Maybe(Endpoint()),
        Key("annotations") + Maybe(Annotations()),
        Key("tags") + Maybe(Tags()),
    };
    if (Chance(30)) fields.push_back(Key("extra") + AnyValue(2));
    if (Chance(10)) fields.push_back(Key("tags") + Tags());  // repeated keys
    if (Chance(10)) fields.push_back(Key("annotations") + Annotations());
    return Object(fields);
  }

  std::mt19937 rng_;
};

TEST(ZipkinJsonSimd, AgreesOnRandomBodiesAndTheirMutations) {
  RandomZipkinJson gen(/*seed=*/20240611);
  constexpr int kBodies = 1500;
  int accepted = 0;
  for (int i = 0; i < kBodies; ++i) {
    const std::string body = gen.Body();
    accepted += ExpectSameAsReference(body);
    for (int m = 0; m < 8; ++m) ExpectSameAsReference(gen.Mutate(body));
    if (HasFailure()) break;
  }
  // Most generated bodies are valid, so the fast path is what is compared.
  EXPECT_GT(accepted, kBodies / 2);
}

TEST(ZipkinJsonSimd, AgreesOnExporterShapedBodies) {
  // What the collector's Zipkin exporter sends (zipkin_test_encoder.h), from
  // random OTLP spans with random attribute text.
  std::mt19937 rng(7);
  auto text = [&](int max) {
    static constexpr std::string_view kChars = "abcXYZ019 _-./:\"\\\n\t\x01\xc3\xa9\xe4\xb8\xad";
    std::string s;
    const int n = std::uniform_int_distribution<int>(0, max)(rng);
    for (int i = 0; i < n; ++i) s += kChars[rng() % kChars.size()];
    // Cut-off multi-byte sequences are invalid UTF-8; nlohmann's dump would
    // throw on them, so keep the text valid here.
    std::string fixed;
    return std::string(ReplaceInvalidUtf8(s, &fixed));
  };
  for (int round = 0; round < 200; ++round) {
    ExportTraceServiceRequest req;
    const int resources = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int r = 0; r < resources; ++r) {
      auto* rs = req.add_resource_spans();
      auto* service = rs->mutable_resource()->add_attributes();
      service->set_key("service.name");
      service->mutable_value()->set_string_value(text(12));
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(text(8));
      const int spans = std::uniform_int_distribution<int>(1, 20)(rng);
      for (int s = 0; s < spans; ++s) {
        Span* span = ss->add_spans();
        std::string trace_id(16, '\0'), span_id(8, '\0');
        for (char& c : trace_id) c = static_cast<char>(rng());
        for (char& c : span_id) c = static_cast<char>(rng());
        span_id[0] |= 1;
        span->set_trace_id(trace_id);
        span->set_span_id(span_id);
        if (rng() % 2) span->set_parent_span_id(std::string(8, '\x11'));
        span->set_name(text(20));
        span->set_kind(static_cast<Span::SpanKind>(rng() % 6));
        span->set_start_time_unix_nano(1700000000000000000u + rng());
        span->set_end_time_unix_nano(span->start_time_unix_nano() + rng() % 1000000);
        const int attrs = static_cast<int>(rng() % 8);
        for (int a = 0; a < attrs; ++a) {
          KeyValue* kv = span->add_attributes();
          kv->set_key(text(10));
          if (rng() % 2) {
            kv->mutable_value()->set_string_value(text(40));
          } else {
            kv->mutable_value()->set_int_value(static_cast<int64_t>(rng()) - (1ll << 31));
          }
        }
        if (rng() % 3 == 0) {
          auto* ev = span->add_events();
          ev->set_name(text(10));
          ev->set_time_unix_nano(span->start_time_unix_nano() + 5000);
          KeyValue* kv = ev->add_attributes();
          kv->set_key(text(5));
          kv->mutable_value()->set_string_value(text(10));
        }
      }
    }
    const std::string body = zipkin_test::ZipkinJsonFromOtlp(req);
    EXPECT_TRUE(ExpectSameAsReference(body));
    if (HasFailure()) break;
  }
}

TEST(ZipkinJsonSimd, WorksAcrossTheKeepParserLimit) {
  std::string big = "[";
  while (big.size() <= kZipkinJsonKeepParserBytes) {
    if (big.size() > 1) big += ",";
    big += R"({"traceId":"1","id":"2","name":"a span with a name","tags":{"k":"v"}})";
  }
  big += "]";
  EXPECT_TRUE(ExpectSameAsReference(big));
  EXPECT_TRUE(ExpectSameAsReference(kRealistic));  // a fresh parser afterwards
  EXPECT_TRUE(ExpectSameAsReference(big));
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
