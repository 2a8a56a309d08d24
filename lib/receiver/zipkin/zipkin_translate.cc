#include "receiver/zipkin/zipkin_translate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/ip_address.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::Status;
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

// What a tag means to the translator.
enum class Role : uint8_t {
  kPlain,
  // Keys of kNonSpanKeys. The three after kNonSpan are such keys that the
  // translator also reads; they never reach the resource's attributes.
  kNonSpan, kServiceNameSource, kLibraryName, kLibraryVersion,
  kTraceState, kSpanKind, kStatusCode, kStatusDescription, kError, kLink,
  // Keys the translator writes itself (Put overwrites a tag of that name).
  kNetHostIp, kNetHostPort, kPeerService, kNetPeerIp, kNetPeerPort, kStartTimeAbsent,
};
constexpr int kRoleCount = static_cast<int>(Role::kStartTimeAbsent) + 1;

bool IsNonSpan(Role role) { return role >= Role::kNonSpan && role <= Role::kLibraryVersion; }

// A cheap hash of a tag key from its length and its first and last eight
// bytes (fewer for short keys): a few loads and multiplies instead of a
// pass over the key. Keys that agree on all of those collide, which only
// costs a full comparison. Forced inline into the per-tag loop, where the
// call alone was a visible share of the time.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint32_t KeyHash(std::string_view key) {
  const char* p = key.data();
  const size_t n = key.size();
  uint64_t head = 0;
  uint64_t tail = 0;
  if (n >= 8) {
    std::memcpy(&head, p, 8);
    std::memcpy(&tail, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t h, t;
    std::memcpy(&h, p, 4);
    std::memcpy(&t, p + n - 4, 4);
    head = h;
    tail = t;
  } else if (n > 0) {
    head = static_cast<uint8_t>(p[0]) | uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
           uint64_t{static_cast<uint8_t>(p[n - 1])} << 16;
  }
  uint64_t h = head * 0x9E3779B97F4A7C15ull ^ tail * 0xC2B2AE3D27D4EB4Full ^ n;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h);
}

// a == b for the short strings compared per tag and per span (keys whose
// hashes matched, neighbouring service names), which are nearly always
// equal: compared a word at a time inline rather than through a call to
// memcmp, which showed up in the profile.
bool SameKey(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) return a == b;
  uint64_t x, y;
  for (size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  std::memcpy(&x, a.data() + n - 8, 8);  // the last word, overlapping
  std::memcpy(&y, b.data() + n - 8, 8);
  return x == y;
}

// Every key with a role other than kPlain and kLink, in an open-addressing
// table: classifying a tag costs one hash and, for most keys, no string
// comparison at all (the empty slot or the stored hash rejects them).
class KeyRoleTable {
 public:
  KeyRoleTable() {
    constexpr std::pair<std::string_view, Role> kSpecial[] = {
        {"error", Role::kError},
        {"span.kind", Role::kSpanKind},
        {"net.host.ip", Role::kNetHostIp},
        {"net.peer.ip", Role::kNetPeerIp},
        {"peer.service", Role::kPeerService},
        {"net.host.port", Role::kNetHostPort},
        {"net.peer.port", Role::kNetPeerPort},
        {"w3c.tracestate", Role::kTraceState},
        {"otel.status_code", Role::kStatusCode},
        {"otel.status_description", Role::kStatusDescription},
        {kStartTimeAbsent, Role::kStartTimeAbsent},
        {kServiceNameSource, Role::kServiceNameSource},
        {kLibraryName, Role::kLibraryName},
        {kLibraryVersion, Role::kLibraryVersion},
    };
    for (const auto& [key, role] : kSpecial) Insert(key, role);
    for (std::string_view key : kNonSpanKeys) {
      if (Find(key, KeyHash(key)) == nullptr) Insert(key, Role::kNonSpan);
    }
    static_assert(std::size(kSpecial) + std::size(kNonSpanKeys) <= kMaxEntries);
  }

  // The role of `key` (whose KeyHash is `hash`), or null for other keys.
  const Role* Find(std::string_view key, uint32_t hash) const {
    for (size_t i = hash & kMask;; i = (i + 1) & kMask) {
      const uint8_t entry = slots_[i];
      if (entry == kEmpty) return nullptr;
      if (hashes_[entry] == hash && SameKey(keys_[entry], key)) return &roles_[entry];
    }
  }

 private:
  // A power of two, at least four times the number of keys, so that probe
  // sequences stay short and an empty slot always ends them.
  static constexpr size_t kSlots = 512;
  static constexpr size_t kMask = kSlots - 1;
  static constexpr size_t kMaxEntries = 255;
  static constexpr uint8_t kEmpty = 255;

  void Insert(std::string_view key, Role role) {
    const uint32_t hash = KeyHash(key);
    size_t i = hash & kMask;
    while (slots_[i] != kEmpty) i = (i + 1) & kMask;
    slots_[i] = static_cast<uint8_t>(entries_);
    keys_[entries_] = key;
    hashes_[entries_] = hash;
    roles_[entries_] = role;
    ++entries_;
  }

  // Slots hold one-byte entry numbers, so the probed array (512 bytes) stays
  // in cache next to the batch being translated.
  std::array<uint8_t, kSlots> slots_ = [] {
    std::array<uint8_t, kSlots> slots;
    slots.fill(kEmpty);
    return slots;
  }();
  std::array<uint32_t, kMaxEntries> hashes_{};
  std::array<std::string_view, kMaxEntries> keys_{};
  std::array<Role, kMaxEntries> roles_{};
  size_t entries_ = 0;
};

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

// A tag key's hash and role, computed once per tag.
struct TagClass {
  uint32_t hash;
  Role role;
  int8_t link;  // kLink: the link's number
};

TagClass Classify(std::string_view key) {
  static const KeyRoleTable* const kTable = new KeyRoleTable();
  const uint32_t hash = KeyHash(key);
  if (const Role* role = kTable->Find(key, hash)) return {hash, *role, -1};
  if (int n = LinkNumber(key); n >= 0) return {hash, Role::kLink, static_cast<int8_t>(n)};
  return {hash, Role::kPlain, -1};
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

// Reads the JSON string at text[*pos] if it is plain: printable ASCII
// without quotes or backslashes, which every JSON parser reads as itself.
bool PlainJsonString(std::string_view text, size_t* pos, std::string_view* out) {
  if (*pos >= text.size() || text[*pos] != '"') return false;
  const size_t begin = *pos + 1;
  for (size_t i = begin; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      *out = text.substr(begin, i - begin);
      *pos = i + 1;
      return true;
    }
    if (c < 0x20 || c >= 0x7F || c == '\\') return false;
  }
  return false;
}

// Calls fn(key, value) for each member of `text` if it is a flat object of
// plain strings with no whitespace, the shape the collector's exporter
// writes; returns false at the first sign of anything else.
template <typename Fn>
bool ForEachPlainJsonMember(std::string_view text, Fn fn) {
  if (text.size() < 2 || text[0] != '{') return false;
  if (text == "{}") return true;
  size_t pos = 1;
  while (true) {
    std::string_view key, value;
    if (!PlainJsonString(text, &pos, &key) || pos >= text.size() || text[pos] != ':') return false;
    ++pos;
    if (!PlainJsonString(text, &pos, &value) || pos >= text.size()) return false;
    fn(key, value);
    if (text[pos] == '}') return pos + 1 == text.size();
    if (text[pos] != ',') return false;
    ++pos;
  }
}

absl::Status JsonAttributes(std::string_view text, KeyValues* out) {
  // The exporter's flat string objects skip the SAX parser and its string
  // copies. Putting each member with search gives what the handler gives:
  // a repeated key at its first position with its last value. Checked in
  // full first, so that a fallback starts from an untouched `out`.
  if (ForEachPlainJsonMember(text, [](std::string_view, std::string_view) {})) {
    ForEachPlainJsonMember(text, [out](std::string_view key, std::string_view value) {
      PutString(out, key, value, true);
    });
    return absl::OkStatus();
  }
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
  uint32_t hash;  // KeyHash(key)
  Role role;
  int8_t link;
  bool deleted;
};

// The rank of key(item) among the distinct keys of `items`, in string order.
// Neighbouring items mostly share their key (senders batch by service), so
// an item with its predecessor's key skips the hash lookups.
template <typename T, typename Key>
std::vector<uint32_t> Ranks(const std::vector<T>& items, Key key) {
  absl::flat_hash_map<absl::string_view, uint32_t> distinct;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && SameKey(key(items[i]), key(items[i - 1]))) continue;
    distinct.try_emplace(ToAbsl(key(items[i])), 0);
  }
  std::vector<absl::string_view> names;
  names.reserve(distinct.size());
  for (const auto& [name, rank] : distinct) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (uint32_t r = 0; r < names.size(); ++r) distinct[names[r]] = r;
  std::vector<uint32_t> ranks;
  ranks.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && SameKey(key(items[i]), key(items[i - 1]))) {
      ranks.push_back(ranks.back());
    } else {
      ranks.push_back(distinct[ToAbsl(key(items[i]))]);
    }
  }
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
        if (SameKey(batch_.tags[t - 1].key, kLibraryName)) {
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
          if (const WorkTag* v = Find(Role::kLibraryVersion)) {
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
    const bool hashed = n > kMaxScannedTags;
    // Bit (hash & 63) of every key so far: a key whose bit is clear is new,
    // which is nearly every key, so duplicates are looked for only on a
    // (rare) bit collision, and then by hash before comparing strings.
    uint64_t seen = 0;
    for (uint32_t t = s.tags_begin; t < s.tags_end; ++t) {
      const ZipkinTag& tag = batch_.tags[t];
      // Classified here, where the key is at hand anyway: each tag once.
      const TagClass c = Classify(tag.key);
      WorkTag* existing = nullptr;
      if (hashed) {
        auto [it, inserted] = index_.try_emplace(ToAbsl(tag.key), tags_.size());
        if (!inserted) existing = &tags_[it->second];
      } else {
        const uint64_t bit = uint64_t{1} << (c.hash & 63);
        if ((seen & bit) != 0) existing = FindDuplicate(tag.key, c.hash);
        seen |= bit;
      }
      if (existing != nullptr) {
        existing->value = tag.value;
        continue;
      }
      has_links_ |= c.role == Role::kLink;
      if (c.role != Role::kPlain && c.role != Role::kNonSpan && c.role != Role::kLink) {
        by_role_[static_cast<int>(c.role)] = static_cast<int>(tags_.size());
      }
      tags_.push_back({tag.key, tag.value, c.hash, c.role, c.link, false});
    }
  }

  WorkTag* FindDuplicate(std::string_view key, uint32_t hash) {
    for (WorkTag& w : tags_) {
      if (w.hash == hash && SameKey(w.key, key)) return &w;
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
    WorkTag* source = Find(Role::kServiceNameSource);
    if (source != nullptr && !source->value.empty()) key = source->value;
    PutString(attrs, key, service, false);
    // kServiceNameSource and the library keys have roles of their own, so
    // this leaves them out.
    for (const WorkTag& w : tags_) {
      if (w.role == Role::kNonSpan) PutString(attrs, w.key, w.value, true);
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
      // An empty message is the default: mutable_message() would only
      // allocate an empty string on the arena.
      if (!message.empty()) SetString(status->mutable_message(), message);
    }

    if (has_links_) {
      if (absl::Status s = Links(span); !s.ok()) return s;
    }

    // Attributes: the remaining tags, then the endpoint attributes, which
    // overwrite a tag of the same name in place.
    KeyValues* attrs = span->mutable_attributes();
    const ZipkinEndpoint& local = z.local_endpoint;
    const ZipkinEndpoint& remote = z.remote_endpoint;
    // Room for every attribute at once: growing the array on the arena one
    // doubling at a time showed up in the profile (and wastes arena memory).
    int count = !local.ipv4.empty() + !local.ipv6.empty() + (local.port > 0) +
                !remote.service_name.empty() + !remote.ipv4.empty() + !remote.ipv6.empty() +
                (remote.port > 0) + z.timestamp_absent;
    for (const WorkTag& w : tags_) count += !w.deleted && !IsNonSpan(w.role);
    if (count > 0) attrs->Reserve(count);
    bool collide = false;
    for (const WorkTag& w : tags_) {
      if (w.deleted || IsNonSpan(w.role)) continue;
      collide |= w.role >= Role::kNetHostIp;
      PutString(attrs, w.key, w.value, false);
    }
    if (!local.ipv4.empty()) PutString(attrs, "net.host.ip", FormatGoIp(local.ipv4), collide);
    if (!local.ipv6.empty()) PutString(attrs, "net.host.ip", FormatGoIp(local.ipv6), collide || !local.ipv4.empty());
    if (local.port > 0) Put(attrs, "net.host.port", collide)->mutable_value()->set_int_value(local.port);
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

  // Spans with more tags than this find duplicate keys with index_.
  static constexpr uint32_t kMaxScannedTags = 64;

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
