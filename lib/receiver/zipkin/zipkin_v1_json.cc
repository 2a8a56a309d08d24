#include "receiver/zipkin/zipkin_v1_json.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/zipkin_span.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;
using KeyValues = google::protobuf::RepeatedPtrField<KeyValue>;
using json = nlohmann::json;

constexpr std::string_view kUnknownService = "unknown-service";

struct Endpoint {
  std::string_view service_name;
  std::string_view ipv4;  // as text: v1 keeps addresses as strings
  std::string_view ipv6;
  int32_t port = 0;
};

struct Annotation {
  int64_t timestamp = 0;
  std::string_view value;
  bool has_endpoint = false;
  Endpoint endpoint;
};

struct BinaryAnnotation {
  std::string_view key;
  std::string_view value;
  bool has_endpoint = false;
  Endpoint endpoint;
};

struct V1Span {
  std::string_view trace_id, name, parent_id, id;
  int64_t timestamp = 0;
  int64_t duration = 0;
  uint32_t annotations_begin = 0, annotations_end = 0;
  uint32_t binary_begin = 0, binary_end = 0;
};

struct V1Batch {
  std::vector<V1Span> spans;
  std::vector<Annotation> annotations;  // null elements are not stored
  std::vector<BinaryAnnotation> binary;
  ZipkinStringStore strings;
};

using Type = GoJsonType;

enum class Ctx : uint8_t {
  kSpans, kSpan, kAnnotations, kAnnotation, kBinaryAnnotations, kBinaryAnnotation, kEndpoint
};

enum class Field : uint8_t {
  kUnknown, kTraceId, kName, kParentId, kId, kTimestamp, kDuration, kDebug, kAnnotations,
  kBinaryAnnotations, kValue, kKey, kEndpoint, kServiceName, kIpv4, kIpv6, kPort,
};

class V1Handler {
 public:
  explicit V1Handler(V1Batch* batch) : batch_(batch) {}

  bool null() { return Value(Type::kNull); }
  bool boolean(bool) { return Value(Type::kBool); }
  bool number_integer(json::number_integer_t v) {
    int_ = v;
    return Value(Type::kNegative);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    uint_ = v;
    return Value(Type::kUnsigned);
  }
  bool number_float(json::number_float_t, const json::string_t&) { return Value(Type::kFloat); }
  bool string(json::string_t& v) {
    text_ = v;
    return Value(Type::kString);
  }
  bool binary(json::binary_t&) { return Fail("unexpected binary value"); }
  bool start_object(std::size_t) { return Open(Type::kObject); }
  bool start_array(std::size_t) { return Open(Type::kArray); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& k) {
    if (skip_ > 0) return true;
    field_ = Match(ctx(), k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    if (error_.empty()) error_ = CleanJsonError(e.what());
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  static Field Match(Ctx c, std::string_view k) {
    switch (c) {
      case Ctx::kSpan:
        if (KeyIs(k, "traceid")) return Field::kTraceId;
        if (KeyIs(k, "name")) return Field::kName;
        if (KeyIs(k, "parentid")) return Field::kParentId;
        if (KeyIs(k, "id")) return Field::kId;
        if (KeyIs(k, "timestamp")) return Field::kTimestamp;
        if (KeyIs(k, "duration")) return Field::kDuration;
        if (KeyIs(k, "debug")) return Field::kDebug;
        if (KeyIs(k, "annotations")) return Field::kAnnotations;
        if (KeyIs(k, "binaryannotations")) return Field::kBinaryAnnotations;
        break;
      case Ctx::kAnnotation:
        if (KeyIs(k, "timestamp")) return Field::kTimestamp;
        if (KeyIs(k, "value")) return Field::kValue;
        if (KeyIs(k, "endpoint")) return Field::kEndpoint;
        break;
      case Ctx::kBinaryAnnotation:
        if (KeyIs(k, "key")) return Field::kKey;
        if (KeyIs(k, "value")) return Field::kValue;
        if (KeyIs(k, "endpoint")) return Field::kEndpoint;
        break;
      case Ctx::kEndpoint:
        if (KeyIs(k, "servicename")) return Field::kServiceName;
        if (KeyIs(k, "ipv4")) return Field::kIpv4;
        if (KeyIs(k, "ipv6")) return Field::kIpv6;
        if (KeyIs(k, "port")) return Field::kPort;
        break;
      default:
        break;
    }
    return Field::kUnknown;
  }

  Ctx ctx() const { return stack_[depth_ - 1]; }
  V1Span& span() { return batch_->spans.back(); }
  Endpoint& endpoint() {
    return stack_[depth_ - 2] == Ctx::kAnnotation ? batch_->annotations.back().endpoint
                                                  : batch_->binary.back().endpoint;
  }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  bool TypeError(Type t, std::string_view go_type) {
    return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)), " into Go value of type ",
                             ToAbsl(go_type)));
  }

  bool Push(Ctx c) {
    if (depth_ + skip_ >= kMaxZipkinJsonDepth) {
      return Fail(absl::StrCat("JSON nesting deeper than ", kMaxZipkinJsonDepth, " levels"));
    }
    stack_[depth_++] = c;
    field_ = Field::kUnknown;
    return true;
  }
  bool Skip() {
    if (depth_ + skip_ >= kMaxZipkinJsonDepth) {
      return Fail(absl::StrCat("JSON nesting deeper than ", kMaxZipkinJsonDepth, " levels"));
    }
    ++skip_;
    return true;
  }

  bool Open(Type t) {
    if (skip_ > 0) return Skip();
    if (depth_ == 0) {
      if (t != Type::kArray) return TypeError(t, "[]*zipkinv1.jsonSpan");
      return Push(Ctx::kSpans);
    }
    switch (ctx()) {
      case Ctx::kSpans:
        if (t != Type::kObject) return TypeError(t, "zipkinv1.jsonSpan");
        batch_->spans.emplace_back();
        span().annotations_begin = span().annotations_end =
            static_cast<uint32_t>(batch_->annotations.size());
        span().binary_begin = span().binary_end = static_cast<uint32_t>(batch_->binary.size());
        return Push(Ctx::kSpan);
      case Ctx::kSpan:
        if (field_ == Field::kAnnotations && t == Type::kArray) {
          span().annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
          return Push(Ctx::kAnnotations);
        }
        if (field_ == Field::kBinaryAnnotations && t == Type::kArray) {
          span().binary_begin = static_cast<uint32_t>(batch_->binary.size());
          return Push(Ctx::kBinaryAnnotations);
        }
        if (field_ == Field::kUnknown) return Skip();
        return FieldTypeError(t);
      case Ctx::kAnnotations:
        if (t != Type::kObject) return TypeError(t, "zipkinv1.annotation");
        batch_->annotations.emplace_back();
        return Push(Ctx::kAnnotation);
      case Ctx::kBinaryAnnotations:
        if (t != Type::kObject) return TypeError(t, "zipkinv1.binaryAnnotation");
        batch_->binary.emplace_back();
        return Push(Ctx::kBinaryAnnotation);
      case Ctx::kAnnotation:
      case Ctx::kBinaryAnnotation:
        if (field_ == Field::kEndpoint && t == Type::kObject) {
          // A repeated key decodes into the same endpoint, as Go does.
          if (ctx() == Ctx::kAnnotation) {
            batch_->annotations.back().has_endpoint = true;
          } else {
            batch_->binary.back().has_endpoint = true;
          }
          return Push(Ctx::kEndpoint);
        }
        if (field_ == Field::kUnknown) return Skip();
        return FieldTypeError(t);
      case Ctx::kEndpoint:
        if (field_ == Field::kUnknown) return Skip();
        return FieldTypeError(t);
    }
    return Fail("unexpected JSON value");
  }

  bool Close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    Ctx closing = ctx();
    --depth_;
    field_ = Field::kUnknown;
    if (closing == Ctx::kSpan) {
      span().annotations_end = static_cast<uint32_t>(batch_->annotations.size());
      span().binary_end = static_cast<uint32_t>(batch_->binary.size());
    }
    return true;
  }

  bool FieldTypeError(Type t) {
    std::string_view go_type = "string";
    switch (field_) {
      case Field::kTimestamp:
      case Field::kDuration: go_type = "int64"; break;
      case Field::kPort: go_type = "int32"; break;
      case Field::kDebug: go_type = "bool"; break;
      case Field::kAnnotations: go_type = "[]*zipkinv1.annotation"; break;
      case Field::kBinaryAnnotations: go_type = "[]*zipkinv1.binaryAnnotation"; break;
      case Field::kEndpoint: go_type = "zipkinv1.endpoint"; break;
      default: break;
    }
    return TypeError(t, go_type);
  }

  // A JSON string for a string field; null leaves the field as it was.
  bool StringField(Type t, std::string_view* out) {
    if (t == Type::kString) {
      *out = batch_->strings.Store(text_);
      return true;
    }
    return t == Type::kNull || FieldTypeError(t);
  }

  bool IntField(Type t, int bits, int64_t* out) {
    if (t == Type::kNull) return true;
    const int64_t max = bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
    if (t == Type::kNegative && int_ >= -max - 1) {
      *out = int_;
      return true;
    }
    if (t == Type::kUnsigned && uint_ <= static_cast<uint64_t>(max)) {
      *out = static_cast<int64_t>(uint_);
      return true;
    }
    return FieldTypeError(t);
  }

  bool Value(Type t) {
    if (skip_ > 0) return true;
    if (depth_ == 0) return t == Type::kNull || TypeError(t, "[]*zipkinv1.jsonSpan");
    switch (ctx()) {
      case Ctx::kSpans:
        // The collector dereferences a nil span and panics; refuse it.
        if (t == Type::kNull) return Fail("null span");
        return TypeError(t, "zipkinv1.jsonSpan");
      case Ctx::kAnnotations:
        // A nil *annotation is skipped by the translator; not stored.
        return t == Type::kNull || TypeError(t, "zipkinv1.annotation");
      case Ctx::kBinaryAnnotations:
        // ... but a nil *binaryAnnotation panics the collector.
        if (t == Type::kNull) return Fail("null binary annotation");
        return TypeError(t, "zipkinv1.binaryAnnotation");
      case Ctx::kSpan: {
        V1Span& s = span();
        switch (field_) {
          case Field::kTraceId: return StringField(t, &s.trace_id);
          case Field::kName: return StringField(t, &s.name);
          case Field::kParentId: return StringField(t, &s.parent_id);
          case Field::kId: return StringField(t, &s.id);
          case Field::kTimestamp: return IntField(t, 64, &s.timestamp);
          case Field::kDuration: return IntField(t, 64, &s.duration);
          case Field::kDebug: return t == Type::kBool || t == Type::kNull || FieldTypeError(t);
          case Field::kAnnotations:
            if (t != Type::kNull) return FieldTypeError(t);
            s.annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
            return true;
          case Field::kBinaryAnnotations:
            if (t != Type::kNull) return FieldTypeError(t);
            s.binary_begin = static_cast<uint32_t>(batch_->binary.size());
            return true;
          default: return true;
        }
      }
      case Ctx::kAnnotation: {
        Annotation& a = batch_->annotations.back();
        switch (field_) {
          case Field::kTimestamp: return IntField(t, 64, &a.timestamp);
          case Field::kValue: return StringField(t, &a.value);
          case Field::kEndpoint:
            if (t != Type::kNull) return FieldTypeError(t);
            a.has_endpoint = false;
            a.endpoint = Endpoint();
            return true;
          default: return true;
        }
      }
      case Ctx::kBinaryAnnotation: {
        BinaryAnnotation& b = batch_->binary.back();
        switch (field_) {
          case Field::kKey: return StringField(t, &b.key);
          case Field::kValue: return StringField(t, &b.value);
          case Field::kEndpoint:
            if (t != Type::kNull) return FieldTypeError(t);
            b.has_endpoint = false;
            b.endpoint = Endpoint();
            return true;
          default: return true;
        }
      }
      case Ctx::kEndpoint: {
        Endpoint& e = endpoint();
        switch (field_) {
          case Field::kServiceName: return StringField(t, &e.service_name);
          case Field::kIpv4: return StringField(t, &e.ipv4);
          case Field::kIpv6: return StringField(t, &e.ipv6);
          case Field::kPort: {
            int64_t port = e.port;
            if (!IntField(t, 32, &port)) return false;
            e.port = static_cast<int32_t>(port);
            return true;
          }
          default: return true;
        }
      }
    }
    return Fail("unexpected JSON value");
  }

  V1Batch* const batch_;
  std::array<Ctx, 8> stack_{};
  int depth_ = 0;
  int skip_ = 0;
  Field field_ = Field::kUnknown;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  std::string_view text_;
  std::string error_;
};

// --- translation ------------------------------------------------------------

std::string HexError(std::string_view hex) {
  for (char c : hex) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) {
      // Go's %#U.
      auto u = static_cast<unsigned char>(c);
      std::string out = absl::StrFormat("encoding/hex: invalid byte: U+%04X", u);
      if (u >= 0x20 && u < 0x7f) absl::StrAppendFormat(&out, " '%c'", u);
      return out;
    }
  }
  return {};
}

void DecodeHex(std::string_view hex, char* out) {
  auto v = [](char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out[i / 2] = static_cast<char>(v(hex[i]) << 4 | v(hex[i + 1]));
  }
}

bool AllZero(const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

absl::Status TraceId(std::string_view hex, char* out) {
  if (hex.size() != 16 && hex.size() != 32) {
    return absl::InvalidArgumentError(
        "zipkinV1 span traceId: hex traceId span has wrong length (expected 16 or 32)");
  }
  if (std::string e = HexError(hex); !e.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("zipkinV1 span traceId: ", e));
  }
  std::memset(out, 0, 16);
  DecodeHex(hex, out + 16 - hex.size() / 2);
  if (AllZero(out, 16)) return absl::InvalidArgumentError("zipkinV1 span traceId: traceId is zero");
  return absl::OkStatus();
}

absl::Status SpanId(std::string_view what, std::string_view hex, char* out) {
  if (hex.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("zipkinV1 span ", ToAbsl(what), ": hex Id has wrong length (expected 16)"));
  }
  if (std::string e = HexError(hex); !e.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("zipkinV1 span ", ToAbsl(what), ": ", e));
  }
  DecodeHex(hex, out);
  if (AllZero(out, 8)) {
    return absl::InvalidArgumentError(absl::StrCat("zipkinV1 span ", ToAbsl(what), ": ID is zero"));
  }
  return absl::OkStatus();
}

// epochMicrosecondsToTimestamp: non-positive -> 0.
uint64_t MicrosToNanos(int64_t micros) {
  return micros <= 0 ? 0 : static_cast<uint64_t>(micros) * 1000u;
}

// strconv.ParseInt(s, 10, 64) followed by the int32 range check.
bool ParseInt32(std::string_view s, int32_t* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t v;
  std::string ignored;
  if (!ParseGoDecimalUint(s, 63, &v, &ignored)) {
    // ParseInt accepts -2^63 too; it is outside int32 either way.
    return false;
  }
  int64_t signed_v = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  if (signed_v < std::numeric_limits<int32_t>::min() || signed_v > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(signed_v);
  return true;
}

// The collector's statusMapper.
class StatusMapper {
 public:
  // Returns true when the attribute is consumed (not kept on the span).
  bool FromAttribute(std::string_view key, std::string_view value) {
    int32_t code;
    if (key == "census.status_code") {
      if (ParseInt32(value, &code)) census_ = {true, code == 0 ? 1 : 2, census_.message};
      return true;
    }
    if (key == "census.status_description" || key == "opencensus.status_description") {
      census_.message = value;
      return true;
    }
    if (key == "otel.status_code") {
      if (ParseInt32(value, &code)) status_ = {true, code, status_.message};
      return true;
    }
    if (key == "otel.status_description") {
      status_.message = value;
      return true;
    }
    if (key == "http.status_code") {
      if (ParseInt32(value, &code)) http_ = {true, code >= 100 && code < 400 ? 0 : 2, http_.message};
      return false;
    }
    if (key == "http.status_message") {
      http_.message = value;
      return false;
    }
    if (key == "error") {
      error_ = {true, 2, error_.message};
      return true;
    }
    return false;
  }

  void Apply(Span* span) const {
    Source s;
    if (census_.set) {
      s = census_;
    } else if (status_.set) {
      s = status_;
    } else if (error_.set) {
      s = error_;
      if (!census_.message.empty()) {
        s.message = census_.message;
      } else if (!status_.message.empty()) {
        s.message = status_.message;
      }
    } else if (http_.set) {
      s = http_;
    }
    if (!s.set) return;
    Status* status = span->mutable_status();
    status->set_code(static_cast<Status::StatusCode>(s.code));
    status->set_message(s.message.data(), s.message.size());
  }

 private:
  struct Source {
    bool set = false;
    int32_t code = 0;
    std::string_view message;
  };
  Source census_, status_, http_, error_;
};

KeyValue* Put(KeyValues* attrs, std::string_view key) {
  for (KeyValue& kv : *attrs) {
    if (kv.key() == key) return &kv;
  }
  KeyValue* kv = attrs->Add();
  kv->set_key(key.data(), key.size());
  return kv;
}

struct Translated {
  Endpoint endpoint;
  char trace_id[16];
  char span_id[8];
  char parent_id[8];
  bool has_parent = false;
};

absl::Status Translate(const V1Batch& batch, ExportTraceServiceRequest* out) {
  // Validate every ID first so that a bad span leaves *out untouched.
  std::vector<Translated> ids(batch.spans.size());
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    const V1Span& s = batch.spans[i];
    if (absl::Status st = TraceId(s.trace_id, ids[i].trace_id); !st.ok()) return st;
    if (absl::Status st = SpanId("id", s.id, ids[i].span_id); !st.ok()) return st;
    if (!s.parent_id.empty()) {
      if (absl::Status st = SpanId("parentId", s.parent_id, ids[i].parent_id); !st.ok()) return st;
      ids[i].has_parent = true;
    }
  }

  const uint64_t now = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  absl::flat_hash_map<std::string, int> resource_of;  // endpoint key -> index in out
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    const V1Span& z = batch.spans[i];
    Span span;  // built off-arena, moved into place below
    // Annotations: kind, resource endpoint, start/end, events.
    int64_t earliest = std::numeric_limits<int64_t>::max();
    int64_t latest = std::numeric_limits<int64_t>::min();
    const Endpoint* endpoint = nullptr;
    bool kind_set = false;
    for (uint32_t a = z.annotations_begin; a < z.annotations_end; ++a) {
      const Annotation& an = batch.annotations[a];
      if (an.value.empty()) continue;
      const std::string_view v = an.value;
      const bool core = v == "cs" || v == "cr" || v == "ms" || v == "mr" || v == "ss" || v == "sr";
      if (endpoint == nullptr && core && an.has_endpoint && !an.endpoint.service_name.empty()) {
        endpoint = &an.endpoint;
      }
      if (!kind_set && core) {
        span.set_kind(v[0] == 'c'   ? Span::SPAN_KIND_CLIENT
                      : v[0] == 's' ? Span::SPAN_KIND_SERVER
                      : v == "ms"   ? Span::SPAN_KIND_PRODUCER
                                    : Span::SPAN_KIND_CONSUMER);
        kind_set = true;
      }
      const uint64_t ts = MicrosToNanos(an.timestamp);
      if (an.timestamp < earliest) {
        earliest = an.timestamp;
        span.set_start_time_unix_nano(ts);
      }
      if (an.timestamp > latest) {
        latest = an.timestamp;
        span.set_end_time_unix_nano(ts);
      }
      if (core) continue;
      auto* event = span.add_events();
      event->set_time_unix_nano(ts);
      event->set_name(v.data(), v.size());
    }
    Endpoint resource = endpoint != nullptr ? *endpoint : Endpoint{kUnknownService, {}, {}, 0};

    // Binary annotations: attributes, status, fallback service name.
    if (z.binary_end > z.binary_begin) {
      StatusMapper status;
      std::string_view fallback;
      std::string_view local_component;
      for (uint32_t b = z.binary_begin; b < z.binary_end; ++b) {
        const BinaryAnnotation& ba = batch.binary[b];
        if (ba.has_endpoint && !ba.endpoint.service_name.empty()) fallback = ba.endpoint.service_name;
        std::string_view key = ba.key;
        if (key == "lc") {
          key = "component";
          local_component = ba.value;
        }
        if (status.FromAttribute(key, ba.value)) continue;
        Put(span.mutable_attributes(), key)->mutable_value()->set_string_value(ba.value.data(),
                                                                               ba.value.size());
      }
      if (fallback.empty()) fallback = local_component;
      status.Apply(&span);
      if (resource.service_name == kUnknownService && !fallback.empty()) {
        resource.service_name = fallback;
      }
    }

    if (z.timestamp != 0) {
      span.set_start_time_unix_nano(MicrosToNanos(z.timestamp));
      // int64 addition wraps in Go.
      span.set_end_time_unix_nano(MicrosToNanos(static_cast<int64_t>(
          static_cast<uint64_t>(z.timestamp) + static_cast<uint64_t>(z.duration))));
    }
    span.set_name(z.name.data(), z.name.size());
    span.set_trace_id(ids[i].trace_id, 16);
    span.set_span_id(ids[i].span_id, 8);
    if (ids[i].has_parent) span.set_parent_span_id(ids[i].parent_id, 8);
    if (span.start_time_unix_nano() == 0) {
      span.set_start_time_unix_nano(now);
      span.set_end_time_unix_nano(now);
      Put(span.mutable_attributes(), "otel.zipkin.absentField.startTime")
          ->mutable_value()
          ->set_bool_value(true);
    }

    // One ResourceSpans per distinct endpoint (the collector's
    // "%s-%s-%s-%d" key).
    std::string key = absl::StrCat(ToAbsl(resource.service_name), "-", ToAbsl(resource.ipv4), "-",
                                   ToAbsl(resource.ipv6), "-", resource.port);
    auto [it, inserted] = resource_of.try_emplace(std::move(key), out->resource_spans_size());
    if (inserted) {
      auto* rs = out->add_resource_spans();
      auto* attrs = rs->mutable_resource()->mutable_attributes();
      auto put = [&](std::string_view k, std::string_view v) {
        Put(attrs, k)->mutable_value()->set_string_value(v.data(), v.size());
      };
      put("service.name", resource.service_name);
      if (!resource.ipv4.empty()) put("ipv4", resource.ipv4);
      if (!resource.ipv6.empty()) put("ipv6", resource.ipv6);
      if (resource.port != 0) put("port", std::to_string(resource.port));
      rs->add_scope_spans();
    }
    *out->mutable_resource_spans(it->second)->mutable_scope_spans(0)->add_spans() = std::move(span);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeZipkinV1Json(std::string_view body, ExportTraceServiceRequest* out) {
  std::string scratch;
  std::string_view input = ReplaceInvalidUtf8(body, &scratch);
  V1Batch batch;
  V1Handler handler(&batch);
  bool ok = false;
  try {
    ok = json::sax_parse(input.data(), input.data() + input.size(), &handler);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("zipkinv1: ", e.what()));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("zipkinv1: ", handler.error().empty() ? "invalid JSON" : handler.error()));
  }
  return Translate(batch, out);
}

}  // namespace andante::internal
