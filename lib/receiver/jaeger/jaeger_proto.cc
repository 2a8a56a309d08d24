#include "receiver/jaeger/jaeger_proto.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "jaeger/api_v2/collector.pb.h"
#include "model/protobuf_errors.h"
#include "model/wire_reader.h"
#include "receiver/jaeger/jaeger_translate.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using OtlpSpan = ::andante::otlp::trace::v1::Span;

// The service name an OTLP->Jaeger exporter writes for a resource without
// one; the collector then leaves the whole resource empty.
constexpr std::string_view kNoServiceName = "OTLPResourceNoServiceName";

// Go's zero time.Time (0001-01-01) as pcommon stores it: UnixNano() wraps.
// The collector produces it for a span or log without a timestamp.
constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31
constexpr int64_t kMaxDurationSeconds = 315576000000;   // 10000 years
constexpr uint64_t kNanosPerSecond = 1000000000;

// jaeger.api_v2 enum values the translator distinguishes.
constexpr int32_t kString = 0, kBool = 1, kInt64 = 2, kFloat64 = 3, kBinary = 4;
constexpr int32_t kChildOf = 0, kFollowsFrom = 1;

// --- Views of the wire bytes ---------------------------------------------
//
// What the walker reads, pointing into the request. Field semantics are
// protobuf's: a scalar sent twice keeps the last value, repeated fields
// append, and a Timestamp or Duration sent twice merges field by field
// (reading both into the same view does exactly that).

struct TagView {  // KeyValue
  std::string_view key;
  int32_t v_type = kString;
  std::string_view v_str;
  bool v_bool = false;
  int64_t v_int64 = 0;
  double v_float64 = 0;
  std::string_view v_binary;
};

struct TimeView {  // google.protobuf.Timestamp or Duration
  bool present = false;
  int64_t seconds = 0;
  int32_t nanos = 0;
};

struct RefView {  // SpanRef
  std::string_view trace_id;
  std::string_view span_id;
  int32_t ref_type = kChildOf;
};

struct ProcessView {
  bool present = false;
  std::string_view service_name;
  std::vector<TagView> tags;

  void Reset() {
    present = false;
    service_name = {};
    tags.clear();
  }
};

struct LogView {
  TimeView timestamp;
  std::vector<TagView> fields;
};

struct SpanView {
  std::string_view trace_id;
  std::string_view span_id;
  std::string_view operation_name;
  std::vector<RefView> refs;
  uint32_t flags = 0;
  TimeView start_time;
  TimeView duration;
  std::vector<TagView> tags;
  std::vector<std::string_view> log_bytes;  // walked by WalkLogs
  ProcessView process;
  std::string_view process_id;
  int warnings = 0;

  // Clears every field, keeping the vectors' capacity.
  void Reset() {
    trace_id = span_id = operation_name = process_id = {};
    refs.clear();
    flags = 0;
    start_time = duration = TimeView();
    tags.clear();
    log_bytes.clear();
    process.Reset();
    warnings = 0;
  }
};

// --- The walker ------------------------------------------------------------
//
// Each Walk* returns false to decline: the bytes are malformed, or use an
// encoding left to protobuf (groups, a known field with another wire type,
// a singular message field sent twice, invalid UTF-8 in a `string` field,
// which protobuf rejects). Unknown fields are skipped.

bool ReadString(WireReader& r, uint32_t wire_type, std::string_view* out) {
  return wire_type == kLengthDelimited && r.ReadBytes(out) &&
         IsValidProtobufUtf8(*out);
}

bool ReadBytes(WireReader& r, uint32_t wire_type, std::string_view* out) {
  return wire_type == kLengthDelimited && r.ReadBytes(out);
}

bool ReadVarint(WireReader& r, uint32_t wire_type, uint64_t* out) {
  return wire_type == kVarint && r.ReadVarint(out);
}

// Scalars read into `*out`, truncated to the field's type as protobuf does.
template <class T>
bool ReadVarintAs(WireReader& r, uint32_t wire_type, T* out) {
  uint64_t v = 0;
  if (!ReadVarint(r, wire_type, &v)) return false;
  *out = static_cast<T>(v);
  return true;
}

bool WalkTag(std::string_view bytes, TagView* tag) {
  return ForEachField(bytes, [tag](uint32_t field, uint32_t wire_type, WireReader& r) {
    switch (field) {
      case 1:
        return ReadString(r, wire_type, &tag->key);
      case 2:
        return ReadVarintAs(r, wire_type, &tag->v_type);
      case 3:
        return ReadString(r, wire_type, &tag->v_str);
      case 4: {
        uint64_t v = 0;
        if (!ReadVarint(r, wire_type, &v)) return false;
        tag->v_bool = v != 0;
        return true;
      }
      case 5:
        return ReadVarintAs(r, wire_type, &tag->v_int64);
      case 6: {
        uint64_t v = 0;
        if (wire_type != kFixed64 || !r.ReadFixed64(&v)) return false;
        std::memcpy(&tag->v_float64, &v, sizeof(double));
        return true;
      }
      case 7:
        return ReadBytes(r, wire_type, &tag->v_binary);
      default:
        return r.SkipField(wire_type);
    }
  });
}

// Appends one KeyValue to `tags`.
bool WalkTagInto(WireReader& r, uint32_t wire_type, std::vector<TagView>* tags) {
  std::string_view bytes;
  return ReadBytes(r, wire_type, &bytes) && WalkTag(bytes, &tags->emplace_back());
}

bool WalkTime(WireReader& outer, uint32_t wire_type, TimeView* t) {
  std::string_view bytes;
  if (!ReadBytes(outer, wire_type, &bytes)) return false;
  t->present = true;
  return ForEachField(bytes, [t](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field == 1) return ReadVarintAs(r, wire_type, &t->seconds);
    if (field == 2) return ReadVarintAs(r, wire_type, &t->nanos);
    return r.SkipField(wire_type);
  });
}

bool WalkRef(WireReader& outer, uint32_t wire_type, RefView* ref) {
  std::string_view bytes;
  if (!ReadBytes(outer, wire_type, &bytes)) return false;
  return ForEachField(bytes, [ref](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field == 1) return ReadBytes(r, wire_type, &ref->trace_id);
    if (field == 2) return ReadBytes(r, wire_type, &ref->span_id);
    if (field == 3) return ReadVarintAs(r, wire_type, &ref->ref_type);
    return r.SkipField(wire_type);
  });
}

// Declines a second Process: protobuf would merge the two, which the
// fallback reproduces.
bool WalkProcess(WireReader& outer, uint32_t wire_type, ProcessView* p) {
  std::string_view bytes;
  if (p->present || !ReadBytes(outer, wire_type, &bytes)) return false;
  p->present = true;
  return ForEachField(bytes, [p](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field == 1) return ReadString(r, wire_type, &p->service_name);
    if (field == 2) return WalkTagInto(r, wire_type, &p->tags);
    return r.SkipField(wire_type);
  });
}

bool WalkSpan(std::string_view bytes, SpanView* span) {
  span->Reset();
  return ForEachField(bytes, [span](uint32_t field, uint32_t wire_type, WireReader& r) {
    std::string_view payload;
    switch (field) {
      case 1:
        return ReadBytes(r, wire_type, &span->trace_id);
      case 2:
        return ReadBytes(r, wire_type, &span->span_id);
      case 3:
        return ReadString(r, wire_type, &span->operation_name);
      case 4:
        return WalkRef(r, wire_type, &span->refs.emplace_back());
      case 5:
        return ReadVarintAs(r, wire_type, &span->flags);
      case 6:
        return WalkTime(r, wire_type, &span->start_time);
      case 7:
        return WalkTime(r, wire_type, &span->duration);
      case 8:
        return WalkTagInto(r, wire_type, &span->tags);
      case 9:
        return ReadBytes(r, wire_type, &span->log_bytes.emplace_back());
      case 10:
        return WalkProcess(r, wire_type, &span->process);
      case 11:
        return ReadString(r, wire_type, &span->process_id);
      case 12:
        ++span->warnings;
        return ReadString(r, wire_type, &payload);
      default:
        return r.SkipField(wire_type);
    }
  });
}

// Walks span->log_bytes into (*logs)[0..n), reusing the vectors' capacity.
bool WalkLogs(const SpanView& span, std::vector<LogView>* logs) {
  if (logs->size() < span.log_bytes.size()) logs->resize(span.log_bytes.size());
  for (size_t i = 0; i < span.log_bytes.size(); ++i) {
    LogView& log = (*logs)[i];
    log.timestamp = TimeView();
    log.fields.clear();
    const bool ok = ForEachField(
        span.log_bytes[i], [&log](uint32_t field, uint32_t wire_type, WireReader& r) {
          if (field == 1) return WalkTime(r, wire_type, &log.timestamp);
          if (field == 2) return WalkTagInto(r, wire_type, &log.fields);
          return r.SkipField(wire_type);
        });
    if (!ok) return false;
  }
  return true;
}

// The top level of a Batch: its spans (not yet walked) and its process.
struct BatchView {
  std::vector<std::string_view> spans;
  ProcessView process;
};

bool WalkBatch(std::string_view bytes, BatchView* batch) {
  return ForEachField(bytes, [batch](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field == 1) return ReadBytes(r, wire_type, &batch->spans.emplace_back());
    if (field == 2) return WalkProcess(r, wire_type, &batch->process);
    return r.SkipField(wire_type);
  });
}

// PostSpansRequest { Batch batch = 1; }: the batch's bytes (empty if absent).
// Declines a second batch (protobuf would merge them).
bool WalkRequest(std::string_view bytes, std::string_view* batch) {
  bool seen = false;
  return ForEachField(bytes, [&](uint32_t field, uint32_t wire_type, WireReader& r) {
    if (field != 1) return r.SkipField(wire_type);
    if (seen) return false;
    seen = true;
    return ReadBytes(r, wire_type, batch);
  });
}

// --- Validation ------------------------------------------------------------

struct TraceIdValue {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const TraceIdValue&) const = default;
};

uint64_t BigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Lengths were validated by CheckIds.
TraceIdValue DecodeTraceId(std::string_view bytes) {
  if (bytes.size() == 16) return {BigEndian64(bytes.data()), BigEndian64(bytes.data() + 8)};
  if (bytes.size() == 8) return {0, BigEndian64(bytes.data())};
  return {};
}
uint64_t DecodeSpanId(std::string_view bytes) {
  return bytes.size() == 8 ? BigEndian64(bytes.data()) : 0;
}

// gogo's stdtime/stdduration conversions, which reject out-of-range values
// while unmarshalling (so the collector never sees them).
absl::Status CheckTimestamp(const TimeView& t, int span, std::string_view field) {
  if (t.seconds < kMinTimestampSeconds || t.seconds > kMaxTimestampSeconds ||
      t.nanos < 0 || t.nanos >= 1000000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger proto: span ", span, ": ", ToAbsl(field), " (",
                     t.seconds, "s, ", t.nanos, "ns) is out of range"));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(const TimeView& d, int span) {
  const int64_t s = d.seconds;
  const int32_t n = d.nanos;
  bool ok = s >= -kMaxDurationSeconds && s <= kMaxDurationSeconds &&
            n > -1000000000 && n < 1000000000 && !(s < 0 && n > 0) &&
            !(s > 0 && n < 0);
  // time.Duration is int64 nanoseconds (about 292 years).
  constexpr int64_t kMaxDurationNanosSeconds = INT64_MAX / 1000000000;
  if (ok && (s > kMaxDurationNanosSeconds || s < -kMaxDurationNanosSeconds)) {
    ok = false;
  }
  if (ok) {
    __int128 total = static_cast<__int128>(s) * 1000000000 + n;
    ok = total >= INT64_MIN && total <= INT64_MAX;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jaeger proto: span ", span, ": duration (", s, "s, ", n,
        "ns) is out of range"));
  }
  return absl::OkStatus();
}

absl::Status CheckIds(const SpanView& span, int index) {
  auto trace_ok = [](size_t n) { return n == 0 || n == 8 || n == 16; };
  auto span_ok = [](size_t n) { return n == 0 || n == 8; };
  if (!trace_ok(span.trace_id.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger proto: span ", index,
                     ": trace_id must be 16 or 8 bytes, got ", span.trace_id.size()));
  }
  if (!span_ok(span.span_id.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger proto: span ", index, ": span_id must be 8 bytes, got ",
                     span.span_id.size()));
  }
  for (size_t r = 0; r < span.refs.size(); ++r) {
    const RefView& ref = span.refs[r];
    if (!trace_ok(ref.trace_id.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "jaeger proto: span ", index, ": reference ", r,
          ": trace_id must be 16 or 8 bytes, got ", ref.trace_id.size()));
    }
    if (!span_ok(ref.span_id.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("jaeger proto: span ", index, ": reference ", r,
                       ": span_id must be 8 bytes, got ", ref.span_id.size()));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSpan(const SpanView& span, const std::vector<LogView>& logs, int index) {
  if (absl::Status s = CheckIds(span, index); !s.ok()) return s;
  if (span.start_time.present) {
    if (absl::Status s = CheckTimestamp(span.start_time, index, "start_time"); !s.ok()) {
      return s;
    }
  }
  if (span.duration.present) {
    if (absl::Status s = CheckDuration(span.duration, index); !s.ok()) return s;
  }
  for (size_t i = 0; i < span.log_bytes.size(); ++i) {
    if (!logs[i].timestamp.present) continue;
    if (absl::Status s = CheckTimestamp(logs[i].timestamp, index, "log timestamp"); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// pcommon.NewTimestampFromTime(t): t.UnixNano() as uint64, wrapping like Go
// for times outside 1678..2262. An absent Timestamp is Go's zero time.
uint64_t TimestampNanos(const TimeView& t) {
  const int64_t seconds = t.present ? t.seconds : kMinTimestampSeconds;
  const int32_t nanos = t.present ? t.nanos : 0;
  return static_cast<uint64_t>(seconds) * kNanosPerSecond + static_cast<uint64_t>(nanos);
}

uint64_t DurationNanos(const TimeView& d) {
  return static_cast<uint64_t>(d.seconds) * kNanosPerSecond +
         static_cast<uint64_t>(static_cast<int64_t>(d.nanos));
}

JaegerTag ToJaegerTag(const TagView& kv, JaegerAttributes* attrs) {
  JaegerTag tag;
  tag.key = kv.key;
  switch (kv.v_type) {
    case kString:
      tag.kind = JaegerValueKind::kString;
      tag.str = kv.v_str;
      break;
    case kBool:
      tag.kind = JaegerValueKind::kBool;
      tag.bool_value = kv.v_bool;
      break;
    case kInt64:
      tag.kind = JaegerValueKind::kInt;
      tag.int_value = kv.v_int64;
      break;
    case kFloat64:
      tag.kind = JaegerValueKind::kDouble;
      tag.double_value = kv.v_float64;
      break;
    case kBinary:
      tag.kind = JaegerValueKind::kBytes;
      tag.str = kv.v_binary;
      break;
    default:
      // gogo's enum String() of an unknown value is its number.
      tag.kind = JaegerValueKind::kString;
      tag.str = attrs->Own(UnknownTagTypeText(std::to_string(kv.v_type)));
      break;
  }
  return tag;
}

// --- Regrouping by process -------------------------------------------------

// The collector groups by a hash of the process's service name and typed
// tag values (Process.Hash, which stops at the first tag of unknown type);
// this compares the same inputs exactly. A missing process equals an empty
// one.
bool SameTagValue(const TagView& a, const TagView& b) {
  if (a.key != b.key || a.v_type != b.v_type) return false;
  switch (a.v_type) {
    case kString:
      return a.v_str == b.v_str;
    case kBool:
      return a.v_bool == b.v_bool;
    case kInt64:
      return a.v_int64 == b.v_int64;
    case kFloat64:
      return std::memcmp(&a.v_float64, &b.v_float64, sizeof(double)) == 0;
    case kBinary:
      return a.v_binary == b.v_binary;
    default:
      return true;
  }
}

bool IsKnownValueType(int32_t t) { return t >= kString && t <= kBinary; }

bool SameProcess(const ProcessView& a, const ProcessView& b) {
  if (a.service_name != b.service_name) return false;
  const size_t n = std::min(a.tags.size(), b.tags.size());
  for (size_t i = 0; i < n; ++i) {
    if (!SameTagValue(a.tags[i], b.tags[i])) return false;
    if (!IsKnownValueType(a.tags[i].v_type)) return true;  // hash stops
  }
  return a.tags.size() == b.tags.size();
}

size_t HashProcess(const ProcessView& p) {
  size_t h = absl::HashOf(p.service_name);
  for (const TagView& kv : p.tags) {
    h = absl::HashOf(h, kv.key, kv.v_type);
    if (!IsKnownValueType(kv.v_type)) return h;
    switch (kv.v_type) {
      case kString:
        h = absl::HashOf(h, kv.v_str);
        break;
      case kBool:
        h = absl::HashOf(h, kv.v_bool);
        break;
      case kInt64:
        h = absl::HashOf(h, kv.v_int64);
        break;
      case kFloat64: {
        uint64_t bits;
        std::memcpy(&bits, &kv.v_float64, sizeof(bits));
        h = absl::HashOf(h, bits);
        break;
      }
      default:
        h = absl::HashOf(h, kv.v_binary);
        break;
    }
  }
  return h;
}

// --- Translation -----------------------------------------------------------

struct Scope {
  std::string_view name;
  std::string_view version;
  int name_tag = -1;  // indexes of the tags getScope deletes
  int version_tag = -1;
};

// The collector's getScope: the first otel.scope.name tag (its v_str,
// whatever its type) and, only then, the first otel.scope.version tag.
Scope GetScope(const SpanView& span) {
  Scope scope;
  const int n = static_cast<int>(span.tags.size());
  for (int i = 0; i < n; ++i) {
    if (span.tags[i].key == "otel.scope.name") {
      scope.name = span.tags[i].v_str;
      scope.name_tag = i;
      break;
    }
  }
  if (scope.name_tag < 0) return scope;
  for (int i = 0; i < n; ++i) {
    if (i != scope.name_tag && span.tags[i].key == "otel.scope.version") {
      scope.version = span.tags[i].v_str;
      scope.version_tag = i;
      break;
    }
  }
  return scope;
}

// reflect.DeepEqual(span, new(model.Span)) after gogo unmarshalling: a
// present start_time is time.Unix(0,0), not the zero time.
bool IsBlank(const SpanView& s) {
  return DecodeTraceId(s.trace_id) == TraceIdValue{} && DecodeSpanId(s.span_id) == 0 &&
         s.operation_name.empty() && s.refs.empty() && s.flags == 0 &&
         !s.start_time.present && DurationNanos(s.duration) == 0 && s.tags.empty() &&
         s.log_bytes.empty() && !s.process.present && s.process_id.empty() &&
         s.warnings == 0;
}

// One ResourceSpans: a distinct process and the scopes of its spans.
struct Group {
  ProcessView process;  // its own copy of the tag views
  size_t hash = 0;
  ResourceSpans* rs = nullptr;
  std::vector<std::pair<Scope, ScopeSpans*>> scopes;
};

class BatchTranslator {
 public:
  BatchTranslator(ExportTraceServiceRequest* out, uint64_t* span_count)
      : out_(out), base_(out->resource_spans_size()), span_count_(span_count) {}

  // Walks and translates the Batch in `bytes`. nullopt: the walker declined
  // (nothing was kept in `out`); otherwise the translation's status.
  std::optional<absl::Status> Run(std::string_view bytes) {
    BatchView batch;
    if (!WalkBatch(bytes, &batch)) return std::nullopt;
    *span_count_ = batch.spans.size();

    // regroup(): group 0 is the batch's process; spans with their own
    // process join the group of an equal process, in order of first
    // appearance. Group 0's ResourceSpans comes first even when its first
    // span comes later, and goes again if it has neither process nor spans
    // (ProtoToTraces skips such a batch).
    AddGroup(batch.process);
    bool group0_used = batch.process.present;

    absl::Status error;
    SpanView span;
    for (size_t i = 0; i < batch.spans.size(); ++i) {
      if (!WalkSpan(batch.spans[i], &span) || !WalkLogs(span, &logs_)) {
        Rollback();
        return std::nullopt;
      }
      // After a bad span the rest is only walked: a malformed span later
      // still makes the request unparseable, which takes precedence.
      if (!error.ok()) continue;
      error = CheckSpan(span, logs_, static_cast<int>(i));
      if (!error.ok()) continue;
      Group* group;
      if (span.process.present) {
        group = GroupFor(span.process);
      } else {
        group = &groups_[0];
      }
      if (group == &groups_[0]) group0_used = true;
      if (IsBlank(span)) continue;
      TranslateSpan(span, group);
    }
    if (!error.ok()) {
      Rollback();
      return error;
    }
    if (!group0_used) {
      out_->mutable_resource_spans()->DeleteSubrange(base_, 1);
    }
    return absl::OkStatus();
  }

 private:
  void Rollback() {
    const int added = out_->resource_spans_size() - base_;
    if (added > 0) out_->mutable_resource_spans()->DeleteSubrange(base_, added);
  }

  Group* AddGroup(const ProcessView& process) {
    Group& group = groups_.emplace_back();
    group.process.present = process.present;
    group.process.service_name = process.service_name;
    group.process.tags = process.tags;
    group.hash = HashProcess(process);
    group.rs = out_->add_resource_spans();
    TranslateProcess(group.process, group.rs);
    by_hash_[group.hash].push_back(groups_.size() - 1);
    return &group;
  }

  Group* GroupFor(const ProcessView& process) {
    const size_t h = HashProcess(process);
    if (auto it = by_hash_.find(h); it != by_hash_.end()) {
      for (size_t index : it->second) {
        if (SameProcess(groups_[index].process, process)) return &groups_[index];
      }
    }
    return AddGroup(process);
  }

  void TranslateProcess(const ProcessView& process, ResourceSpans* out) {
    if (!process.present || process.service_name == kNoServiceName) return;
    if (process.service_name.empty() && process.tags.empty()) return;
    attrs_.Clear();
    if (!process.service_name.empty()) {
      JaegerTag name;
      name.key = "service.name";
      name.str = process.service_name;
      attrs_.Put(name);
    }
    for (const TagView& kv : process.tags) attrs_.Put(ToJaegerTag(kv, &attrs_));
    FinishResource(&attrs_, out->mutable_resource());
  }

  ScopeSpans* ScopeFor(Group* group, const Scope& scope) {
    for (auto& [known, spans] : group->scopes) {
      if (known.name == scope.name && known.version == scope.version) return spans;
    }
    ScopeSpans* ss = group->rs->add_scope_spans();
    ss->mutable_scope()->set_name(scope.name.data(), scope.name.size());
    ss->mutable_scope()->set_version(scope.version.data(), scope.version.size());
    group->scopes.emplace_back(scope, ss);
    return ss;
  }

  void TranslateSpan(const SpanView& in, Group* group) {
    const Scope scope = GetScope(in);
    OtlpSpan* out = ScopeFor(group, scope)->add_spans();
    const TraceIdValue trace = DecodeTraceId(in.trace_id);
    std::string* trace_id = out->mutable_trace_id();
    trace_id->reserve(16);
    AppendTraceId(trace.high, trace.low, trace_id);
    out->set_span_id(SpanIdBytes(DecodeSpanId(in.span_id)));
    out->set_name(in.operation_name.data(), in.operation_name.size());
    const uint64_t start = TimestampNanos(in.start_time);
    out->set_start_time_unix_nano(start);
    out->set_end_time_unix_nano(start + DurationNanos(in.duration));

    // model.Span.ParentSpanID(): the first CHILD_OF reference in the same
    // trace, else the first FOLLOWS_FROM one.
    uint64_t parent = 0;
    bool found_follows_from = false;
    for (const RefView& ref : in.refs) {
      if (DecodeTraceId(ref.trace_id) != trace) continue;
      if (ref.ref_type == kChildOf) {
        parent = DecodeSpanId(ref.span_id);
        break;
      }
      if (!found_follows_from && ref.ref_type == kFollowsFrom) {
        parent = DecodeSpanId(ref.span_id);
        found_follows_from = true;
      }
    }
    if (parent != 0) out->set_parent_span_id(SpanIdBytes(parent));

    attrs_.Clear();
    for (int i = 0; i < static_cast<int>(in.tags.size()); ++i) {
      if (i == scope.name_tag || i == scope.version_tag) continue;
      attrs_.Put(ToJaegerTag(in.tags[i], &attrs_));
    }
    FinishSpanAttributes(/*proto=*/true, &attrs_, out);

    for (size_t l = 0; l < in.log_bytes.size(); ++l) {
      const LogView& log = logs_[l];
      OtlpSpan::Event* event = out->add_events();
      event->set_time_unix_nano(TimestampNanos(log.timestamp));
      if (log.fields.empty()) continue;
      attrs_.Clear();
      for (const TagView& field : log.fields) attrs_.Put(ToJaegerTag(field, &attrs_));
      FinishEventAttributes(&attrs_, event);
    }

    for (const RefView& ref : in.refs) {
      const uint64_t span_id = DecodeSpanId(ref.span_id);
      const bool child_of = ref.ref_type == kChildOf;
      if (child_of && span_id == parent) continue;
      const TraceIdValue ref_trace = DecodeTraceId(ref.trace_id);
      AddLink(ref_trace.high, ref_trace.low, span_id, child_of, out);
    }
  }

  ExportTraceServiceRequest* const out_;
  const int base_;
  uint64_t* const span_count_;
  std::vector<Group> groups_;  // pointers into it are not kept across AddGroup
  absl::flat_hash_map<size_t, std::vector<size_t>> by_hash_;
  std::vector<LogView> logs_;
  JaegerAttributes attrs_;
};

// The batch inside `request`, walked and translated; nullopt if declined.
std::optional<absl::Status> WalkAndTranslate(std::string_view request,
                                             ExportTraceServiceRequest* out,
                                             uint64_t* span_count) {
  std::string_view batch;
  if (!WalkRequest(request, &batch)) return std::nullopt;
  return BatchTranslator(out, span_count).Run(batch);
}

}  // namespace

absl::Status DecodeJaegerPostSpans(std::string_view request,
                                   ExportTraceServiceRequest* out,
                                   uint64_t* span_count) {
  uint64_t ignored;
  if (span_count == nullptr) span_count = &ignored;
  *span_count = 0;
  if (std::optional<absl::Status> s = WalkAndTranslate(request, out, span_count)) {
    return *s;
  }

  // Declined: let protobuf parse it (and explain a failure), then walk its
  // canonical re-encoding, which the walker always takes.
  google::protobuf::Arena arena;
  auto* parsed =
      google::protobuf::Arena::CreateMessage<jaeger::api_v2::PostSpansRequest>(&arena);
  ProtobufErrorCapture why;
  if (request.size() > static_cast<size_t>(INT_MAX) ||
      !parsed->ParseFromArray(request.data(), static_cast<int>(request.size()))) {
    return absl::InvalidArgumentError(
        why.Explain("jaeger proto: cannot parse PostSpansRequest"));
  }
  // Unknown fields may reuse known field numbers with other wire types.
  parsed->DiscardUnknownFields();
  const std::string canonical = parsed->SerializeAsString();
  if (std::optional<absl::Status> s = WalkAndTranslate(canonical, out, span_count)) {
    return *s;
  }
  return absl::InternalError("jaeger proto: re-encoded request did not decode");
}

absl::Status TranslateJaegerProtoBatch(const jaeger::api_v2::Batch& batch,
                                       ExportTraceServiceRequest* out) {
  jaeger::api_v2::PostSpansRequest request;
  *request.mutable_batch() = batch;
  return DecodeJaegerPostSpans(request.SerializeAsString(), out);
}

}  // namespace andante::internal
