#include "block/tag_summary.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "block/v2_page.h"
#include "block/v2_wire_trace.h"
#include "model/otlp_nesting.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/strings.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

namespace {

using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;

enum IntrinsicEntry : uint8_t {
  kIntrinsicName = 0,
  kIntrinsicStatusMessage,
  kIntrinsicStatus,
  kIntrinsicKind,
  kIntrinsicRootName,
  kIntrinsicRootServiceName,
  kIntrinsicEventName,
  kIntrinsicScopeName,
  kIntrinsicScopeVersion,
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("tag summary is corrupt: ", ToAbsl(what)));
}

bool GetString(std::string_view* in, std::string_view* out) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// An encoded value (type byte + payload, as stored) into *out.
bool DecodeValue(std::string_view* in, TagSummaryValue* out) {
  if (in->empty()) return false;
  const uint8_t type = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  uint64_t u = 0;
  switch (type) {
    case kTagValueString: {
      std::string_view s;
      if (!GetString(in, &s)) return false;
      out->s.assign(s.data(), s.size());
      break;
    }
    case kTagValueInt:
      if (!GetVarint64(in, &u)) return false;
      out->i = UnZigZag64(u);
      break;
    case kTagValueFloat:
      if (!GetFixed64(in, &u)) return false;
      std::memcpy(&out->f, &u, 8);
      break;
    case kTagValueBool:
      if (in->empty() || static_cast<uint8_t>((*in)[0]) > 1) return false;
      out->i = static_cast<uint8_t>((*in)[0]);
      in->remove_prefix(1);
      break;
    case kTagValueStatus:
    case kTagValueKind:
      if (!GetVarint64(in, &u) || u > 5) return false;
      out->i = static_cast<int64_t>(u);
      break;
    default:
      return false;
  }
  out->type = static_cast<TagSummaryValueType>(type);
  return true;
}

void EncodeString(std::string_view s, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kTagValueString));
  PutVarint64(out, s.size());
  out->append(s.data(), s.size());
}

// A column's cursor: per-span values read in order.
struct Cursor {
  std::string_view in;
  bool ok = true;
  uint64_t Var() {
    uint64_t v = 0;
    if (ok && !GetVarint64(&in, &v)) ok = false;
    return v;
  }
  std::string_view Bytes() {
    std::string_view b;
    if (ok && !GetString(&in, &b)) ok = false;
    return b;
  }
};

}  // namespace

// ---------------------------------------------------------------------------
// TagSummary

absl::StatusOr<TagSummary> TagSummary::Decode(std::string_view object) {
  if (object.size() < 8) return Corrupt("truncated");
  const uint32_t stored_crc =
      UnmaskCrc(DecodeFixed32(object.data() + object.size() - 4));
  std::string_view covered = object.substr(0, object.size() - 4);
  if (Crc32c(covered) != stored_crc) return Corrupt("CRC mismatch");
  if (DecodeFixed32(covered.data()) != kTagSummaryMagic) {
    return Corrupt("bad magic");
  }
  std::string_view in = covered.substr(4);
  uint64_t raw_size;
  if (!GetVarint64(&in, &raw_size) || raw_size > kTagSummaryMaxRawBytes) {
    return Corrupt("bad size");
  }
  std::string body(raw_size, '\0');
  const size_t n = ZSTD_decompress(body.data(), body.size(), in.data(),
                                   in.size());
  if (ZSTD_isError(n) || n != raw_size) return Corrupt("zstd frame");
  TagSummary summary;
  std::string_view b = body;
  uint64_t count;
  if (!GetVarint64(&b, &count) || count > b.size() / 4) {
    return Corrupt("entry count");
  }
  int prev_scope = -1;
  std::string_view prev_name;
  for (uint64_t k = 0; k < count; ++k) {
    if (b.empty()) return Corrupt("truncated entry");
    const uint8_t scope = static_cast<uint8_t>(b[0]);
    b.remove_prefix(1);
    std::string_view name;
    if (scope >= kTagScopeCount || !GetString(&b, &name) || b.empty()) {
      return Corrupt("entry");
    }
    if (scope < prev_scope || (scope == prev_scope && name <= prev_name)) {
      return Corrupt("entries out of order");
    }
    prev_scope = scope;
    prev_name = name;
    const uint8_t flags = static_cast<uint8_t>(b[0]);
    b.remove_prefix(1);
    uint64_t values;
    if (!GetVarint64(&b, &values) || values > b.size() / 2) {
      return Corrupt("value count");
    }
    Entry e;
    e.name.assign(name.data(), name.size());
    e.overflowed = (flags & kTagSummaryOverflowed) != 0;
    e.values.resize(values);
    for (TagSummaryValue& v : e.values) {
      if (!DecodeValue(&b, &v)) return Corrupt("value");
      summary.memory_bytes_ += sizeof(v) + v.s.size();
    }
    summary.memory_bytes_ += sizeof(e) + e.name.size();
    summary.scopes_[scope].push_back(std::move(e));
  }
  if (!b.empty()) return Corrupt("trailing bytes");
  return summary;
}

const TagSummary::Entry* TagSummary::Find(TagSummaryScope scope,
                                          std::string_view name) const {
  const std::vector<Entry>& v = scopes_[scope];
  auto it = std::lower_bound(
      v.begin(), v.end(), name,
      [](const Entry& e, std::string_view n) { return e.name < n; });
  if (it == v.end() || it->name != name) return nullptr;
  return &*it;
}

// ---------------------------------------------------------------------------
// TagSummaryBuilder

struct TagSummaryBuilder::Rep {
  struct Name {
    absl::flat_hash_set<std::string> values;  // encoded
    uint64_t bytes = 0;
    bool overflowed = false;
  };
  std::array<absl::flat_hash_map<std::string, Name>, kTagScopeCount> names;
  bool broken = false;

  // The page being cut.
  V2Page page;
  std::vector<std::string> key_chunks;
  size_t key_count = 0;
  std::string scratch;  // an encoded value
  andante::otlp::trace::v1::Span side;  // events or links of a span

  Name& At(TagSummaryScope scope, std::string_view name) {
    auto& m = names[scope];
    auto it = m.find(ToAbsl(name));
    if (it == m.end()) it = m.try_emplace(std::string(name)).first;
    return it->second;
  }
  // Adds the encoded value in `scratch` under *n.
  void Add(Name& n) {
    if (n.overflowed || n.values.contains(scratch)) return;
    n.bytes += scratch.size();
    n.values.insert(scratch);
    if (n.values.size() > kTagSummaryMaxValuesPerName ||
        n.bytes > kTagSummaryMaxBytesPerName) {
      n.overflowed = true;
      absl::flat_hash_set<std::string>().swap(n.values);
    }
  }
  void AddString(TagSummaryScope scope, std::string_view name,
                 std::string_view value) {
    EncodeString(value, &scratch);
    Add(At(scope, name));
  }
  void AddKeyword(IntrinsicEntry e, TagSummaryValueType type, uint64_t v) {
    scratch.clear();
    scratch.push_back(static_cast<char>(type));
    PutVarint64(&scratch, v);
    Add(At(kTagScopeIntrinsic, kTagSummaryIntrinsicNames[e]));
  }
  // A scalar v2 attribute value (tag, u) into scratch; false for kV2Any
  // and kV2NoValue.
  bool EncodeV2(uint8_t tag, uint64_t u) {
    scratch.clear();
    switch (tag) {
      case kV2String: {
        std::string_view s = page.strings[u];
        EncodeString(s, &scratch);
        return true;
      }
      case kV2Bool:
        scratch.push_back(static_cast<char>(kTagValueBool));
        scratch.push_back(static_cast<char>(u != 0));
        return true;
      case kV2Int:  // u is zigzagged already
        scratch.push_back(static_cast<char>(kTagValueInt));
        PutVarint64(&scratch, u);
        return true;
      case kV2Double:
        scratch.push_back(static_cast<char>(kTagValueFloat));
        PutFixed64(&scratch, u);
        return true;
      default:
        return false;
    }
  }
  // A scalar AnyValue into scratch; false for anything else.
  bool EncodeAny(const AnyValue& v) {
    switch (v.value_case()) {
      case AnyValue::kStringValue:
        EncodeString(v.string_value(), &scratch);
        return true;
      case AnyValue::kBoolValue:
        return EncodeV2(kV2Bool, v.bool_value() ? 1 : 0);
      case AnyValue::kIntValue:
        return EncodeV2(kV2Int, ZigZag64(v.int_value()));
      case AnyValue::kDoubleValue: {
        uint64_t bits;
        const double d = v.double_value();
        std::memcpy(&bits, &d, 8);
        return EncodeV2(kV2Double, bits);
      }
      default:
        return false;
    }
  }
  // An attribute as TraceQL sees it (traceql/otlp_trace.cc): a scalar, or an
  // array whose scalar elements are its values; anything else is no tag.
  void AddAnyAttribute(TagSummaryScope scope, std::string_view key,
                       const AnyValue& v) {
    if (v.value_case() == AnyValue::kArrayValue) {
      Name& n = At(scope, key);
      for (const AnyValue& e : v.array_value().values()) {
        if (EncodeAny(e)) Add(n);
      }
    } else if (EncodeAny(v)) {
      Add(At(scope, key));
    }
  }
  // A stored v2 attribute (kV2Any: its serialized AnyValue parsed).
  bool AddV2Attribute(TagSummaryScope scope, std::string_view key, uint8_t tag,
                      uint64_t u, std::string_view any) {
    if (tag == kV2Any) {
      AnyValue v;
      if (!ParseOtlpMessage(any, &v, kAttributeValueDepth)) return false;
      AddAnyAttribute(scope, key, v);
      return true;
    }
    if (EncodeV2(tag, u)) Add(At(scope, key));
    return true;
  }
  void AddAttributes(TagSummaryScope scope,
                     const std::vector<V2Attribute>& attrs) {
    for (const V2Attribute& a : attrs) {
      if (!AddV2Attribute(scope, page.strings[a.key], a.tag, a.u, a.any)) {
        broken = true;
      }
    }
  }
  bool AddKeyChunk(std::string_view in);
  bool AddPage(bool keyed);
};

// key:str (span_delta:varint tag:byte value)*
bool TagSummaryBuilder::Rep::AddKeyChunk(std::string_view in) {
  uint64_t key;
  if (!GetVarint64(&in, &key) || key >= page.strings.size()) return false;
  const std::string_view name = page.strings[key];
  Name* n = nullptr;
  // Consecutive repeats of a value are common: compared before hashing.
  uint8_t last_tag = 0xff;
  uint64_t last_u = 0;
  while (!in.empty()) {
    uint64_t delta;
    if (!GetVarint64(&in, &delta) || in.empty()) return false;
    const uint8_t tag = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    uint64_t u = 0;
    std::string_view any;
    bool ok = true;
    switch (tag) {
      case kV2String:
        ok = GetVarint64(&in, &u) && u < page.strings.size();
        break;
      case kV2Bool:
        ok = !in.empty();
        if (ok) {
          u = static_cast<uint8_t>(in[0]);
          in.remove_prefix(1);
        }
        break;
      case kV2Int:
        ok = GetVarint64(&in, &u);
        break;
      case kV2Double:
        ok = GetFixed64(&in, &u);
        break;
      case kV2Any:
        ok = GetString(&in, &any);
        break;
      case kV2NoValue:
        break;
      default:
        ok = false;
    }
    if (!ok) return false;
    if (n != nullptr && n->overflowed) return true;  // nothing more to learn
    if (tag == kV2Any) {
      if (!AddV2Attribute(kTagScopeSpan, name, tag, u, any)) return false;
      continue;
    }
    if (tag == kV2NoValue || (tag == last_tag && u == last_u)) continue;
    last_tag = tag;
    last_u = u;
    if (n == nullptr) n = &At(kTagScopeSpan, name);
    if (EncodeV2(tag, u)) Add(*n);
  }
  return true;
}

bool TagSummaryBuilder::Rep::AddPage(bool keyed) {
  if (!page.ParseTables().ok()) return false;
  const size_t strings = page.strings.size();
  // Resources and scopes count only with spans under them.
  std::vector<uint8_t> used_resource(page.resources.size()),
      used_scope(page.scopes.size());
  std::vector<uint32_t> span_resource(page.span_count);
  std::vector<uint32_t> span_scope(page.span_count);
  {
    uint32_t at = 0;
    for (const V2Page::ResourceSpansRef& rs : page.resource_spans) {
      for (uint32_t k = rs.scopes_begin; k < rs.scopes_end; ++k) {
        const V2Page::ScopeSpansRef& ss = page.scope_spans[k];
        if (ss.span_count == 0) continue;
        if (ss.span_count > page.span_count - at) return false;
        used_resource[rs.resource] = used_scope[ss.scope] = 1;
        std::fill_n(span_resource.begin() + at, ss.span_count, rs.resource);
        std::fill_n(span_scope.begin() + at, ss.span_count, ss.scope);
        at += ss.span_count;
      }
    }
    if (at != page.span_count) return false;
  }
  // Per resource: its service.name (the last string one), for root services.
  std::vector<int64_t> service(page.resources.size(), -1);
  for (size_t r = 0; r < page.resources.size(); ++r) {
    if (!used_resource[r]) continue;
    AddAttributes(kTagScopeResource, page.resources[r].attributes);
    for (const V2Attribute& a : page.resources[r].attributes) {
      if (a.tag == kV2String && page.strings[a.key] == "service.name") {
        service[r] = static_cast<int64_t>(a.u);
      }
    }
  }
  for (size_t s = 0; s < page.scopes.size(); ++s) {
    if (!used_scope[s]) continue;
    const V2Page::ScopeEntry& sc = page.scopes[s];
    AddAttributes(kTagScopeInstrumentation, sc.attributes);
    if (!page.strings[sc.name].empty()) {
      AddString(kTagScopeIntrinsic, kTagSummaryIntrinsicNames[kIntrinsicScopeName],
                page.strings[sc.name]);
    }
    if (!page.strings[sc.version].empty()) {
      AddString(kTagScopeIntrinsic,
                kTagSummaryIntrinsicNames[kIntrinsicScopeVersion],
                page.strings[sc.version]);
    }
  }
  if (keyed) {
    for (const std::string& chunk : key_chunks) {
      if (!AddKeyChunk(chunk)) return false;
    }
  }
  // Per-span columns; string intrinsics deduplicated per page by index.
  std::vector<uint8_t> seen(strings);  // bits: name, message, root, root svc
  uint32_t statuses = 0, kinds = 0;
  Cursor names{page.raw[kV2Names]}, kind_col{page.raw[kV2Kinds]},
      status_col{page.raw[kV2StatusCodes]},
      messages{page.raw[kV2StatusMessages]}, parents{page.raw[kV2Parents]},
      events{page.raw[kV2Events]}, links{page.raw[kV2Links]};
  std::string_view attrs = page.raw[kV2SpanAttributes];
  std::vector<V2Attribute> span_attrs;
  auto seen_string = [&](uint64_t idx, uint8_t bit) {
    if (idx >= strings) return true;  // refused below
    const bool was = (seen[idx] & bit) != 0;
    seen[idx] |= bit;
    return was;
  };
  for (const V2Page::TraceRef& t : page.traces) {
    bool have_root = false;
    const uint32_t trace_spans = t.span_end - t.span_begin;
    for (uint32_t p = t.span_begin; p < t.span_end; ++p) {
      const uint64_t name = names.Var();
      const uint64_t kind = kind_col.Var();
      const uint64_t code = status_col.Var();
      const uint64_t message = messages.Var();
      if (!names.ok || !messages.ok || name >= strings || message >= strings) {
        return false;
      }
      if (!seen_string(name, 1)) {
        AddString(kTagScopeIntrinsic, kTagSummaryIntrinsicNames[kIntrinsicName],
                  page.strings[name]);
      }
      if (message != 0 && !page.strings[message].empty() &&
          !seen_string(message, 2)) {
        AddString(kTagScopeIntrinsic,
                  kTagSummaryIntrinsicNames[kIntrinsicStatusMessage],
                  page.strings[message]);
      }
      const uint64_t status = code == 1 ? 1 : code == 2 ? 2 : 0;
      if (!(statuses & (1u << status))) {
        statuses |= 1u << status;
        AddKeyword(kIntrinsicStatus, kTagValueStatus, status);
      }
      const uint64_t k = kind <= 5 ? kind : 0;
      if (!(kinds & (1u << k))) {
        kinds |= 1u << k;
        AddKeyword(kIntrinsicKind, kTagValueKind, k);
      }
      uint64_t parent = 0;
      std::string_view raw;
      if (!GetV2Parent(&parents.in, trace_spans, &parent, &raw)) return false;
      const bool root =
          parent == 0 || (parent == 1 && raw == std::string_view("\0\0\0\0"
                                                                 "\0\0\0\0",
                                                                 8));
      if (root && !have_root) {
        // The trace's root (traceql: the first span without a parent).
        have_root = true;
        if (!seen_string(name, 4)) {
          AddString(kTagScopeIntrinsic,
                    kTagSummaryIntrinsicNames[kIntrinsicRootName],
                    page.strings[name]);
        }
        const int64_t svc = service[span_resource[p]];
        if (svc >= 0 && !seen_string(static_cast<uint64_t>(svc), 8)) {
          AddString(kTagScopeIntrinsic,
                    kTagSummaryIntrinsicNames[kIntrinsicRootServiceName],
                    page.strings[svc]);
        }
      }
      if (!keyed) {
        if (!GetV2Attributes(&attrs, strings, &span_attrs).ok()) return false;
        AddAttributes(kTagScopeSpan, span_attrs);
      }
      const std::string_view ev = events.Bytes();
      const std::string_view ln = links.Bytes();
      if (!events.ok || !links.ok) return false;
      if (!ev.empty()) {
        side.Clear();
        if (!ParseOtlpMessage(ev, &side, kSpanDepth)) return false;
        for (const auto& e : side.events()) {
          AddString(kTagScopeIntrinsic,
                    kTagSummaryIntrinsicNames[kIntrinsicEventName], e.name());
          for (const KeyValue& kv : e.attributes()) {
            AddAnyAttribute(kTagScopeEvent, kv.key(), kv.value());
          }
        }
      }
      if (!ln.empty()) {
        side.Clear();
        if (!ParseOtlpMessage(ln, &side, kSpanDepth)) return false;
        for (const auto& l : side.links()) {
          for (const KeyValue& kv : l.attributes()) {
            AddAnyAttribute(kTagScopeLink, kv.key(), kv.value());
          }
        }
      }
    }
  }
  (void)span_scope;
  return !broken;
}

TagSummaryBuilder::TagSummaryBuilder() : rep_(std::make_unique<Rep>()) {}
TagSummaryBuilder::~TagSummaryBuilder() = default;

void TagSummaryBuilder::Column(uint32_t c, std::string_view raw) {
  switch (c) {
    case kV2SpanIds:
    case kV2Starts:
    case kV2Durations:
    case kV2Misc:
      return;  // not needed
    default:
      if (c < kV2ColumnCount) rep_->page.raw[c].assign(raw.data(), raw.size());
  }
}

void TagSummaryBuilder::KeyChunk(std::string_view raw) {
  Rep& r = *rep_;
  if (r.key_count == r.key_chunks.size()) r.key_chunks.emplace_back();
  r.key_chunks[r.key_count++].assign(raw.data(), raw.size());
}

void TagSummaryBuilder::EndPage(bool keyed) {
  Rep& r = *rep_;
  r.key_chunks.resize(r.key_count);
  if (!r.broken && !r.AddPage(keyed)) r.broken = true;
  r.key_count = 0;
}

std::optional<std::string> TagSummaryBuilder::Finish(int zstd_level) {
  std::unique_ptr<Rep> rep = std::exchange(rep_, std::make_unique<Rep>());
  if (rep->broken) return std::nullopt;
  std::string body;
  uint64_t count = 0;
  for (const auto& m : rep->names) count += m.size();
  PutVarint64(&body, count);
  std::vector<std::string_view> sorted;
  std::vector<const std::string*> values;
  for (uint8_t scope = 0; scope < kTagScopeCount; ++scope) {
    sorted.clear();
    for (const auto& [name, acc] : rep->names[scope]) sorted.push_back(name);
    std::sort(sorted.begin(), sorted.end());
    for (std::string_view name : sorted) {
      const Rep::Name& acc = rep->names[scope].find(ToAbsl(name))->second;
      body.push_back(static_cast<char>(scope));
      PutVarint64(&body, name.size());
      body.append(name.data(), name.size());
      body.push_back(static_cast<char>(acc.overflowed ? kTagSummaryOverflowed
                                                      : 0));
      values.clear();
      for (const std::string& v : acc.values) values.push_back(&v);
      std::sort(values.begin(), values.end(),
                [](const std::string* a, const std::string* b) {
                  return *a < *b;
                });
      PutVarint64(&body, values.size());
      for (const std::string* v : values) body.append(*v);
    }
  }
  std::string out;
  PutFixed32(&out, kTagSummaryMagic);
  PutVarint64(&out, body.size());
  const size_t at = out.size();
  const size_t bound = ZSTD_compressBound(body.size());
  out.resize(at + bound);
  const size_t n = ZSTD_compress(out.data() + at, bound, body.data(),
                                 body.size(), zstd_level);
  if (ZSTD_isError(n)) return std::nullopt;
  out.resize(at + n);
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

}  // namespace andante::internal
