// The Jaeger Thrift decoders: HTTP bodies and agent datagrams in both
// protocols, encoded here with libthrift's own TBinaryProtocol and
// TCompactProtocol, and hostile inputs (truncation at every byte, huge
// declared sizes, wrong field types, deep nesting).
#include "receiver/jaeger/jaeger_thrift.h"

#include <random>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "Agent.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jaeger_types.h"
#include "tests/testing/jaeger_thrift_reference.h"
#include "receiver/jaeger/jaeger_translate.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

namespace jt = ::jaeger::thrift;
using ::apache::thrift::protocol::TMessageType;
using ::apache::thrift::protocol::TType;
using ::apache::thrift::transport::TMemoryBuffer;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Binary = ::apache::thrift::protocol::TBinaryProtocolT<TMemoryBuffer>;
using Compact = ::apache::thrift::protocol::TCompactProtocolT<TMemoryBuffer>;

// A protocol writer over a memory buffer, for hand-made messages.
template <class P>
struct Writer {
  std::shared_ptr<TMemoryBuffer> buffer = std::make_shared<TMemoryBuffer>();
  P proto{buffer};
  std::string bytes() { return buffer->getBufferAsString(); }
};

jt::Tag StrTag(const std::string& key, const std::string& value) {
  jt::Tag t;
  t.key = key;
  t.vType = jt::TagType::STRING;
  t.__set_vStr(value);
  return t;
}

jt::Span MakeSpan(int64_t span_id) {
  jt::Span s;
  s.traceIdHigh = 0;
  s.traceIdLow = -0x1234567890abcdef;  // a 64-bit ID with the top bit set
  s.spanId = span_id;
  s.parentSpanId = span_id == 1 ? 0 : 1;
  s.operationName = "op" + std::to_string(span_id);
  s.flags = 1;
  s.startTime = 1700000000000000;
  s.duration = 250;
  jt::Tag b;
  b.key = "cache.hit";
  b.vType = jt::TagType::BOOL;
  b.__set_vBool(true);
  jt::Tag d;
  d.key = "ratio";
  d.vType = jt::TagType::DOUBLE;
  d.__set_vDouble(-0.25);
  s.__set_tags({StrTag("span.kind", "server"), b, d, StrTag("http.method", "GET")});
  jt::Log log;
  log.timestamp = 1700000000000100;
  log.fields = {StrTag("event", "retry")};
  s.__set_logs({log});
  jt::SpanRef ref;
  ref.refType = jt::SpanRefType::FOLLOWS_FROM;
  ref.traceIdHigh = 5;
  ref.traceIdLow = 6;
  ref.spanId = 7;
  s.__set_references({ref});
  return s;
}

jt::Batch MakeBatch() {
  jt::Batch batch;
  batch.process.serviceName = "frontend";
  batch.process.__set_tags({StrTag("hostname", "web-1")});
  batch.spans = {MakeSpan(1), MakeSpan(2), MakeSpan(3)};
  batch.__set_seqNo(9);
  return batch;
}

template <class P>
std::string EncodeBatch(const jt::Batch& batch) {
  Writer<P> w;
  batch.write(&w.proto);
  return w.bytes();
}

template <class P>
std::string EncodeAgent(const jt::Batch& batch, TMessageType type = apache::thrift::protocol::T_ONEWAY,
                        int32_t seqid = 1) {
  Writer<P> w;
  w.proto.writeMessageBegin("emitBatch", type, seqid);
  jt::agent::Agent_emitBatch_pargs args;
  args.batch = &batch;
  args.write(&w.proto);
  w.proto.writeMessageEnd();
  return w.bytes();
}

struct Encoding {
  const char* name;
  ThriftProtocol protocol;
  bool agent;
  std::function<std::string(const jt::Batch&)> encode;
};

absl::Status Decode(const Encoding& e, std::string_view bytes, ExportTraceServiceRequest* out) {
  return e.agent ? DecodeJaegerAgentMessage(bytes, e.protocol, out)
                 : DecodeJaegerThriftBatch(bytes, e.protocol, out);
}

class JaegerThriftEncodingTest : public ::testing::TestWithParam<Encoding> {};

TEST_P(JaegerThriftEncodingTest, DecodesAValidMessage) {
  const std::string bytes = GetParam().encode(MakeBatch());
  ExportTraceServiceRequest out;
  ASSERT_TRUE(Decode(GetParam(), bytes, &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 1);
  const auto& rs = out.resource_spans(0);
  ASSERT_EQ(rs.resource().attributes_size(), 2);
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "frontend");
  EXPECT_EQ(rs.resource().attributes(1).key(), "host.name");
  ASSERT_EQ(rs.scope_spans_size(), 1);
  ASSERT_EQ(rs.scope_spans(0).spans_size(), 3);
  const auto& span = rs.scope_spans(0).spans(1);
  EXPECT_EQ(span.name(), "op2");
  EXPECT_EQ(span.trace_id(),
            std::string("\0\0\0\0\0\0\0\0\xed\xcb\xa9\x87\x6f\x54\x32\x11", 16));
  EXPECT_EQ(span.parent_span_id(), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(span.kind(), andante::otlp::trace::v1::Span::SPAN_KIND_SERVER);
  ASSERT_EQ(span.attributes_size(), 3);
  EXPECT_EQ(span.attributes(1).value().bool_value(), true);
  EXPECT_EQ(span.attributes(2).value().double_value(), -0.25);
  ASSERT_EQ(span.events_size(), 1);
  EXPECT_EQ(span.events(0).name(), "retry");
  ASSERT_EQ(span.links_size(), 1);
  EXPECT_EQ(span.end_time_unix_nano(), 1700000000000250000ull);
}

TEST_P(JaegerThriftEncodingTest, AllEncodingsGiveTheSameOtlp) {
  const Encoding reference{"binary body", ThriftProtocol::kBinary, false, EncodeBatch<Binary>};
  ExportTraceServiceRequest want, got;
  ASSERT_TRUE(Decode(reference, reference.encode(MakeBatch()), &want).ok());
  ASSERT_TRUE(Decode(GetParam(), GetParam().encode(MakeBatch()), &got).ok());
  EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
}

// Every prefix of a valid message is an error with a message, never a
// crash, and leaves the output as it was.
TEST_P(JaegerThriftEncodingTest, EveryTruncationIsACleanError) {
  const std::string bytes = GetParam().encode(MakeBatch());
  ExportTraceServiceRequest out;
  out.add_resource_spans();  // must survive failed decodes
  for (size_t n = 0; n < bytes.size(); ++n) {
    absl::Status s = Decode(GetParam(), std::string_view(bytes).substr(0, n), &out);
    ASSERT_FALSE(s.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), StartsWith("jaeger thrift: "));
    ASSERT_EQ(out.resource_spans_size(), 1) << n;
  }
}

TEST_P(JaegerThriftEncodingTest, EveryByteFlipIsHandled) {
  std::string bytes = GetParam().encode(MakeBatch());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string mutated = bytes;
      mutated[i] = static_cast<char>(mutated[i] ^ x);
      ExportTraceServiceRequest out;
      absl::Status s = Decode(GetParam(), mutated, &out);
      if (!s.ok()) {
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
        EXPECT_EQ(out.resource_spans_size(), 0);
      }
    }
  }
}

TEST_P(JaegerThriftEncodingTest, TrailingBytesAreIgnored) {
  const std::string bytes = GetParam().encode(MakeBatch()) + "trailing";
  ExportTraceServiceRequest out;
  ASSERT_TRUE(Decode(GetParam(), bytes, &out).ok());
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 3);
}

TEST_P(JaegerThriftEncodingTest, EmptyBatch) {
  jt::Batch batch;
  batch.process.serviceName = "idle";
  ExportTraceServiceRequest out;
  ASSERT_TRUE(Decode(GetParam(), GetParam().encode(batch), &out).ok());
  ASSERT_EQ(out.resource_spans_size(), 1);
  EXPECT_EQ(out.resource_spans(0).scope_spans_size(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, JaegerThriftEncodingTest,
    ::testing::Values(
        Encoding{"BinaryBody", ThriftProtocol::kBinary, false, EncodeBatch<Binary>},
        Encoding{"CompactBody", ThriftProtocol::kCompact, false, EncodeBatch<Compact>},
        Encoding{"BinaryAgent", ThriftProtocol::kBinary, true,
                 [](const jt::Batch& b) { return EncodeAgent<Binary>(b); }},
        Encoding{"CompactAgent", ThriftProtocol::kCompact, true,
                 [](const jt::Batch& b) { return EncodeAgent<Compact>(b); }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(JaegerAgentTest, AcceptsCallAndAnySeqid) {
  ExportTraceServiceRequest out;
  EXPECT_TRUE(DecodeJaegerAgentMessage(
                  EncodeAgent<Compact>(MakeBatch(), apache::thrift::protocol::T_CALL, -77),
                  ThriftProtocol::kCompact, &out)
                  .ok());
  EXPECT_TRUE(DecodeJaegerAgentMessage(
                  EncodeAgent<Binary>(MakeBatch(), apache::thrift::protocol::T_CALL, 1 << 30),
                  ThriftProtocol::kBinary, &out)
                  .ok());
  EXPECT_EQ(out.resource_spans_size(), 2);
}

TEST(JaegerAgentTest, RejectsOtherMessageTypes) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerAgentMessage(
      EncodeAgent<Compact>(MakeBatch(), apache::thrift::protocol::T_REPLY),
      ThriftProtocol::kCompact, &out);
  EXPECT_THAT(std::string(s.message()), HasSubstr("emitBatch message of type 2"));
}

TEST(JaegerAgentTest, AcceptsTheOldNonStrictBinaryHeader) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  Binary proto(buffer, 0, 0, /*strict_read=*/false, /*strict_write=*/false);
  proto.writeMessageBegin("emitBatch", apache::thrift::protocol::T_ONEWAY, 3);
  const jt::Batch batch = MakeBatch();
  jt::agent::Agent_emitBatch_pargs args;
  args.batch = &batch;
  args.write(&proto);
  proto.writeMessageEnd();
  const std::string bytes = buffer->getBufferAsString();
  ASSERT_EQ(bytes[0], 0);  // name length, not the 0x80 version marker
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerAgentMessage(bytes, ThriftProtocol::kBinary, &out).ok());
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 3);
}

TEST(JaegerAgentTest, RejectsEmitZipkinBatchByName) {
  for (ThriftProtocol protocol : {ThriftProtocol::kBinary, ThriftProtocol::kCompact}) {
    std::string bytes;
    auto write = [](auto& w) {
      w.proto.writeMessageBegin("emitZipkinBatch", apache::thrift::protocol::T_ONEWAY, 1);
      jt::agent::Agent_emitZipkinBatch_pargs args;
      const std::vector<jt::agent::ZipkinSpanPlaceholder> spans(2);
      args.spans = &spans;
      args.write(&w.proto);
      w.proto.writeMessageEnd();
      return w.bytes();
    };
    if (protocol == ThriftProtocol::kBinary) {
      Writer<Binary> w;
      bytes = write(w);
    } else {
      Writer<Compact> w;
      bytes = write(w);
    }
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerAgentMessage(bytes, protocol, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("emitZipkinBatch is not supported"));
  }
}

TEST(JaegerAgentTest, RejectsUnknownMethods) {
  Writer<Compact> w;
  w.proto.writeMessageBegin("getSamplingStrategy", apache::thrift::protocol::T_CALL, 1);
  w.proto.writeStructBegin("args");
  w.proto.writeFieldStop();
  w.proto.writeStructEnd();
  w.proto.writeMessageEnd();
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerAgentMessage(w.bytes(), ThriftProtocol::kCompact, &out);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("unknown agent method \"getSamplingStrategy\""));
}

TEST(JaegerAgentTest, EmitBatchWithoutItsArgumentIsEmpty) {
  Writer<Compact> w;
  w.proto.writeMessageBegin("emitBatch", apache::thrift::protocol::T_ONEWAY, 1);
  w.proto.writeStructBegin("args");
  w.proto.writeFieldStop();
  w.proto.writeStructEnd();
  w.proto.writeMessageEnd();
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerAgentMessage(w.bytes(), ThriftProtocol::kCompact, &out).ok());
  EXPECT_EQ(out.resource_spans_size(), 0);
}

// Writes the start of a Batch: the process, then the spans field header.
template <class P>
void WriteBatchPrefix(P* p) {
  p->writeStructBegin("Batch");
  jt::Process process;
  process.serviceName = "svc";
  p->writeFieldBegin("process", apache::thrift::protocol::T_STRUCT, 1);
  process.write(p);
  p->writeFieldEnd();
  p->writeFieldBegin("spans", apache::thrift::protocol::T_LIST, 2);
}

TEST(JaegerThriftHostileTest, HugeSpanListIsRejectedBeforeAllocating) {
  Writer<Compact> w;
  WriteBatchPrefix(&w.proto);
  w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 2147483647);
  const std::string bytes = w.bytes() + std::string(123, '\0');
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerThriftBatch(bytes, ThriftProtocol::kCompact, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("list of 2147483647 elements exceeds the 123 bytes left"));
}

TEST(JaegerThriftHostileTest, HugeTagListIsRejectedBeforeAllocating) {
  for (int32_t size : {100000000, 100, 2147483647}) {
    Writer<Binary> w;
    WriteBatchPrefix(&w.proto);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
    w.proto.writeStructBegin("Span");
    w.proto.writeFieldBegin("tags", apache::thrift::protocol::T_LIST, 10);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, size);
    // 100 tags would need at least 1500 bytes.
    const std::string bytes = w.bytes() + std::string(1000, '\0');
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(bytes, ThriftProtocol::kBinary, &out);
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("list of " + std::to_string(size) + " elements exceeds the 1000 bytes left"));
  }
}

TEST(JaegerThriftHostileTest, HugeOrNegativeSizes) {
  {
    Writer<Binary> w;
    WriteBatchPrefix(&w.proto);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
    w.proto.writeStructBegin("Span");
    w.proto.writeFieldBegin("operationName", apache::thrift::protocol::T_STRING, 5);
    w.proto.writeI32(2147483647);
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(w.bytes() + "abc", ThriftProtocol::kBinary, &out);
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("string of 2147483647 bytes exceeds the 3 bytes left"));
  }
  {
    Writer<Binary> w;
    WriteBatchPrefix(&w.proto);
    w.proto.writeByte(apache::thrift::protocol::T_STRUCT);
    w.proto.writeI32(-1);
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kBinary, &out);
    EXPECT_THAT(std::string(s.message()), HasSubstr("negative size"));
  }
  {
    // A skipped unknown field holding a huge list of i64.
    Writer<Compact> w;
    w.proto.writeStructBegin("Batch");
    w.proto.writeFieldBegin("x", apache::thrift::protocol::T_LIST, 7);
    w.proto.writeListBegin(apache::thrift::protocol::T_I64, 2147483647);
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(w.bytes() + "\x02\x02", ThriftProtocol::kCompact, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(JaegerThriftHostileTest, WrongFieldTypes) {
  {
    // process sent as an i32: skipped like an unknown field, so missing.
    Writer<Binary> w;
    w.proto.writeStructBegin("Batch");
    w.proto.writeFieldBegin("process", apache::thrift::protocol::T_I32, 1);
    w.proto.writeI32(5);
    w.proto.writeFieldBegin("spans", apache::thrift::protocol::T_LIST, 2);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 0);
    w.proto.writeFieldStop();
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kBinary, &out);
    EXPECT_THAT(std::string(s.message()), HasSubstr("Batch.process (field 1) is missing"));
  }
  {
    // A span whose traceIdLow is a string: a required field is missing.
    Writer<Compact> w;
    WriteBatchPrefix(&w.proto);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
    w.proto.writeStructBegin("Span");
    w.proto.writeFieldBegin("traceIdLow", apache::thrift::protocol::T_STRING, 1);
    w.proto.writeString("not a number");
    for (int16_t id : {2, 3, 4, 8, 9}) {
      w.proto.writeFieldBegin("", apache::thrift::protocol::T_I64, id);
      w.proto.writeI64(1);
    }
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_STRING, 5);
    w.proto.writeString("op");
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_I32, 7);
    w.proto.writeI32(0);
    w.proto.writeFieldStop();
    w.proto.writeFieldStop();
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kCompact, &out);
    EXPECT_THAT(std::string(s.message()), HasSubstr("required field"));
  }
  {
    Writer<Binary> w;
    w.proto.writeStructBegin("Batch");
    jt::Process process;
    process.serviceName = "svc";
    w.proto.writeFieldBegin("process", apache::thrift::protocol::T_STRUCT, 1);
    process.write(&w.proto);
    w.proto.writeFieldStop();
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kBinary, &out);
    EXPECT_THAT(std::string(s.message()), HasSubstr("Batch.spans (field 2) is missing"));
  }
}

TEST(JaegerThriftHostileTest, DeepNestingIsBounded) {
  for (ThriftProtocol protocol : {ThriftProtocol::kBinary, ThriftProtocol::kCompact}) {
    auto write = [](auto& w) {
      w.proto.writeStructBegin("Batch");
      for (int i = 0; i < 10000; ++i) {
        w.proto.writeFieldBegin("", apache::thrift::protocol::T_STRUCT, 9);
      }
      return w.bytes();
    };
    std::string bytes;
    if (protocol == ThriftProtocol::kBinary) {
      Writer<Binary> w;
      bytes = write(w);
    } else {
      Writer<Compact> w;
      bytes = write(w);
    }
    ExportTraceServiceRequest out;
    absl::Status s = DecodeJaegerThriftBatch(bytes, protocol, &out);
    EXPECT_THAT(std::string(s.message()), HasSubstr("nested deeper than 64"));
  }
}

TEST(JaegerThriftTest, UnknownFieldsAreSkipped) {
  Writer<Compact> w;
  WriteBatchPrefix(&w.proto);
  w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
  jt::Span span = MakeSpan(1);
  // Field 99 (a list of i64) and 98 (a map) precede the real fields.
  w.proto.writeStructBegin("Span");
  w.proto.writeFieldBegin("", apache::thrift::protocol::T_LIST, 99);
  w.proto.writeListBegin(apache::thrift::protocol::T_I64, 3);
  for (int i = 0; i < 3; ++i) w.proto.writeI64(i);
  w.proto.writeFieldBegin("", apache::thrift::protocol::T_MAP, 98);
  w.proto.writeMapBegin(apache::thrift::protocol::T_STRING, apache::thrift::protocol::T_I32, 1);
  w.proto.writeString("k");
  w.proto.writeI32(1);
  // The required fields (the writer switches to long-form field ids).
  for (int16_t id : {1, 2, 3, 4}) {
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_I64, id);
    w.proto.writeI64(id == 1 ? span.traceIdLow : id == 2 ? 0 : id == 3 ? 42 : 0);
  }
  w.proto.writeFieldBegin("", apache::thrift::protocol::T_STRING, 5);
  w.proto.writeString("op");
  w.proto.writeFieldBegin("", apache::thrift::protocol::T_I32, 7);
  w.proto.writeI32(1);
  w.proto.writeFieldBegin("", apache::thrift::protocol::T_I64, 8);
  w.proto.writeI64(1);
  w.proto.writeFieldBegin("", apache::thrift::protocol::T_I64, 9);
  w.proto.writeI64(1);
  w.proto.writeFieldStop();
  w.proto.writeFieldStop();  // Batch
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kCompact, &out);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(0).span_id(),
            std::string("\0\0\0\0\0\0\0\x2a", 8));
}

TEST(JaegerThriftTest, RepeatedSpansFieldReplacesTheEarlierOne) {
  Writer<Binary> w;
  WriteBatchPrefix(&w.proto);
  w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
  MakeSpan(1).write(&w.proto);
  w.proto.writeFieldBegin("spans", apache::thrift::protocol::T_LIST, 2);
  w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 2);
  MakeSpan(2).write(&w.proto);
  MakeSpan(3).write(&w.proto);
  w.proto.writeFieldStop();
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kBinary, &out).ok());
  ASSERT_EQ(out.resource_spans(0).scope_spans_size(), 1);
  ASSERT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 2);
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans(0).name(), "op2");
}

TEST(JaegerThriftTest, ProcessMayFollowTheSpans) {
  Writer<Binary> w;
  w.proto.writeStructBegin("Batch");
  w.proto.writeFieldBegin("spans", apache::thrift::protocol::T_LIST, 2);
  w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
  MakeSpan(1).write(&w.proto);
  jt::Process process;
  process.serviceName = "late";
  w.proto.writeFieldBegin("process", apache::thrift::protocol::T_STRUCT, 1);
  process.write(&w.proto);
  w.proto.writeFieldStop();
  ExportTraceServiceRequest out;
  ASSERT_TRUE(DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kBinary, &out).ok());
  EXPECT_EQ(out.resource_spans(0).resource().attributes(0).value().string_value(), "late");
  EXPECT_EQ(out.resource_spans(0).scope_spans(0).spans_size(), 1);
}

TEST(JaegerThriftTest, AppendsToExistingOutput) {
  ExportTraceServiceRequest out;
  const std::string bytes = EncodeBatch<Binary>(MakeBatch());
  ASSERT_TRUE(DecodeJaegerThriftBatch(bytes, ThriftProtocol::kBinary, &out).ok());
  ASSERT_TRUE(DecodeJaegerThriftBatch(bytes, ThriftProtocol::kBinary, &out).ok());
  EXPECT_EQ(out.resource_spans_size(), 2);
}

TEST(JaegerThriftTest, WrongProtocolIsAnError) {
  ExportTraceServiceRequest out;
  absl::Status s = DecodeJaegerAgentMessage(EncodeAgent<Binary>(MakeBatch()),
                                            ThriftProtocol::kCompact, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.resource_spans_size(), 0);
}

// --- MakeValidUtf8 -----------------------------------------------------------

// The length of the valid UTF-8 sequence at p[0], decoding the code point
// (no overlongs, no surrogates, at most U+10FFFF), or 0.
size_t ReferenceSequenceLength(const unsigned char* p, size_t n) {
  if (p[0] < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((p[0] & 0xE0) == 0xC0) {
    len = 2, cp = p[0] & 0x1F;
  } else if ((p[0] & 0xF0) == 0xE0) {
    len = 3, cp = p[0] & 0x0F;
  } else if ((p[0] & 0xF8) == 0xF0) {
    len = 4, cp = p[0] & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[k] & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// A byte at a time: each byte that does not start a valid sequence becomes
// U+FFFD. Sets *valid to the length of the valid prefix.
std::string ReferenceRepair(std::string_view s, size_t* valid) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::string out;
  *valid = s.size();
  for (size_t i = 0; i < s.size();) {
    const size_t len = ReferenceSequenceLength(p + i, s.size() - i);
    if (len == 0) {
      if (*valid == s.size()) *valid = i;
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

void ExpectRepairsLikeReference(const std::string& s) {
  size_t valid;
  const std::string want = ReferenceRepair(s, &valid);
  EXPECT_EQ(ValidUtf8Length(s), valid) << absl::BytesToHexString(ToAbsl(s));
  std::string got = s;
  MakeValidUtf8(&got);
  EXPECT_EQ(got, want) << absl::BytesToHexString(ToAbsl(s));
}

TEST(MakeValidUtf8Test, EveryLengthAndPosition) {
  // The word-at-a-time ASCII scan has edges at multiples of 8 and at the
  // overlapping tail load: one non-ASCII byte or sequence at every offset.
  const std::string kInserts[] = {"\x80", "\xff", "\xc3\xa9", "\xe2\x82\xac",
                                  "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf",
                                  "\xf4\x90\x80\x80", "\xe2\x82"};
  for (size_t n = 0; n <= 40; ++n) {
    const std::string ascii(n, 'a');
    ExpectRepairsLikeReference(ascii);
    for (size_t at = 0; at <= n; ++at) {
      for (const std::string& insert : kInserts) {
        ExpectRepairsLikeReference(ascii.substr(0, at) + insert + ascii.substr(at));
        if (HasFailure()) return;
      }
    }
  }
}

TEST(MakeValidUtf8Test, RandomStrings) {
  std::mt19937 rng(8);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 48, '\0');
    const unsigned mode = rng() % 3;
    for (char& c : s) {
      // Mostly ASCII, mostly UTF-8-ish bytes, or anything.
      const unsigned r = rng();
      c = static_cast<char>(mode == 0   ? (r % 16 == 0 ? 0x80 | (r >> 8) : r & 0x7f)
                            : mode == 1 ? 0x80 | (r & 0x7f)
                                        : r);
    }
    ExpectRepairsLikeReference(s);
    if (HasFailure()) return;
  }
}

// --- The hand-written decoder against libthrift's -----------------------------

// Decodes `bytes` with both decoders and expects the same verdict and, on
// success, the same OTLP bytes.
void ExpectSameAsLibthrift(std::string_view bytes, ThriftProtocol protocol, bool agent,
                           const std::string& what) {
  ExportTraceServiceRequest got, want;
  got.add_resource_spans();  // output that was there before must survive
  want.add_resource_spans();
  const absl::Status s = agent ? DecodeJaegerAgentMessage(bytes, protocol, &got)
                               : DecodeJaegerThriftBatch(bytes, protocol, &got);
  const absl::Status r = agent ? DecodeJaegerAgentMessageWithLibthrift(bytes, protocol, &want)
                               : DecodeJaegerThriftBatchWithLibthrift(bytes, protocol, &want);
  ASSERT_EQ(s.ok(), r.ok()) << what << "\nhand-written: " << s << "\nlibthrift: " << r;
  if (!s.ok()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_THAT(std::string(s.message()), StartsWith("jaeger thrift: ")) << what;
  }
  ASSERT_EQ(got.SerializeAsString(), want.SerializeAsString()) << what;
}

// A batch with every field and tag type, odd values and bad UTF-8.
jt::Batch MakeRichBatch() {
  jt::Batch batch = MakeBatch();
  batch.process.tags.push_back(StrTag("jaeger.version", "Go-2.30"));
  batch.process.tags.push_back(StrTag("bad\xff", "v\xc3"));
  jt::Span s = MakeSpan(4);
  s.parentSpanId = 0;
  s.operationName = "caf\xc3\xa9 \xed\xa0\x80";
  jt::Tag bin;
  bin.key = "blob";
  bin.vType = jt::TagType::BINARY;
  bin.__set_vBinary(std::string("\0\xff", 2));
  jt::Tag f;
  f.key = "error";
  f.vType = jt::TagType::BOOL;
  f.__set_vBool(false);
  jt::Tag l;
  l.key = "http.status_code";
  l.vType = jt::TagType::LONG;
  l.__set_vLong(503);
  jt::Tag odd;
  odd.key = "odd";
  // An unnamed TagType: 7 is the largest value the enum (0..4, so 3 bits)
  // can hold; 9 was outside its range, undefined behaviour (UBSan).
  odd.vType = static_cast<jt::TagType::type>(7);
  s.tags.insert(s.tags.end(), {bin, f, l, odd, StrTag("span.kind", "client")});
  jt::SpanRef child;
  child.refType = jt::SpanRefType::CHILD_OF;
  child.traceIdHigh = s.traceIdHigh;
  child.traceIdLow = s.traceIdLow;
  child.spanId = 99;
  s.references.push_back(child);
  jt::Log empty;
  empty.timestamp = 5;
  s.logs.push_back(empty);
  batch.spans.push_back(s);
  batch.spans.push_back(jt::Span());  // blank: skipped
  return batch;
}

struct DiffCase {
  const char* name;
  ThriftProtocol protocol;
  bool agent;
  std::string bytes;
};

std::vector<DiffCase> DiffCases() {
  const jt::Batch batch = MakeRichBatch();
  return {{"BinaryBody", ThriftProtocol::kBinary, false, EncodeBatch<Binary>(batch)},
          {"CompactBody", ThriftProtocol::kCompact, false, EncodeBatch<Compact>(batch)},
          {"BinaryAgent", ThriftProtocol::kBinary, true, EncodeAgent<Binary>(batch)},
          {"CompactAgent", ThriftProtocol::kCompact, true, EncodeAgent<Compact>(batch)}};
}

TEST(JaegerThriftDifferentialTest, ValidMessagesTranslateIdentically) {
  for (const DiffCase& c : DiffCases()) {
    ExpectSameAsLibthrift(c.bytes, c.protocol, c.agent, c.name);
    ExportTraceServiceRequest out;
    ASSERT_TRUE((c.agent ? DecodeJaegerAgentMessage(c.bytes, c.protocol, &out)
                         : DecodeJaegerThriftBatch(c.bytes, c.protocol, &out))
                    .ok())
        << c.name;
  }
}

TEST(JaegerThriftDifferentialTest, TruncationsAndByteChanges) {
  for (const DiffCase& c : DiffCases()) {
    for (size_t n = 0; n <= c.bytes.size(); ++n) {
      ExpectSameAsLibthrift(std::string_view(c.bytes).substr(0, n), c.protocol, c.agent,
                            absl::StrCat(c.name, " prefix ", n));
    }
    for (size_t i = 0; i < c.bytes.size(); ++i) {
      for (int x : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
        std::string mutated = c.bytes;
        mutated[i] = static_cast<char>(mutated[i] ^ x);
        ExpectSameAsLibthrift(mutated, c.protocol, c.agent,
                              absl::StrCat(c.name, " byte ", i, " ^ ", x));
        if (HasFailure()) return;
      }
    }
  }
}

// Random edits of valid messages: overwrites with interesting bytes,
// insertions, deletions and copies of ranges, several at a time.
TEST(JaegerThriftDifferentialTest, RandomMutations) {
  std::mt19937 rng(20261121);
  const unsigned char kInteresting[] = {0x00, 0x01, 0x02, 0x07, 0x08, 0x0b, 0x0c, 0x0d,
                                        0x0f, 0x11, 0x19, 0x1c, 0x7f, 0x80, 0x82, 0xf9,
                                        0xfc, 0xff};
  for (const DiffCase& c : DiffCases()) {
    for (int iteration = 0; iteration < 3000; ++iteration) {
      std::string m = c.bytes;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !m.empty(); ++e) {
        const size_t at = rng() % m.size();
        switch (rng() % 4) {
          case 0:
            m[at] = static_cast<char>(kInteresting[rng() % sizeof(kInteresting)]);
            break;
          case 1:
            m.insert(at, 1, static_cast<char>(kInteresting[rng() % sizeof(kInteresting)]));
            break;
          case 2:
            m.erase(at, 1 + rng() % 8);
            break;
          default: {
            const size_t from = rng() % m.size();
            const size_t len = std::min<size_t>(1 + rng() % 32, m.size() - from);
            m.insert(at, m.substr(from, len));
            break;
          }
        }
      }
      ExpectSameAsLibthrift(m, c.protocol, c.agent,
                            absl::StrCat(c.name, " mutation ", iteration, ": ",
                                         absl::BytesToHexString(ToAbsl(m))));
      if (HasFailure()) return;
    }
  }
}

// Lists whose declared element type is not the struct they hold: libthrift
// reads the structs anyway, after checking the declared size against its
// (loose) count of bytes left; so does the hand-written decoder.
TEST(JaegerThriftDifferentialTest, ListElementTypesAreNotChecked) {
  for (int code = 0; code < 16; ++code) {
    std::string bytes = EncodeBatch<Compact>(MakeBatch());
    // Every compact list header with struct elements (0x?c) rewritten.
    for (char& b : bytes) {
      if ((b & 0x0f) == 0x0c && (b & 0xf0) != 0 && (b & 0xf0) != 0xf0) {
        b = static_cast<char>((b & 0xf0) | code);
      }
    }
    ExpectSameAsLibthrift(bytes, ThriftProtocol::kCompact, false,
                          absl::StrCat("compact element code ", code));
  }
  for (int type : {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 200}) {
    Writer<Binary> w;
    WriteBatchPrefix(&w.proto);
    w.proto.writeListBegin(static_cast<TType>(type), 1);
    MakeSpan(1).write(&w.proto);
    w.proto.writeFieldStop();
    ExpectSameAsLibthrift(w.bytes(), ThriftProtocol::kBinary, false,
                          absl::StrCat("binary element type ", type));
  }
}

// libthrift checks a declared list size against a count of the bytes left
// that leaves out fixed-width values read before (doubles here), so a list
// of Tags declared as doubles (8 bytes each, more than a Tag's 5) passes
// after enough of them and fails without; the hand-written reader agrees.
TEST(JaegerThriftDifferentialTest, ListSizeCheckCountsBytesLikeLibthrift) {
  for (int padding : {0, 400}) {
    Writer<Compact> w;
    w.proto.writeStructBegin("Batch");
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_LIST, 9);  // unknown
    w.proto.writeListBegin(apache::thrift::protocol::T_DOUBLE, padding);
    for (int i = 0; i < padding; ++i) w.proto.writeDouble(0);
    jt::Process process;
    process.serviceName = "svc";
    w.proto.writeFieldBegin("process", apache::thrift::protocol::T_STRUCT, 1);
    process.write(&w.proto);
    w.proto.writeFieldBegin("spans", apache::thrift::protocol::T_LIST, 2);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
    w.proto.writeStructBegin("Span");
    for (int16_t id : {1, 2, 3, 4, 8, 9}) {
      w.proto.writeFieldBegin("", apache::thrift::protocol::T_I64, id);
      w.proto.writeI64(id);
    }
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_STRING, 5);
    w.proto.writeString(std::string("op"));
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_I32, 7);
    w.proto.writeI32(0);
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_LIST, 10);
    w.proto.writeListBegin(apache::thrift::protocol::T_DOUBLE, 100);
    jt::Tag tag;
    tag.vType = jt::TagType::STRING;
    for (int i = 0; i < 100; ++i) tag.write(&w.proto);
    w.proto.writeFieldStop();  // Span
    w.proto.writeFieldStop();  // Batch
    ExpectSameAsLibthrift(w.bytes(), ThriftProtocol::kCompact, false,
                          absl::StrCat("padding ", padding));
    ExportTraceServiceRequest out;
    EXPECT_EQ(DecodeJaegerThriftBatch(w.bytes(), ThriftProtocol::kCompact, &out).ok(),
              padding > 0);
  }
}

TEST(JaegerThriftDifferentialTest, NestingAtTheLimit) {
  for (int depth = 58; depth <= 66; ++depth) {
    Writer<Compact> w;
    w.proto.writeMessageBegin("emitBatch", apache::thrift::protocol::T_ONEWAY, 1);
    w.proto.writeStructBegin("args");
    w.proto.writeFieldBegin("batch", apache::thrift::protocol::T_STRUCT, 1);
    WriteBatchPrefix(&w.proto);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 0);
    // An unknown field of nested structs, ending in an i32 and a bool.
    for (int i = 0; i < depth; ++i) {
      w.proto.writeFieldBegin("", apache::thrift::protocol::T_STRUCT, 20);
    }
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_I32, 1);
    w.proto.writeI32(7);
    w.proto.writeFieldBegin("", apache::thrift::protocol::T_BOOL, 2);
    w.proto.writeBool(true);
    for (int i = 0; i <= depth; ++i) w.proto.writeFieldStop();
    w.proto.writeFieldStop();  // args
    ExpectSameAsLibthrift(w.bytes(), ThriftProtocol::kCompact, true,
                          absl::StrCat("depth ", depth));
  }
}

TEST(JaegerThriftDifferentialTest, SkippedContainersOfEveryType) {
  using apache::thrift::protocol::T_BOOL;
  using apache::thrift::protocol::T_DOUBLE;
  using apache::thrift::protocol::T_I16;
  using apache::thrift::protocol::T_I64;
  using apache::thrift::protocol::T_LIST;
  using apache::thrift::protocol::T_MAP;
  using apache::thrift::protocol::T_SET;
  using apache::thrift::protocol::T_STRING;
  auto write = [](auto& w) {
    w.proto.writeStructBegin("Batch");
    w.proto.writeFieldBegin("", T_MAP, 30);
    w.proto.writeMapBegin(T_STRING, T_BOOL, 2);
    w.proto.writeString(std::string("a"));
    w.proto.writeBool(true);
    w.proto.writeString(std::string("b"));
    w.proto.writeBool(false);
    w.proto.writeFieldBegin("", T_SET, 31);
    w.proto.writeSetBegin(T_DOUBLE, 2);
    w.proto.writeDouble(1.5);
    w.proto.writeDouble(-2);
    w.proto.writeFieldBegin("", T_LIST, 32);
    w.proto.writeListBegin(T_LIST, 1);
    w.proto.writeListBegin(T_I16, 2);
    w.proto.writeI16(-3);
    w.proto.writeI16(300);
    w.proto.writeFieldBegin("", T_MAP, 33);
    w.proto.writeMapBegin(T_I64, T_STRING, 0);
    w.proto.writeFieldBegin("", T_BOOL, 34);
    w.proto.writeBool(false);
    jt::Process process;
    process.serviceName = "svc";
    w.proto.writeFieldBegin("process", apache::thrift::protocol::T_STRUCT, 1);
    process.write(&w.proto);
    w.proto.writeFieldBegin("spans", T_LIST, 2);
    w.proto.writeListBegin(apache::thrift::protocol::T_STRUCT, 1);
    MakeSpan(1).write(&w.proto);
    w.proto.writeFieldStop();
    return w.bytes();
  };
  Writer<Binary> binary;
  Writer<Compact> compact;
  const std::string b = write(binary), c = write(compact);
  ExpectSameAsLibthrift(b, ThriftProtocol::kBinary, false, "binary");
  ExpectSameAsLibthrift(c, ThriftProtocol::kCompact, false, "compact");
  ExportTraceServiceRequest out;
  EXPECT_TRUE(DecodeJaegerThriftBatch(b, ThriftProtocol::kBinary, &out).ok());
  EXPECT_TRUE(DecodeJaegerThriftBatch(c, ThriftProtocol::kCompact, &out).ok());
  for (size_t n = 0; n < c.size(); ++n) {
    ExpectSameAsLibthrift(c.substr(0, n), ThriftProtocol::kCompact, false, "compact prefix");
    ExpectSameAsLibthrift(b.substr(0, n), ThriftProtocol::kBinary, false, "binary prefix");
  }
}

TEST(JaegerThriftDifferentialTest, OldBinaryHeaderAndMessageTypes) {
  for (bool strict : {false, true}) {
    for (auto type : {apache::thrift::protocol::T_CALL, apache::thrift::protocol::T_REPLY,
                      apache::thrift::protocol::T_EXCEPTION, apache::thrift::protocol::T_ONEWAY}) {
      auto buffer = std::make_shared<TMemoryBuffer>();
      Binary proto(buffer, 0, 0, strict, strict);
      proto.writeMessageBegin("emitBatch", type, 3);
      const jt::Batch batch = MakeRichBatch();
      jt::agent::Agent_emitBatch_pargs args;
      args.batch = &batch;
      args.write(&proto);
      proto.writeMessageEnd();
      const std::string bytes = buffer->getBufferAsString();
      for (size_t n = 0; n <= 40; ++n) {
        ExpectSameAsLibthrift(std::string_view(bytes).substr(0, n), ThriftProtocol::kBinary, true,
                              absl::StrCat("strict ", strict, " type ", type, " prefix ", n));
      }
      ExpectSameAsLibthrift(bytes, ThriftProtocol::kBinary, true,
                            absl::StrCat("strict ", strict, " type ", type));
    }
  }
}

}  // namespace
}  // namespace andante::internal
