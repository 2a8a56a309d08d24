#include "receiver/zipkin/zipkin_proto.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "receiver/zipkin/go_json.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

constexpr int kMaxGroupDepth = 100;

enum WireType : uint32_t {
  kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5
};

// A cursor over one message's bytes. Every method returns false after
// recording the first problem in *error.
class Reader {
 public:
  Reader(std::string_view data, std::string* error)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()), error_(error) {}

  bool done() const { return p_ == end_; }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return Fail("truncated varint");
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return Fail("varint overflows 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *out = v;
        return true;
      }
    }
    return Fail("varint longer than 10 bytes");
  }

  bool Fixed64(uint64_t* out) {
    if (end_ - p_ < 8) return Fail("truncated fixed64");
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | p_[i];
    p_ += 8;
    *out = v;
    return true;
  }

  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n)) return false;
    if (n > static_cast<uint64_t>(end_ - p_)) return Fail("length exceeds the message");
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

  bool Tag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag = 0;
    if (!Varint(&tag)) return false;
    uint64_t number = tag >> 3;
    if (number == 0 || number > (1u << 29) - 1) return Fail("invalid field number");
    *field = static_cast<uint32_t>(number);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return true;
  }

  // Skips the value of a field the decoder does not read.
  bool Skip(uint32_t field, uint32_t wire_type) {
    uint64_t u = 0;
    std::string_view s;
    switch (wire_type) {
      case kVarint: return Varint(&u);
      case kFixed64: return Fixed64(&u);
      case kLen: return Bytes(&s);
      case kFixed32:
        if (end_ - p_ < 4) return Fail("truncated fixed32");
        p_ += 4;
        return true;
      case kStartGroup: return SkipGroup(field);
      case kEndGroup: return Fail("unexpected end group");
      default: return Fail(absl::StrCat("invalid wire type ", wire_type));
    }
  }

  bool Fail(std::string_view what) {
    if (error_->empty()) {
      *error_ = absl::StrCat("proto: cannot parse invalid wire-format data (", ToAbsl(what), ")");
    }
    return false;
  }

 private:
  // Iterative so that nesting costs no stack; bounded anyway.
  bool SkipGroup(uint32_t field) {
    std::vector<uint32_t> open = {field};
    while (!open.empty()) {
      uint32_t f, wt;
      if (!Tag(&f, &wt)) return false;
      if (wt == kStartGroup) {
        if (open.size() >= kMaxGroupDepth) return Fail("groups nested too deeply");
        open.push_back(f);
      } else if (wt == kEndGroup) {
        if (open.back() != f) return Fail("mismatched end group");
        open.pop_back();
      } else if (!Skip(f, wt)) {
        return false;
      }
    }
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  std::string* error_;
};

class SpanDecoder {
 public:
  SpanDecoder(ZipkinSpanBatch* batch, std::string* error) : batch_(batch), error_(error) {}

  bool List(std::string_view data) {
    Reader r(data, error_);
    while (!r.done()) {
      uint32_t field, wt;
      if (!r.Tag(&field, &wt)) return false;
      if (field == 1 && wt == kLen) {
        std::string_view span;
        if (!r.Bytes(&span) || !Span(span)) return false;
      } else if (!r.Skip(field, wt)) {
        return false;
      }
    }
    return true;
  }

 private:
  bool Utf8(std::string_view s, std::string_view field) {
    if (IsValidUtf8(s)) return true;
    if (error_->empty()) {
      *error_ = absl::StrCat("proto: field zipkin.proto3.", ToAbsl(field),
                             " contains invalid UTF-8");
    }
    return false;
  }

  bool Fail(std::string message) {
    if (error_->empty()) *error_ = std::move(message);
    return false;
  }

  bool Span(std::string_view data) {
    batch_->spans.emplace_back();
    ZipkinSpan& s = batch_->spans.back();
    s.tags_begin = static_cast<uint32_t>(batch_->tags.size());
    s.annotations_begin = static_cast<uint32_t>(batch_->annotations.size());
    std::string_view trace_id, parent_id, id;
    uint64_t timestamp = 0, duration = 0;
    Reader r(data, error_);
    while (!r.done()) {
      uint32_t field, wt;
      if (!r.Tag(&field, &wt)) return false;
      uint64_t u = 0;
      bool ok = true;
      switch (field << 3 | wt) {
        case 1 << 3 | kLen: ok = r.Bytes(&trace_id); break;
        case 2 << 3 | kLen: ok = r.Bytes(&parent_id); break;
        case 3 << 3 | kLen: ok = r.Bytes(&id); break;
        case 4 << 3 | kVarint:
          ok = r.Varint(&u);
          // Kind(s.Kind.String()): only the four named values match.
          switch (static_cast<int32_t>(u)) {
            case 1: s.kind = ZipkinKind::kClient; break;
            case 2: s.kind = ZipkinKind::kServer; break;
            case 3: s.kind = ZipkinKind::kProducer; break;
            case 4: s.kind = ZipkinKind::kConsumer; break;
            default: s.kind = ZipkinKind::kUnspecified; break;
          }
          break;
        case 5 << 3 | kLen: ok = r.Bytes(&s.name) && Utf8(s.name, "Span.name"); break;
        case 6 << 3 | kFixed64: ok = r.Fixed64(&timestamp); break;
        case 7 << 3 | kVarint: ok = r.Varint(&duration); break;
        case 8 << 3 | kLen:
        case 9 << 3 | kLen: {
          std::string_view sub;
          ok = r.Bytes(&sub) && Endpoint(sub, field == 8 ? &s.local_endpoint : &s.remote_endpoint);
          break;
        }
        case 10 << 3 | kLen: {
          std::string_view sub;
          ok = r.Bytes(&sub) && Annotation(sub);
          break;
        }
        case 11 << 3 | kLen: {
          std::string_view sub;
          ok = r.Bytes(&sub) && Tag(sub);
          break;
        }
        default: ok = r.Skip(field, wt); break;  // debug, shared, unknown
      }
      if (!ok) return false;
    }
    ZipkinSpan& done = s;  // still valid: only tags and annotations grew
    done.tags_end = static_cast<uint32_t>(batch_->tags.size());
    done.annotations_end = static_cast<uint32_t>(batch_->annotations.size());
    if (trace_id.size() != 16) {
      return Fail(absl::StrCat("invalid TraceID: has length ", trace_id.size(),
                               " yet wanted length 16"));
    }
    done.trace_id_high = BigEndian(trace_id.substr(0, 8));
    done.trace_id_low = BigEndian(trace_id.substr(8));
    if (!parent_id.empty()) {
      if (parent_id.size() != 8) {
        return Fail(absl::StrCat("invalid ParentID: has length ", parent_id.size(),
                                 " yet wanted length 8"));
      }
      done.parent_id = BigEndian(parent_id);
    }
    if (id.empty()) return Fail("expected a non-nil SpanID");
    if (id.size() != 8) {
      return Fail(absl::StrCat("invalid SpanID: has length ", id.size(), " yet wanted length 8"));
    }
    done.id = BigEndian(id);
    // time.Unix(0, int64(µs*1e3)): wraps like the unsigned product.
    done.start_unix_nano = timestamp * 1000u;
    done.duration_nanos = duration * 1000u;
    done.timestamp_absent = false;
    return true;
  }

  static uint64_t BigEndian(std::string_view b) {
    uint64_t v = 0;
    for (unsigned char c : b) v = v << 8 | c;
    return v;
  }

  bool Endpoint(std::string_view data, ZipkinEndpoint* e) {
    Reader r(data, error_);
    while (!r.done()) {
      uint32_t field, wt;
      if (!r.Tag(&field, &wt)) return false;
      uint64_t u = 0;
      bool ok = true;
      switch (field << 3 | wt) {
        case 1 << 3 | kLen:
          ok = r.Bytes(&e->service_name) && Utf8(e->service_name, "Endpoint.service_name");
          break;
        case 2 << 3 | kLen: ok = r.Bytes(&e->ipv4); break;
        case 3 << 3 | kLen: ok = r.Bytes(&e->ipv6); break;
        case 4 << 3 | kVarint:
          ok = r.Varint(&u);
          e->port = static_cast<uint16_t>(static_cast<int32_t>(u));  // uint16(zpe.Port)
          break;
        default: ok = r.Skip(field, wt); break;
      }
      if (!ok) return false;
    }
    return true;
  }

  bool Annotation(std::string_view data) {
    ZipkinAnnotation a;
    uint64_t timestamp = 0;
    Reader r(data, error_);
    while (!r.done()) {
      uint32_t field, wt;
      if (!r.Tag(&field, &wt)) return false;
      bool ok = true;
      switch (field << 3 | wt) {
        case 1 << 3 | kFixed64: ok = r.Fixed64(&timestamp); break;
        case 2 << 3 | kLen: ok = r.Bytes(&a.value) && Utf8(a.value, "Annotation.value"); break;
        default: ok = r.Skip(field, wt); break;
      }
      if (!ok) return false;
    }
    a.time_unix_nano = timestamp * 1000u;
    batch_->annotations.push_back(a);
    return true;
  }

  bool Tag(std::string_view data) {
    ZipkinTag t;
    Reader r(data, error_);
    while (!r.done()) {
      uint32_t field, wt;
      if (!r.Tag(&field, &wt)) return false;
      bool ok = true;
      switch (field << 3 | wt) {
        case 1 << 3 | kLen: ok = r.Bytes(&t.key) && Utf8(t.key, "Span.TagsEntry.key"); break;
        case 2 << 3 | kLen: ok = r.Bytes(&t.value) && Utf8(t.value, "Span.TagsEntry.value"); break;
        default: ok = r.Skip(field, wt); break;
      }
      if (!ok) return false;
    }
    batch_->tags.push_back(t);
    return true;
  }

  ZipkinSpanBatch* const batch_;
  std::string* const error_;
};

}  // namespace

absl::Status ParseZipkinV2Proto(std::string_view body, ZipkinSpanBatch* batch) {
  std::string error;
  SpanDecoder decoder(batch, &error);
  if (!decoder.List(body)) {
    return absl::InvalidArgumentError(error.empty() ? "invalid protobuf" : error);
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
