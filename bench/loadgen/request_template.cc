#include "request_template.h"

#include <bit>
#include <cstring>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/coding.h"

namespace andante::loadgen {
namespace {

static_assert(std::endian::native == std::endian::little,
              "timestamps are patched as little-endian fixed64");

// Protobuf wire types.
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLength = 2;
constexpr int kFixed32 = 5;

bool ReadVarint(const std::string& b, size_t* pos, size_t end, uint64_t* v) {
  const char* next = andante::internal::DecodeVarint64(b.data() + *pos,
                                                       b.data() + end, v);
  if (next == nullptr) return false;
  *pos = next - b.data();
  return true;
}

// Calls fn(field, wire_type, offset, length) for every field encoded in
// b[begin, end). For length-delimited fields [offset, offset+length) is the
// payload; for fixed fields it is the value; for varints, the varint.
template <typename Fn>
absl::Status ForEachField(const std::string& b, size_t begin, size_t end,
                          Fn fn) {
  size_t pos = begin;
  while (pos < end) {
    uint64_t key;
    if (!ReadVarint(b, &pos, end, &key)) {
      return absl::InvalidArgumentError(absl::StrCat("bad tag at ", pos));
    }
    const uint32_t field = static_cast<uint32_t>(key >> 3);
    const int wire = static_cast<int>(key & 7);
    size_t offset = pos;
    size_t length;
    uint64_t v;
    switch (wire) {
      case kVarint:
        if (!ReadVarint(b, &pos, end, &v)) {
          return absl::InvalidArgumentError(
              absl::StrCat("bad varint at ", pos));
        }
        length = pos - offset;
        break;
      case kFixed64:
        length = 8;
        break;
      case kFixed32:
        length = 4;
        break;
      case kLength:
        if (!ReadVarint(b, &pos, end, &v)) {
          return absl::InvalidArgumentError(
              absl::StrCat("bad length at ", pos));
        }
        offset = pos;
        length = v;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("unsupported wire type ", wire, " at ", pos));
    }
    if (length > end - offset) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", field, " overruns its message at ", offset));
    }
    pos = offset + length;
    if (absl::Status s = fn(field, wire, offset, length); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RequestTemplate> RequestTemplate::Parse(std::string bytes) {
  RequestTemplate t;
  t.bytes_ = std::move(bytes);
  const std::string& b = t.bytes_;
  std::map<std::string, size_t> trace_index;

  auto parse_span = [&](size_t begin, size_t end) -> absl::Status {
    int64_t trace_id_offset = -1;
    std::vector<uint32_t> span_ids;
    absl::Status s = ForEachField(
        b, begin, end,
        [&](uint32_t field, int wire, size_t off, size_t len) -> absl::Status {
          if (field == 1 && wire == kLength) {
            if (len != 16) {
              return absl::InvalidArgumentError("trace_id is not 16 bytes");
            }
            trace_id_offset = static_cast<int64_t>(off);
          } else if ((field == 2 || field == 4) && wire == kLength) {
            if (len != 8) {
              return absl::InvalidArgumentError("span id is not 8 bytes");
            }
            span_ids.push_back(static_cast<uint32_t>(off));
          } else if ((field == 7 || field == 8) && wire == kFixed64) {
            t.time_offsets_.push_back(static_cast<uint32_t>(off));
          } else if (field == 11 && wire == kLength) {
            return ForEachField(
                b, off, off + len,
                [&](uint32_t f, int w, size_t o, size_t) -> absl::Status {
                  if (f == 1 && w == kFixed64) {
                    t.time_offsets_.push_back(static_cast<uint32_t>(o));
                  }
                  return absl::OkStatus();
                });
          }
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    if (trace_id_offset < 0) {
      return absl::InvalidArgumentError("span without trace_id");
    }
    auto [it, inserted] = trace_index.try_emplace(b.substr(trace_id_offset, 16),
                                                  t.traces_.size());
    if (inserted) t.traces_.emplace_back();
    TracePatch& trace = t.traces_[it->second];
    trace.trace_id_offsets.push_back(static_cast<uint32_t>(trace_id_offset));
    trace.span_id_offsets.insert(trace.span_id_offsets.end(), span_ids.begin(),
                                 span_ids.end());
    ++trace.spans;
    ++t.spans_;
    return absl::OkStatus();
  };

  auto only_length = [](uint32_t want, auto inner) {
    return [want, inner](uint32_t field, int wire, size_t off,
                         size_t len) -> absl::Status {
      if (field == want && wire == kLength) return inner(off, off + len);
      return absl::OkStatus();
    };
  };
  // ExportTraceServiceRequest.resource_spans(1) -> ResourceSpans.
  // scope_spans(2) -> ScopeSpans.spans(2) -> Span.
  absl::Status s = ForEachField(
      b, 0, b.size(), only_length(1, [&](size_t rb, size_t re) {
        return ForEachField(
            b, rb, re, only_length(2, [&](size_t sb, size_t se) {
              return ForEachField(b, sb, se, only_length(2, parse_span));
            }));
      }));
  if (!s.ok()) return s;
  return t;
}

void RequestTemplate::Instantiate(IdRng& rng, int64_t shift_ns,
                                  std::string* out,
                                  std::vector<SentTrace>* sent) const {
  out->assign(bytes_);
  char* data = out->data();
  sent->clear();
  sent->reserve(traces_.size());
  for (const TracePatch& trace : traces_) {
    SentTrace record;
    uint64_t hi = rng.Next();
    uint64_t lo = rng.Next() | 1;  // never the all-zero ID
    for (int i = 0; i < 8; ++i) {
      record.trace_id[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
      record.trace_id[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
    }
    record.spans = trace.spans;
    for (uint32_t off : trace.trace_id_offsets) {
      std::memcpy(data + off, record.trace_id.data(), 16);
    }
    // XOR keeps parent links intact: a parent ID and the span ID it points
    // at change identically. A result of zero is left unpatched.
    const uint64_t mask = rng.Next();
    for (uint32_t off : trace.span_id_offsets) {
      uint64_t v;
      std::memcpy(&v, data + off, 8);
      if ((v ^ mask) != 0) v ^= mask;
      std::memcpy(data + off, &v, 8);
    }
    sent->push_back(record);
  }
  if (shift_ns != 0) {
    // fixed64 is little-endian on the wire, as on every host we run on.
    for (uint32_t off : time_offsets_) {
      uint64_t v;
      std::memcpy(&v, data + off, 8);
      v += static_cast<uint64_t>(shift_ns);
      std::memcpy(data + off, &v, 8);
    }
  }
}

}  // namespace andante::loadgen
