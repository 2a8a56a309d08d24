#include "receiver/jaeger/jaeger_proto.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "receiver/jaeger/jaeger_translate.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::jaeger::api_v2::Batch;
using ::jaeger::api_v2::KeyValue;
using ::jaeger::api_v2::Process;
using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::opentelemetry::proto::trace::v1::ResourceSpans;
using ::opentelemetry::proto::trace::v1::ScopeSpans;
using OtlpSpan = ::opentelemetry::proto::trace::v1::Span;
using JaegerSpan = ::jaeger::api_v2::Span;

// The service name an OTLP->Jaeger exporter writes for a resource without
// one; the collector then leaves the whole resource empty.
constexpr std::string_view kNoServiceName = "OTLPResourceNoServiceName";

// Go's zero time.Time (0001-01-01) as pcommon stores it: UnixNano() wraps.
// The collector produces it for a span or log without a timestamp.
constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31
constexpr int64_t kMaxDurationSeconds = 315576000000;   // 10000 years
constexpr uint64_t kNanosPerSecond = 1000000000;

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

// Lengths were validated by ValidateBatch.
TraceIdValue DecodeTraceId(const std::string& bytes) {
  if (bytes.size() == 16) return {BigEndian64(bytes.data()), BigEndian64(bytes.data() + 8)};
  if (bytes.size() == 8) return {0, BigEndian64(bytes.data())};
  return {};
}
uint64_t DecodeSpanId(const std::string& bytes) {
  return bytes.size() == 8 ? BigEndian64(bytes.data()) : 0;
}

// gogo's stdtime/stdduration conversions, which reject out-of-range values
// while unmarshalling (so the collector never sees them).
absl::Status CheckTimestamp(const google::protobuf::Timestamp& t, int span,
                            std::string_view field) {
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds ||
      t.nanos() < 0 || t.nanos() >= 1000000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger proto: span ", span, ": ", ToAbsl(field), " (",
                     t.seconds(), "s, ", t.nanos(), "ns) is out of range"));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(const google::protobuf::Duration& d, int span) {
  const int64_t s = d.seconds();
  const int32_t n = d.nanos();
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

absl::Status CheckIds(const JaegerSpan& span, int index) {
  auto trace_ok = [](size_t n) { return n == 0 || n == 8 || n == 16; };
  auto span_ok = [](size_t n) { return n == 0 || n == 8; };
  if (!trace_ok(span.trace_id().size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger proto: span ", index,
                     ": trace_id must be 16 or 8 bytes, got ", span.trace_id().size()));
  }
  if (!span_ok(span.span_id().size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("jaeger proto: span ", index, ": span_id must be 8 bytes, got ",
                     span.span_id().size()));
  }
  for (int r = 0; r < span.references_size(); ++r) {
    const auto& ref = span.references(r);
    if (!trace_ok(ref.trace_id().size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "jaeger proto: span ", index, ": reference ", r,
          ": trace_id must be 16 or 8 bytes, got ", ref.trace_id().size()));
    }
    if (!span_ok(ref.span_id().size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("jaeger proto: span ", index, ": reference ", r,
                       ": span_id must be 8 bytes, got ", ref.span_id().size()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const Batch& batch) {
  for (int i = 0; i < batch.spans_size(); ++i) {
    const JaegerSpan& span = batch.spans(i);
    if (absl::Status s = CheckIds(span, i); !s.ok()) return s;
    if (span.has_start_time()) {
      if (absl::Status s = CheckTimestamp(span.start_time(), i, "start_time"); !s.ok()) {
        return s;
      }
    }
    if (span.has_duration()) {
      if (absl::Status s = CheckDuration(span.duration(), i); !s.ok()) return s;
    }
    for (const auto& log : span.logs()) {
      if (!log.has_timestamp()) continue;
      if (absl::Status s = CheckTimestamp(log.timestamp(), i, "log timestamp"); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// pcommon.NewTimestampFromTime(t): t.UnixNano() as uint64, wrapping like Go
// for times outside 1678..2262. An absent Timestamp is Go's zero time.
uint64_t TimestampNanos(bool present, const google::protobuf::Timestamp& t) {
  const int64_t seconds = present ? t.seconds() : kMinTimestampSeconds;
  const int32_t nanos = present ? t.nanos() : 0;
  return static_cast<uint64_t>(seconds) * kNanosPerSecond + static_cast<uint64_t>(nanos);
}

uint64_t DurationNanos(const google::protobuf::Duration& d) {
  return static_cast<uint64_t>(d.seconds()) * kNanosPerSecond +
         static_cast<uint64_t>(static_cast<int64_t>(d.nanos()));
}

// With `take`, the map may swap the tag's strings out (the caller gave up
// the batch).
JaegerTag ToJaegerTag(const KeyValue& kv, bool take, JaegerAttributes* attrs) {
  JaegerTag tag;
  tag.key = kv.key();
  KeyValue* owner = take ? const_cast<KeyValue*>(&kv) : nullptr;
  if (owner != nullptr) tag.key_owner = owner->mutable_key();
  switch (kv.v_type()) {
    case jaeger::api_v2::STRING:
      tag.kind = JaegerValueKind::kString;
      tag.str = kv.v_str();
      if (owner != nullptr) tag.str_owner = owner->mutable_v_str();
      break;
    case jaeger::api_v2::BOOL:
      tag.kind = JaegerValueKind::kBool;
      tag.bool_value = kv.v_bool();
      break;
    case jaeger::api_v2::INT64:
      tag.kind = JaegerValueKind::kInt;
      tag.int_value = kv.v_int64();
      break;
    case jaeger::api_v2::FLOAT64:
      tag.kind = JaegerValueKind::kDouble;
      tag.double_value = kv.v_float64();
      break;
    case jaeger::api_v2::BINARY:
      tag.kind = JaegerValueKind::kBytes;
      tag.str = kv.v_binary();
      if (owner != nullptr) tag.str_owner = owner->mutable_v_binary();
      break;
    default:
      // gogo's enum String() of an unknown value is its number.
      tag.kind = JaegerValueKind::kString;
      tag.str = attrs->Own(UnknownTagTypeText(std::to_string(kv.v_type())));
      break;
  }
  return tag;
}

// --- Regrouping by process -------------------------------------------------

// The collector groups by a hash of the process's service name and typed
// tag values (Process.Hash, which stops at the first tag of unknown type);
// this compares the same inputs exactly. A missing process equals an empty
// one.
bool SameTagValue(const KeyValue& a, const KeyValue& b) {
  if (a.key() != b.key() || a.v_type() != b.v_type()) return false;
  switch (a.v_type()) {
    case jaeger::api_v2::STRING:
      return a.v_str() == b.v_str();
    case jaeger::api_v2::BOOL:
      return a.v_bool() == b.v_bool();
    case jaeger::api_v2::INT64:
      return a.v_int64() == b.v_int64();
    case jaeger::api_v2::FLOAT64: {
      const double x = a.v_float64(), y = b.v_float64();
      return std::memcmp(&x, &y, sizeof(x)) == 0;
    }
    case jaeger::api_v2::BINARY:
      return a.v_binary() == b.v_binary();
    default:
      return true;
  }
}

bool IsKnownValueType(int t) { return t >= 0 && t <= 4; }

bool SameProcess(const Process* a, const Process* b) {
  static const Process kEmpty;
  if (a == nullptr) a = &kEmpty;
  if (b == nullptr) b = &kEmpty;
  if (a->service_name() != b->service_name()) return false;
  const int n = std::min(a->tags_size(), b->tags_size());
  for (int i = 0; i < n; ++i) {
    if (!SameTagValue(a->tags(i), b->tags(i))) return false;
    if (!IsKnownValueType(a->tags(i).v_type())) return true;  // hash stops
  }
  return a->tags_size() == b->tags_size();
}

size_t HashProcess(const Process* p) {
  static const Process kEmpty;
  if (p == nullptr) p = &kEmpty;
  size_t h = absl::HashOf(std::string_view(p->service_name()));
  for (const KeyValue& kv : p->tags()) {
    h = absl::HashOf(h, std::string_view(kv.key()), static_cast<int>(kv.v_type()));
    if (!IsKnownValueType(kv.v_type())) return h;
    switch (kv.v_type()) {
      case jaeger::api_v2::STRING:
        h = absl::HashOf(h, std::string_view(kv.v_str()));
        break;
      case jaeger::api_v2::BOOL:
        h = absl::HashOf(h, kv.v_bool());
        break;
      case jaeger::api_v2::INT64:
        h = absl::HashOf(h, kv.v_int64());
        break;
      case jaeger::api_v2::FLOAT64: {
        const double d = kv.v_float64();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof(bits));
        h = absl::HashOf(h, bits);
        break;
      }
      default:
        h = absl::HashOf(h, std::string_view(kv.v_binary()));
        break;
    }
  }
  return h;
}

struct ProcessGroup {
  const Process* process = nullptr;  // the first one seen; null if absent
  std::vector<const JaegerSpan*> spans;
};

class Regrouper {
 public:
  // Returns the group for `process` (null: absent), creating it in order of
  // first appearance.
  ProcessGroup* For(const Process* process) {
    const size_t h = HashProcess(process);
    auto& candidates = by_hash_[h];
    for (size_t index : candidates) {
      if (SameProcess(groups_[index].process, process)) return &groups_[index];
    }
    candidates.push_back(groups_.size());
    groups_.push_back(ProcessGroup{process, {}});
    return &groups_.back();
  }
  std::vector<ProcessGroup>& groups() { return groups_; }

 private:
  std::vector<ProcessGroup> groups_;
  absl::flat_hash_map<size_t, std::vector<size_t>> by_hash_;
};

// --- Span translation -------------------------------------------------------

bool IsBlank(const JaegerSpan& s) {
  // reflect.DeepEqual(span, new(model.Span)) after gogo unmarshalling: a
  // present start_time is time.Unix(0,0), not the zero time.
  return DecodeTraceId(s.trace_id()) == TraceIdValue{} && DecodeSpanId(s.span_id()) == 0 &&
         s.operation_name().empty() && s.references_size() == 0 && s.flags() == 0 &&
         !s.has_start_time() && DurationNanos(s.duration()) == 0 && s.tags_size() == 0 &&
         s.logs_size() == 0 && !s.has_process() && s.process_id().empty() &&
         s.warnings_size() == 0;
}

struct Scope {
  std::string_view name;
  std::string_view version;
  int name_tag = -1;  // indexes of the tags getScope deletes
  int version_tag = -1;
};

// The collector's getScope: the first otel.scope.name tag (its v_str,
// whatever its type) and, only then, the first otel.scope.version tag.
Scope GetScope(const JaegerSpan& span) {
  Scope scope;
  for (int i = 0; i < span.tags_size(); ++i) {
    if (span.tags(i).key() == "otel.scope.name") {
      scope.name = span.tags(i).v_str();
      scope.name_tag = i;
      break;
    }
  }
  if (scope.name_tag < 0) return scope;
  for (int i = 0; i < span.tags_size(); ++i) {
    if (i != scope.name_tag && span.tags(i).key() == "otel.scope.version") {
      scope.version = span.tags(i).v_str();
      scope.version_tag = i;
      break;
    }
  }
  return scope;
}

void TranslateSpan(const JaegerSpan& in, const Scope& scope, bool take,
                   JaegerAttributes* attrs, OtlpSpan* out) {
  const TraceIdValue trace = DecodeTraceId(in.trace_id());
  std::string* trace_id = out->mutable_trace_id();
  trace_id->reserve(16);
  AppendTraceId(trace.high, trace.low, trace_id);
  out->set_span_id(SpanIdBytes(DecodeSpanId(in.span_id())));
  if (take) {
    out->mutable_name()->swap(*const_cast<JaegerSpan&>(in).mutable_operation_name());
  } else {
    out->set_name(in.operation_name());
  }
  const uint64_t start = TimestampNanos(in.has_start_time(), in.start_time());
  out->set_start_time_unix_nano(start);
  out->set_end_time_unix_nano(start + DurationNanos(in.duration()));

  // model.Span.ParentSpanID(): the first CHILD_OF reference in the same
  // trace, else the first FOLLOWS_FROM one.
  uint64_t parent = 0;
  bool found_follows_from = false;
  for (const auto& ref : in.references()) {
    if (DecodeTraceId(ref.trace_id()) != trace) continue;
    if (ref.ref_type() == jaeger::api_v2::CHILD_OF) {
      parent = DecodeSpanId(ref.span_id());
      break;
    }
    if (!found_follows_from && ref.ref_type() == jaeger::api_v2::FOLLOWS_FROM) {
      parent = DecodeSpanId(ref.span_id());
      found_follows_from = true;
    }
  }
  if (parent != 0) out->set_parent_span_id(SpanIdBytes(parent));

  attrs->Clear();
  for (int i = 0; i < in.tags_size(); ++i) {
    if (i == scope.name_tag || i == scope.version_tag) continue;
    attrs->Put(ToJaegerTag(in.tags(i), take, attrs));
  }
  FinishSpanAttributes(/*proto=*/true, attrs, out);

  for (const auto& log : in.logs()) {
    OtlpSpan::Event* event = out->add_events();
    event->set_time_unix_nano(TimestampNanos(log.has_timestamp(), log.timestamp()));
    if (log.fields_size() == 0) continue;
    attrs->Clear();
    for (const KeyValue& field : log.fields()) attrs->Put(ToJaegerTag(field, take, attrs));
    FinishEventAttributes(attrs, event);
  }

  for (const auto& ref : in.references()) {
    const uint64_t span_id = DecodeSpanId(ref.span_id());
    const bool child_of = ref.ref_type() == jaeger::api_v2::CHILD_OF;
    if (child_of && span_id == parent) continue;
    const TraceIdValue ref_trace = DecodeTraceId(ref.trace_id());
    AddLink(ref_trace.high, ref_trace.low, span_id, child_of, out);
  }
}

void TranslateProcess(const Process* process, bool take, JaegerAttributes* attrs,
                      ResourceSpans* out) {
  if (process == nullptr || process->service_name() == kNoServiceName) return;
  if (process->service_name().empty() && process->tags_size() == 0) return;
  attrs->Clear();
  if (!process->service_name().empty()) {
    JaegerTag name;
    name.key = "service.name";
    name.str = process->service_name();
    attrs->Put(name);
  }
  for (const KeyValue& kv : process->tags()) attrs->Put(ToJaegerTag(kv, take, attrs));
  FinishResource(attrs, out->mutable_resource());
}

// With `take`, strings may be swapped out of `batch`, which the caller
// passed as mutable.
absl::Status Translate(const Batch& batch, bool take, ExportTraceServiceRequest* out) {
  if (absl::Status s = ValidateBatch(batch); !s.ok()) return s;

  // regroup(): group 0 is the batch's process; spans with their own process
  // join the group of an equal process, in order of first appearance.
  Regrouper regrouper;
  regrouper.For(batch.has_process() ? &batch.process() : nullptr);
  for (const JaegerSpan& span : batch.spans()) {
    ProcessGroup* group =
        span.has_process() ? regrouper.For(&span.process()) : &regrouper.groups()[0];
    group->spans.push_back(&span);
  }

  JaegerAttributes attrs;
  std::vector<std::pair<Scope, ScopeSpans*>> scopes;
  for (size_t g = 0; g < regrouper.groups().size(); ++g) {
    const ProcessGroup& group = regrouper.groups()[g];
    // ProtoToTraces skips a batch with neither a process nor spans. Group 0
    // stands for the request's batch, which may lack a process; the others
    // were created from a span's process.
    const bool has_process = g != 0 || batch.has_process();
    if (!has_process && group.spans.empty()) continue;
    ResourceSpans* rs = out->add_resource_spans();
    TranslateProcess(group.process, take, &attrs, rs);
    scopes.clear();
    for (const JaegerSpan* span : group.spans) {
      if (IsBlank(*span)) continue;
      const Scope scope = GetScope(*span);
      ScopeSpans* ss = nullptr;
      for (auto& [known, spans] : scopes) {
        if (known.name == scope.name && known.version == scope.version) {
          ss = spans;
          break;
        }
      }
      if (ss == nullptr) {
        ss = rs->add_scope_spans();
        ss->mutable_scope()->set_name(scope.name.data(), scope.name.size());
        ss->mutable_scope()->set_version(scope.version.data(), scope.version.size());
        scopes.emplace_back(scope, ss);
      }
      TranslateSpan(*span, scope, take, &attrs, ss->add_spans());
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TranslateJaegerProtoBatch(const Batch& batch, ExportTraceServiceRequest* out) {
  return Translate(batch, /*take=*/false, out);
}

absl::Status TranslateJaegerProtoBatch(Batch* batch, ExportTraceServiceRequest* out) {
  return Translate(*batch, /*take=*/true, out);
}

}  // namespace andante::internal
