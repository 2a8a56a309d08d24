#include "receiver/jaeger/jaeger_translate.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;

Span::SpanKind KindFromTag(std::string_view value) {
  // Case-sensitive, as the collector's jSpanKindToInternal.
  if (value == "client") return Span::SPAN_KIND_CLIENT;
  if (value == "server") return Span::SPAN_KIND_SERVER;
  if (value == "producer") return Span::SPAN_KIND_PRODUCER;
  if (value == "consumer") return Span::SPAN_KIND_CONSUMER;
  if (value == "internal") return Span::SPAN_KIND_INTERNAL;
  return Span::SPAN_KIND_UNSPECIFIED;
}

// Go's strconv.ParseInt(s, 10, 64): optional sign, at least one decimal
// digit, nothing else, no overflow.
bool ParseGoInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-') return false;
  }
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out, 10);
  // from_chars takes a leading '-' (not "-" alone, "--1" or "-+1").
  return ec == std::errc() && ptr == end;
}

// The collector's getStatusCodeFromHTTPStatusAttr; false when the tag is
// neither an int nor a numeric string.
bool StatusFromHttpCode(const JaegerTag& tag, Span::SpanKind kind,
                        Status::StatusCode* code) {
  int64_t value = 0;
  if (tag.kind == JaegerValueKind::kInt) {
    value = tag.int_value;
  } else if (tag.kind != JaegerValueKind::kString ||
             !ParseGoInt64(tag.str, &value)) {
    return false;
  }
  if (value >= 400 && value < 500) {
    if (kind == Span::SPAN_KIND_CLIENT) {
      *code = Status::STATUS_CODE_ERROR;
      return true;
    }
    if (kind == Span::SPAN_KIND_SERVER) {
      *code = Status::STATUS_CODE_UNSET;
      return true;
    }
  }
  *code = value >= 100 && value < 399 ? Status::STATUS_CODE_UNSET
                                      : Status::STATUS_CODE_ERROR;
  return true;
}

}  // namespace

void JaegerAttributes::Clear() {
  entries_.clear();
  key_bits_ = 0;
  if (indexed_) {
    index_.clear();
    indexed_ = false;
  }
  owned_.clear();
}

ptrdiff_t JaegerAttributes::Find(std::string_view key) const {
  if ((key_bits_ & KeyBit(key)) == 0) return -1;
  if (indexed_) {
    auto it = index_.find(key);
    return it == index_.end() ? -1 : static_cast<ptrdiff_t>(it->second);
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key == key) return static_cast<ptrdiff_t>(i);
  }
  return -1;
}

void JaegerAttributes::Put(const JaegerTag& tag) {
  const ptrdiff_t i = Find(tag.key);
  if (i >= 0) {
    const std::string_view key = entries_[i].key;
    std::string* const key_owner = entries_[i].key_owner;
    entries_[i] = tag;
    entries_[i].key = key;
    entries_[i].key_owner = key_owner;
    return;
  }
  entries_.push_back(tag);
  key_bits_ |= KeyBit(tag.key);
  if (indexed_) {
    index_.emplace(tag.key, entries_.size() - 1);
  } else if (entries_.size() > kLinearLimit) {
    index_.reserve(entries_.size() * 2);
    for (size_t j = 0; j < entries_.size(); ++j) {
      index_.emplace(entries_[j].key, j);
    }
    indexed_ = true;
  }
}

const JaegerTag* JaegerAttributes::Get(std::string_view key) const {
  const ptrdiff_t i = Find(key);
  return i < 0 ? nullptr : &entries_[i];
}

bool JaegerAttributes::Remove(std::string_view key) {
  const ptrdiff_t i = Find(key);
  if (i < 0) return false;
  // pcommon.Map.Remove: the last entry takes the removed one's place.
  const size_t last = entries_.size() - 1;
  if (indexed_) index_.erase(key);
  if (static_cast<size_t>(i) != last) {
    entries_[i] = entries_[last];
    if (indexed_) index_[entries_[i].key] = static_cast<size_t>(i);
  }
  entries_.pop_back();
  return true;
}

std::string_view JaegerAttributes::Own(std::string text) {
  owned_.push_back(std::move(text));
  return owned_.back();
}

void JaegerAttributes::AppendTo(
    google::protobuf::RepeatedPtrField<KeyValue>* out) const {
  out->Reserve(out->size() + static_cast<int>(entries_.size()));
  for (const JaegerTag& tag : entries_) {
    KeyValue* kv = out->Add();
    if (tag.key_owner != nullptr) {
      kv->mutable_key()->swap(*tag.key_owner);
    } else {
      kv->set_key(tag.key.data(), tag.key.size());
    }
    auto* value = kv->mutable_value();
    switch (tag.kind) {
      case JaegerValueKind::kString:
        if (tag.str_owner != nullptr) {
          value->mutable_string_value()->swap(*tag.str_owner);
        } else {
          value->set_string_value(tag.str.data(), tag.str.size());
        }
        break;
      case JaegerValueKind::kBool:
        value->set_bool_value(tag.bool_value);
        break;
      case JaegerValueKind::kInt:
        value->set_int_value(tag.int_value);
        break;
      case JaegerValueKind::kDouble:
        value->set_double_value(tag.double_value);
        break;
      case JaegerValueKind::kBytes:
        if (tag.str_owner != nullptr) {
          value->mutable_bytes_value()->swap(*tag.str_owner);
        } else {
          value->set_bytes_value(tag.str.data(), tag.str.size());
        }
        break;
    }
  }
}

std::string UnknownTagTypeText(std::string_view type_name) {
  // %q of a plain name or number needs no escaping.
  std::string text = "<Unknown Jaeger TagType \"";
  text.append(type_name);
  text.append("\">");
  return text;
}

namespace {

// Length of the valid UTF-8 sequence starting at p[0] (RFC 3629: no
// overlongs, no surrogates, at most U+10FFFF), or 0.
size_t Utf8SequenceLength(const unsigned char* p, size_t n) {
  const unsigned char c = p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 2) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 2) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return p[1] >= lo && p[1] <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Index of the first byte >= 0x80 in [data, data + n), or n. Eight bytes
// at a time: tags and names are almost always ASCII, and this scan ran a
// byte at a time on every string of every span. Short tails use one
// overlapping load rather than a byte loop.
size_t AsciiPrefixLength(const unsigned char* data, size_t n) {
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  auto load = [](const unsigned char* p) {
    uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    return w;
  };
  auto first_high = [](uint64_t high) {
    // Byte order decides which set bit is the earliest byte.
    if constexpr (std::endian::native == std::endian::little) {
      return static_cast<size_t>(std::countr_zero(high) / 8);
    } else {
      return static_cast<size_t>(std::countl_zero(high) / 8);
    }
  };
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      if (const uint64_t high = load(data + i) & kHighBits; high != 0) {
        return i + first_high(high);
      }
    }
    if (i == n) return n;
    // The last 8 bytes, overlapping ones already known to be ASCII.
    const uint64_t high = load(data + n - 8) & kHighBits;
    return high == 0 ? n : n - 8 + first_high(high);
  }
  size_t i = 0;
  while (i < n && data[i] < 0x80) ++i;
  return i;
}

// Offset of the first byte of `data` that does not start a valid UTF-8
// sequence, or n if all of it is valid.
size_t ValidUtf8Prefix(const unsigned char* data, size_t n) {
  size_t i = AsciiPrefixLength(data, n);
  while (i < n) {
    const size_t len = Utf8SequenceLength(data + i, n - i);
    if (len == 0) return i;
    i += len;
    // Mostly-ASCII text with the odd accented letter: back to words.
    i += AsciiPrefixLength(data + i, n - i);
  }
  return n;
}

}  // namespace

size_t ValidUtf8Length(std::string_view s) {
  return ValidUtf8Prefix(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

void MakeValidUtf8(std::string* s) {
  const auto* data = reinterpret_cast<const unsigned char*>(s->data());
  const size_t n = s->size();
  const size_t first_bad = ValidUtf8Prefix(data, n);
  if (first_bad == n) return;
  std::string out;
  out.reserve(n + 2 * (n - first_bad));
  out.append(s->data(), first_bad);
  for (size_t j = first_bad; j < n;) {
    const size_t len = Utf8SequenceLength(data + j, n - j);
    if (len == 0) {
      out.append("\xEF\xBF\xBD");
      ++j;
    } else {
      out.append(s->data() + j, len);
      j += len;
    }
  }
  s->swap(out);
}

void AppendTraceId(uint64_t high, uint64_t low, std::string* out) {
  char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<char>(low >> (56 - 8 * i));
  }
  out->append(bytes, sizeof(bytes));
}

std::string SpanIdBytes(uint64_t id) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(id >> (56 - 8 * i));
  return out;
}

void FinishResource(JaegerAttributes* attrs,
                    andante::otlp::resource::v1::Resource* resource) {
  // translateHostnameAttr, then translateJaegerVersionAttr.
  if (const JaegerTag* hostname = attrs->Get("hostname");
      hostname != nullptr && attrs->Get("host.name") == nullptr) {
    JaegerTag renamed = *hostname;  // keeps its type
    renamed.key = "host.name";
    renamed.key_owner = nullptr;
    attrs->Put(renamed);
    attrs->Remove("hostname");
  }
  if (const JaegerTag* version = attrs->Get("jaeger.version");
      version != nullptr && attrs->Get("opencensus.exporterversion") == nullptr) {
    JaegerTag exporter;
    exporter.key = "opencensus.exporterversion";
    exporter.str = attrs->Own("Jaeger-" + std::string(version->Str()));
    attrs->Put(exporter);
    attrs->Remove("jaeger.version");
  }
  attrs->AppendTo(resource->mutable_attributes());
}

void FinishSpanAttributes(bool proto, JaegerAttributes* attrs, Span* span) {
  if (const JaegerTag* kind = attrs->Get("span.kind")) {
    span->set_kind(KindFromTag(kind->Str()));
    attrs->Remove("span.kind");
  }

  // setInternalSpanStatus. Views taken from tags stay valid across Remove:
  // they point into the decoded message, not into the map.
  Status::StatusCode code = Status::STATUS_CODE_UNSET;
  std::string_view message;
  bool status_exists = false;
  if (const JaegerTag* error = attrs->Get("error");
      error != nullptr && error->kind == JaegerValueKind::kBool &&
      error->bool_value) {
    code = Status::STATUS_CODE_ERROR;
    attrs->Remove("error");
    status_exists = true;
    if (const JaegerTag* desc = attrs->Get("otel.status_description")) {
      message = desc->Str();
      attrs->Remove("otel.status_description");
    } else if (const JaegerTag* msg = attrs->Get("http.status_message")) {
      message = msg->Str();
    }
  }
  if (const JaegerTag* otel_code = attrs->Get("otel.status_code")) {
    if (!status_exists) {
      status_exists = true;
      const std::string_view value = otel_code->Str();
      if (absl::EqualsIgnoreCase(ToAbsl(value), "OK")) {
        code = Status::STATUS_CODE_OK;
      } else if (absl::EqualsIgnoreCase(ToAbsl(value), "ERROR")) {
        code = Status::STATUS_CODE_ERROR;
      }
      if (const JaegerTag* desc = attrs->Get("otel.status_description")) {
        message = desc->Str();
        attrs->Remove("otel.status_description");
      }
    }
    attrs->Remove("otel.status_code");
  } else if (const JaegerTag* http_code = attrs->Get("http.status_code");
             !status_exists && http_code != nullptr) {
    Status::StatusCode from_http;
    if (StatusFromHttpCode(*http_code, span->kind(), &from_http)) {
      if (from_http != Status::STATUS_CODE_UNSET) {
        status_exists = true;
        code = from_http;
      }
      if (const JaegerTag* msg = attrs->Get("http.status_message")) {
        message = msg->Str();
      }
    }
  }
  if (status_exists) {
    Status* status = span->mutable_status();
    status->set_code(code);
    status->set_message(message.data(), message.size());
  }

  if (proto) {
    if (const JaegerTag* state = attrs->Get("w3c.tracestate")) {
      const std::string_view value = state->Str();
      span->set_trace_state(value.data(), value.size());
      attrs->Remove("w3c.tracestate");
    }
  }
  attrs->AppendTo(span->mutable_attributes());
}

void FinishEventAttributes(JaegerAttributes* attrs, Span::Event* event) {
  if (const JaegerTag* name = attrs->Get("event")) {
    const std::string_view value = name->Str();
    event->set_name(value.data(), value.size());
    attrs->Remove("event");
  }
  attrs->AppendTo(event->mutable_attributes());
}

void AddLink(uint64_t trace_high, uint64_t trace_low, uint64_t span_id,
             bool child_of, Span* span) {
  Span::Link* link = span->add_links();
  std::string trace_id;
  trace_id.reserve(16);
  AppendTraceId(trace_high, trace_low, &trace_id);
  link->set_trace_id(std::move(trace_id));
  link->set_span_id(SpanIdBytes(span_id));
  KeyValue* kv = link->add_attributes();
  kv->set_key("opentracing.ref_type");
  kv->mutable_value()->set_string_value(child_of ? "child_of" : "follows_from");
}

}  // namespace andante::internal
