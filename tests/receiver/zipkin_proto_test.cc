// Zipkin v2 protobuf decoding (zipkin-go's zipkin_proto3.ParseSpans rules)
// and hostile wire input: every body ends in an error or a valid request.
#include "receiver/zipkin/zipkin_proto.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "receiver/zipkin/zipkin_decode.h"
#include "tests/testing/proto_wire.h"
#include "tests/testing/zipkin_test_encoder.h"
#include "zipkin/zipkin.pb.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::Span;
using ::testing::HasSubstr;
using ZSpan = ::andante::zipkin::proto3::Span;
using ::andante::zipkin::proto3::ListOfSpans;

ZSpan* AddSpan(ListOfSpans* list, char id = '\x02') {
  ZSpan* s = list->add_spans();
  s->set_trace_id(std::string(8, '\0') + std::string(8, '\x11'));
  s->set_id(std::string(7, '\0') + id);
  s->set_timestamp(1700000000000000);
  s->set_duration(5);
  return s;
}

std::string ParseError(std::string_view body) {
  ZipkinSpanBatch batch;
  absl::Status s = ParseZipkinV2Proto(body, &batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

// Raw wire bytes for what the generated code will not write.
using ::andante::testing::Key;
using ::andante::testing::Len;
using ::andante::testing::Varint;

std::string MinimalSpan(std::string extra = "") {
  return Len(1, std::string(16, '\x01')) + Len(3, std::string(8, '\x02')) + extra;
}
std::string ListOf(std::string_view span) { return Len(1, span); }

TEST(ZipkinProto, DecodesSpans) {
  ListOfSpans list;
  ZSpan* s = AddSpan(&list);
  s->set_parent_id(std::string(7, '\0') + "\x01");
  s->set_name("get /");
  s->set_kind(ZSpan::SERVER);
  s->mutable_local_endpoint()->set_service_name("api");
  s->mutable_local_endpoint()->set_ipv6(std::string(15, '\0') + "\x01");
  s->mutable_remote_endpoint()->set_port(443);
  auto* a = s->add_annotations();
  a->set_timestamp(1700000000000001);
  a->set_value("ev");
  (*s->mutable_tags())["k"] = "v";
  s->set_debug(true);
  s->set_shared(true);
  std::string body = list.SerializeAsString();

  ZipkinSpanBatch batch;
  ASSERT_TRUE(ParseZipkinV2Proto(body, &batch).ok());
  ASSERT_EQ(batch.spans.size(), 1u);
  const ZipkinSpan& z = batch.spans[0];
  EXPECT_EQ(z.trace_id_high, 0u);
  EXPECT_EQ(z.trace_id_low, 0x1111111111111111u);
  EXPECT_EQ(z.id, 2u);
  EXPECT_EQ(z.parent_id, 1u);
  EXPECT_EQ(z.kind, ZipkinKind::kServer);
  EXPECT_EQ(z.name, "get /");
  EXPECT_EQ(z.start_unix_nano, 1700000000000000000u);
  EXPECT_EQ(z.duration_nanos, 5000u);
  EXPECT_FALSE(z.timestamp_absent);
  EXPECT_EQ(z.local_endpoint.service_name, "api");
  EXPECT_EQ(z.local_endpoint.ipv6.size(), 16u);
  EXPECT_EQ(z.remote_endpoint.port, 443);
  ASSERT_EQ(z.annotations_end - z.annotations_begin, 1u);
  EXPECT_EQ(batch.annotations[0].time_unix_nano, 1700000000000001000u);
  ASSERT_EQ(z.tags_end - z.tags_begin, 1u);
  EXPECT_EQ(batch.tags[0].key, "k");

  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeZipkinSpans(body, ZipkinFormat::kV2Proto, &out).ok());
  const Span& span = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id(), std::string(8, '\0') + std::string(8, '\x11'));
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
}

TEST(ZipkinProto, IdLengthsUseZipkinGosWords) {
  ListOfSpans list;
  AddSpan(&list)->set_trace_id(std::string(8, '\x01'));
  EXPECT_EQ(ParseError(list.SerializeAsString()),
            "invalid TraceID: has length 8 yet wanted length 16");
  list.Clear();
  AddSpan(&list)->clear_id();
  EXPECT_EQ(ParseError(list.SerializeAsString()), "expected a non-nil SpanID");
  list.Clear();
  AddSpan(&list)->set_id("\x01\x02\x03\x04");
  EXPECT_EQ(ParseError(list.SerializeAsString()),
            "invalid SpanID: has length 4 yet wanted length 8");
  list.Clear();
  AddSpan(&list)->set_parent_id("\x01\x02\x03");
  EXPECT_EQ(ParseError(list.SerializeAsString()),
            "invalid ParentID: has length 3 yet wanted length 8");
  list.Clear();
  AddSpan(&list)->clear_trace_id();
  EXPECT_EQ(ParseError(list.SerializeAsString()),
            "invalid TraceID: has length 0 yet wanted length 16");
  // An all-zero span ID decodes; the store refuses it later.
  list.Clear();
  AddSpan(&list)->set_id(std::string(8, '\0'));
  ZipkinSpanBatch batch;
  EXPECT_TRUE(ParseZipkinV2Proto(list.SerializeAsString(), &batch).ok());
}

TEST(ZipkinProto, EmptyBodyHoldsNoSpans) {
  ExportTraceServiceRequest out;
  EXPECT_TRUE(DecodeZipkinSpans("", ZipkinFormat::kV2Proto, &out).ok());
  EXPECT_EQ(out.resource_spans_size(), 0);
}

TEST(ZipkinProto, InvalidUtf8IsRefused) {
  ListOfSpans list;
  AddSpan(&list)->set_name("a\xff");
  std::string body;
  list.SerializeToString(&body);  // C++ only logs about proto3 UTF-8 on write
  EXPECT_THAT(ParseError(body), HasSubstr("Span.name contains invalid UTF-8"));
  list.Clear();
  (*AddSpan(&list)->mutable_tags())["k"] = "\xc3";
  list.SerializeToString(&body);
  EXPECT_THAT(ParseError(body), HasSubstr("TagsEntry.value contains invalid UTF-8"));
}

TEST(ZipkinProto, UnknownFieldsWrongWireTypesAndGroupsAreSkipped) {
  std::string extra = Key(99, 0) + Varint(12345) +               // unknown varint
                      Key(98, 1) + std::string(8, 'x') +         // fixed64
                      Key(97, 5) + std::string(4, 'y') +         // fixed32
                      Len(96, "zzz") +                           // bytes
                      Key(95, 3) + Key(1, 0) + Varint(1) + Key(94, 3) + Key(94, 4) +
                      Key(95, 4) +                               // nested groups
                      Key(5, 0) + Varint(7) +                    // name as varint: skipped
                      Key(4, 2) + Varint(1) + "x";               // kind as bytes: skipped
  ZipkinSpanBatch batch;
  absl::Status s = ParseZipkinV2Proto(ListOf(MinimalSpan(extra)) + Key(50, 0) + Varint(1), &batch);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(batch.spans[0].name, "");
  EXPECT_EQ(batch.spans[0].kind, ZipkinKind::kUnspecified);
}

TEST(ZipkinProto, MalformedWireData) {
  EXPECT_THAT(ParseError("\x0a"), HasSubstr("truncated varint"));
  EXPECT_THAT(ParseError("\x0a\x05\x01"), HasSubstr("length exceeds"));
  EXPECT_THAT(ParseError(Key(1, 7)), HasSubstr("invalid wire type 7"));
  EXPECT_THAT(ParseError(std::string("\x00", 1)), HasSubstr("invalid field number"));
  EXPECT_THAT(ParseError(Key(3, 4)), HasSubstr("unexpected end group"));
  EXPECT_THAT(ParseError(Key(3, 3) + Key(4, 4)), HasSubstr("mismatched end group"));
  EXPECT_THAT(ParseError(Key(3, 3)), HasSubstr("truncated"));
  EXPECT_THAT(ParseError(Key(3, 1) + "1234"), HasSubstr("truncated fixed64"));
  EXPECT_THAT(ParseError(std::string(11, '\xff')), HasSubstr("varint"));
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += Key(3, 3);
  EXPECT_THAT(ParseError(deep), HasSubstr("nested too deeply"));
  EXPECT_THAT(ParseError(ListOf(MinimalSpan(Len(8, Key(1, 2) + "\x05" "ab")))),
              HasSubstr("length exceeds"));
}

TEST(ZipkinProto, RepeatedFieldsFollowProtobufRules) {
  // Map entries: the last value of a key wins (translator); a missing key or
  // value is "". Endpoint occurrences merge; scalars keep the last value.
  std::string span = MinimalSpan(
      Len(11, Len(1, "k") + Len(2, "first")) + Len(11, Len(2, "no key")) +
      Len(11, Len(1, "k") + Len(2, "second")) + Len(8, Len(1, "svc")) +
      Len(8, Key(4, 0) + Varint(8080)) + Len(5, "one") + Len(5, "two") +
      Key(4, 0) + Varint(7) + Len(11, Len(1, "span.kind") + Len(2, "internal")));
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeZipkinSpans(ListOf(span), ZipkinFormat::kV2Proto, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 1);
  EXPECT_EQ(out.resource_spans(0).resource().attributes(0).value().string_value(), "svc");
  const Span& s = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(s.name(), "two");
  EXPECT_EQ(s.kind(), Span::SPAN_KIND_INTERNAL);  // kind 7 is unspecified
  std::map<std::string, std::string> attrs;
  for (const KeyValue& kv : s.attributes()) {
    attrs[kv.key()] = kv.value().has_string_value() ? kv.value().string_value()
                                                    : std::to_string(kv.value().int_value());
  }
  EXPECT_EQ(attrs, (std::map<std::string, std::string>{
                       {"k", "second"}, {"", "no key"}, {"net.host.port", "8080"}}));
}

TEST(ZipkinProto, EveryTruncationAndBitFlipEndsCleanly) {
  ListOfSpans list;
  for (char id = 1; id <= 3; ++id) {
    ZSpan* s = AddSpan(&list, id);
    s->set_name("op");
    s->mutable_local_endpoint()->set_service_name("svc");
    s->mutable_local_endpoint()->set_ipv4("\x0a\x00\x00\x01");
    (*s->mutable_tags())["http.method"] = "GET";
    s->add_annotations()->set_value("e|{\"a\":1}|0");
  }
  const std::string body = list.SerializeAsString();
  for (size_t n = 0; n <= body.size(); ++n) {
    ExportTraceServiceRequest out;
    absl::Status s = DecodeZipkinSpans(body.substr(0, n), ZipkinFormat::kV2Proto, &out);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    }
  }
  for (size_t i = 0; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutated = body;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      ExportTraceServiceRequest out;
      absl::Status s = DecodeZipkinSpans(mutated, ZipkinFormat::kV2Proto, &out);
      if (!s.ok()) {
        EXPECT_FALSE(s.message().empty());
      }
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string random(rng() % 64, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    ExportTraceServiceRequest out;
    (void)DecodeZipkinSpans(random, ZipkinFormat::kV2Proto, &out);
  }
}

// Attributes in a canonical order, so that JSON (tags in key order) and
// protobuf (map order) translations compare equal.
void SortAttributes(ExportTraceServiceRequest* r) {
  auto by_key = [](const KeyValue& a, const KeyValue& b) { return a.key() < b.key(); };
  for (auto& rs : *r->mutable_resource_spans()) {
    auto* ra = rs.mutable_resource()->mutable_attributes();
    std::sort(ra->begin(), ra->end(), by_key);
    for (auto& ss : *rs.mutable_scope_spans()) {
      for (auto& span : *ss.mutable_spans()) {
        std::sort(span.mutable_attributes()->begin(), span.mutable_attributes()->end(), by_key);
      }
    }
  }
}

TEST(ZipkinProto, JsonAndProtobufTranslateAlike) {
  ExportTraceServiceRequest otlp;
  auto* rs = otlp.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("cart");
  attr = rs->mutable_resource()->add_attributes();
  attr->set_key("host.name");
  attr->mutable_value()->set_string_value("ip-10-0-0-1");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  ss->mutable_scope()->set_version("1.0");
  for (int i = 0; i < 4; ++i) {
    Span* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(0x10 + i)));
    s->set_span_id(std::string(8, static_cast<char>(0x20 + i)));
    if (i > 0) s->set_parent_span_id(std::string(8, 0x20));
    s->set_name("op" + std::to_string(i));
    s->set_kind(static_cast<Span::SpanKind>(i + 1));
    s->set_start_time_unix_nano(1700000000000000000u + i * 1000);
    s->set_end_time_unix_nano(1700000000000500000u);
    auto* kv = s->add_attributes();
    kv->set_key("http.status_code");
    kv->mutable_value()->set_int_value(200 + i);
    if (i == 2) s->mutable_status()->set_code(andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
    auto* ev = s->add_events();
    ev->set_time_unix_nano(1700000000000001000u);
    ev->set_name("exception");
    kv = ev->add_attributes();
    kv->set_key("exception.type");
    kv->mutable_value()->set_string_value("IOError");
  }
  ExportTraceServiceRequest from_json, from_proto;
  ASSERT_TRUE(DecodeZipkinSpans(zipkin_test::ZipkinJsonFromOtlp(otlp), ZipkinFormat::kV2Json,
                                &from_json)
                  .ok());
  ASSERT_TRUE(DecodeZipkinSpans(zipkin_test::ZipkinProtoFromOtlp(otlp), ZipkinFormat::kV2Proto,
                                &from_proto)
                  .ok());
  SortAttributes(&from_json);
  SortAttributes(&from_proto);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(from_json, from_proto)) << diff;
  // And the round trip keeps what Zipkin can carry.
  ASSERT_EQ(from_json.resource_spans_size(), 1);
  const auto& out = from_json.resource_spans(0);
  EXPECT_EQ(out.scope_spans(0).scope().name(), "lib");
  ASSERT_EQ(out.scope_spans(0).spans_size(), 4);
  const Span& internal = out.scope_spans(0).spans(0);
  EXPECT_EQ(internal.kind(), Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(internal.trace_id(), otlp.resource_spans(0).scope_spans(0).spans(0).trace_id());
  EXPECT_EQ(out.scope_spans(0).spans(2).status().code(),
            andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(out.scope_spans(0).spans(3).events(0).attributes(0).value().string_value(), "IOError");
}

}  // namespace
}  // namespace andante::internal
