// The Jaeger protobuf (gRPC PostSpans) translator: ID lengths, per-span
// process regrouping, scopes, timestamps and blank spans.
#include "receiver/jaeger/jaeger_proto.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "jaeger/api_v2/collector.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::internal {
namespace {

using ::andante::jaeger::api_v2::Batch;
using ::andante::jaeger::api_v2::PostSpansRequest;
using ::andante::jaeger::api_v2::Process;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::testing::HasSubstr;
using JaegerSpan = ::andante::jaeger::api_v2::Span;

std::string Bytes8(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

std::string RequestBytes(const Batch& batch) {
  PostSpansRequest request;
  *request.mutable_batch() = batch;
  return request.SerializeAsString();
}

JaegerSpan* AddSpan(Batch* batch, uint64_t span_id, const std::string& name = "op") {
  JaegerSpan* span = batch->add_spans();
  span->set_trace_id(Bytes8(1) + Bytes8(2));
  span->set_span_id(Bytes8(span_id));
  span->set_operation_name(name);
  span->mutable_start_time()->set_seconds(1700000000);
  span->mutable_start_time()->set_nanos(500);
  span->mutable_duration()->set_seconds(1);
  span->mutable_duration()->set_nanos(5);
  return span;
}

void SetProcess(Process* p, const std::string& service, const std::string& tag_value = "") {
  p->set_service_name(service);
  if (!tag_value.empty()) {
    auto* kv = p->add_tags();
    kv->set_key("ip");
    kv->set_v_str(tag_value);
  }
}

void AddStringTag(JaegerSpan* span, const std::string& key, const std::string& value) {
  auto* kv = span->add_tags();
  kv->set_key(key);
  kv->set_v_str(value);
}

std::string Service(const ResourceSpans& rs) {
  for (const auto& kv : rs.resource().attributes()) {
    if (kv.key() == "service.name") return kv.value().string_value();
  }
  return "<none>";
}

std::string SpanNames(const ResourceSpans& rs) {
  std::string out;
  for (const auto& ss : rs.scope_spans()) {
    for (const auto& span : ss.spans()) out += span.name() + ",";
  }
  return out;
}

TEST(JaegerProtoTest, TranslatesASpan) {
  Batch batch;
  SetProcess(batch.mutable_process(), "svc");
  JaegerSpan* span = AddSpan(&batch, 0xab);
  auto* ref = span->add_references();
  ref->set_trace_id(Bytes8(1) + Bytes8(2));
  ref->set_span_id(Bytes8(0xcd));
  ref->set_ref_type(jaeger::api_v2::CHILD_OF);
  auto* log = span->add_logs();
  log->mutable_timestamp()->set_seconds(1700000001);
  auto* field = log->add_fields();
  field->set_key("event");
  field->set_v_str("cache miss");

  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 1);
  const auto& got = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(got.trace_id(), Bytes8(1) + Bytes8(2));
  EXPECT_EQ(got.span_id(), Bytes8(0xab));
  EXPECT_EQ(got.parent_span_id(), Bytes8(0xcd));
  EXPECT_EQ(got.links_size(), 0);
  EXPECT_EQ(got.start_time_unix_nano(), 1700000000000000500ull);
  EXPECT_EQ(got.end_time_unix_nano(), 1700000001000000505ull);
  ASSERT_EQ(got.events_size(), 1);
  EXPECT_EQ(got.events(0).name(), "cache miss");
  EXPECT_EQ(got.events(0).time_unix_nano(), 1700000001000000000ull);
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).scope().name(), "");
}

TEST(JaegerProtoTest, EightByteTraceIdIsTheLowHalf) {
  Batch batch;
  JaegerSpan* span = AddSpan(&batch, 1);
  span->set_trace_id(Bytes8(0x77));
  auto* ref = span->add_references();
  ref->set_trace_id(Bytes8(0) + Bytes8(0x77));  // same trace, 16-byte form
  ref->set_span_id(Bytes8(9));
  ref->set_ref_type(jaeger::api_v2::FOLLOWS_FROM);
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  const auto& got = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(got.trace_id(), Bytes8(0) + Bytes8(0x77));
  EXPECT_EQ(got.parent_span_id(), Bytes8(9));
  ASSERT_EQ(got.links_size(), 1);  // FOLLOWS_FROM stays a link
  EXPECT_EQ(got.links(0).trace_id(), Bytes8(0) + Bytes8(0x77));
}

TEST(JaegerProtoTest, EmptyIdsAreZero) {
  Batch batch;
  JaegerSpan* span = AddSpan(&batch, 1);
  span->clear_trace_id();
  span->clear_span_id();
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  const auto& got = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(got.trace_id(), std::string(16, '\0'));
  EXPECT_EQ(got.span_id(), std::string(8, '\0'));
}

TEST(JaegerProtoTest, BadIdLengthsRejectTheBatch) {
  struct Case {
    std::function<void(JaegerSpan*)> mutate;
    const char* want;
  } cases[] = {
      {[](JaegerSpan* s) { s->set_span_id("12345"); },
       "jaeger proto: span 1: span_id must be 8 bytes, got 5"},
      {[](JaegerSpan* s) { s->set_trace_id(std::string(12, 'x')); },
       "jaeger proto: span 1: trace_id must be 16 or 8 bytes, got 12"},
      {[](JaegerSpan* s) { s->add_references()->set_span_id("123456789"); },
       "jaeger proto: span 1: reference 0: span_id must be 8 bytes, got 9"},
      {[](JaegerSpan* s) { s->add_references()->set_trace_id("1"); },
       "jaeger proto: span 1: reference 0: trace_id must be 16 or 8 bytes, got 1"},
      {[](JaegerSpan* s) { s->mutable_start_time()->set_nanos(1000000000); },
       "jaeger proto: span 1: start_time (1700000000s, 1000000000ns) is out of range"},
      {[](JaegerSpan* s) { s->mutable_duration()->set_nanos(-1); },
       "jaeger proto: span 1: duration (1s, -1ns) is out of range"},
      {[](JaegerSpan* s) { s->mutable_duration()->set_seconds(315576000001); },
       "duration (315576000001s, 5ns) is out of range"},
      {[](JaegerSpan* s) { s->add_logs()->mutable_timestamp()->set_seconds(-62135596801); },
       "log timestamp"},
  };
  for (const Case& c : cases) {
    Batch batch;
    AddSpan(&batch, 1);
    c.mutate(AddSpan(&batch, 2));
    ExportTraceServiceRequest out;
    out.add_resource_spans();
    absl::Status s = TranslateJaegerProtoBatch(batch, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.want));
    EXPECT_EQ(out.resource_spans_size(), 1);  // unchanged
  }
}

TEST(JaegerProtoTest, MissingTimestampIsGoZeroTime) {
  Batch batch;
  JaegerSpan* span = AddSpan(&batch, 1);
  span->clear_start_time();
  span->clear_duration();
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  // time.Time{}.UnixNano() wraps: -62135596800e9 mod 2^64.
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(0).start_time_unix_nano(),
            11651379494838206464ull);
}

TEST(JaegerProtoTest, SpansAreRegroupedByProcess) {
  Batch batch;
  SetProcess(batch.mutable_process(), "a", "10.0.0.1");
  AddSpan(&batch, 1, "s1");
  SetProcess(AddSpan(&batch, 2, "s2")->mutable_process(), "b");
  SetProcess(AddSpan(&batch, 3, "s3")->mutable_process(), "a", "10.0.0.1");  // same as batch
  SetProcess(AddSpan(&batch, 4, "s4")->mutable_process(), "b");
  SetProcess(AddSpan(&batch, 5, "s5")->mutable_process(), "a", "10.0.0.2");  // other tag
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 3);
  EXPECT_EQ(Service(out.resource_spans(0)), "a");
  EXPECT_EQ(SpanNames(out.resource_spans(0)), "s1,s3,");
  EXPECT_EQ(Service(out.resource_spans(1)), "b");
  EXPECT_EQ(SpanNames(out.resource_spans(1)), "s2,s4,");
  EXPECT_EQ(SpanNames(out.resource_spans(2)), "s5,");
  EXPECT_EQ(out.resource_spans(2).resource().attributes(1).value().string_value(), "10.0.0.2");
}

TEST(JaegerProtoTest, BatchWithoutProcessOrOwnSpans) {
  // No batch process and every span has its own: no empty group.
  Batch batch;
  SetProcess(AddSpan(&batch, 1, "s1")->mutable_process(), "b");
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 1);
  EXPECT_EQ(Service(out.resource_spans(0)), "b");

  // A batch process whose spans all moved away still yields its resource.
  SetProcess(batch.mutable_process(), "a");
  out.Clear();
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 2);
  EXPECT_EQ(Service(out.resource_spans(0)), "a");
  EXPECT_EQ(out.resource_spans(0).scope_spans_size(), 0);

  // Spans without any process: one resource without attributes.
  Batch bare;
  AddSpan(&bare, 1);
  bare.mutable_spans(0)->mutable_process();  // present but empty: same group
  AddSpan(&bare, 2);
  out.Clear();
  ASSERT_TRUE(TranslateJaegerProtoBatch(bare, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 1);
  EXPECT_EQ(out.resource_spans(0).resource().attributes_size(), 0);
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 2);

  // Nothing at all.
  out.Clear();
  ASSERT_TRUE(TranslateJaegerProtoBatch(Batch(), &out).ok());
  EXPECT_EQ(out.resource_spans_size(), 0);
}

TEST(JaegerProtoTest, NoServiceNameSentinelLeavesResourceEmpty) {
  Batch batch;
  SetProcess(batch.mutable_process(), "OTLPResourceNoServiceName", "10.0.0.1");
  AddSpan(&batch, 1);
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  EXPECT_EQ(out.resource_spans(0).resource().attributes_size(), 0);
}

TEST(JaegerProtoTest, ScopeTagsGroupSpans) {
  Batch batch;
  JaegerSpan* a = AddSpan(&batch, 1, "a");
  AddStringTag(a, "otel.scope.version", "1.0");
  AddStringTag(a, "k", "v");
  AddStringTag(a, "otel.scope.name", "lib");
  JaegerSpan* b = AddSpan(&batch, 2, "b");
  AddStringTag(b, "otel.scope.version", "2.0");  // no name: version ignored
  AddSpan(&batch, 3, "c");
  JaegerSpan* d = AddSpan(&batch, 4, "d");
  AddStringTag(d, "otel.scope.name", "lib");
  AddStringTag(d, "otel.scope.version", "1.0");
  AddStringTag(d, "otel.scope.name", "again");  // only the first is taken
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  const auto& rs = out.resource_spans(0);
  ASSERT_EQ(rs.scope_spans_size(), 2);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "lib");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "1.0");
  ASSERT_EQ(rs.scope_spans(0).spans_size(), 2);
  EXPECT_EQ(rs.scope_spans(0).spans(0).attributes_size(), 1);
  EXPECT_EQ(rs.scope_spans(0).spans(1).attributes(0).value().string_value(), "again");
  EXPECT_EQ(rs.scope_spans(1).scope().name(), "");
  EXPECT_EQ(SpanNames(rs), "a,d,b,c,");
  EXPECT_EQ(rs.scope_spans(1).spans(0).attributes(0).key(), "otel.scope.version");
}

TEST(JaegerProtoTest, BlankSpansAreSkipped) {
  Batch batch;
  batch.add_spans();
  AddSpan(&batch, 1);
  batch.add_spans()->mutable_start_time();  // time.Unix(0, 0) is not blank
  batch.add_spans()->mutable_duration();    // a zero duration is
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  ASSERT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 2);
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(1).start_time_unix_nano(), 0u);
}

TEST(JaegerProtoTest, UnknownRefTypeIsFollowsFromLinkButNeverParent) {
  Batch batch;
  JaegerSpan* span = AddSpan(&batch, 1);
  auto* ref = span->add_references();
  ref->set_trace_id(span->trace_id());
  ref->set_span_id(Bytes8(5));
  ref->set_ref_type(static_cast<jaeger::api_v2::SpanRefType>(7));
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  const auto& got = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(got.parent_span_id(), "");
  ASSERT_EQ(got.links_size(), 1);
  EXPECT_EQ(got.links(0).attributes(0).value().string_value(), "follows_from");
}

TEST(JaegerProtoTest, WireBytesAndParsedBatchAgree) {
  Batch batch;
  SetProcess(batch.mutable_process(), "a-service-name-longer-than-sso", "10.0.0.1");
  for (int i = 0; i < 4; ++i) {
    JaegerSpan* span = AddSpan(&batch, i + 1, "an-operation-name-longer-than-sso");
    AddStringTag(span, "http.status_message", "a status message that is long");
    AddStringTag(span, "http.status_message", "the last duplicate wins here");
    AddStringTag(span, "http.status_code", "503");
    AddStringTag(span, "span.kind", "client");
    AddStringTag(span, "w3c.tracestate", "vendor=value-longer-than-sso");
    auto* bin = span->add_tags();
    bin->set_key("binary-key-longer-than-sso");
    bin->set_v_type(jaeger::api_v2::BINARY);
    bin->set_v_binary(std::string(40, '\x01'));
    auto* field = span->add_logs()->add_fields();
    field->set_key("event");
    field->set_v_str("an event name longer than sso");
    if (i % 2 == 1) SetProcess(span->mutable_process(), "b", "10.0.0.2");
  }
  ExportTraceServiceRequest copied, moved;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &copied).ok());
  ASSERT_TRUE(DecodeJaegerPostSpans(RequestBytes(batch), &moved).ok());
  EXPECT_EQ(moved.SerializeAsString(), copied.SerializeAsString());
  const auto& span = copied.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.status().message(), "the last duplicate wins here");
  EXPECT_EQ(span.trace_state(), "vendor=value-longer-than-sso");
}


// --- The wire walker against protobuf's reading of the same bytes ----------

// Protobuf's reading of `bytes`, re-encoded canonically: what the walker's
// output must equal.
std::string Translated(std::string_view bytes, absl::Status* status = nullptr) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerPostSpans(bytes, &out);
  if (status != nullptr) *status = s;
  return s.ok() ? out.SerializeAsString() : "error: " + std::string(s.message());
}

std::string ViaProtobuf(std::string_view bytes) {
  PostSpansRequest parsed;
  if (!parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return "unparseable";
  parsed.DiscardUnknownFields();
  ExportTraceServiceRequest out;
  absl::Status s = TranslateJaegerProtoBatch(parsed.batch(), &out);
  return s.ok() ? out.SerializeAsString() : "error: " + std::string(s.message());
}

// A field header and payload, for hand-made encodings.
std::string LengthField(int field, std::string_view payload) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteTag(static_cast<uint32_t>(field << 3 | 2));
  coded.WriteVarint32(static_cast<uint32_t>(payload.size()));
  coded.WriteRaw(payload.data(), static_cast<int>(payload.size()));
  coded.Trim();
  return out;
}

Batch SampleBatch() {
  Batch batch;
  SetProcess(batch.mutable_process(), "svc", "10.0.0.1");
  JaegerSpan* span = AddSpan(&batch, 7, "walked");
  AddStringTag(span, "k", "v");
  auto* log = span->add_logs();
  log->mutable_timestamp()->set_seconds(1700000002);
  auto* field = log->add_fields();
  field->set_key("event");
  field->set_v_str("boom");
  return batch;
}

TEST(JaegerProtoWireTest, NonCanonicalEncodingsReadAsProtobufReadsThem) {
  const std::string span_bytes = SampleBatch().spans(0).SerializeAsString();
  const std::string process_bytes = SampleBatch().process().SerializeAsString();
  Process other;
  SetProcess(&other, "svc-renamed", "10.0.0.9");
  JaegerSpan name_only;
  name_only.set_operation_name("renamed");
  google::protobuf::Timestamp late;
  late.set_nanos(777);
  const std::vector<std::pair<std::string, std::string>> batches = {
      // Fields after the spans, the process first, unknown fields of every
      // wire type (including known numbers' neighbours).
      {"process first", LengthField(2, process_bytes) + LengthField(1, span_bytes)},
      {"unknown fields", LengthField(1, span_bytes + std::string("\x68\x05", 2) +
                                            std::string("\x79", 1) + std::string(8, '\x01') +
                                            std::string("\x85\x01\x01\x02\x03\x04", 6) +
                                            LengthField(99, "zz")) +
                             LengthField(2, process_bytes) + LengthField(7, "ignored")},
      // A scalar sent twice keeps the last value; a Timestamp sent twice merges.
      {"last scalar wins", LengthField(1, span_bytes + name_only.SerializeAsString()) +
                               LengthField(2, process_bytes)},
      {"timestamps merge", LengthField(1, span_bytes + LengthField(6, late.SerializeAsString())) +
                               LengthField(2, process_bytes)},
      // Singular messages sent twice merge (the walker leaves these to protobuf).
      {"two processes", LengthField(2, process_bytes) + LengthField(1, span_bytes) +
                            LengthField(2, other.SerializeAsString())},
      {"span process twice",
       LengthField(1, span_bytes + LengthField(10, process_bytes) +
                          LengthField(10, other.SerializeAsString()))},
      // A known field with another wire type is an unknown field to protobuf.
      {"wrong wire type", LengthField(1, span_bytes + std::string("\x28\x01", 2) +
                                             std::string("\x18\x05", 2)) +
                              LengthField(2, process_bytes)},
  };
  for (const auto& [what, batch] : batches) {
    SCOPED_TRACE(what);
    std::string request = LengthField(1, batch);
    EXPECT_EQ(Translated(request), ViaProtobuf(request));
    EXPECT_NE(Translated(request).substr(0, 6), "error:");
  }
  // Two batches in one request merge too.
  const std::string twice = LengthField(1, LengthField(1, span_bytes)) +
                            LengthField(1, LengthField(2, process_bytes));
  EXPECT_EQ(Translated(twice), ViaProtobuf(twice));
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerPostSpans(twice, &out).ok());
  EXPECT_EQ(Service(out.resource_spans(0)), "svc");
}

TEST(JaegerProtoWireTest, MalformedBytesAreRejectedWithProtobufsReason) {
  const std::string good = RequestBytes(SampleBatch());
  for (size_t cut = 1; cut < good.size(); ++cut) {
    const std::string truncated = good.substr(0, cut);
    absl::Status status;
    const std::string got = Translated(truncated, &status);
    if (ViaProtobuf(truncated) == "unparseable") {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << cut;
      EXPECT_THAT(std::string(status.message()),
                  HasSubstr("jaeger proto: cannot parse PostSpansRequest")) << cut;
    } else {
      EXPECT_EQ(got, ViaProtobuf(truncated)) << cut;
    }
  }
  // Invalid UTF-8 in a string field: protobuf refuses the request.
  Batch batch = SampleBatch();
  batch.mutable_spans(0)->set_operation_name("bad \xff name");
  absl::Status status;
  Translated(RequestBytes(batch), &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot parse PostSpansRequest"));
  // Bytes fields take anything.
  batch = SampleBatch();
  auto* bin = batch.mutable_spans(0)->add_tags();
  bin->set_key("bin");
  bin->set_v_type(jaeger::api_v2::BINARY);
  bin->set_v_binary("\xff\xfe");
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerPostSpans(RequestBytes(batch), &out).ok());
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(0).attributes(1).value().bytes_value(),
            "\xff\xfe");
}

TEST(JaegerProtoWireTest, ABadSpanBeforeAMalformedOneIsAParseError) {
  Batch batch = SampleBatch();
  batch.mutable_spans(0)->set_span_id("123");  // a translation error ...
  std::string request = RequestBytes(batch);
  request += LengthField(1, std::string("\x0a\x05", 2));  // ... then truncated bytes
  absl::Status status;
  Translated(request, &status);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot parse"));
}

TEST(JaegerProtoWireTest, ReportsTheSpanCount) {
  Batch batch = SampleBatch();
  AddSpan(&batch, 8);
  uint64_t spans = 0;
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerPostSpans(RequestBytes(batch), &out, &spans).ok());
  EXPECT_EQ(spans, 2u);
  batch.mutable_spans(1)->set_span_id("x");
  ExportTraceServiceRequest rejected;
  EXPECT_FALSE(DecodeJaegerPostSpans(RequestBytes(batch), &rejected, &spans).ok());
  EXPECT_EQ(spans, 2u);
  EXPECT_FALSE(DecodeJaegerPostSpans("\xff", &rejected, &spans).ok());
  EXPECT_EQ(spans, 0u);
}

TEST(JaegerProtoTest, ManyDistinctProcessesStayFast) {
  Batch batch;
  for (int i = 0; i < 20000; ++i) {
    SetProcess(AddSpan(&batch, i + 1)->mutable_process(), absl::StrCat("svc", i));
  }
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  EXPECT_EQ(out.resource_spans_size(), 20000);
}

TEST(JaegerProtoTest, ManyTagsStayFast) {
  Batch batch;
  JaegerSpan* span = AddSpan(&batch, 1);
  for (int i = 0; i < 50000; ++i) AddStringTag(span, absl::StrCat("k", i % 40000), "v");
  ExportTraceServiceRequest out;
  ASSERT_TRUE(TranslateJaegerProtoBatch(batch, &out).ok());
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(0).attributes_size(), 40000);
}

}  // namespace
}  // namespace andante::internal
