#include "jaeger_thrift_encode.h"

#include <memory>
#include <utility>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "Agent.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace andante::loadgen {
namespace {

namespace jt = ::jaeger::thrift;
using ::apache::thrift::transport::TMemoryBuffer;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;
using BinaryProtocol = ::apache::thrift::protocol::TBinaryProtocolT<TMemoryBuffer>;
using CompactProtocol = ::apache::thrift::protocol::TCompactProtocolT<TMemoryBuffer>;

int64_t BigEndian64(const std::string& bytes, size_t offset) {
  uint64_t v = 0;
  for (size_t i = offset; i < offset + 8 && i < bytes.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return static_cast<int64_t>(v);
}

jt::Tag StringTag(std::string key, std::string value) {
  jt::Tag tag;
  tag.key = std::move(key);
  tag.vType = jt::TagType::STRING;
  tag.__set_vStr(std::move(value));
  return tag;
}

// Arrays and maps have no Jaeger type; exporters send them as strings.
std::string FlattenValue(const AnyValue& v);
std::string FlattenList(const google::protobuf::RepeatedPtrField<AnyValue>& values) {
  std::string out = "[";
  for (int i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += FlattenValue(values[i]);
  }
  return out + "]";
}
std::string FlattenValue(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return "\"" + v.string_value() + "\"";
    case AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case AnyValue::kIntValue:
      return absl::StrCat(v.int_value());
    case AnyValue::kDoubleValue:
      return absl::StrCat(v.double_value());
    case AnyValue::kArrayValue:
      return FlattenList(v.array_value().values());
    case AnyValue::kKvlistValue: {
      std::string out = "{";
      for (const KeyValue& kv : v.kvlist_value().values()) {
        if (out.size() > 1) out += ",";
        out += "\"" + kv.key() + "\":" + FlattenValue(kv.value());
      }
      return out + "}";
    }
    default:
      return "";
  }
}

jt::Tag ToTag(const KeyValue& kv) {
  jt::Tag tag;
  tag.key = kv.key();
  const AnyValue& v = kv.value();
  switch (v.value_case()) {
    case AnyValue::kBoolValue:
      tag.vType = jt::TagType::BOOL;
      tag.__set_vBool(v.bool_value());
      break;
    case AnyValue::kIntValue:
      tag.vType = jt::TagType::LONG;
      tag.__set_vLong(v.int_value());
      break;
    case AnyValue::kDoubleValue:
      tag.vType = jt::TagType::DOUBLE;
      tag.__set_vDouble(v.double_value());
      break;
    case AnyValue::kBytesValue:
      tag.vType = jt::TagType::BINARY;
      tag.__set_vBinary(v.bytes_value());
      break;
    case AnyValue::kStringValue:
      tag.vType = jt::TagType::STRING;
      tag.__set_vStr(v.string_value());
      break;
    default:
      tag.vType = jt::TagType::STRING;
      tag.__set_vStr(FlattenValue(v));
      break;
  }
  return tag;
}

const char* KindName(Span::SpanKind kind) {
  switch (kind) {
    case Span::SPAN_KIND_CLIENT:
      return "client";
    case Span::SPAN_KIND_SERVER:
      return "server";
    case Span::SPAN_KIND_PRODUCER:
      return "producer";
    case Span::SPAN_KIND_CONSUMER:
      return "consumer";
    case Span::SPAN_KIND_INTERNAL:
      return "internal";
    default:
      return nullptr;
  }
}

jt::Span ToJaegerSpan(const Span& in, const std::string& scope_name,
                      const std::string& scope_version) {
  jt::Span out;
  out.traceIdHigh = BigEndian64(in.trace_id(), 0);
  out.traceIdLow = BigEndian64(in.trace_id(), 8);
  out.spanId = BigEndian64(in.span_id(), 0);
  out.parentSpanId = in.parent_span_id().empty() ? 0 : BigEndian64(in.parent_span_id(), 0);
  out.operationName = in.name();
  out.flags = 1;  // sampled
  out.startTime = static_cast<int64_t>(in.start_time_unix_nano() / 1000);
  out.duration = static_cast<int64_t>(
      (in.end_time_unix_nano() - std::min(in.end_time_unix_nano(), in.start_time_unix_nano())) /
      1000);

  std::vector<jt::Tag> tags;
  tags.reserve(in.attributes_size() + 4);
  for (const KeyValue& kv : in.attributes()) tags.push_back(ToTag(kv));
  if (const char* kind = KindName(in.kind())) tags.push_back(StringTag("span.kind", kind));
  if (in.status().code() == Status::STATUS_CODE_ERROR) {
    jt::Tag error;
    error.key = "error";
    error.vType = jt::TagType::BOOL;
    error.__set_vBool(true);
    tags.push_back(std::move(error));
    if (!in.status().message().empty()) {
      tags.push_back(StringTag("otel.status_description", in.status().message()));
    }
  } else if (in.status().code() == Status::STATUS_CODE_OK) {
    tags.push_back(StringTag("otel.status_code", "OK"));
  }
  if (!in.trace_state().empty()) tags.push_back(StringTag("w3c.tracestate", in.trace_state()));
  if (!scope_name.empty()) {
    tags.push_back(StringTag("otel.scope.name", scope_name));
    if (!scope_version.empty()) tags.push_back(StringTag("otel.scope.version", scope_version));
  }
  if (!tags.empty()) out.__set_tags(std::move(tags));

  if (in.events_size() > 0) {
    std::vector<jt::Log> logs;
    logs.reserve(in.events_size());
    for (const Span::Event& event : in.events()) {
      jt::Log log;
      log.timestamp = static_cast<int64_t>(event.time_unix_nano() / 1000);
      log.fields.push_back(StringTag("event", event.name()));
      for (const KeyValue& kv : event.attributes()) log.fields.push_back(ToTag(kv));
      logs.push_back(std::move(log));
    }
    out.__set_logs(std::move(logs));
  }
  if (in.links_size() > 0) {
    std::vector<jt::SpanRef> refs;
    for (const Span::Link& link : in.links()) {
      jt::SpanRef ref;
      ref.refType = jt::SpanRefType::FOLLOWS_FROM;
      ref.traceIdHigh = BigEndian64(link.trace_id(), 0);
      ref.traceIdLow = BigEndian64(link.trace_id(), 8);
      ref.spanId = BigEndian64(link.span_id(), 0);
      refs.push_back(ref);
    }
    out.__set_references(std::move(refs));
  }
  return out;
}

jt::Batch ToJaegerBatch(const ResourceSpans& rs) {
  jt::Batch batch;
  std::vector<jt::Tag> process_tags;
  for (const KeyValue& kv : rs.resource().attributes()) {
    if (kv.key() == "service.name" && kv.value().has_string_value()) {
      batch.process.serviceName = kv.value().string_value();
    } else {
      process_tags.push_back(ToTag(kv));
    }
  }
  if (!process_tags.empty()) batch.process.__set_tags(std::move(process_tags));
  for (const auto& ss : rs.scope_spans()) {
    for (const Span& span : ss.spans()) {
      batch.spans.push_back(ToJaegerSpan(span, ss.scope().name(), ss.scope().version()));
    }
  }
  return batch;
}

template <class Protocol, class Writable>
std::string Write(const Writable& value) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  Protocol protocol(buffer);
  value.write(&protocol);
  return buffer->getBufferAsString();
}

template <class Protocol>
std::string WriteAgentMessage(const jt::Batch& batch, int32_t seqid) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  Protocol protocol(buffer);
  protocol.writeMessageBegin("emitBatch", ::apache::thrift::protocol::T_ONEWAY, seqid);
  jt::agent::Agent_emitBatch_pargs args;
  args.batch = &batch;
  args.write(&protocol);
  protocol.writeMessageEnd();
  return buffer->getBufferAsString();
}

size_t SpanBytes(const jt::Span& span, ThriftProtocol protocol) {
  return protocol == ThriftProtocol::kCompact ? Write<CompactProtocol>(span).size()
                                              : Write<BinaryProtocol>(span).size();
}

}  // namespace

std::vector<jt::Batch> ToJaegerThriftBatches(const ExportTraceServiceRequest& request) {
  std::vector<jt::Batch> batches;
  batches.reserve(request.resource_spans_size());
  for (const ResourceSpans& rs : request.resource_spans()) batches.push_back(ToJaegerBatch(rs));
  return batches;
}

std::string EncodeJaegerThriftBatch(const jt::Batch& batch, ThriftProtocol protocol) {
  return protocol == ThriftProtocol::kCompact ? Write<CompactProtocol>(batch)
                                              : Write<BinaryProtocol>(batch);
}

std::string EncodeJaegerAgentMessage(const jt::Batch& batch, ThriftProtocol protocol,
                                     int32_t seqid) {
  return protocol == ThriftProtocol::kCompact ? WriteAgentMessage<CompactProtocol>(batch, seqid)
                                              : WriteAgentMessage<BinaryProtocol>(batch, seqid);
}

absl::StatusOr<std::vector<std::string>> EncodeJaegerAgentDatagrams(
    const ExportTraceServiceRequest& request, ThriftProtocol protocol,
    size_t max_datagram_bytes, int32_t first_seqid) {
  std::vector<std::string> datagrams;
  int32_t seqid = first_seqid;
  for (jt::Batch& full : ToJaegerThriftBatches(request)) {
    jt::Batch chunk;
    chunk.process = full.process;
    // The message without spans, plus the list header's growth (a compact
    // list header takes up to 6 bytes once it holds 15 or more elements).
    const size_t overhead = EncodeJaegerAgentMessage(chunk, protocol, seqid).size() + 5;
    size_t used = overhead;
    auto flush = [&]() {
      if (chunk.spans.empty()) return;
      datagrams.push_back(EncodeJaegerAgentMessage(chunk, protocol, seqid++));
      chunk.spans.clear();
      used = overhead;
    };
    for (jt::Span& span : full.spans) {
      const size_t bytes = SpanBytes(span, protocol);
      if (overhead + bytes > max_datagram_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "jaeger agent: a span of ", bytes, " bytes does not fit in a datagram of ",
            max_datagram_bytes, " bytes"));
      }
      if (used + bytes > max_datagram_bytes) flush();
      chunk.spans.push_back(std::move(span));
      used += bytes;
    }
    flush();
  }
  return datagrams;
}

}  // namespace andante::loadgen
