#include "receiver/jaeger/jaeger_thrift.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "jaeger_types.h"  // TagType, SpanRefType, and libthrift struct sizes
#include "receiver/jaeger/jaeger_translate.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

namespace jt = ::jaeger::thrift;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using OtlpSpan = ::andante::otlp::trace::v1::Span;

// Thrift's type codes (TType): field and element types as the binary
// protocol writes them; the compact protocol's codes are mapped to these.
enum TType : int {
  kStop = 0,
  kVoid = 1,
  kBool = 2,
  kByte = 3,
  kDouble = 4,
  kI16 = 6,
  kI32 = 8,
  kI64 = 10,
  kString = 11,
  kStruct = 12,
  kMap = 13,
  kSet = 14,
  kList = 15,
};

// Nesting limit, counted as libthrift's TInputRecursionTracker does: each
// struct read and each skip() call (even of a primitive) is one level, the
// agent's argument struct is level 1. Ours nest at most 5 deep.
constexpr int kRecursionLimit = 64;

// Every element of a list of Tag, Log or SpanRef has required fields, so it
// takes at least this many bytes on the wire: a Tag with an empty key and a
// type is 5 bytes in the compact protocol and 15 in the binary one. A
// declared list longer than the bytes left allows is rejected up front.
constexpr uint64_t kMinElementBytesCompact = 5;
constexpr uint64_t kMinElementBytesBinary = 15;

// Backstop on the memory all Tag, Log and SpanRef lists may claim together,
// each element charged as the largest of libthrift's structs (what the
// libthrift-based decoder allocated, so acceptance is unchanged). A valid
// message stays below 34 times its size.
constexpr uint64_t kElementBytes =
    std::max({sizeof(jt::Tag), sizeof(jt::Log), sizeof(jt::SpanRef)});
constexpr uint64_t kListMemoryFactor = 48;
constexpr uint64_t kListMemoryFloor = 1 << 20;


// --- The decoded message, as views into the input ----------------------------

struct RawTag {
  std::string_view key;
  int32_t type = 0;
  std::string_view str;
  double double_value = 0;
  bool bool_value = false;
  int64_t long_value = 0;
  std::string_view binary;
};

struct RawLog {
  int64_t timestamp = 0;
  // [fields_begin, fields_end) of RawSpan::log_fields.
  uint32_t fields_begin = 0;
  uint32_t fields_end = 0;
};

struct RawRef {
  int32_t type = 0;
  int64_t trace_low = 0;
  int64_t trace_high = 0;
  int64_t span_id = 0;
};

// One span; reused across the spans of a batch (vectors keep capacity).
struct RawSpan {
  int64_t trace_low = 0;
  int64_t trace_high = 0;
  int64_t span_id = 0;
  int64_t parent_span_id = 0;
  std::string_view operation_name;
  int32_t flags = 0;
  int64_t start_time = 0;
  int64_t duration = 0;
  // Whether the optional lists were present (Go keeps a present empty list
  // as non-nil, which makes the span non-blank).
  bool has_references = false;
  bool has_tags = false;
  bool has_logs = false;
  std::vector<RawRef> references;
  std::vector<RawTag> tags;
  std::vector<RawLog> logs;
  std::vector<RawTag> log_fields;

  void Reset() {
    has_references = has_tags = has_logs = false;
    references.clear();
    tags.clear();
    logs.clear();
    log_fields.clear();
  }
};

struct RawProcess {
  std::string_view service_name;
  bool has_tags = false;
  std::vector<RawTag> tags;
};

// --- The reader ---------------------------------------------------------------

// A bounds-checked reader of exactly the Thrift structs Jaeger sends
// (Agent.emitBatch's arguments, Batch, Process, Span, Tag, Log, SpanRef),
// in the compact or the binary protocol, with strings as views into the
// input. It accepts exactly what libthrift 0.17's protocols and generated
// readers did (tests/testing/jaeger_thrift_reference.cc), including their checks of
// declared container sizes against libthrift's count of the bytes left;
// only error messages differ.
//
// Errors are sticky, not exceptions: the first failure records what went
// wrong and where, and moves the read position to the end of the input, so
// every later read sees end of data and returns a zero value, every struct
// loop meets a stop field, and every list loop ends early (they test
// failed()). The decoder returns the first error.
template <bool kCompact>
class Reader {
 public:
  explicit Reader(std::string_view input)
      : begin_(reinterpret_cast<const uint8_t*>(input.data())),
        p_(begin_),
        end_(begin_ + input.size()),
        list_memory_limit_(kListMemoryFactor * input.size() + kListMemoryFloor) {}

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  size_t error_offset() const { return error_offset_; }

  void ReadAgentMessage(ExportTraceServiceRequest* out);
  void ReadBatch(int depth, ExportTraceServiceRequest* out);

 private:
  struct FieldHeader {
    int type;
    int16_t id;
    // The compact protocol carries a bool field's value in its header.
    bool bool_value;
  };

  size_t left() const { return static_cast<size_t>(end_ - p_); }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }

  // Records the first failure and ends the input (see the class comment).
  ABSL_ATTRIBUTE_NOINLINE void Fail(std::string message, const uint8_t* at) {
    if (!failed_) {
      failed_ = true;
      error_ = std::move(message);
      error_offset_ = static_cast<size_t>(at - begin_);
    }
    p_ = end_;
  }
  ABSL_ATTRIBUTE_NOINLINE void FailEof(const uint8_t* at) {
    Fail("unexpected end of data (a field or size runs past the end)", at);
  }
  ABSL_ATTRIBUTE_NOINLINE void FailDepth(const uint8_t* at) {
    Fail(absl::StrCat("structs nested deeper than ", kRecursionLimit), at);
  }
  ABSL_ATTRIBUTE_NOINLINE void FailRequired(const char* what, const uint8_t* at) {
    Fail(absl::StrCat("required field ", what, " is missing"), at);
  }

  // libthrift's TTransport::checkReadBytesAvailable: `need` against its
  // remaining message size, which only counts bytes that went through
  // consume() (see counted_). Sizes multiply in int, wrapping, as there.
  void CheckAvailable(int32_t count, int min_bytes, const uint8_t* at) {
    const int32_t need = static_cast<int32_t>(static_cast<uint32_t>(count) *
                                              static_cast<uint32_t>(min_bytes));
    if (static_cast<int64_t>(size()) - counted_ < need) FailEof(at);
  }

  uint8_t ReadByte() {
    if (ABSL_PREDICT_FALSE(p_ == end_)) {
      FailEof(p_);
      return 0;
    }
    return *p_++;
  }

  template <class T>
  T ReadFixed() {
    if (ABSL_PREDICT_FALSE(left() < sizeof(T))) {
      FailEof(p_);
      return 0;
    }
    T value;
    std::memcpy(&value, p_, sizeof(T));
    p_ += sizeof(T);
    // Binary is big-endian, compact's doubles little-endian.
    if constexpr (kCompact == (std::endian::native == std::endian::big)) {
      if constexpr (sizeof(T) == 2) {
        value = __builtin_bswap16(value);
      } else if constexpr (sizeof(T) == 4) {
        value = __builtin_bswap32(value);
      } else {
        value = __builtin_bswap64(value);
      }
    }
    return value;
  }

  // Compact's varint: at most 10 bytes. libthrift counts its bytes as
  // consumed only when it could borrow 10 bytes from the buffer. With 10
  // bytes left (nearly always) no byte needs a bounds check.
  ABSL_ATTRIBUTE_ALWAYS_INLINE uint64_t ReadVarint() {
    if (ABSL_PREDICT_FALSE(left() < 10)) return ReadVarintNearEnd();
    const uint8_t* const start = p_;
    uint64_t value = *p_++;
    if (ABSL_PREDICT_TRUE(value < 0x80)) {
      counted_ += 1;
      return value;
    }
    value &= 0x7f;
    for (int shift = 7;; shift += 7) {
      const uint8_t byte = *p_++;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
      if (ABSL_PREDICT_FALSE(shift == 63)) {
        Fail("variable-length int over 10 bytes", start);
        return 0;
      }
    }
    counted_ += p_ - start;
    return value;
  }
  ABSL_ATTRIBUTE_NOINLINE uint64_t ReadVarintNearEnd() {
    const uint8_t* const start = p_;
    uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      if (ABSL_PREDICT_FALSE(p_ == end_)) {
        FailEof(start);
        return 0;
      }
      const uint8_t byte = *p_++;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
      if (ABSL_PREDICT_FALSE(shift == 63)) {
        Fail("variable-length int over 10 bytes", start);
        return 0;
      }
    }
    return value;
  }

  int16_t ReadI16() {
    if constexpr (kCompact) {
      return static_cast<int16_t>(ZigZag32(static_cast<uint32_t>(ReadVarint())));
    } else {
      return static_cast<int16_t>(ReadFixed<uint16_t>());
    }
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE int32_t ReadI32() {
    if constexpr (kCompact) {
      return ZigZag32(static_cast<uint32_t>(ReadVarint()));
    } else {
      return static_cast<int32_t>(ReadFixed<uint32_t>());
    }
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE int64_t ReadI64() {
    if constexpr (kCompact) {
      const uint64_t n = ReadVarint();
      return static_cast<int64_t>((n >> 1) ^ (~(n & 1) + 1));
    } else {
      return static_cast<int64_t>(ReadFixed<uint64_t>());
    }
  }
  double ReadDouble() { return std::bit_cast<double>(ReadFixed<uint64_t>()); }
  static int32_t ZigZag32(uint32_t n) { return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1)); }
  // A size or length: compact's varint truncated to 32 bits, binary's i32.
  int32_t ReadSize() {
    if constexpr (kCompact) {
      return static_cast<int32_t>(ReadVarint());
    } else {
      return static_cast<int32_t>(ReadFixed<uint32_t>());
    }
  }

  bool ReadBool(const FieldHeader& field) {
    if constexpr (kCompact) {
      return field.bool_value;
    } else {
      return ReadByte() != 0;
    }
  }

  // A compact type code as a TType; 13-15 are not types (kStop after the
  // failure).
  int CompactType(uint8_t code, const uint8_t* at) {
    static constexpr int8_t kTypes[16] = {kStop,   kBool, kBool, kByte, kI16, kI32, kI64,
                                          kDouble, kString, kList, kSet, kMap, kStruct,
                                          -1,      -1,   -1};
    const int type = kTypes[code & 0x0f];
    if (ABSL_PREDICT_FALSE(type < 0)) {
      Fail(absl::StrCat("unknown compact type ", code), at);
      return kStop;
    }
    return type;
  }

  // The least bytes an element of `type` takes (libthrift's
  // getMinSerializedSize, which rejects codes that are not types).
  int MinBytes(int type, const uint8_t* at) {
    switch (type) {
      case kStop:
      case kVoid:
      case kStruct:
        return 0;
      case kBool:
      case kByte:
        return 1;
      case kDouble:
        return 8;
      case kI16:
        return kCompact ? 1 : 2;
      case kI32:
        return kCompact ? 1 : 4;
      case kI64:
        return kCompact ? 1 : 8;
      case kString:
      case kMap:
      case kSet:
      case kList:
        return kCompact ? 1 : 4;
      default:
        Fail(absl::StrCat("unknown element type ", type), at);
        return 0;
    }
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE FieldHeader ReadFieldBegin(int16_t* last_id) {
    const uint8_t* const at = p_;
    const uint8_t byte = ReadByte();
    if constexpr (kCompact) {
      const uint8_t code = byte & 0x0f;
      if (code == 0) return {kStop, 0, false};
      const int16_t delta = static_cast<int16_t>(byte >> 4);
      const int16_t id = delta == 0 ? ReadI16() : static_cast<int16_t>(*last_id + delta);
      *last_id = id;
      return {CompactType(code, at), id, code == 1};
    } else {
      const int type = static_cast<int8_t>(byte);
      if (type == kStop) return {kStop, 0, false};
      return {type, ReadI16(), false};
    }
  }

  // A list header (libthrift's readListBegin): size, element type, and the
  // size against the remaining message.
  uint32_t ReadListBegin(int* element_type) {
    const uint8_t* const at = p_;
    int32_t count;
    if constexpr (kCompact) {
      const uint8_t byte = ReadByte();
      count = byte >> 4;
      if (count == 15) count = ReadSize();
      if (count < 0) Fail(absl::StrCat("negative size (", count, ") of a list"), at);
      *element_type = CompactType(byte & 0x0f, at);
    } else {
      *element_type = static_cast<int8_t>(ReadByte());
      count = ReadSize();
      if (count < 0) Fail(absl::StrCat("negative size (", count, ") of a list"), at);
    }
    CheckAvailable(count, MinBytes(*element_type, at), at);
    return failed_ ? 0 : static_cast<uint32_t>(count);
  }

  // A list of Tag, Log, SpanRef (min_bytes each) or Span (1) whose elements
  // are decoded: its length is checked against the bytes actually left, and
  // element memory charged for the first three.
  uint32_t ReadStructListBegin(uint64_t min_bytes, bool charge) {
    const uint8_t* const at = p_;
    int element_type;
    const uint32_t count = ReadListBegin(&element_type);
    if (static_cast<uint64_t>(count) * min_bytes > left()) {
      Fail(absl::StrCat("list of ", count, " elements exceeds the ", left(), " bytes left"), at);
      return 0;
    }
    if (charge) {
      list_memory_ += static_cast<uint64_t>(count) * kElementBytes;
      if (list_memory_ > list_memory_limit_) {
        Fail(absl::StrCat("lists would take more than ", list_memory_limit_,
                          " bytes of memory for a ", size(), "-byte message"),
             at);
        return 0;
      }
    }
    return count;
  }
  uint32_t ReadElementListBegin() {
    return ReadStructListBegin(kCompact ? kMinElementBytesCompact : kMinElementBytesBinary,
                               /*charge=*/true);
  }

  // A string field we decode: a view of its bytes. (These small readers
  // are forced inline: as calls they were a tenth of the decode.)
  ABSL_ATTRIBUTE_ALWAYS_INLINE std::string_view ReadString() {
    const uint8_t* const at = p_;
    const int32_t length = ReadSize();
    if (ABSL_PREDICT_FALSE(length < 0)) {
      Fail(absl::StrCat("negative string length ", length), at);
      return {};
    }
    if (ABSL_PREDICT_FALSE(static_cast<size_t>(length) > left())) {
      Fail(absl::StrCat("string of ", length, " bytes exceeds the ", left(), " bytes left"), at);
      return {};
    }
    const std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(length));
    p_ += length;
    counted_ += length;
    return s;
  }

  // A string libthrift read with its own readString (skipped fields, the
  // message name): limited to the input size, and in compact checked
  // against the remaining message afterwards.
  std::string_view ReadBaseString(int32_t length, const uint8_t* at, int header_bytes) {
    if (length == 0) return {};
    if (length < 0) {
      Fail(absl::StrCat("negative size (", length, ") of a string"), at);
      return {};
    }
    if (size() > 0 && static_cast<size_t>(length) > size()) {
      Fail(absl::StrCat("string of ", length, " bytes exceeds the message"), at);
      return {};
    }
    if (static_cast<size_t>(length) > left()) {
      FailEof(at);
      return {};
    }
    const std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(length));
    p_ += length;
    if constexpr (kCompact) {
      CheckAvailable(static_cast<int32_t>(header_bytes + length), 1, at);
    } else {
      counted_ += length;
    }
    return s;
  }
  std::string_view ReadBaseString() {
    const uint8_t* const at = p_;
    const int32_t length = ReadSize();
    return ReadBaseString(length, at, static_cast<int>(p_ - at));
  }

  // libthrift's skip(): every call is one nesting level.
  void Skip(int type, int depth, const FieldHeader* field) {
    const uint8_t* const at = p_;
    if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
    switch (type) {
      case kBool:
        // A compact bool field has no value bytes; a list element does.
        if (!kCompact || field == nullptr) ReadByte();
        return;
      case kByte:
        ReadByte();
        return;
      case kI16:
        ReadI16();
        return;
      case kI32:
        ReadI32();
        return;
      case kI64:
        ReadI64();
        return;
      case kDouble:
        ReadDouble();
        return;
      case kString:
        ReadBaseString();
        return;
      case kStruct: {
        int16_t last_id = 0;
        while (true) {
          const FieldHeader f = ReadFieldBegin(&last_id);
          if (f.type == kStop) return;
          Skip(f.type, depth + 1, &f);
        }
      }
      case kMap: {
        int32_t count;
        int key_type, value_type;
        if constexpr (kCompact) {
          count = ReadSize();
          const uint8_t types = count != 0 ? ReadByte() : 0;
          if (count < 0) return Fail(absl::StrCat("negative size (", count, ") of a map"), at);
          key_type = CompactType(types >> 4, at);
          value_type = CompactType(types & 0x0f, at);
        } else {
          key_type = static_cast<int8_t>(ReadByte());
          value_type = static_cast<int8_t>(ReadByte());
          count = ReadSize();
          if (count < 0) return Fail(absl::StrCat("negative size (", count, ") of a map"), at);
        }
        CheckAvailable(count, MinBytes(key_type, at) + MinBytes(value_type, at), at);
        for (int32_t i = 0; i < count && !failed_; ++i) {
          Skip(key_type, depth + 1, nullptr);
          Skip(value_type, depth + 1, nullptr);
        }
        return;
      }
      case kSet:
      case kList: {
        int element_type;
        const uint32_t count = ReadListBegin(&element_type);
        for (uint32_t i = 0; i < count && !failed_; ++i) Skip(element_type, depth + 1, nullptr);
        return;
      }
      default:
        Fail(absl::StrCat("invalid field type ", type), at);
    }
  }

  void ReadTag(int depth, RawTag* tag);
  void ReadTagList(int depth, std::vector<RawTag>* tags);
  void ReadLog(int depth, RawSpan* span, RawLog* log);
  void ReadRef(int depth, RawRef* ref);
  void ReadSpan(int depth, RawSpan* span);
  void ReadProcess(int depth, RawProcess* process);

  const uint8_t* const begin_;
  const uint8_t* p_;
  const uint8_t* const end_;
  // Bytes libthrift's TMemoryBuffer counted as consumed (string bodies and
  // varints it could borrow): the remaining message size its container and
  // string checks compare against is the input size minus this.
  int64_t counted_ = 0;
  uint64_t list_memory_ = 0;
  const uint64_t list_memory_limit_;
  // The first failure (see Fail).
  bool failed_ = false;
  std::string error_;
  size_t error_offset_ = 0;
};

template <bool kCompact>
void Reader<kCompact>::ReadTag(int depth, RawTag* tag) {
  const uint8_t* const at = p_;
  if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
  bool has_key = false, has_type = false;
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    switch (f.id) {
      case 1:
        if (f.type == kString) {
          tag->key = ReadString();
          has_key = true;
          continue;
        }
        break;
      case 2:
        if (f.type == kI32) {
          tag->type = ReadI32();
          has_type = true;
          continue;
        }
        break;
      case 3:
        if (f.type == kString) {
          tag->str = ReadString();
          continue;
        }
        break;
      case 4:
        if (f.type == kDouble) {
          tag->double_value = ReadDouble();
          continue;
        }
        break;
      case 5:
        if (f.type == kBool) {
          tag->bool_value = ReadBool(f);
          continue;
        }
        break;
      case 6:
        if (f.type == kI64) {
          tag->long_value = ReadI64();
          continue;
        }
        break;
      case 7:
        if (f.type == kString) {
          tag->binary = ReadString();
          continue;
        }
        break;
    }
    Skip(f.type, depth + 1, &f);
  }
  if (!has_key) FailRequired("Tag.key (1)", at);
  if (!has_type) FailRequired("Tag.vType (2)", at);
}

// A list field of Tags, replacing what an earlier occurrence left.
template <bool kCompact>
void Reader<kCompact>::ReadTagList(int depth, std::vector<RawTag>* tags) {
  tags->clear();
  const uint32_t count = ReadElementListBegin();
  tags->resize(count);
  for (RawTag& tag : *tags) {
    if (failed_) return;
    ReadTag(depth, &tag);
  }
}

template <bool kCompact>
void Reader<kCompact>::ReadLog(int depth, RawSpan* span, RawLog* log) {
  const uint8_t* const at = p_;
  if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
  bool has_timestamp = false, has_fields = false;
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    if (f.id == 1 && f.type == kI64) {
      log->timestamp = ReadI64();
      has_timestamp = true;
    } else if (f.id == 2 && f.type == kList) {
      // Appended to the span's shared field storage; a repeated field
      // leaves the earlier elements unused.
      const uint32_t count = ReadElementListBegin();
      std::vector<RawTag>& fields = span->log_fields;
      const size_t begin = fields.size();
      fields.resize(begin + count);
      for (size_t i = begin; i < fields.size() && !failed_; ++i) ReadTag(depth + 1, &fields[i]);
      log->fields_begin = static_cast<uint32_t>(begin);
      log->fields_end = static_cast<uint32_t>(fields.size());
      has_fields = true;
    } else {
      Skip(f.type, depth + 1, &f);
    }
  }
  if (!has_timestamp) FailRequired("Log.timestamp (1)", at);
  if (!has_fields) FailRequired("Log.fields (2)", at);
}

template <bool kCompact>
void Reader<kCompact>::ReadRef(int depth, RawRef* ref) {
  const uint8_t* const at = p_;
  if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
  unsigned seen = 0;
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    if (f.id == 1 && f.type == kI32) {
      ref->type = ReadI32();
    } else if (f.id == 2 && f.type == kI64) {
      ref->trace_low = ReadI64();
    } else if (f.id == 3 && f.type == kI64) {
      ref->trace_high = ReadI64();
    } else if (f.id == 4 && f.type == kI64) {
      ref->span_id = ReadI64();
    } else {
      Skip(f.type, depth + 1, &f);
      continue;
    }
    seen |= 1u << f.id;
  }
  if ((seen & 2) == 0) FailRequired("SpanRef.refType (1)", at);
  if ((seen & 4) == 0) FailRequired("SpanRef.traceIdLow (2)", at);
  if ((seen & 8) == 0) FailRequired("SpanRef.traceIdHigh (3)", at);
  if ((seen & 16) == 0) FailRequired("SpanRef.spanId (4)", at);
}

template <bool kCompact>
void Reader<kCompact>::ReadSpan(int depth, RawSpan* span) {
  const uint8_t* const at = p_;
  if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
  span->Reset();
  unsigned seen = 0;  // bit i: required field i was read
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    switch (f.id) {
      case 1:
      case 2:
      case 3:
      case 4:
      case 8:
      case 9:
        if (f.type == kI64) {
          const int64_t value = ReadI64();
          switch (f.id) {
            case 1: span->trace_low = value; break;
            case 2: span->trace_high = value; break;
            case 3: span->span_id = value; break;
            case 4: span->parent_span_id = value; break;
            case 8: span->start_time = value; break;
            default: span->duration = value; break;
          }
          seen |= 1u << f.id;
          continue;
        }
        break;
      case 5:
        if (f.type == kString) {
          span->operation_name = ReadString();
          seen |= 1u << 5;
          continue;
        }
        break;
      case 6:
        if (f.type == kList) {
          span->references.clear();
          span->references.resize(ReadElementListBegin());
          for (RawRef& ref : span->references) {
            if (failed_) break;
            ReadRef(depth + 1, &ref);
          }
          span->has_references = true;
          continue;
        }
        break;
      case 7:
        if (f.type == kI32) {
          span->flags = ReadI32();
          seen |= 1u << 7;
          continue;
        }
        break;
      case 10:
        if (f.type == kList) {
          ReadTagList(depth + 1, &span->tags);
          span->has_tags = true;
          continue;
        }
        break;
      case 11:
        if (f.type == kList) {
          span->logs.clear();
          span->log_fields.clear();
          span->logs.resize(ReadElementListBegin());
          for (RawLog& log : span->logs) {
            if (failed_) break;
            ReadLog(depth + 1, span, &log);
          }
          span->has_logs = true;
          continue;
        }
        break;
    }
    Skip(f.type, depth + 1, &f);
  }
  static constexpr struct {
    int id;
    const char* name;
  } kRequired[] = {{1, "Span.traceIdLow (1)"},   {2, "Span.traceIdHigh (2)"},
                   {3, "Span.spanId (3)"},       {4, "Span.parentSpanId (4)"},
                   {5, "Span.operationName (5)"}, {7, "Span.flags (7)"},
                   {8, "Span.startTime (8)"},    {9, "Span.duration (9)"}};
  constexpr unsigned kAll = 0b1110111110;
  if (ABSL_PREDICT_FALSE((seen & kAll) != kAll)) {
    for (const auto& r : kRequired) {
      if ((seen & (1u << r.id)) == 0) FailRequired(r.name, at);
    }
  }
}

template <bool kCompact>
void Reader<kCompact>::ReadProcess(int depth, RawProcess* process) {
  const uint8_t* const at = p_;
  if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
  process->service_name = {};
  process->has_tags = false;
  process->tags.clear();
  bool has_service_name = false;
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    if (f.id == 1 && f.type == kString) {
      process->service_name = ReadString();
      has_service_name = true;
    } else if (f.id == 2 && f.type == kList) {
      ReadTagList(depth + 1, &process->tags);
      process->has_tags = true;
    } else {
      Skip(f.type, depth + 1, &f);
    }
  }
  if (!has_service_name) FailRequired("Process.serviceName (1)", at);
}

// --- Translation -------------------------------------------------------------

// `s`, or its MakeValidUtf8 repair kept in `attrs` (until its next Clear).
std::string_view ValidUtf8(std::string_view s, JaegerAttributes* attrs) {
  if (ABSL_PREDICT_TRUE(ValidUtf8Length(s) == s.size())) return s;
  std::string fixed(s);
  MakeValidUtf8(&fixed);
  return attrs->Own(std::move(fixed));
}

// Copies of long tag strings for JaegerTag's owners, which AppendTo moves
// into the message: one allocation per string, where protobuf 3.21's
// set_*(data, size) builds a temporary std::string and copies it again.
// Strings that fit std::string's in-place buffer are cheaper as views.
// Reused from one filling of the map to the next (AppendTo has emptied the
// strings it took; the rest keep their capacity).
class Owners {
 public:
  void Reset() { used_ = 0; }

  // A view of `s`, copied into an owner (set in *owner) if it is long.
  std::string_view Take(std::string_view s, std::string** owner) {
    constexpr size_t kInPlaceBytes = 15;  // libstdc++'s std::string
    if (s.size() <= kInPlaceBytes) return s;
    if (used_ == strings_.size()) strings_.emplace_back();
    std::string* copy = &strings_[used_++];
    copy->assign(s.data(), s.size());
    *owner = copy;
    return *copy;
  }

 private:
  std::deque<std::string> strings_;  // stable addresses
  size_t used_ = 0;
};

// Call after attrs->Clear() and owners->Reset(): repaired strings live in
// `attrs`, long ones in `owners`.
JaegerTag ToJaegerTag(const RawTag& tag, JaegerAttributes* attrs, Owners* owners) {
  JaegerTag out;
  out.key = owners->Take(ValidUtf8(tag.key, attrs), &out.key_owner);
  switch (tag.type) {
    case jt::TagType::STRING:
      out.kind = JaegerValueKind::kString;
      out.str = owners->Take(ValidUtf8(tag.str, attrs), &out.str_owner);
      break;
    case jt::TagType::DOUBLE:
      out.kind = JaegerValueKind::kDouble;
      out.double_value = tag.double_value;
      break;
    case jt::TagType::BOOL:
      out.kind = JaegerValueKind::kBool;
      out.bool_value = tag.bool_value;
      break;
    case jt::TagType::LONG:
      out.kind = JaegerValueKind::kInt;
      out.int_value = tag.long_value;
      break;
    case jt::TagType::BINARY:
      out.kind = JaegerValueKind::kBytes;
      out.str = owners->Take(tag.binary, &out.str_owner);
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
// no optional list present.
bool IsBlank(const RawSpan& s) {
  return s.trace_low == 0 && s.trace_high == 0 && s.span_id == 0 && s.parent_span_id == 0 &&
         s.operation_name.empty() && s.flags == 0 && s.start_time == 0 && s.duration == 0 &&
         !s.has_references && !s.has_tags && !s.has_logs;
}

// jThriftSpanParentID.
int64_t ParentSpanId(const RawSpan& span) {
  if (span.parent_span_id != 0) return span.parent_span_id;
  const RawRef* follows_from = nullptr;
  for (const RawRef& ref : span.references) {
    if (ref.trace_high != span.trace_high || ref.trace_low != span.trace_low) continue;
    if (ref.type == jt::SpanRefType::CHILD_OF) return ref.span_id;
    if (follows_from == nullptr && ref.type == jt::SpanRefType::FOLLOWS_FROM) {
      follows_from = &ref;
    }
  }
  return follows_from != nullptr ? follows_from->span_id : 0;
}

// microsecondsToUnixNano: uint64(µs) * 1000, wrapping like Go.
uint64_t MicrosToNanos(uint64_t micros) { return micros * 1000; }

void TranslateSpan(const RawSpan& in, JaegerAttributes* attrs, Owners* owners, OtlpSpan* out) {
  std::string* trace_id = out->mutable_trace_id();
  trace_id->reserve(16);
  AppendTraceId(static_cast<uint64_t>(in.trace_high), static_cast<uint64_t>(in.trace_low),
                trace_id);
  out->set_span_id(SpanIdBytes(static_cast<uint64_t>(in.span_id)));
  attrs->Clear();
  const std::string_view name = ValidUtf8(in.operation_name, attrs);
  out->set_name(std::string(name));  // moved in: one copy
  const uint64_t start = static_cast<uint64_t>(in.start_time);
  out->set_start_time_unix_nano(MicrosToNanos(start));
  out->set_end_time_unix_nano(MicrosToNanos(start + static_cast<uint64_t>(in.duration)));
  const int64_t parent = ParentSpanId(in);
  if (parent != 0) out->set_parent_span_id(SpanIdBytes(static_cast<uint64_t>(parent)));

  attrs->Clear();
  owners->Reset();
  for (const RawTag& tag : in.tags) attrs->Put(ToJaegerTag(tag, attrs, owners));
  FinishSpanAttributes(/*proto=*/false, attrs, out);

  for (const RawLog& log : in.logs) {
    OtlpSpan::Event* event = out->add_events();
    event->set_time_unix_nano(MicrosToNanos(static_cast<uint64_t>(log.timestamp)));
    if (log.fields_begin == log.fields_end) continue;
    attrs->Clear();
    owners->Reset();
    for (uint32_t i = log.fields_begin; i < log.fields_end; ++i) {
      attrs->Put(ToJaegerTag(in.log_fields[i], attrs, owners));
    }
    FinishEventAttributes(attrs, event);
  }

  for (const RawRef& ref : in.references) {
    const bool child_of = ref.type == jt::SpanRefType::CHILD_OF;
    if (child_of && ref.span_id == parent) continue;
    AddLink(static_cast<uint64_t>(ref.trace_high), static_cast<uint64_t>(ref.trace_low),
            static_cast<uint64_t>(ref.span_id), child_of, out);
  }
}

void TranslateProcess(const RawProcess& process, JaegerAttributes* attrs, Owners* owners,
                      ResourceSpans* out) {
  if (process.service_name.empty() && !process.has_tags) return;
  attrs->Clear();
  if (!process.service_name.empty()) {
    JaegerTag name;
    name.key = "service.name";
    name.str = ValidUtf8(process.service_name, attrs);
    attrs->Put(name);
  }
  owners->Reset();
  for (const RawTag& tag : process.tags) attrs->Put(ToJaegerTag(tag, attrs, owners));
  FinishResource(attrs, out->mutable_resource());
}

// Reads one jaeger.Batch struct at nesting level `depth` and appends its
// ResourceSpans to `out`, translating spans as they are read (the spans
// list is never materialised).
template <bool kCompact>
void Reader<kCompact>::ReadBatch(int depth, ExportTraceServiceRequest* out) {
  const uint8_t* const at = p_;
  if (ABSL_PREDICT_FALSE(depth > kRecursionLimit)) return FailDepth(at);
  ResourceSpans* rs = out->add_resource_spans();
  RawProcess process;
  RawSpan span;
  JaegerAttributes attrs;
  Owners owners;
  bool has_process = false, has_spans = false;
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    if (f.id == 1 && f.type == kStruct) {
      ReadProcess(depth + 1, &process);
      has_process = true;
    } else if (f.id == 2 && f.type == kList) {
      // A repeated field replaces the earlier value, as in Go.
      rs->clear_scope_spans();
      const uint32_t count = ReadStructListBegin(/*min_bytes=*/1, /*charge=*/false);
      ScopeSpans* ss = count > 0 ? rs->add_scope_spans() : nullptr;
      if (ss != nullptr) ss->mutable_spans()->Reserve(static_cast<int>(count));
      for (uint32_t i = 0; i < count; ++i) {
        ReadSpan(depth + 1, &span);
        if (failed_) return;
        if (IsBlank(span)) continue;
        TranslateSpan(span, &attrs, &owners, ss->add_spans());
      }
      has_spans = true;
    } else {
      Skip(f.type, depth + 1, &f);
    }
  }
  if (!has_process) return Fail("Batch.process (field 1) is missing", p_);
  if (!has_spans) return Fail("Batch.spans (field 2) is missing", p_);
  if (failed_) return;
  TranslateProcess(process, &attrs, &owners, rs);
}

// Reads one agent message: header, then Agent.emitBatch's argument struct.
template <bool kCompact>
void Reader<kCompact>::ReadAgentMessage(ExportTraceServiceRequest* out) {
  const uint8_t* const at = p_;
  std::string_view method;
  int message_type;
  if constexpr (kCompact) {
    if (ReadByte() != 0x82) Fail("bad protocol version (bad protocol identifier)", at);
    const uint8_t version_and_type = ReadByte();
    if ((version_and_type & 0x1f) != 1) Fail("bad protocol version (bad protocol version)", at);
    message_type = (version_and_type >> 5) & 0x07;
    ReadVarint();  // sequence id
    method = ReadBaseString();
  } else {
    const int32_t header = static_cast<int32_t>(ReadFixed<uint32_t>());
    if (header < 0) {
      // Strict: version 1 and the type, then the name and sequence id.
      if ((static_cast<uint32_t>(header) & 0xffff0000u) != 0x80010000u) {
        Fail("bad protocol version (bad version identifier)", at);
      }
      message_type = header & 0xff;
      method = ReadBaseString();
    } else {
      // The old non-strict header: the name's length, name, type.
      method = ReadBaseString(header, at, 4);
      message_type = static_cast<int8_t>(ReadByte());
    }
    ReadFixed<uint32_t>();  // sequence id
  }
  if (method == "emitZipkinBatch") {
    Fail(
        "emitZipkinBatch is not supported: Zipkin spans over the Jaeger agent "
        "protocol are dropped",
        p_);
  }
  if (method != "emitBatch") {
    Fail(absl::StrCat("unknown agent method \"", absl::CEscape(ToAbsl(method.substr(0, 64))),
                      "\""),
         p_);
  }
  if (message_type != 4 && message_type != 1) {
    Fail(absl::StrCat("emitBatch message of type ", message_type,
                      ", want ONEWAY (4) or CALL (1)"),
         p_);
  }
  constexpr int kDepth = 1;
  int16_t last_id = 0;
  while (true) {
    const FieldHeader f = ReadFieldBegin(&last_id);
    if (f.type == kStop) break;
    if (f.id == 1 && f.type == kStruct) {
      ReadBatch(kDepth + 1, out);
    } else {
      Skip(f.type, kDepth + 1, &f);
    }
  }
}

enum class Envelope { kBatch, kAgentMessage };

template <bool kCompact>
absl::Status Decode(std::string_view input, Envelope envelope, ExportTraceServiceRequest* out) {
  if (input.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger thrift: message of ", input.size(), " bytes is too large"));
  }
  const int original_size = out->resource_spans_size();
  Reader<kCompact> reader(input);
  if (envelope == Envelope::kBatch) {
    reader.ReadBatch(/*depth=*/1, out);
  } else {
    reader.ReadAgentMessage(out);
  }
  if (!reader.failed()) return absl::OkStatus();
  if (out->resource_spans_size() > original_size) {
    out->mutable_resource_spans()->DeleteSubrange(
        original_size, out->resource_spans_size() - original_size);
  }
  return absl::InvalidArgumentError(absl::StrCat("jaeger thrift: ", reader.error(), " at byte ",
                                                 reader.error_offset(), " of ", input.size()));
}

}  // namespace

absl::Status DecodeJaegerThriftBatch(std::string_view body, ThriftProtocol protocol,
                                     ExportTraceServiceRequest* out) {
  return protocol == ThriftProtocol::kCompact ? Decode<true>(body, Envelope::kBatch, out)
                                              : Decode<false>(body, Envelope::kBatch, out);
}

absl::Status DecodeJaegerAgentMessage(std::string_view datagram, ThriftProtocol protocol,
                                      ExportTraceServiceRequest* out) {
  return protocol == ThriftProtocol::kCompact
             ? Decode<true>(datagram, Envelope::kAgentMessage, out)
             : Decode<false>(datagram, Envelope::kAgentMessage, out);
}

}  // namespace andante::internal
