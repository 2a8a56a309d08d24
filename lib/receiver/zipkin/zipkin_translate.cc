#include "receiver/zipkin/zipkin_translate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/ip_address.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::opentelemetry::proto::common::v1::KeyValue;
using ::opentelemetry::proto::trace::v1::ResourceSpans;
using ::opentelemetry::proto::trace::v1::ScopeSpans;
using ::opentelemetry::proto::trace::v1::Span;
using ::opentelemetry::proto::trace::v1::Status;
using KeyValues = google::protobuf::RepeatedPtrField<KeyValue>;

// tracetranslator.ResourceNoServiceName: the sort key of spans without a
// local service name, and the marker for "no service.name on the resource".
constexpr std::string_view kNoServiceName = "OTLPResourceNoServiceName";
constexpr std::string_view kServiceName = "service.name";
constexpr std::string_view kServiceNameSource = "otlp.service.name.source";
constexpr std::string_view kLibraryName = "otel.library.name";
constexpr std::string_view kLibraryVersion = "otel.library.version";
constexpr std::string_view kStartTimeAbsent = "otel.zipkin.absentField.startTime";

// The collector's nonSpanAttributes: semantic-convention v1.6.1 resource
// keys plus a few OpenCensus and scope keys. Such tags never become span
// attributes; on the first span of a service they move to the resource.
constexpr std::string_view kNonSpanKeys[] = {
    "cloud.provider", "cloud.account.id", "cloud.region", "cloud.availability_zone",
    "cloud.platform", "aws.ecs.container.arn", "aws.ecs.cluster.arn", "aws.ecs.launchtype",
    "aws.ecs.task.arn", "aws.ecs.task.family", "aws.ecs.task.revision", "aws.eks.cluster.arn",
    "aws.log.group.names", "aws.log.group.arns", "aws.log.stream.names",
    "aws.log.stream.arns", "container.name", "container.id", "container.runtime",
    "container.image.name", "container.image.tag", "deployment.environment", "device.id",
    "device.model.identifier", "device.model.name", "device.manufacturer", "faas.name",
    "faas.id", "faas.version", "faas.instance", "faas.max_memory", "host.id", "host.name",
    "host.type", "host.arch", "host.image.name", "host.image.id", "host.image.version",
    "k8s.cluster.name", "k8s.node.name", "k8s.node.uid", "k8s.namespace.name", "k8s.pod.uid",
    "k8s.pod.name", "k8s.container.name", "k8s.container.restart_count",
    "k8s.replicaset.uid", "k8s.replicaset.name", "k8s.deployment.uid", "k8s.deployment.name",
    "k8s.statefulset.uid", "k8s.statefulset.name", "k8s.daemonset.uid",
    "k8s.daemonset.name", "k8s.job.uid", "k8s.job.name", "k8s.cronjob.uid",
    "k8s.cronjob.name", "os.type", "os.description", "os.name", "os.version", "process.pid",
    "process.executable.name", "process.executable.path", "process.command",
    "process.command_line", "process.command_args", "process.owner",
    "process.runtime.name", "process.runtime.version", "process.runtime.description",
    "service.name", "service.namespace", "service.instance.id", "service.version",
    "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version",
    "telemetry.auto.version", "webengine.name", "webengine.version",
    "webengine.description",
    // Added by the translator itself.
    "otlp.service.name.source", "otel.library.name", "otel.library.version",
    "opencensus.starttime", "opencensus.exporterversion", "opencensus.resourcetype",
};

bool IsNonSpanKey(std::string_view key) {
  // Every key above starts with one of these namespaces; most span tags
  // (http.*, db.*, net.*, error, ...) are rejected without hashing.
  std::string_view ns = key.substr(0, key.find('.'));
  switch (ns.size()) {
    case 2: if (ns != "os") return false; break;
    case 3: if (ns != "aws" && ns != "k8s") return false; break;
    case 4:
      if (ns != "faas" && ns != "host" && ns != "otlp" && ns != "otel") return false;
      break;
    case 5: if (ns != "cloud") return false; break;
    case 6: if (ns != "device") return false; break;
    case 7: if (ns != "process" && ns != "service") return false; break;
    case 9:
      if (ns != "container" && ns != "telemetry" && ns != "webengine") return false;
      break;
    case 10: if (ns != "deployment" && ns != "opencensus") return false; break;
    default: return false;
  }
  // Candidates by length: a handful each, cheaper than hashing.
  constexpr size_t kMaxLength = 32;
  static const auto* const kByLength = [] {
    auto* table = new std::array<std::vector<std::string_view>, kMaxLength + 1>();
    for (std::string_view k : kNonSpanKeys) (*table)[k.size()].push_back(k);
    return table;
  }();
  if (key.size() > kMaxLength) return false;
  for (std::string_view candidate : (*kByLength)[key.size()]) {
    if (candidate.back() == key.back() && candidate == key) return true;
  }
  return false;
}

// What a tag means to the translator.
enum class Role : uint8_t {
  kPlain, kNonSpan, kTraceState, kSpanKind, kStatusCode, kStatusDescription, kError, kLink,
  // Keys the translator writes itself (Put overwrites a tag of that name).
  kNetHostIp, kNetHostPort, kPeerService, kNetPeerIp, kNetPeerPort, kStartTimeAbsent,
};
constexpr int kRoleCount = static_cast<int>(Role::kStartTimeAbsent) + 1;

// "otlp.link.<n>" with n written as Go's %d writes 0..127, or -1.
int LinkNumber(std::string_view key) {
  constexpr std::string_view kPrefix = "otlp.link.";
  if (key.size() <= kPrefix.size() || key.size() > kPrefix.size() + 3 ||
      key.substr(0, kPrefix.size()) != kPrefix) {
    return -1;
  }
  std::string_view digits = key.substr(kPrefix.size());
  if (digits.size() > 1 && digits[0] == '0') return -1;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n < 128 ? n : -1;
}

Role Classify(std::string_view key, int8_t* link) {
  switch (key.size()) {
    case 5: if (key == "error") return Role::kError; break;
    case 9: if (key == "span.kind") return Role::kSpanKind; break;
    case 11:
      if (key == "net.host.ip") return Role::kNetHostIp;
      if (key == "net.peer.ip") return Role::kNetPeerIp;
      break;
    case 12:
      if (key == "peer.service") return Role::kPeerService;
      break;
    case 13:
      if (key == "net.host.port") return Role::kNetHostPort;
      if (key == "net.peer.port") return Role::kNetPeerPort;
      break;
    case 14: if (key == "w3c.tracestate") return Role::kTraceState; break;
    case 16: if (key == "otel.status_code") return Role::kStatusCode; break;
    case 23: if (key == "otel.status_description") return Role::kStatusDescription; break;
    case 33: if (key == kStartTimeAbsent) return Role::kStartTimeAbsent; break;
  }
  if (int n = LinkNumber(key); n >= 0) {
    *link = static_cast<int8_t>(n);
    return Role::kLink;
  }
  return IsNonSpanKey(key) ? Role::kNonSpan : Role::kPlain;
}

void SetString(std::string* dst, std::string_view v) { dst->assign(v.data(), v.size()); }

void AppendBigEndian(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// KeyValue with `key` in `attrs`, added at the end if missing (pdata's Put).
KeyValue* Put(KeyValues* attrs, std::string_view key, bool search) {
  if (search) {
    for (KeyValue& kv : *attrs) {
      if (kv.key() == key) return &kv;
    }
  }
  KeyValue* kv = attrs->Add();
  kv->set_key(key.data(), key.size());
  return kv;
}

void PutString(KeyValues* attrs, std::string_view key, std::string_view value, bool search) {
  Put(attrs, key, search)->mutable_value()->set_string_value(value.data(), value.size());
}

// --- "{json}" attributes of links and annotations --------------------------

// Go's json.Unmarshal into map[string]interface{}, then
// jsonMapToAttributeMap: strings, bools and numbers (whole numbers as int64,
// others as double) become attributes; null, arrays and objects are dropped;
// a repeated key keeps its last value.
class FlatObjectHandler {
 public:
  using json = nlohmann::json;
  struct Member {
    std::string key;
    enum { kDropped, kString, kBool, kNumber } type = kDropped;
    std::string text;
    bool b = false;
    double d = 0;
  };

  bool null() { return Scalar(Member::kDropped); }
  bool boolean(bool v) {
    value_.b = v;
    return Scalar(Member::kBool);
  }
  bool number_integer(json::number_integer_t v) {
    value_.d = static_cast<double>(v);
    return Scalar(Member::kNumber);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    value_.d = static_cast<double>(v);
    return Scalar(Member::kNumber);
  }
  bool number_float(json::number_float_t v, const json::string_t&) {
    value_.d = v;
    return Scalar(Member::kNumber);
  }
  bool string(json::string_t& v) {
    value_.text = std::move(v);
    return Scalar(Member::kString);
  }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) { return Open("object"); }
  bool start_array(std::size_t) { return Open("array"); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& k) {
    if (depth_ == 1) key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    if (error_.empty()) error_ = CleanJsonError(e.what());
    return false;
  }

  std::vector<Member> members;
  std::string error_;

 private:
  bool Open(std::string_view what) {
    if (depth_ == 0 && what != "object") return TopLevel(what);
    if (++depth_ > kMaxZipkinJsonDepth) {
      error_ = absl::StrCat("JSON nesting deeper than ", kMaxZipkinJsonDepth, " levels");
      return false;
    }
    if (depth_ == 2) Record(Member::kDropped);  // nested values are dropped
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  bool Scalar(decltype(Member::type) type) {
    if (depth_ == 0) {
      if (type == Member::kDropped) return true;  // `null`: no attributes
      return TopLevel(type == Member::kString ? "string" : type == Member::kBool ? "bool" : "number");
    }
    if (depth_ == 1) Record(type);
    return true;
  }
  void Record(decltype(Member::type) type) {
    for (Member& m : members) {
      if (m.key == key_) {
        m.type = type;
        m.text = value_.text;
        m.b = value_.b;
        m.d = value_.d;
        return;
      }
    }
    Member m = value_;
    m.key = key_;
    m.type = type;
    members.push_back(std::move(m));
  }
  bool TopLevel(std::string_view what) {
    error_ = absl::StrCat("json: cannot unmarshal ", ToAbsl(what),
                          " into Go value of type map[string]interface {}");
    return false;
  }

  int depth_ = 0;
  std::string key_;
  Member value_;
};

// Go's int64(float64) on amd64: out-of-range values become INT64_MIN.
int64_t GoFloatToInt64(double d) {
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) return static_cast<int64_t>(d);
  return INT64_MIN;
}

absl::Status JsonAttributes(std::string_view text, KeyValues* out) {
  FlatObjectHandler handler;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &handler);
  } catch (const std::exception& e) {
    handler.error_ = e.what();
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attributes ", ToAbsl(text), ": ", handler.error_.empty() ? "invalid JSON" : handler.error_));
  }
  for (const auto& m : handler.members) {
    switch (m.type) {
      case FlatObjectHandler::Member::kDropped: break;
      case FlatObjectHandler::Member::kString:
        PutString(out, m.key, m.text, true);
        break;
      case FlatObjectHandler::Member::kBool:
        Put(out, m.key, true)->mutable_value()->set_bool_value(m.b);
        break;
      case FlatObjectHandler::Member::kNumber:
        if (std::fmod(m.d, 1.0) == 0.0) {
          Put(out, m.key, true)->mutable_value()->set_int_value(GoFloatToInt64(m.d));
        } else {
          Put(out, m.key, true)->mutable_value()->set_double_value(m.d);
        }
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status DroppedCount(std::string_view text, uint32_t* out) {
  uint64_t v;
  std::string error;
  if (!ParseGoDecimalUint(text, 32, &v, &error)) return absl::InvalidArgumentError(error);
  *out = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

// The collector's unmarshalJSON for link IDs: optional quotes, "" = no ID,
// otherwise exactly 2 * size hex digits.
absl::Status LinkId(std::string_view text, size_t size, std::string* out) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty()) return absl::OkStatus();
  if (text.size() / 2 != size) return absl::InvalidArgumentError("invalid length for ID");
  std::string bytes(size, '\0');
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) {
      return absl::InvalidArgumentError(absl::StrCat("cannot unmarshal ID from string '",
                                                     ToAbsl(text), "': encoding/hex: invalid byte"));
    }
    if (i / 2 < size) bytes[i / 2] = static_cast<char>(bytes[i / 2] << 4 | d);
  }
  if (text.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot unmarshal ID from string '", ToAbsl(text), "': encoding/hex: odd length hex string"));
  }
  // pdata stores an all-zero ID as "no ID".
  if (bytes.find_first_not_of('\0') != std::string::npos) *out = std::move(bytes);
  return absl::OkStatus();
}

// --- the translator ---------------------------------------------------------

struct WorkTag {
  std::string_view key;
  std::string_view value;
  Role role;
  int8_t link;
  bool deleted;
};

// The rank of key(item) among the distinct keys of `items`, in string order.
template <typename T, typename Key>
std::vector<uint32_t> Ranks(const std::vector<T>& items, Key key) {
  absl::flat_hash_map<absl::string_view, uint32_t> distinct;
  for (const T& item : items) distinct.try_emplace(ToAbsl(key(item)), 0);
  std::vector<absl::string_view> names;
  names.reserve(distinct.size());
  for (const auto& [name, rank] : distinct) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (uint32_t r = 0; r < names.size(); ++r) distinct[names[r]] = r;
  std::vector<uint32_t> ranks;
  ranks.reserve(items.size());
  for (const T& item : items) ranks.push_back(distinct[ToAbsl(key(item))]);
  return ranks;
}

class Translator {
 public:
  Translator(const ZipkinSpanBatch& batch, ExportTraceServiceRequest* out)
      : batch_(batch), out_(out) {}

  absl::Status Run() {
    const auto& spans = batch_.spans;
    struct Order {
      uint32_t span;
      std::string_view service;
      std::string_view library;
      uint64_t key = 0;  // service rank << 32 | library rank
    };
    std::vector<Order> order;
    order.reserve(spans.size());
    for (uint32_t i = 0; i < spans.size(); ++i) {
      const ZipkinSpan& s = spans[i];
      std::string_view service = s.local_endpoint.service_name;
      if (service.empty()) service = kNoServiceName;
      std::string_view library;
      for (uint32_t t = s.tags_end; t > s.tags_begin; --t) {
        if (batch_.tags[t - 1].key == kLibraryName) {
          library = batch_.tags[t - 1].value;
          break;
        }
      }
      order.push_back({i, service, library});
    }
    // Sort by (service, library). A batch holds few distinct names, so rank
    // them once and sort integers rather than compare long strings n log n
    // times.
    const std::vector<uint32_t> service_rank =
        Ranks(order, [](const Order& o) { return o.service; });
    const std::vector<uint32_t> library_rank =
        Ranks(order, [](const Order& o) { return o.library; });
    for (uint32_t i = 0; i < order.size(); ++i) {
      order[i].key = uint64_t{service_rank[i]} << 32 | library_rank[i];
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const Order& a, const Order& b) { return a.key < b.key; });

    ResourceSpans* rs = nullptr;
    ScopeSpans* ss = nullptr;
    for (size_t i = 0; i < order.size(); ++i) {
      const ZipkinSpan& s = spans[order[i].span];
      LoadTags(s);
      const bool new_service = i == 0 || (order[i].key >> 32) != (order[i - 1].key >> 32);
      if (new_service) {
        rs = out_->add_resource_spans();
        Resource(order[i].service, rs);
      }
      if (new_service || order[i].key != order[i - 1].key) {
        ss = rs->add_scope_spans();
        if (!order[i].library.empty()) {
          SetString(ss->mutable_scope()->mutable_name(), order[i].library);
          if (const WorkTag* v = Find(kLibraryVersion)) {
            SetString(ss->mutable_scope()->mutable_version(), v->value);
          }
        }
      }
      if (absl::Status st = SpanToOtlp(s, ss->add_spans()); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

 private:
  // The span's tags as the Go map holds them: one entry per key, the last
  // value wins, at the position of the key's first occurrence.
  void LoadTags(const ZipkinSpan& s) {
    tags_.clear();
    index_.clear();
    by_role_.fill(-1);
    has_links_ = false;
    const uint32_t n = s.tags_end - s.tags_begin;
    const bool hashed = n > 16;
    for (uint32_t t = s.tags_begin; t < s.tags_end; ++t) {
      const ZipkinTag& tag = batch_.tags[t];
      WorkTag* existing = nullptr;
      if (hashed) {
        auto [it, inserted] = index_.try_emplace(ToAbsl(tag.key), tags_.size());
        if (!inserted) existing = &tags_[it->second];
      } else {
        for (WorkTag& w : tags_) {
          if (w.key == tag.key) {
            existing = &w;
            break;
          }
        }
      }
      if (existing != nullptr) {
        existing->value = tag.value;
        continue;
      }
      int8_t link = -1;
      Role role = Classify(tag.key, &link);
      has_links_ |= role == Role::kLink;
      if (role != Role::kPlain && role != Role::kNonSpan && role != Role::kLink) {
        by_role_[static_cast<int>(role)] = static_cast<int>(tags_.size());
      }
      tags_.push_back({tag.key, tag.value, role, link, false});
    }
  }

  WorkTag* Find(std::string_view key) {
    for (WorkTag& w : tags_) {
      if (!w.deleted && w.key == key) return &w;
    }
    return nullptr;
  }
  // The tag with a special role (each such key occurs at most once).
  WorkTag* Find(Role role) {
    int i = by_role_[static_cast<int>(role)];
    if (i < 0 || tags_[static_cast<size_t>(i)].deleted) return nullptr;
    return &tags_[static_cast<size_t>(i)];
  }

  void Resource(std::string_view service, ResourceSpans* rs) {
    if (service == kNoServiceName) return;
    KeyValues* attrs = rs->mutable_resource()->mutable_attributes();
    std::string_view key = kServiceName;
    WorkTag* source = Find(kServiceNameSource);
    if (source != nullptr && !source->value.empty()) key = source->value;
    PutString(attrs, key, service, false);
    for (const WorkTag& w : tags_) {
      if (w.role != Role::kNonSpan || w.key == kServiceNameSource || w.key == kLibraryName ||
          w.key == kLibraryVersion) {
        continue;
      }
      PutString(attrs, w.key, w.value, true);
    }
  }

  absl::Status SpanToOtlp(const ZipkinSpan& z, Span* span) {
    char id[16];
    AppendBigEndian(id, z.trace_id_high);
    AppendBigEndian(id + 8, z.trace_id_low);
    span->set_trace_id(id, 16);
    AppendBigEndian(id, z.id);
    span->set_span_id(id, 8);
    if (WorkTag* w = Find(Role::kTraceState)) {
      SetString(span->mutable_trace_state(), w->value);
      w->deleted = true;
    }
    if (z.parent_id != 0 && z.parent_id != z.id) {
      AppendBigEndian(id, z.parent_id);
      span->set_parent_span_id(id, 8);
    }
    span->set_name(z.name.data(), z.name.size());
    Span::SpanKind kind = Kind(z.kind);
    if (kind == Span::SPAN_KIND_UNSPECIFIED) {
      // Only then is tag span.kind consumed; "internal" makes it INTERNAL.
      if (WorkTag* w = Find(Role::kSpanKind)) {
        w->deleted = true;
        if (w->value == "internal") kind = Span::SPAN_KIND_INTERNAL;
      }
    }
    span->set_kind(kind);

    // Status: otel.status_code first, then `error` overrides.
    int code = 0;
    std::string_view message;
    if (WorkTag* w = Find(Role::kStatusCode)) {
      const std::string_view v = w->value;
      code = (v == "STATUS_CODE_OK" || v == "Ok")        ? 1
             : (v == "STATUS_CODE_ERROR" || v == "Error") ? 2
                                                          : 0;
      w->deleted = true;
      if (WorkTag* d = Find(Role::kStatusDescription)) {
        message = d->value;
        d->deleted = true;
      }
    }
    if (WorkTag* w = Find(Role::kError)) {
      code = 2;
      if (w->value == "true") w->deleted = true;
    }
    if (code != 0 || !message.empty()) {
      Status* status = span->mutable_status();
      status->set_code(static_cast<Status::StatusCode>(code));
      SetString(status->mutable_message(), message);
    }

    if (has_links_) {
      if (absl::Status s = Links(span); !s.ok()) return s;
    }

    // Attributes: the remaining tags, then the endpoint attributes, which
    // overwrite a tag of the same name in place.
    KeyValues* attrs = span->mutable_attributes();
    bool collide = false;
    for (const WorkTag& w : tags_) {
      if (w.deleted || w.role == Role::kNonSpan) continue;
      collide |= w.role >= Role::kNetHostIp;
      PutString(attrs, w.key, w.value, false);
    }
    const ZipkinEndpoint& local = z.local_endpoint;
    if (!local.ipv4.empty()) PutString(attrs, "net.host.ip", FormatGoIp(local.ipv4), collide);
    if (!local.ipv6.empty()) PutString(attrs, "net.host.ip", FormatGoIp(local.ipv6), collide || !local.ipv4.empty());
    if (local.port > 0) Put(attrs, "net.host.port", collide)->mutable_value()->set_int_value(local.port);
    const ZipkinEndpoint& remote = z.remote_endpoint;
    if (!remote.service_name.empty()) PutString(attrs, "peer.service", remote.service_name, collide);
    if (!remote.ipv4.empty()) PutString(attrs, "net.peer.ip", FormatGoIp(remote.ipv4), collide);
    if (!remote.ipv6.empty()) PutString(attrs, "net.peer.ip", FormatGoIp(remote.ipv6), collide || !remote.ipv4.empty());
    if (remote.port > 0) Put(attrs, "net.peer.port", collide)->mutable_value()->set_int_value(remote.port);

    if (z.timestamp_absent) {
      span->set_start_time_unix_nano(0);
      span->set_end_time_unix_nano(z.duration_nanos);
      Put(attrs, kStartTimeAbsent, collide)->mutable_value()->set_bool_value(true);
    } else {
      span->set_start_time_unix_nano(z.start_unix_nano);
      span->set_end_time_unix_nano(z.start_unix_nano + z.duration_nanos);
    }

    return Events(z, span);
  }

  static Span::SpanKind Kind(ZipkinKind kind) {
    switch (kind) {
      case ZipkinKind::kClient: return Span::SPAN_KIND_CLIENT;
      case ZipkinKind::kServer: return Span::SPAN_KIND_SERVER;
      case ZipkinKind::kProducer: return Span::SPAN_KIND_PRODUCER;
      case ZipkinKind::kConsumer: return Span::SPAN_KIND_CONSUMER;
      case ZipkinKind::kUnspecified: break;
    }
    return Span::SPAN_KIND_UNSPECIFIED;
  }

  absl::Status Links(Span* span) {
    for (int n = 0; n < 128; ++n) {
      WorkTag* tag = nullptr;
      for (WorkTag& w : tags_) {
        if (!w.deleted && w.role == Role::kLink && w.link == n) {
          tag = &w;
          break;
        }
      }
      if (tag == nullptr) return absl::OkStatus();
      tag->deleted = true;
      std::string_view v = tag->value;
      size_t pipes = static_cast<size_t>(std::count(v.begin(), v.end(), '|'));
      if (pipes < 4) continue;
      size_t p1 = v.find('|');
      size_t p2 = v.find('|', p1 + 1);
      size_t p3 = v.find('|', p2 + 1);
      size_t last = v.rfind('|');
      auto* link = span->add_links();
      absl::Status s = LinkId(v.substr(0, p1), 16, link->mutable_trace_id());
      if (s.ok()) s = LinkId(v.substr(p1 + 1, p2 - p1 - 1), 8, link->mutable_span_id());
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("tag ", ToAbsl(tag->key), ": ", s.message()));
      }
      SetString(link->mutable_trace_state(), v.substr(p2 + 1, p3 - p2 - 1));
      s = JsonAttributes(v.substr(p3 + 1, last - p3 - 1), link->mutable_attributes());
      uint32_t dropped = 0;
      if (s.ok()) s = DroppedCount(v.substr(last + 1), &dropped);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("tag ", ToAbsl(tag->key), ": ", s.message()));
      }
      link->set_dropped_attributes_count(dropped);
    }
    return absl::OkStatus();
  }

  absl::Status Events(const ZipkinSpan& z, Span* span) {
    if (z.annotations_end == z.annotations_begin) return absl::OkStatus();
    span->mutable_events()->Reserve(static_cast<int>(z.annotations_end - z.annotations_begin));
    for (uint32_t a = z.annotations_begin; a < z.annotations_end; ++a) {
      const ZipkinAnnotation& annotation = batch_.annotations[a];
      auto* event = span->add_events();
      event->set_time_unix_nano(annotation.time_unix_nano);
      std::string_view v = annotation.value;
      size_t first = v.find('|');
      event->set_name(v.data(), std::min(first, v.size()));
      if (first == std::string_view::npos) continue;
      size_t last = v.rfind('|');
      if (last == first) continue;  // fewer than three parts
      absl::Status s = JsonAttributes(v.substr(first + 1, last - first - 1), event->mutable_attributes());
      uint32_t dropped = 0;
      if (s.ok()) s = DroppedCount(v.substr(last + 1), &dropped);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("annotation \"", ToAbsl(v), "\": ", s.message()));
      }
      event->set_dropped_attributes_count(dropped);
    }
    return absl::OkStatus();
  }

  const ZipkinSpanBatch& batch_;
  ExportTraceServiceRequest* const out_;
  std::vector<WorkTag> tags_;
  absl::flat_hash_map<absl::string_view, size_t> index_;
  std::array<int, kRoleCount> by_role_;
  bool has_links_ = false;
};

}  // namespace

absl::Status TranslateZipkinSpans(const ZipkinSpanBatch& batch, ExportTraceServiceRequest* out) {
  Translator translator(batch, out);
  return translator.Run();
}

}  // namespace andante::internal
