#include "receiver/zipkin/zipkin_json_simd.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

// Error codes only: nothing in this file may throw.
#define SIMDJSON_EXCEPTIONS 0
#include "simdjson.h"

#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/ip_address.h"
#include "receiver/zipkin/zipkin_json_fields.h"

namespace andante::internal {
namespace {

namespace od = simdjson::ondemand;
using Field = ZipkinJsonField;
using JsonType = od::json_type;

// Hex digit values, 0xFF for every other byte.
constexpr std::array<uint8_t, 256> kHexDigit = [] {
  std::array<uint8_t, 256> t{};
  for (uint8_t& v : t) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<uint8_t>(c - 'A' + 10);
  return t;
}();

// True exactly when ParseGoHexUint64 (strconv.ParseUint(s, 16, 64)) succeeds,
// with the same value: one or more hex digits, any leading zeros, at most 16
// significant ones. A table instead of its branches, which random IDs
// mispredict.
bool ParseHex(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size() && s[i] == '0') ++i;
  if (s.size() - i > 16) return false;
  uint64_t v = 0;
  uint8_t bad = 0;
  for (; i < s.size(); ++i) {
    const uint8_t d = kHexDigit[static_cast<uint8_t>(s[i])];
    bad |= d;
    v = v << 4 | (d & 0xF);
  }
  if (bad & 0xF0) return false;
  *out = v;
  return true;
}

// Every getter below returns false on any simdjson error or on anything the
// reference decoder would reject or read differently; the caller then runs
// the reference. `open` counts the arrays and objects enclosing a value, the
// reference's nesting measure (it refuses to open one more once
// kMaxZipkinJsonDepth are open).
class SimdV2Decoder {
 public:
  // [begin, end) is the JSON text (before the padding).
  SimdV2Decoder(ZipkinSpanBatch* batch, const char* begin, const char* end)
      : batch_(batch), begin_(begin), end_(end) {}

  bool Document(od::document& doc) {
    // `null` and every non-array root are rare: the reference handles them.
    od::array spans;
    if (doc.get_array().get(spans) != simdjson::SUCCESS) return false;
    for (auto element : spans) {
      od::value v;
      JsonType t;
      if (std::move(element).get(v) != simdjson::SUCCESS || v.type().get(t) != simdjson::SUCCESS) {
        return false;
      }
      if (t == JsonType::null) {
        if (!Null(v)) return false;  // a nil *SpanModel, skipped
        continue;
      }
      if (t != JsonType::object || !Span(v)) return false;
    }
    // Nothing but whitespace may follow the array.
    return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
  }

 private:
  static bool Null(od::value& v) {
    bool is_null = false;
    return v.is_null().get(is_null) == simdjson::SUCCESS && is_null;
  }

  // The text of the JSON string starting after `quote` if it holds no
  // escape. Stage 1 has checked that every string is closed, valid UTF-8 and
  // free of control characters, so its bytes are then exactly what the
  // reference reads — and simdjson need not copy them into its buffer.
  bool Unescaped(const char* quote, std::string_view* out) const {
    const char* const begin = quote + 1;
    const char* p = begin;
    if constexpr (std::endian::native == std::endian::little) {
      // Eight bytes at a time; a read may reach into the padding, never
      // past it. In the bit trick only the lowest flagged byte is sure to
      // match, which is the one wanted.
      constexpr uint64_t kOnes = 0x0101010101010101u;
      constexpr uint64_t kHighs = 0x8080808080808080u;
      while (p < end_) {
        uint64_t w;
        std::memcpy(&w, p, sizeof(w));
        const uint64_t quotes = w ^ (kOnes * '"');
        const uint64_t backslashes = w ^ (kOnes * '\\');
        const uint64_t hits =
            (((quotes - kOnes) & ~quotes) | ((backslashes - kOnes) & ~backslashes)) & kHighs;
        if (hits != 0) {
          p += std::countr_zero(hits) / 8;
          break;
        }
        p += sizeof(w);
      }
    } else {
      while (p < end_ && *p != '"' && *p != '\\') ++p;
    }
    if (p >= end_ || *p != '"') return false;  // an escape (end_: cannot happen)
    *out = std::string_view(begin, static_cast<size_t>(p - begin));
    return true;
  }

  // Reads string value `v`, which type() said is a string.
  bool String(od::value& v, std::string_view* out) const {
    if (Unescaped(v.raw_json_token().data(), out)) {
      od::raw_json_string consumed;
      return v.get_raw_json_string().get(consumed) == simdjson::SUCCESS;
    }
    return v.get_string().get(*out) == simdjson::SUCCESS;
  }

  bool Key(od::field& f, std::string_view* out) const {
    if (Unescaped(f.key().raw() - 1, out)) return true;
    return f.unescaped_key().get(*out) == simdjson::SUCCESS;
  }

  // A string stored in the batch, or null (which leaves `*out` alone).
  bool StoreStringOrNull(od::value& v, JsonType t, std::string_view* out) {
    if (t == JsonType::null) return Null(v);
    std::string_view text;
    if (t != JsonType::string || !String(v, &text)) return false;
    *out = batch_->Store(text);
    return true;
  }

  bool Span(od::value& v) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return false;
    batch_->spans.emplace_back();
    ZipkinSpan& s = batch_->spans.back();  // stable: spans do not nest
    s.timestamp_absent = true;
    s.tags_begin = s.tags_end = static_cast<uint32_t>(batch_->tags.size());
    s.annotations_begin = s.annotations_end = static_cast<uint32_t>(batch_->annotations.size());
    for (auto member : object) {
      od::field f;
      std::string_view key;
      JsonType t;
      if (std::move(member).get(f) != simdjson::SUCCESS || !Key(f, &key) ||
          f.value().type().get(t) != simdjson::SUCCESS) {
        return false;
      }
      if (!SpanValue(s, ZipkinSpanField(key), f.value(), t)) return false;
    }
    if (s.id == 0) return false;  // "valid span id required"
    s.tags_end = static_cast<uint32_t>(batch_->tags.size());
    s.annotations_end = static_cast<uint32_t>(batch_->annotations.size());
    return true;
  }

  bool SpanValue(ZipkinSpan& s, Field field, od::value& v, JsonType t) {
    switch (field) {
      case Field::kUnknown:
        return Skip(v, t, /*open=*/2);
      case Field::kTraceId: {
        std::string_view hex;
        if (t != JsonType::string || !String(v, &hex) || hex.empty()) return false;
        uint64_t high = 0, low = 0;
        if (hex.size() > 16) {
          if (!ParseHex(hex.substr(0, hex.size() - 16), &high)) return false;
          hex = hex.substr(hex.size() - 16);
        }
        if (!ParseHex(hex, &low)) return false;
        s.trace_id_high = high;
        s.trace_id_low = low;
        return true;
      }
      case Field::kId:
      case Field::kParentId: {
        const bool parent = field == Field::kParentId;
        if (t == JsonType::null) {
          if (!parent || !Null(v)) return false;
          s.parent_id = 0;
          return true;
        }
        std::string_view hex;
        if (t != JsonType::string || !String(v, &hex)) return false;
        uint64_t id = 0;
        if (!hex.empty() && !ParseHex(hex, &id)) return false;
        (parent ? s.parent_id : s.id) = id;
        return true;
      }
      case Field::kName:
        return StoreStringOrNull(v, t, &s.name);
      case Field::kKind: {
        if (t == JsonType::null) return Null(v);
        std::string_view text;
        if (t != JsonType::string || !String(v, &text)) return false;
        s.kind = ZipkinKindFromJson(text);
        return true;
      }
      case Field::kTimestamp:
      case Field::kDuration: {
        if (t == JsonType::null) return Null(v);
        // get_uint64 accepts exactly the literals nlohmann reads as unsigned
        // integers: digits only, below 2^64.
        uint64_t micros;
        if (t != JsonType::number || v.get_uint64().get(micros) != simdjson::SUCCESS) return false;
        uint64_t ns = micros * 1000u;  // wraps, as in Go
        if (field == Field::kTimestamp) {
          s.start_unix_nano = ns;
          s.timestamp_absent = micros == 0;
        } else {
          s.duration_nanos = ns;
        }
        return true;
      }
      case Field::kDebug:
      case Field::kShared: {
        if (t == JsonType::null) return Null(v);
        bool ignored;
        return t == JsonType::boolean && v.get_bool().get(ignored) == simdjson::SUCCESS;
      }
      case Field::kLocalEndpoint:
      case Field::kRemoteEndpoint: {
        ZipkinEndpoint& e = field == Field::kLocalEndpoint ? s.local_endpoint : s.remote_endpoint;
        if (t == JsonType::null) {
          if (!Null(v)) return false;
          e = ZipkinEndpoint();
          return true;
        }
        return t == JsonType::object && Endpoint(v, e);  // a repeated key merges
      }
      case Field::kAnnotations:
        // A repeated key replaces the slice, as Go does; null empties it.
        if (t == JsonType::null) {
          if (!Null(v)) return false;
          s.annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
          return true;
        }
        if (t != JsonType::array) return false;
        s.annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
        return Annotations(v);
      case Field::kTags:
        // A repeated key adds to the same map; null makes it a nil map.
        if (t == JsonType::null) {
          if (!Null(v)) return false;
          s.tags_begin = static_cast<uint32_t>(batch_->tags.size());
          return true;
        }
        return t == JsonType::object && Tags(v);
      default:
        return false;
    }
  }

  bool Endpoint(od::value& v, ZipkinEndpoint& e) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return false;
    for (auto member : object) {
      od::field f;
      std::string_view key;
      JsonType t;
      if (std::move(member).get(f) != simdjson::SUCCESS || !Key(f, &key) ||
          f.value().type().get(t) != simdjson::SUCCESS) {
        return false;
      }
      od::value& value = f.value();
      const Field field = ZipkinEndpointField(key);
      switch (field) {
        case Field::kServiceName:
          if (!StoreStringOrNull(value, t, &e.service_name)) return false;
          break;
        case Field::kIpv4:
        case Field::kIpv6: {
          std::string_view& ip = field == Field::kIpv4 ? e.ipv4 : e.ipv6;
          std::string_view text;
          if (t == JsonType::null) {
            if (!Null(value)) return false;
          } else if (t != JsonType::string || !String(value, &text)) {
            return false;
          }
          if (text.empty()) {
            ip = {};
            break;
          }
          std::array<uint8_t, 16> bytes;
          if (!ParseGoIp(text, &bytes)) return false;
          ip = batch_->Store(std::string_view(reinterpret_cast<const char*>(bytes.data()), 16));
          break;
        }
        case Field::kPort: {
          if (t == JsonType::null) {
            if (!Null(value)) return false;
            break;
          }
          uint64_t port;
          if (t != JsonType::number || value.get_uint64().get(port) != simdjson::SUCCESS ||
              port > 65535) {
            return false;
          }
          e.port = static_cast<uint16_t>(port);
          break;
        }
        default:
          if (!Skip(value, t, /*open=*/3)) return false;
          break;
      }
    }
    return true;
  }

  bool Annotations(od::value& v) {
    od::array array;
    if (v.get_array().get(array) != simdjson::SUCCESS) return false;
    for (auto element : array) {
      od::value value;
      JsonType t;
      od::object object;
      // A null annotation is an error in the reference (Go panics on it).
      if (std::move(element).get(value) != simdjson::SUCCESS ||
          value.type().get(t) != simdjson::SUCCESS || t != JsonType::object ||
          value.get_object().get(object) != simdjson::SUCCESS) {
        return false;
      }
      const size_t index = batch_->annotations.size();
      batch_->annotations.emplace_back();
      for (auto member : object) {
        od::field f;
        std::string_view key;
        if (std::move(member).get(f) != simdjson::SUCCESS || !Key(f, &key) ||
            f.value().type().get(t) != simdjson::SUCCESS) {
          return false;
        }
        od::value& field_value = f.value();
        switch (ZipkinAnnotationField(key)) {
          case Field::kAnnotationTimestamp: {
            if (t == JsonType::null) {
              if (!Null(field_value)) return false;
              break;
            }
            // get_int64 accepts exactly the integers nlohmann reads as
            // int64 or as unsigned below 2^63.
            int64_t micros;
            if (t != JsonType::number || field_value.get_int64().get(micros) != simdjson::SUCCESS) {
              return false;
            }
            batch_->annotations[index].time_unix_nano = static_cast<uint64_t>(micros) * 1000u;
            break;
          }
          case Field::kAnnotationValue:
            if (!StoreStringOrNull(field_value, t, &batch_->annotations[index].value)) return false;
            break;
          default:
            if (!Skip(field_value, t, /*open=*/4)) return false;
            break;
        }
      }
    }
    return true;
  }

  bool Tags(od::value& v) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return false;
    for (auto member : object) {
      od::field f;
      std::string_view key;
      JsonType t;
      if (std::move(member).get(f) != simdjson::SUCCESS || !Key(f, &key) ||
          f.value().type().get(t) != simdjson::SUCCESS) {
        return false;
      }
      if (t == JsonType::null) {  // reads as ""
        if (!Null(f.value())) return false;
        batch_->tags.push_back({batch_->Store(key), {}});
        continue;
      }
      std::string_view text;
      if (t != JsonType::string || !String(f.value(), &text)) return false;
      batch_->tags.push_back(StoreTag(key, text));
    }
    return true;
  }

  // The tag `key`: `value`, copied into the batch. Usually both are
  // unescaped views into the body with just `":"` between them: then one
  // copy of that stretch serves both, half the Store calls of the hottest
  // loop.
  ZipkinTag StoreTag(std::string_view key, std::string_view value) {
    const char* const key_end = key.data() + key.size();
    // Byte by byte: gcc makes a 3-byte memcmp a call.
    if (InText(key) && InText(value) && value.data() == key_end + 3 && key_end[0] == '"' &&
        key_end[1] == ':' && key_end[2] == '"') {
      const char* both =
          batch_->Store(std::string_view(key.data(), key.size() + 3 + value.size())).data();
      return {std::string_view(both, key.size()),
              std::string_view(both + key.size() + 3, value.size())};
    }
    return {batch_->Store(key), batch_->Store(value)};
  }

  // Whether `s` lies in the JSON text (rather than in simdjson's buffer of
  // unescaped strings).
  bool InText(std::string_view s) const {
    return std::less_equal<>()(begin_, s.data()) && std::less_equal<>()(s.data() + s.size(), end_);
  }

  // Reads (and so validates) a value nobody asked for, as the reference's
  // parser does before dropping it.
  bool Skip(od::value& v, JsonType t, int open) {
    switch (t) {
      case JsonType::array: {
        od::array array;
        if (open >= kMaxZipkinJsonDepth || v.get_array().get(array) != simdjson::SUCCESS) {
          return false;
        }
        for (auto element : array) {
          od::value value;
          JsonType vt;
          if (std::move(element).get(value) != simdjson::SUCCESS ||
              value.type().get(vt) != simdjson::SUCCESS || !Skip(value, vt, open + 1)) {
            return false;
          }
        }
        return true;
      }
      case JsonType::object: {
        od::object object;
        if (open >= kMaxZipkinJsonDepth || v.get_object().get(object) != simdjson::SUCCESS) {
          return false;
        }
        for (auto member : object) {
          od::field f;
          std::string_view key;
          JsonType vt;
          if (std::move(member).get(f) != simdjson::SUCCESS || !Key(f, &key) ||
              f.value().type().get(vt) != simdjson::SUCCESS || !Skip(f.value(), vt, open + 1)) {
            return false;
          }
        }
        return true;
      }
      case JsonType::string: {
        std::string_view text;
        return String(v, &text);
      }
      case JsonType::number: {
        // nlohmann reads any number it cannot hold as an integer as a double
        // and refuses one that overflows; simdjson refuses non-finite doubles
        // too.
        double d;
        return v.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d);
      }
      case JsonType::boolean: {
        bool b;
        return v.get_bool().get(b) == simdjson::SUCCESS;
      }
      case JsonType::null:
        return Null(v);
    }
    return false;
  }

  ZipkinSpanBatch* const batch_;
  const char* const begin_;
  const char* const end_;
};

// What a thread keeps between calls: the parser's buffers and the padded copy
// of the body, both sized for the largest body seen (up to
// kZipkinJsonKeepParserBytes).
struct ThreadState {
  od::parser parser;
  std::unique_ptr<char[]> padded;
  size_t padded_capacity = 0;
};

}  // namespace

bool TryParseZipkinV2JsonSimd(std::string_view json, ZipkinSpanBatch* batch) {
  thread_local ThreadState state;
  const size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
  if (state.padded_capacity < needed) {
    state.padded.reset(new char[needed]);
    state.padded_capacity = needed;
  }
  std::memcpy(state.padded.get(), json.data(), json.size());
  std::memset(state.padded.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);

  bool ok = false;
  {
    od::document doc;
    if (state.parser.iterate(state.padded.get(), json.size(), state.padded_capacity).get(doc) ==
        simdjson::SUCCESS) {
      SimdV2Decoder decoder(batch, state.padded.get(), state.padded.get() + json.size());
      ok = decoder.Document(doc);
    }
  }
  if (json.size() > kZipkinJsonKeepParserBytes) {
    state.parser = od::parser();
    state.padded.reset();
    state.padded_capacity = 0;
  }
  return ok;
}

}  // namespace andante::internal
