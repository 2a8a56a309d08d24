#include "generator/format.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "andante/otlp/common/v1/common.pb.h"

namespace andante::internal {

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return absl::StrCat(v);
  return std::string(buf, end);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string TraceIdExemplarHex(std::string_view trace_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(trace_id.size() * 2);
  for (unsigned char c : trace_id) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  size_t first = hex.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  return hex.substr(first);
}

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // One '_' per UTF-8 encoded character; continuation bytes of a valid
    // sequence are skipped.
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0) {
      len = 2;
    } else if (c >= 0xE0 && c < 0xF0) {
      len = 3;
    } else if (c >= 0xF0 && c < 0xF8) {
      len = 4;
    }
    size_t j = 1;
    while (j < len && i + j < name.size() &&
           (static_cast<unsigned char>(name[i + j]) & 0xC0) == 0x80) {
      ++j;
    }
    if (j != len) j = 1;  // invalid sequence: one byte at a time
    out += '_';
    i += j;
  }
  return out;
}

std::string AnyValueString(
    const andante::otlp::common::v1::AnyValue& v) {
  using andante::otlp::common::v1::AnyValue;
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return v.string_value();
    case AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case AnyValue::kIntValue:
      return absl::StrCat(v.int_value());
    case AnyValue::kDoubleValue:
      return FormatFloat(v.double_value());
    case AnyValue::kArrayValue: {
      std::string out = "[";
      for (const AnyValue& e : v.array_value().values()) {
        out += AnyValueString(e);
      }
      return out + "]";
    }
    case AnyValue::kKvlistValue: {
      std::string out = "{";
      for (const auto& kv : v.kvlist_value().values()) {
        absl::StrAppend(&out, kv.key(), ":", AnyValueString(kv.value()));
      }
      return out + "}";
    }
    case AnyValue::kBytesValue:
      return v.bytes_value();
    default:
      return "";
  }
}

}  // namespace andante::internal
