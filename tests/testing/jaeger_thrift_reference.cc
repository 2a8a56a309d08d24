// The libthrift-based Jaeger Thrift decoder that jaeger_thrift.cc replaced:
// Apache Thrift's own protocols and generated readers. Kept as the reference
// the hand-written decoder is tested against (same output, same acceptance).
#include "tests/testing/jaeger_thrift_reference.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include <thrift/TApplicationException.h>
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TTransportException.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "jaeger_types.h"
#include "receiver/jaeger/jaeger_translate.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

namespace jt = ::jaeger::thrift;
using ::apache::thrift::TConfiguration;
using ::apache::thrift::protocol::TInputRecursionTracker;
using ::apache::thrift::protocol::TMessageType;
using ::apache::thrift::protocol::TType;
using ::apache::thrift::transport::TMemoryBuffer;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using OtlpSpan = ::andante::otlp::trace::v1::Span;

// A decoding failure with our own message, thrown inside the decoder and
// turned into a Status at the boundary (as are libthrift's exceptions).
struct DecodeError {
  std::string message;
};

// Nesting limit for structs (ours are at most 5 deep: args, Batch, Span,
// Log, Tag); unknown fields may nest up to this before the skip gives up.
constexpr int kRecursionLimit = 64;

// Every element of a list the generated code reads (Tag, Log, SpanRef) has
// required fields, so it takes at least this many bytes on the wire: a Tag
// with an empty key and a type is 5 bytes in the compact protocol and 15 in
// the binary one. A declared list longer than the bytes left allows is
// rejected before the generated code sizes its vector.
constexpr uint64_t kMinElementBytesCompact = 5;
constexpr uint64_t kMinElementBytesBinary = 15;

// Backstop on the memory all list vectors may take together: each element
// is charged as the largest element type. A valid message stays below
// 136 B / 4 B (an empty Log in compact) = 34 times its size.
constexpr uint64_t kElementBytes =
    std::max({sizeof(jt::Tag), sizeof(jt::Log), sizeof(jt::SpanRef)});
constexpr uint64_t kListMemoryFactor = 48;
constexpr uint64_t kListMemoryFloor = 1 << 20;

// libthrift's protocol with the reads the generated code makes checked
// against the bytes actually left in the input. The generated templates call
// these members directly (static dispatch); skip() of unknown fields goes
// through the base class, which allocates nothing per element.
template <class Base>
class BoundedProtocol : public Base {
 public:
  static constexpr bool kCompact =
      std::is_same_v<Base, ::apache::thrift::protocol::TCompactProtocolT<TMemoryBuffer>>;

  BoundedProtocol(std::shared_ptr<TMemoryBuffer> buffer, size_t input_size)
      : Base(buffer),
        buffer_(buffer.get()),
        input_size_(input_size),
        list_memory_limit_(kListMemoryFactor * input_size + kListMemoryFloor) {
    // Bounds the strings libthrift reads itself (the message name, skipped
    // fields). Lists have no base limit: readListBegin checks them. Binary
    // reads accept the old non-strict message header too.
    if constexpr (kCompact) {
      this->string_limit_ = static_cast<int32_t>(input_size);
    } else {
      this->setStringSizeLimit(static_cast<int32_t>(input_size));
    }
  }

  // Generated code: a list of Tag, Log or SpanRef follows.
  uint32_t readListBegin(TType& elem_type, uint32_t& size) {
    const uint32_t n = Base::readListBegin(elem_type, size);
    CheckListSize(size, kCompact ? kMinElementBytesCompact : kMinElementBytesBinary);
    list_memory_ += static_cast<uint64_t>(size) * kElementBytes;
    if (list_memory_ > list_memory_limit_) {
      throw DecodeError{absl::StrCat("lists would take more than ", list_memory_limit_,
                                     " bytes of memory for a ", input_size_,
                                     "-byte message")};
    }
    return n;
  }

  // Batch.spans, which the decoder streams itself: nothing is allocated per
  // element, so only the count is checked (a Span is at least 1 byte).
  uint32_t readSpanListBegin(TType& elem_type, uint32_t& size) {
    const uint32_t n = Base::readListBegin(elem_type, size);
    CheckListSize(size, 1);
    return n;
  }

  // Strings are copied straight from the input (the compact protocol would
  // otherwise copy them twice), after checking their length.
  uint32_t readString(std::string& str) {
    int32_t size = 0;
    uint32_t header;
    if constexpr (kCompact) {
      header = this->readVarint32(size);
    } else {
      header = this->readI32(size);
    }
    if (size < 0) throw DecodeError{absl::StrCat("negative string length ", size)};
    const uint32_t left = buffer_->available_read();
    if (static_cast<uint32_t>(size) > left) {
      throw DecodeError{
          absl::StrCat("string of ", size, " bytes exceeds the ", left, " bytes left")};
    }
    if (size == 0) {
      str.clear();
      return header;
    }
    uint32_t got = static_cast<uint32_t>(size);
    const uint8_t* data = buffer_->borrow(nullptr, &got);
    str.assign(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
    buffer_->consume(static_cast<uint32_t>(size));
    return header + static_cast<uint32_t>(size);
  }
  uint32_t readBinary(std::string& str) { return readString(str); }

  size_t consumed() const { return input_size_ - buffer_->available_read(); }

 private:
  void CheckListSize(uint32_t size, uint64_t min_element_bytes) {
    const uint32_t left = buffer_->available_read();
    if (static_cast<uint64_t>(size) * min_element_bytes > left) {
      throw DecodeError{
          absl::StrCat("list of ", size, " elements exceeds the ", left, " bytes left")};
    }
  }

  TMemoryBuffer* buffer_;
  size_t input_size_;
  uint64_t list_memory_ = 0;
  uint64_t list_memory_limit_;
};

using CompactProtocol =
    BoundedProtocol<::apache::thrift::protocol::TCompactProtocolT<TMemoryBuffer>>;
using BinaryProtocol =
    BoundedProtocol<::apache::thrift::protocol::TBinaryProtocolT<TMemoryBuffer>>;

// --- Translation -------------------------------------------------------------

// Views of `tag`'s strings, which the map may take (the decoder's scratch
// structs are overwritten by the next read anyway).
JaegerTag ToJaegerTag(jt::Tag& tag) {
  MakeValidUtf8(&tag.key);
  JaegerTag out;
  out.key = tag.key;
  out.key_owner = &tag.key;
  switch (tag.vType) {
    case jt::TagType::STRING:
      out.kind = JaegerValueKind::kString;
      MakeValidUtf8(&tag.vStr);
      out.str = tag.vStr;
      out.str_owner = &tag.vStr;
      break;
    case jt::TagType::DOUBLE:
      out.kind = JaegerValueKind::kDouble;
      out.double_value = tag.vDouble;
      break;
    case jt::TagType::BOOL:
      out.kind = JaegerValueKind::kBool;
      out.bool_value = tag.vBool;
      break;
    case jt::TagType::LONG:
      out.kind = JaegerValueKind::kInt;
      out.int_value = tag.vLong;
      break;
    case jt::TagType::BINARY:
      out.kind = JaegerValueKind::kBytes;
      out.str = tag.vBinary;
      out.str_owner = &tag.vBinary;
      break;
    default: {
      // Go's Thrift enums print "<UNSET>" for values they do not know.
      static const std::string kText = UnknownTagTypeText("<UNSET>");
      out.kind = JaegerValueKind::kString;
      out.str = kText;
      break;
    }
  }
  return out;
}

// reflect.DeepEqual(span, new(jaeger.Span)): every required field zero and
// no optional list present (Go keeps a present empty list as non-nil).
bool IsBlank(const jt::Span& s) {
  return s.traceIdLow == 0 && s.traceIdHigh == 0 && s.spanId == 0 && s.parentSpanId == 0 &&
         s.operationName.empty() && s.flags == 0 && s.startTime == 0 && s.duration == 0 &&
         !s.__isset.references && !s.__isset.tags && !s.__isset.logs;
}

// jThriftSpanParentID.
int64_t ParentSpanId(const jt::Span& span) {
  if (span.parentSpanId != 0) return span.parentSpanId;
  const jt::SpanRef* follows_from = nullptr;
  for (const jt::SpanRef& ref : span.references) {
    if (ref.traceIdHigh != span.traceIdHigh || ref.traceIdLow != span.traceIdLow) continue;
    if (ref.refType == jt::SpanRefType::CHILD_OF) return ref.spanId;
    if (follows_from == nullptr && ref.refType == jt::SpanRefType::FOLLOWS_FROM) {
      follows_from = &ref;
    }
  }
  return follows_from != nullptr ? follows_from->spanId : 0;
}

// microsecondsToUnixNano: uint64(µs) * 1000, wrapping like Go.
uint64_t MicrosToNanos(uint64_t micros) { return micros * 1000; }

void TranslateSpan(jt::Span& in, JaegerAttributes* attrs, OtlpSpan* out) {
  std::string* trace_id = out->mutable_trace_id();
  trace_id->reserve(16);
  AppendTraceId(static_cast<uint64_t>(in.traceIdHigh), static_cast<uint64_t>(in.traceIdLow),
                trace_id);
  out->set_span_id(SpanIdBytes(static_cast<uint64_t>(in.spanId)));
  MakeValidUtf8(&in.operationName);
  out->mutable_name()->swap(in.operationName);
  const uint64_t start = static_cast<uint64_t>(in.startTime);
  out->set_start_time_unix_nano(MicrosToNanos(start));
  out->set_end_time_unix_nano(MicrosToNanos(start + static_cast<uint64_t>(in.duration)));
  const int64_t parent = ParentSpanId(in);
  if (parent != 0) out->set_parent_span_id(SpanIdBytes(static_cast<uint64_t>(parent)));

  attrs->Clear();
  for (jt::Tag& tag : in.tags) attrs->Put(ToJaegerTag(tag));
  FinishSpanAttributes(/*proto=*/false, attrs, out);

  for (jt::Log& log : in.logs) {
    OtlpSpan::Event* event = out->add_events();
    event->set_time_unix_nano(MicrosToNanos(static_cast<uint64_t>(log.timestamp)));
    if (log.fields.empty()) continue;
    attrs->Clear();
    for (jt::Tag& field : log.fields) attrs->Put(ToJaegerTag(field));
    FinishEventAttributes(attrs, event);
  }

  for (const jt::SpanRef& ref : in.references) {
    const bool child_of = ref.refType == jt::SpanRefType::CHILD_OF;
    if (child_of && ref.spanId == parent) continue;
    AddLink(static_cast<uint64_t>(ref.traceIdHigh), static_cast<uint64_t>(ref.traceIdLow),
            static_cast<uint64_t>(ref.spanId), child_of, out);
  }
}

void TranslateProcess(jt::Process& process, JaegerAttributes* attrs,
                      ResourceSpans* out) {
  if (process.serviceName.empty() && !process.__isset.tags) return;
  MakeValidUtf8(&process.serviceName);
  attrs->Clear();
  if (!process.serviceName.empty()) {
    JaegerTag name;
    name.key = "service.name";
    name.str = process.serviceName;
    attrs->Put(name);
  }
  for (jt::Tag& tag : process.tags) attrs->Put(ToJaegerTag(tag));
  FinishResource(attrs, out->mutable_resource());
}

// The generated read() leaves optional fields of a reused struct as they
// were; clear them (keeping the vectors' capacity) before each span.
void ResetSpan(jt::Span* span) {
  span->references.clear();
  span->tags.clear();
  span->logs.clear();
  span->__isset = jt::_Span__isset();
}

// Reads one jaeger.Batch struct and appends its ResourceSpans to `out`,
// translating spans as they are read (the spans list is never materialised).
// Throws on malformed input.
template <class Protocol>
void ReadBatch(Protocol* p, ExportTraceServiceRequest* out) {
  TInputRecursionTracker tracker(*p);
  std::string name;
  TType type;
  int16_t id;
  p->readStructBegin(name);
  ResourceSpans* rs = out->add_resource_spans();
  jt::Process process;
  jt::Span span;
  JaegerAttributes attrs;
  bool has_process = false, has_spans = false;
  while (true) {
    p->readFieldBegin(name, type, id);
    if (type == ::apache::thrift::protocol::T_STOP) break;
    if (id == 1 && type == ::apache::thrift::protocol::T_STRUCT) {
      process = jt::Process();
      process.read(p);
      has_process = true;
    } else if (id == 2 && type == ::apache::thrift::protocol::T_LIST) {
      // A repeated field replaces the earlier value, as in Go.
      rs->clear_scope_spans();
      TType element_type;
      uint32_t size;
      p->readSpanListBegin(element_type, size);
      ScopeSpans* ss = size > 0 ? rs->add_scope_spans() : nullptr;
      if (ss != nullptr) ss->mutable_spans()->Reserve(static_cast<int>(size));
      for (uint32_t i = 0; i < size; ++i) {
        ResetSpan(&span);
        span.read(p);
        if (IsBlank(span)) continue;
        TranslateSpan(span, &attrs, ss->add_spans());
      }
      p->readListEnd();
      has_spans = true;
    } else {
      p->skip(type);
    }
    p->readFieldEnd();
  }
  p->readStructEnd();
  if (!has_process) throw DecodeError{"Batch.process (field 1) is missing"};
  if (!has_spans) throw DecodeError{"Batch.spans (field 2) is missing"};
  TranslateProcess(process, &attrs, rs);
}

// Reads one agent message: header, then Agent.emitBatch's argument struct.
template <class Protocol>
void ReadAgentMessage(Protocol* p, ExportTraceServiceRequest* out) {
  std::string method;
  TMessageType message_type;
  int32_t seqid;
  p->readMessageBegin(method, message_type, seqid);
  if (method == "emitZipkinBatch") {
    throw DecodeError{
        "emitZipkinBatch is not supported: Zipkin spans over the Jaeger agent "
        "protocol are dropped"};
  }
  if (method != "emitBatch") {
    throw DecodeError{absl::StrCat(
        "unknown agent method \"",
        absl::CEscape(ToAbsl(std::string_view(method).substr(0, 64))), "\"")};
  }
  if (message_type != ::apache::thrift::protocol::T_ONEWAY &&
      message_type != ::apache::thrift::protocol::T_CALL) {
    throw DecodeError{absl::StrCat("emitBatch message of type ", message_type,
                                   ", want ONEWAY (4) or CALL (1)")};
  }
  TInputRecursionTracker tracker(*p);
  std::string name;
  TType type;
  int16_t id;
  p->readStructBegin(name);
  while (true) {
    p->readFieldBegin(name, type, id);
    if (type == ::apache::thrift::protocol::T_STOP) break;
    if (id == 1 && type == ::apache::thrift::protocol::T_STRUCT) {
      ReadBatch(p, out);
    } else {
      p->skip(type);
    }
    p->readFieldEnd();
  }
  p->readStructEnd();
  p->readMessageEnd();
}

std::string DescribeTransportError(
    const ::apache::thrift::transport::TTransportException& e) {
  if (e.getType() == ::apache::thrift::transport::TTransportException::END_OF_FILE) {
    return "unexpected end of data (a field or size runs past the end)";
  }
  return absl::StrCat("transport error: ", e.what());
}

std::string DescribeProtocolError(
    const ::apache::thrift::protocol::TProtocolException& e) {
  using ::apache::thrift::protocol::TProtocolException;
  switch (e.getType()) {
    case TProtocolException::INVALID_DATA:
      return absl::StrCat("invalid data (", e.what(),
                          "; a required field may be missing)");
    case TProtocolException::NEGATIVE_SIZE:
      return "negative size";
    case TProtocolException::SIZE_LIMIT:
      return "size exceeds the message";
    case TProtocolException::BAD_VERSION:
      return absl::StrCat("bad protocol version (", e.what(), ")");
    case TProtocolException::DEPTH_LIMIT:
      return absl::StrCat("structs nested deeper than ", kRecursionLimit);
    default:
      return absl::StrCat("protocol error (", e.what(), ")");
  }
}

enum class Envelope { kBatch, kAgentMessage };

template <class Protocol>
absl::Status Decode(std::string_view input, Envelope envelope, ExportTraceServiceRequest* out) {
  if (input.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger thrift: message of ", input.size(), " bytes is too large"));
  }
  const int original_size = out->resource_spans_size();
  size_t consumed = 0;
  std::string error;
  try {
    auto config = std::make_shared<TConfiguration>(
        static_cast<int>(input.size()), int{TConfiguration::DEFAULT_MAX_FRAME_SIZE},  // a copy: no odr-use
        kRecursionLimit);
    // OBSERVE: reads the caller's bytes in place, never writes them.
    auto buffer = std::make_shared<TMemoryBuffer>(
        reinterpret_cast<uint8_t*>(const_cast<char*>(input.data())),
        static_cast<uint32_t>(input.size()), TMemoryBuffer::OBSERVE, config);
    Protocol protocol(buffer, input.size());
    try {
      if (envelope == Envelope::kBatch) {
        ReadBatch(&protocol, out);
      } else {
        ReadAgentMessage(&protocol, out);
      }
      return absl::OkStatus();
    } catch (...) {
      consumed = protocol.consumed();
      throw;
    }
  } catch (const DecodeError& e) {
    error = e.message;
  } catch (const ::apache::thrift::transport::TTransportException& e) {
    error = DescribeTransportError(e);
  } catch (const ::apache::thrift::protocol::TProtocolException& e) {
    error = DescribeProtocolError(e);
  } catch (const std::bad_alloc&) {
    error = "out of memory";
  } catch (const std::exception& e) {
    error = absl::StrCat("decode error: ", e.what());
  } catch (...) {
    error = "unknown decode error";
  }
  if (out->resource_spans_size() > original_size) {
    out->mutable_resource_spans()->DeleteSubrange(
        original_size, out->resource_spans_size() - original_size);
  }
  return absl::InvalidArgumentError(absl::StrCat("jaeger thrift: ", error, " at byte ",
                                                 consumed, " of ", input.size()));
}

}  // namespace

absl::Status DecodeJaegerThriftBatchWithLibthrift(std::string_view body, ThriftProtocol protocol,
                                     ExportTraceServiceRequest* out) {
  return protocol == ThriftProtocol::kCompact
             ? Decode<CompactProtocol>(body, Envelope::kBatch, out)
             : Decode<BinaryProtocol>(body, Envelope::kBatch, out);
}

absl::Status DecodeJaegerAgentMessageWithLibthrift(std::string_view datagram, ThriftProtocol protocol,
                                      ExportTraceServiceRequest* out) {
  return protocol == ThriftProtocol::kCompact
             ? Decode<CompactProtocol>(datagram, Envelope::kAgentMessage, out)
             : Decode<BinaryProtocol>(datagram, Envelope::kAgentMessage, out);
}

}  // namespace andante::internal
