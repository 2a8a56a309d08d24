#include "model/otlp_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "andante/rpc_status.pb.h"
#include "nlohmann/json.hpp"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::nlohmann::json;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::InstrumentationScope;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::resource::v1::EntityRef;
using ::andante::otlp::resource::v1::Resource;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;
using KeyValues = google::protobuf::RepeatedPtrField<KeyValue>;

// Builds a DOM like nlohmann's own parser, but reports syntax errors as a
// value instead of an exception and stops at kMaxOtlpJsonDepth (returning
// false from a SAX event aborts the parse).
class BoundedDomParser {
 public:
  explicit BoundedDomParser(json* root) : dom_(*root, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return Enter() && dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& e) {
    error_ = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (size_t pos = error_.find("] "); pos != std::string::npos) {
      error_.erase(0, pos + 2);
    }
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxOtlpJsonDepth) {
      error_ = absl::StrCat("JSON nesting deeper than ", kMaxOtlpJsonDepth,
                            " levels");
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int depth_ = 0;
  std::string error_;
};

// A JSON path, kept on the stack while descending and rendered only when an
// error is reported: `resourceSpans[0].scopeSpans[0].spans[3].traceId`.
struct Path {
  const Path* parent;
  std::string_view key;  // empty for an array element
  int index;             // -1 for an object member

  Path Field(std::string_view k) const { return Path{this, k, -1}; }
  Path Element(int i) const { return Path{this, {}, i}; }
};

std::string Render(const Path& path) {
  std::vector<const Path*> nodes;
  for (const Path* p = &path; p != nullptr; p = p->parent) {
    if (!p->key.empty() || p->index >= 0) nodes.push_back(p);
  }
  std::string out;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    if ((*it)->index >= 0) {
      absl::StrAppend(&out, "[", (*it)->index, "]");
    } else {
      if (!out.empty()) out.push_back('.');
      out.append((*it)->key);
    }
  }
  return out;
}

// Field-name matching: OTLP/JSON's lowerCamelCase or the proto name.
inline bool Is(const std::string& key, std::string_view camel,
               std::string_view snake = {}) {
  return key == camel || (!snake.empty() && key == snake);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kSpanKindNames[] = {
    "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
constexpr std::string_view kStatusCodeNames[] = {
    "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};

// Walks the DOM into protobuf messages. Every method returns false after
// recording the first error in `status`.
class Decoder {
 public:
  absl::Status status;

  bool Request(const json& v, ExportTraceServiceRequest* out) {
    const Path root{nullptr, {}, -1};
    if (!v.is_object()) return Fail(root, "expected a JSON object");
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      const json& f = it.value();
      if (f.is_null()) continue;
      Path p = root.Field(k);
      if (Is(k, "resourceSpans", "resource_spans")) {
        if (!Array(f, p, [&](const json& e, const Path& ep) {
              return ResourceSpansMsg(e, ep, out->add_resource_spans());
            })) {
          return false;
        }
      }
    }
    return true;
  }

 private:
  bool Fail(const Path& p, std::string_view msg) {
    std::string where = Render(p);
    status = absl::InvalidArgumentError(
        where.empty() ? std::string(msg) : absl::StrCat(where, ": ", ToAbsl(msg)));
    return false;
  }

  // Calls fn(element, path) for every element of array `v`.
  template <typename Fn>
  bool Array(const json& v, const Path& p, Fn fn) {
    if (!v.is_array()) return Fail(p, "expected a JSON array");
    int i = 0;
    for (const json& e : v) {
      if (!fn(e, p.Element(i++))) return false;
    }
    return true;
  }

  // Calls fn(key, value, path) for every non-null member of object `v`.
  template <typename Fn>
  bool Object(const json& v, const Path& p, Fn fn) {
    if (!v.is_object()) return Fail(p, "expected a JSON object");
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.value().is_null()) continue;
      if (!fn(it.key(), it.value(), p.Field(it.key()))) return false;
    }
    return true;
  }

  bool String(const json& v, const Path& p, std::string* out) {
    if (!v.is_string()) return Fail(p, "expected a string");
    *out = v.get_ref<const std::string&>();
    return true;
  }

  bool Bool(const json& v, const Path& p, bool* out) {
    if (!v.is_boolean()) return Fail(p, "expected a boolean");
    *out = v.get<bool>();
    return true;
  }

  // 64-bit integers: decimal strings per spec, bare numbers also accepted.
  template <typename T>
  bool Integer(const json& v, const Path& p, T* out) {
    using Limits = std::numeric_limits<T>;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(Limits::max())) return Fail(p, "integer out of range");
      *out = static_cast<T>(u);
      return true;
    }
    if (v.is_number_integer()) {
      const int64_t s = v.get<int64_t>();
      if (s < static_cast<int64_t>(Limits::min()) ||
          (s > 0 && static_cast<uint64_t>(s) > static_cast<uint64_t>(Limits::max()))) {
        return Fail(p, "integer out of range");
      }
      *out = static_cast<T>(s);
      return true;
    }
    if (v.is_number_float()) {
      // E.g. 1.7e18 from a JavaScript client: accepted when integral.
      const double d = v.get<double>();
      if (!std::isfinite(d) || d != std::floor(d) ||
          d < static_cast<double>(Limits::min()) ||
          d >= std::ldexp(1.0, Limits::digits)) {
        return Fail(p, "expected an integer");
      }
      *out = static_cast<T>(d);
      return true;
    }
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      T value{};
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return Fail(p, absl::StrCat("invalid integer \"", absl::CHexEscape(s), "\""));
      }
      *out = value;
      return true;
    }
    return Fail(p, "expected an integer");
  }

  bool Double(const json& v, const Path& p, double* out) {
    if (v.is_number()) {
      *out = v.get<double>();
      return true;
    }
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (s == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
      } else if (s == "Infinity") {
        *out = std::numeric_limits<double>::infinity();
      } else if (s == "-Infinity") {
        *out = -std::numeric_limits<double>::infinity();
      } else {
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
        if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
          return Fail(p, absl::StrCat("invalid number \"", absl::CHexEscape(s), "\""));
        }
      }
      return true;
    }
    return Fail(p, "expected a number");
  }

  // An enum as its integer value or its name.
  template <size_t N>
  bool Enum(const json& v, const Path& p, const std::string_view (&names)[N],
            int* out) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      for (size_t i = 0; i < N; ++i) {
        if (s == names[i]) {
          *out = static_cast<int>(i);
          return true;
        }
      }
      // Tolerate a number in a string, like other 32-bit fields.
      int32_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) {
        *out = n;
        return true;
      }
      return Fail(p, absl::StrCat("unknown enum value \"", absl::CHexEscape(s), "\""));
    }
    int32_t n = 0;
    if (!Integer(v, p, &n)) return false;
    *out = n;
    return true;
  }

  // A hex ID of exactly `size` bytes; "" leaves it unset.
  bool HexId(const json& v, const Path& p, size_t size, std::string* out) {
    if (!v.is_string()) return Fail(p, "expected a hex string");
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty()) {
      out->clear();
      return true;
    }
    if (s.size() != 2 * size) {
      return Fail(p, absl::StrCat("length mismatch: want ", 2 * size,
                                  " hex characters, got ", s.size()));
    }
    out->resize(size);
    for (size_t i = 0; i < size; ++i) {
      const int hi = HexValue(s[2 * i]);
      const int lo = HexValue(s[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        const size_t pos = hi < 0 ? 2 * i : 2 * i + 1;
        return Fail(p, absl::StrCat("invalid hex character '",
                                    absl::CHexEscape(std::string(1, s[pos])),
                                    "' at position ", pos + 1));
      }
      (*out)[i] = static_cast<char>(hi << 4 | lo);
    }
    return true;
  }

  bool Base64(const json& v, const Path& p, std::string* out) {
    if (!v.is_string()) return Fail(p, "expected a base64 string");
    const std::string& s = v.get_ref<const std::string&>();
    if (!absl::Base64Unescape(ToAbsl(s), out) &&
        !absl::WebSafeBase64Unescape(ToAbsl(s), out)) {
      return Fail(p, "invalid base64");
    }
    return true;
  }

  bool KeyValues(const json& v, const Path& p, KeyValues* out) {
    return Array(v, p, [&](const json& e, const Path& ep) {
      return KeyValueMsg(e, ep, out->Add());
    });
  }

  bool KeyValueMsg(const json& v, const Path& p, KeyValue* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "key")) return String(f, fp, out->mutable_key());
      if (Is(k, "value")) return AnyValueMsg(f, fp, out->mutable_value());
      return true;
    });
  }

  // Recursion is bounded by the parser's nesting limit.
  bool AnyValueMsg(const json& v, const Path& p, AnyValue* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "stringValue", "string_value")) {
        return String(f, fp, out->mutable_string_value());
      }
      if (Is(k, "boolValue", "bool_value")) {
        bool b = false;
        if (!Bool(f, fp, &b)) return false;
        out->set_bool_value(b);
        return true;
      }
      if (Is(k, "intValue", "int_value")) {
        int64_t n = 0;
        if (!Integer(f, fp, &n)) return false;
        out->set_int_value(n);
        return true;
      }
      if (Is(k, "doubleValue", "double_value")) {
        double d = 0;
        if (!Double(f, fp, &d)) return false;
        out->set_double_value(d);
        return true;
      }
      if (Is(k, "bytesValue", "bytes_value")) {
        return Base64(f, fp, out->mutable_bytes_value());
      }
      if (Is(k, "arrayValue", "array_value")) {
        auto* array = out->mutable_array_value();
        return Object(f, fp, [&](const std::string& ak, const json& af, const Path& ap) {
          if (!Is(ak, "values")) return true;
          return Array(af, ap, [&](const json& e, const Path& ep) {
            return AnyValueMsg(e, ep, array->add_values());
          });
        });
      }
      if (Is(k, "kvlistValue", "kvlist_value")) {
        auto* list = out->mutable_kvlist_value();
        return Object(f, fp, [&](const std::string& lk, const json& lf, const Path& lp) {
          if (!Is(lk, "values")) return true;
          return KeyValues(lf, lp, list->mutable_values());
        });
      }
      return true;
    });
  }

  bool Uint32Field(const json& f, const Path& fp, uint32_t* out) {
    return Integer(f, fp, out);
  }

  bool ResourceMsg(const json& v, const Path& p, Resource* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "attributes")) return KeyValues(f, fp, out->mutable_attributes());
      if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_attributes_count(n);
        return true;
      }
      if (Is(k, "entityRefs", "entity_refs")) {
        return Array(f, fp, [&](const json& e, const Path& ep) {
          return EntityRefMsg(e, ep, out->add_entity_refs());
        });
      }
      return true;
    });
  }

  bool EntityRefMsg(const json& v, const Path& p, EntityRef* out) {
    auto strings = [&](const json& f, const Path& fp,
                       google::protobuf::RepeatedPtrField<std::string>* list) {
      return Array(f, fp, [&](const json& e, const Path& ep) {
        return String(e, ep, list->Add());
      });
    };
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "schemaUrl", "schema_url")) return String(f, fp, out->mutable_schema_url());
      if (Is(k, "type")) return String(f, fp, out->mutable_type());
      if (Is(k, "idKeys", "id_keys")) return strings(f, fp, out->mutable_id_keys());
      if (Is(k, "descriptionKeys", "description_keys")) {
        return strings(f, fp, out->mutable_description_keys());
      }
      return true;
    });
  }

  bool ScopeMsg(const json& v, const Path& p, InstrumentationScope* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "name")) return String(f, fp, out->mutable_name());
      if (Is(k, "version")) return String(f, fp, out->mutable_version());
      if (Is(k, "attributes")) return KeyValues(f, fp, out->mutable_attributes());
      if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_attributes_count(n);
        return true;
      }
      return true;
    });
  }

  bool ResourceSpansMsg(const json& v, const Path& p, ResourceSpans* out) {
    google::protobuf::RepeatedPtrField<ScopeSpans> deprecated;
    bool ok = Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "resource")) return ResourceMsg(f, fp, out->mutable_resource());
      if (Is(k, "scopeSpans", "scope_spans")) {
        return Array(f, fp, [&](const json& e, const Path& ep) {
          return ScopeSpansMsg(e, ep, out->add_scope_spans());
        });
      }
      if (Is(k, "deprecatedScopeSpans", "deprecated_scope_spans")) {
        return Array(f, fp, [&](const json& e, const Path& ep) {
          return ScopeSpansMsg(e, ep, deprecated.Add());
        });
      }
      if (Is(k, "schemaUrl", "schema_url")) return String(f, fp, out->mutable_schema_url());
      return true;
    });
    if (!ok) return false;
    // Like pdata: the deprecated list is used only when scopeSpans is empty.
    if (out->scope_spans_size() == 0 && !deprecated.empty()) {
      out->mutable_scope_spans()->Swap(&deprecated);
    }
    return true;
  }

  bool ScopeSpansMsg(const json& v, const Path& p, ScopeSpans* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "scope")) return ScopeMsg(f, fp, out->mutable_scope());
      if (Is(k, "spans")) {
        return Array(f, fp, [&](const json& e, const Path& ep) {
          return SpanMsg(e, ep, out->add_spans());
        });
      }
      if (Is(k, "schemaUrl", "schema_url")) return String(f, fp, out->mutable_schema_url());
      return true;
    });
  }

  bool SpanMsg(const json& v, const Path& p, Span* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "traceId", "trace_id")) return HexId(f, fp, 16, out->mutable_trace_id());
      if (Is(k, "spanId", "span_id")) return HexId(f, fp, 8, out->mutable_span_id());
      if (Is(k, "parentSpanId", "parent_span_id")) {
        return HexId(f, fp, 8, out->mutable_parent_span_id());
      }
      if (Is(k, "traceState", "trace_state")) return String(f, fp, out->mutable_trace_state());
      if (Is(k, "name")) return String(f, fp, out->mutable_name());
      if (Is(k, "kind")) {
        int kind = 0;
        if (!Enum(f, fp, kSpanKindNames, &kind)) return false;
        out->set_kind(static_cast<Span::SpanKind>(kind));
        return true;
      }
      if (Is(k, "flags")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_flags(n);
        return true;
      }
      if (Is(k, "startTimeUnixNano", "start_time_unix_nano")) {
        uint64_t n = 0;
        if (!Integer(f, fp, &n)) return false;
        out->set_start_time_unix_nano(n);
        return true;
      }
      if (Is(k, "endTimeUnixNano", "end_time_unix_nano")) {
        uint64_t n = 0;
        if (!Integer(f, fp, &n)) return false;
        out->set_end_time_unix_nano(n);
        return true;
      }
      if (Is(k, "attributes")) return KeyValues(f, fp, out->mutable_attributes());
      if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_attributes_count(n);
        return true;
      }
      if (Is(k, "events")) {
        return Array(f, fp, [&](const json& e, const Path& ep) {
          return EventMsg(e, ep, out->add_events());
        });
      }
      if (Is(k, "droppedEventsCount", "dropped_events_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_events_count(n);
        return true;
      }
      if (Is(k, "links")) {
        return Array(f, fp, [&](const json& e, const Path& ep) {
          return LinkMsg(e, ep, out->add_links());
        });
      }
      if (Is(k, "droppedLinksCount", "dropped_links_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_links_count(n);
        return true;
      }
      if (Is(k, "status")) return StatusMsg(f, fp, out->mutable_status());
      return true;
    });
  }

  bool EventMsg(const json& v, const Path& p, Span::Event* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "timeUnixNano", "time_unix_nano")) {
        uint64_t n = 0;
        if (!Integer(f, fp, &n)) return false;
        out->set_time_unix_nano(n);
        return true;
      }
      if (Is(k, "name")) return String(f, fp, out->mutable_name());
      if (Is(k, "attributes")) return KeyValues(f, fp, out->mutable_attributes());
      if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_attributes_count(n);
        return true;
      }
      return true;
    });
  }

  bool LinkMsg(const json& v, const Path& p, Span::Link* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "traceId", "trace_id")) return HexId(f, fp, 16, out->mutable_trace_id());
      if (Is(k, "spanId", "span_id")) return HexId(f, fp, 8, out->mutable_span_id());
      if (Is(k, "traceState", "trace_state")) return String(f, fp, out->mutable_trace_state());
      if (Is(k, "attributes")) return KeyValues(f, fp, out->mutable_attributes());
      if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_dropped_attributes_count(n);
        return true;
      }
      if (Is(k, "flags")) {
        uint32_t n = 0;
        if (!Uint32Field(f, fp, &n)) return false;
        out->set_flags(n);
        return true;
      }
      return true;
    });
  }

  bool StatusMsg(const json& v, const Path& p, Status* out) {
    return Object(v, p, [&](const std::string& k, const json& f, const Path& fp) {
      if (Is(k, "message")) return String(f, fp, out->mutable_message());
      if (Is(k, "code")) {
        int code = 0;
        if (!Enum(f, fp, kStatusCodeNames, &code)) return false;
        out->set_code(static_cast<Status::StatusCode>(code));
        return true;
      }
      return true;
    });
  }
};

}  // namespace

absl::Status ParseOtlpJson(std::string_view text, ExportTraceServiceRequest* out) {
  out->Clear();
  json root;
  BoundedDomParser parser(&root);
  bool parsed = false;
  try {
    // The SAX parser reports syntax errors through parse_error(); the catch
    // is a backstop for anything else nlohmann might throw (e.g. bad_alloc
    // is not caught: that is not a client error).
    parsed = json::sax_parse(text.begin(), text.end(), &parser,
                             json::input_format_t::json, /*strict=*/true);
  } catch (const nlohmann::detail::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
  if (!parsed || root.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON: ",
        parser.error().empty() ? std::string("malformed document") : parser.error()));
  }
  Decoder decoder;
  if (!decoder.Request(root, out)) return decoder.status;
  return absl::OkStatus();
}

std::string OtlpJsonSuccessBody() { return R"({"partialSuccess":{}})"; }

std::string RpcStatusJson(int grpc_code, std::string_view message) {
  json body = json::object();
  if (grpc_code != 0) body["code"] = grpc_code;
  if (!message.empty()) body["message"] = std::string(message);
  return body.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

std::string RpcStatusProto(int grpc_code, std::string_view message) {
  andante::rpc::Status status;
  status.set_code(grpc_code);
  status.set_message(std::string(message));
  return status.SerializeAsString();
}

}  // namespace andante::internal
