#include "receiver/zipkin/zipkin_json_sax.h"

#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/ip_address.h"
#include "receiver/zipkin/zipkin_json_fields.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using json = nlohmann::json;

using Type = GoJsonType;

enum class Ctx : uint8_t {
  kRoot, kSpans, kSpan, kLocalEndpoint, kRemoteEndpoint, kAnnotations, kAnnotation, kTags, kDone
};

using Field = ZipkinJsonField;

// Receives nlohmann's SAX events and fills the batch. Every callback returns
// false after recording the first error, which stops the parse.
class V2Handler {
 public:
  explicit V2Handler(ZipkinSpanBatch* batch) : batch_(batch) {}

  // --- nlohmann SAX interface ---
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
  bool number_float(json::number_float_t, const json::string_t& text) {
    text_ = text;
    return Value(Type::kFloat);
  }
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
    switch (ctx()) {
      case Ctx::kSpan: field_ = ZipkinSpanField(k); break;
      case Ctx::kLocalEndpoint:
      case Ctx::kRemoteEndpoint: field_ = ZipkinEndpointField(k); break;
      case Ctx::kAnnotation: field_ = ZipkinAnnotationField(k); break;
      case Ctx::kTags: tag_key_ = batch_->Store(k); break;
      default: field_ = Field::kUnknown; break;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    if (error_.empty()) error_ = absl::StrCat("invalid JSON: ", CleanJsonError(e.what()));
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  Ctx ctx() const { return stack_[depth_ - 1]; }
  ZipkinSpan& span() { return batch_->spans.back(); }
  ZipkinEndpoint& endpoint() {
    return ctx() == Ctx::kLocalEndpoint ? span().local_endpoint : span().remote_endpoint;
  }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  bool TypeError(Type t, std::string_view field, std::string_view go_type) {
    return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)), " into Go struct field ",
                             ToAbsl(field), " of type ", ToAbsl(go_type)));
  }

  bool Push(Ctx c) {
    if (depth_ + skip_ >= kMaxZipkinJsonDepth) {
      return Fail(absl::StrCat("JSON nesting deeper than ", kMaxZipkinJsonDepth, " levels"));
    }
    stack_[depth_++] = c;
    return true;
  }

  bool Skip() {
    if (depth_ + skip_ >= kMaxZipkinJsonDepth) {
      return Fail(absl::StrCat("JSON nesting deeper than ", kMaxZipkinJsonDepth, " levels"));
    }
    ++skip_;
    return true;
  }

  // A container starts where a value is expected.
  bool Open(Type t) {
    if (skip_ > 0) return Skip();
    if (depth_ == 0) {
      if (t != Type::kArray) return TopLevelError(t);
      return Push(Ctx::kSpans);
    }
    switch (ctx()) {
      case Ctx::kSpans:
        if (t != Type::kObject) {
          return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)),
                                   " into Go value of type model.SpanModel"));
        }
        batch_->spans.emplace_back();
        span().timestamp_absent = true;
        span().tags_begin = span().tags_end = static_cast<uint32_t>(batch_->tags.size());
        span().annotations_begin = span().annotations_end =
            static_cast<uint32_t>(batch_->annotations.size());
        return Push(Ctx::kSpan);
      case Ctx::kSpan:
        switch (field_) {
          case Field::kLocalEndpoint:
          case Field::kRemoteEndpoint:
            if (t != Type::kObject) return SpanTypeError(t);
            return Push(field_ == Field::kLocalEndpoint ? Ctx::kLocalEndpoint : Ctx::kRemoteEndpoint);
          case Field::kAnnotations:
            if (t != Type::kArray) return SpanTypeError(t);
            // A repeated key replaces the slice, as Go does.
            span().annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
            return Push(Ctx::kAnnotations);
          case Field::kTags:
            if (t != Type::kObject) return SpanTypeError(t);
            return Push(Ctx::kTags);  // a repeated key adds to the same map
          case Field::kUnknown:
            return Skip();
          default:
            return SpanTypeError(t);
        }
      case Ctx::kAnnotations:
        if (t != Type::kObject) {
          return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)),
                                   " into Go value of type model.Annotation"));
        }
        batch_->annotations.emplace_back();
        return Push(Ctx::kAnnotation);
      case Ctx::kLocalEndpoint:
      case Ctx::kRemoteEndpoint:
        if (field_ == Field::kUnknown) return Skip();
        return EndpointTypeError(t);
      case Ctx::kAnnotation:
        if (field_ == Field::kUnknown) return Skip();
        return AnnotationTypeError(t);
      case Ctx::kTags:
        return TypeError(t, "SpanModel.tags", "string");
      case Ctx::kRoot:
      case Ctx::kDone:
        break;
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
    if (closing == Ctx::kSpan) return FinishSpan();
    return true;
  }

  bool FinishSpan() {
    ZipkinSpan& s = span();
    if (s.id == 0) return Fail("valid span id required");
    s.tags_end = static_cast<uint32_t>(batch_->tags.size());
    s.annotations_end = static_cast<uint32_t>(batch_->annotations.size());
    return true;
  }

  bool TopLevelError(Type t) {
    return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)),
                             " into Go value of type []*model.SpanModel"));
  }
  bool SpanTypeError(Type t) { return TypeError(t, "SpanModel.span", FieldGoType()); }
  bool EndpointTypeError(Type t) { return TypeError(t, "Endpoint.endpoint", FieldGoType()); }
  bool AnnotationTypeError(Type t) { return TypeError(t, "Annotation.annotation", FieldGoType()); }

  std::string_view FieldGoType() const {
    switch (field_) {
      case Field::kTraceId: return "model.TraceID";
      case Field::kId:
      case Field::kParentId: return "model.ID";
      case Field::kName:
      case Field::kServiceName:
      case Field::kAnnotationValue: return "string";
      case Field::kKind: return "model.Kind";
      case Field::kTimestamp:
      case Field::kDuration: return "uint64";
      case Field::kDebug:
      case Field::kShared: return "bool";
      case Field::kLocalEndpoint:
      case Field::kRemoteEndpoint: return "model.Endpoint";
      case Field::kAnnotations: return "[]model.Annotation";
      case Field::kTags: return "map[string]string";
      case Field::kIpv4:
      case Field::kIpv6: return "net.IP";
      case Field::kPort: return "uint16";
      case Field::kAnnotationTimestamp: return "int64";
      case Field::kUnknown: break;
    }
    return "unknown";
  }

  // A scalar (or null) where a value is expected.
  bool Value(Type t) {
    if (skip_ > 0) return true;
    if (depth_ == 0) {
      if (t == Type::kNull) return true;  // `null`: no spans
      return TopLevelError(t);
    }
    switch (ctx()) {
      case Ctx::kSpans:
        if (t == Type::kNull) return true;  // a nil *SpanModel, skipped
        return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)),
                                 " into Go value of type model.SpanModel"));
      case Ctx::kSpan: return SpanValue(t);
      case Ctx::kLocalEndpoint:
      case Ctx::kRemoteEndpoint: return EndpointValue(t);
      case Ctx::kAnnotations:
        // Go dereferences a nil annotation and panics; refuse it instead.
        if (t == Type::kNull) return Fail("null annotation");
        return Fail(absl::StrCat("json: cannot unmarshal ", ToAbsl(GoName(t)),
                                 " into Go value of type model.Annotation"));
      case Ctx::kAnnotation: return AnnotationValue(t);
      case Ctx::kTags:
        if (t == Type::kString) {
          batch_->tags.push_back({tag_key_, batch_->Store(text_)});
        } else if (t == Type::kNull) {
          batch_->tags.push_back({tag_key_, {}});
        } else {
          return TypeError(t, "SpanModel.tags", "string");
        }
        return true;
      case Ctx::kRoot:
      case Ctx::kDone:
        break;
    }
    return Fail("unexpected JSON value");
  }

  bool SpanValue(Type t) {
    ZipkinSpan& s = span();
    switch (field_) {
      case Field::kUnknown: return true;
      case Field::kTraceId: {
        if (t != Type::kString) {
          if (t == Type::kNull) return Fail("invalid traceId null: expected a hex string");
          return SpanTypeError(t);
        }
        if (text_.empty()) return Fail("valid traceId required");
        std::string err;
        std::string_view hex = text_;
        uint64_t high = 0, low = 0;
        if (hex.size() > 16) {
          if (!ParseGoHexUint64(hex.substr(0, hex.size() - 16), &high, &err)) return IdError("traceId", err);
          hex = hex.substr(hex.size() - 16);
        }
        if (!ParseGoHexUint64(hex, &low, &err)) return IdError("traceId", err);
        s.trace_id_high = high;
        s.trace_id_low = low;
        return true;
      }
      case Field::kId:
      case Field::kParentId: {
        const bool parent = field_ == Field::kParentId;
        if (t == Type::kNull) {
          if (parent) {
            s.parent_id = 0;
            return true;
          }
          return Fail("invalid id null: expected a hex string");
        }
        if (t != Type::kString) return SpanTypeError(t);
        uint64_t v = 0;
        std::string err;
        if (!text_.empty() && !ParseGoHexUint64(text_, &v, &err)) {
          return IdError(parent ? "parentId" : "id", err);
        }
        (parent ? s.parent_id : s.id) = v;
        return true;
      }
      case Field::kName:
        if (t == Type::kString) {
          s.name = batch_->Store(text_);
        } else if (t != Type::kNull) {
          return SpanTypeError(t);
        }
        return true;
      case Field::kKind:
        if (t == Type::kString) {
          s.kind = ZipkinKindFromJson(text_);
        } else if (t != Type::kNull) {
          return SpanTypeError(t);
        }
        return true;
      case Field::kTimestamp:
      case Field::kDuration: {
        if (t == Type::kNull) return true;
        if (t != Type::kUnsigned) return NumberError(t, "SpanModel", "uint64");
        // Go: time.Unix(0, int64(µs)*1e3) and time.Duration(µs*1e3); both
        // wrap on overflow, as the unsigned product here does.
        uint64_t ns = uint_ * 1000u;
        if (field_ == Field::kTimestamp) {
          s.start_unix_nano = ns;
          s.timestamp_absent = uint_ == 0;
        } else {
          s.duration_nanos = ns;
        }
        return true;
      }
      case Field::kDebug:
      case Field::kShared:
        if (t != Type::kBool && t != Type::kNull) return SpanTypeError(t);
        return true;
      case Field::kLocalEndpoint:
      case Field::kRemoteEndpoint:
        if (t != Type::kNull) return SpanTypeError(t);
        (field_ == Field::kLocalEndpoint ? s.local_endpoint : s.remote_endpoint) = ZipkinEndpoint();
        return true;
      case Field::kAnnotations:
        if (t != Type::kNull) return SpanTypeError(t);
        s.annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
        return true;
      case Field::kTags:
        if (t != Type::kNull) return SpanTypeError(t);
        s.tags_begin = static_cast<uint32_t>(batch_->tags.size());  // nil map
        return true;
      default:
        return true;
    }
  }

  bool EndpointValue(Type t) {
    ZipkinEndpoint& e = endpoint();
    switch (field_) {
      case Field::kServiceName:
        if (t == Type::kString) {
          e.service_name = batch_->Store(text_);
        } else if (t != Type::kNull) {
          return EndpointTypeError(t);
        }
        return true;
      case Field::kIpv4:
      case Field::kIpv6: {
        std::string_view& ip = field_ == Field::kIpv4 ? e.ipv4 : e.ipv6;
        if (t == Type::kNull || (t == Type::kString && text_.empty())) {
          ip = {};
          return true;
        }
        if (t != Type::kString) return EndpointTypeError(t);
        std::array<uint8_t, 16> bytes;
        if (!ParseGoIp(text_, &bytes)) return Fail(absl::StrCat("invalid IP address: ", ToAbsl(text_)));
        ip = batch_->Store(std::string_view(reinterpret_cast<const char*>(bytes.data()), 16));
        return true;
      }
      case Field::kPort:
        if (t == Type::kNull) return true;
        if (t != Type::kUnsigned || uint_ > 65535) return NumberError(t, "Endpoint", "uint16");
        e.port = static_cast<uint16_t>(uint_);
        return true;
      default:
        return true;
    }
  }

  bool AnnotationValue(Type t) {
    ZipkinAnnotation& a = batch_->annotations.back();
    switch (field_) {
      case Field::kAnnotationTimestamp: {
        if (t == Type::kNull) return true;
        int64_t micros;
        if (t == Type::kNegative) {
          micros = int_;
        } else if (t == Type::kUnsigned &&
                   uint_ <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          micros = static_cast<int64_t>(uint_);
        } else {
          return NumberError(t, "Annotation", "int64");
        }
        a.time_unix_nano = static_cast<uint64_t>(micros) * 1000u;
        return true;
      }
      case Field::kAnnotationValue:
        if (t == Type::kString) {
          a.value = batch_->Store(text_);
        } else if (t != Type::kNull) {
          return AnnotationTypeError(t);
        }
        return true;
      default:
        return true;
    }
  }

  bool NumberError(Type t, std::string_view go_struct, std::string_view go_type) {
    if (t == Type::kNegative || t == Type::kUnsigned || t == Type::kFloat) {
      std::string literal = t == Type::kNegative   ? std::to_string(int_)
                            : t == Type::kUnsigned ? std::to_string(uint_)
                                                   : std::string(text_);
      return Fail(absl::StrCat("json: cannot unmarshal number ", literal, " into Go struct field ",
                               ToAbsl(go_struct), ".", ToAbsl(FieldName()), " of type ",
                               ToAbsl(go_type)));
    }
    return TypeError(t, absl::StrCat(ToAbsl(go_struct), ".", ToAbsl(FieldName())), go_type);
  }

  std::string_view FieldName() const {
    switch (field_) {
      case Field::kTimestamp:
      case Field::kAnnotationTimestamp: return "timestamp";
      case Field::kDuration: return "duration";
      case Field::kPort: return "port";
      default: return "value";
    }
  }

  bool IdError(std::string_view what, const std::string& err) {
    return Fail(absl::StrCat("invalid ", ToAbsl(what), " \"", ToAbsl(text_), "\": ", err));
  }

  ZipkinSpanBatch* const batch_;
  std::array<Ctx, 8> stack_{};
  int depth_ = 0;  // entries in stack_
  int skip_ = 0;   // depth inside an ignored value
  Field field_ = Field::kUnknown;
  std::string_view tag_key_;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  // The current string or float literal; a view of nlohmann's token buffer,
  // valid during one callback.
  std::string_view text_;
  std::string error_;
};

}  // namespace

absl::Status ParseZipkinV2JsonSax(std::string_view body, ZipkinSpanBatch* batch) {
  std::string scratch;
  std::string_view input = ReplaceInvalidUtf8(body, &scratch);
  V2Handler handler(batch);
  bool ok = false;
  try {
    ok = json::sax_parse(input.data(), input.data() + input.size(), &handler);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
  if (!ok) {
    return absl::InvalidArgumentError(handler.error().empty() ? "invalid JSON" : handler.error());
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
