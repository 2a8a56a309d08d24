#include "block/tag_summary_builder.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "block/block_format.h"
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

void EncodeString(std::string_view s, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kTagValueString));
  PutVarint64(out, s.size());
  out->append(s.data(), s.size());
}

}  // namespace

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
  bool tables_parsed = false;
  std::string scratch;  // an encoded value
  // Per page string: the key chunk that last met it as a value (chunks are
  // numbered across pages, so nothing is cleared between them).
  std::vector<uint32_t> string_stamp;
  uint32_t chunk_stamp = 0;
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
  // Values met before in this chunk are passed over before they are encoded
  // and hashed: strings by their page index, other scalars among the first
  // few distinct ones.
  const uint32_t stamp = ++chunk_stamp;
  if (string_stamp.size() < page.strings.size()) {
    string_stamp.resize(page.strings.size(), 0);
  }
  std::array<std::pair<uint8_t, uint64_t>, 16> scalars;
  size_t scalar_count = 0;
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
        ok = GetLengthPrefixed(&in, &any);
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
    if (tag == kV2NoValue) continue;
    if (tag == kV2String) {
      if (string_stamp[u] == stamp) continue;
      string_stamp[u] = stamp;
    } else {
      const std::pair<uint8_t, uint64_t> v(tag, u);
      if (std::find(scalars.begin(), scalars.begin() + scalar_count, v) !=
          scalars.begin() + scalar_count) {
        continue;
      }
      if (scalar_count < scalars.size()) scalars[scalar_count++] = v;
    }
    if (n == nullptr) n = &At(kTagScopeSpan, name);
    if (n->overflowed) return true;
    if (EncodeV2(tag, u)) Add(*n);
  }
  return true;
}

bool TagSummaryBuilder::Rep::AddPage(bool keyed) {
  if (!tables_parsed && !page.ParseTables().ok()) return false;
  const size_t strings = page.strings.size();
  // Resources and scopes count only with spans under them.
  std::vector<uint8_t> used_resource(page.resources.size()),
      used_scope(page.scopes.size());
  std::vector<uint32_t> span_resource(page.span_count);
  {
    uint32_t at = 0;
    for (const V2Page::ResourceSpansRef& rs : page.resource_spans) {
      for (uint32_t k = rs.scopes_begin; k < rs.scopes_end; ++k) {
        const V2Page::ScopeSpansRef& ss = page.scope_spans[k];
        if (ss.span_count == 0) continue;
        if (ss.span_count > page.span_count - at) return false;
        used_resource[rs.resource] = used_scope[ss.scope] = 1;
        std::fill_n(span_resource.begin() + at, ss.span_count, rs.resource);
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
  // Per-span columns, each in its own pass; string intrinsics deduplicated
  // per page by their index.
  const uint32_t spans = page.span_count;
  std::vector<uint8_t> seen(strings);  // bits: name, message, root, root svc
  auto first_time = [&](uint64_t idx, uint8_t bit) {
    const bool was = (seen[idx] & bit) != 0;
    seen[idx] |= bit;
    return !was;
  };
  auto intrinsic = [&](IntrinsicEntry e, uint64_t idx) {
    AddString(kTagScopeIntrinsic, kTagSummaryIntrinsicNames[e],
              page.strings[idx]);
  };
  std::vector<uint32_t> name_of(spans);
  {
    std::string_view in = page.raw[kV2Names];
    for (uint32_t p = 0; p < spans; ++p) {
      uint64_t name;
      if (!GetVarint64(&in, &name) || name >= strings) return false;
      name_of[p] = static_cast<uint32_t>(name);
      if (first_time(name, 1)) intrinsic(kIntrinsicName, name);
    }
    in = page.raw[kV2StatusMessages];
    for (uint32_t p = 0; p < spans; ++p) {
      uint64_t message;
      if (!GetVarint64(&in, &message) || message >= strings) return false;
      if (message != 0 && !page.strings[message].empty() &&
          first_time(message, 2)) {
        intrinsic(kIntrinsicStatusMessage, message);
      }
    }
  }
  // Kinds and status codes: a bit per value met (OTLP's numbers; TraceQL
  // reads an unknown one as unspecified / unset).
  auto keywords = [&](std::string_view in, uint64_t max, IntrinsicEntry e,
                      TagSummaryValueType type) {
    uint32_t met = 0;
    for (uint32_t p = 0; p < spans; ++p) {
      uint64_t v;
      if (!GetVarint64(&in, &v)) return false;
      met |= 1u << (v <= max ? v : 0);
    }
    for (uint64_t v = 0; v <= max; ++v) {
      if (met & (1u << v)) AddKeyword(e, type, v);
    }
    return true;
  };
  if (!keywords(page.raw[kV2Kinds], 5, kIntrinsicKind, kTagValueKind) ||
      !keywords(page.raw[kV2StatusCodes], 2, kIntrinsicStatus,
                kTagValueStatus)) {
    return false;
  }
  // Each trace's root: its first span without a parent (traceql::Trace).
  {
    std::string_view in = page.raw[kV2Parents];
    for (const V2Page::TraceRef& t : page.traces) {
      bool have_root = false;
      const uint32_t trace_spans = t.span_end - t.span_begin;
      for (uint32_t p = t.span_begin; p < t.span_end; ++p) {
        uint64_t parent = 0;
        std::string_view raw;
        if (!GetV2Parent(&in, trace_spans, &parent, &raw)) return false;
        if (have_root) continue;
        if (parent == 0 ||
            (parent == 1 && raw == std::string_view("\0\0\0\0\0\0\0\0", 8))) {
          have_root = true;
          if (first_time(name_of[p], 4)) intrinsic(kIntrinsicRootName, name_of[p]);
          const int64_t svc = service[span_resource[p]];
          if (svc >= 0 && first_time(static_cast<uint64_t>(svc), 8)) {
            intrinsic(kIntrinsicRootServiceName, static_cast<uint64_t>(svc));
          }
        }
      }
    }
  }
  if (!keyed) {
    std::string_view in = page.raw[kV2SpanAttributes];
    std::vector<V2Attribute> attrs;
    for (uint32_t p = 0; p < spans; ++p) {
      if (!GetV2Attributes(&in, strings, &attrs).ok()) return false;
      AddAttributes(kTagScopeSpan, attrs);
    }
  }
  // Events and links: per span a length, 0 for most.
  std::string_view events = page.raw[kV2Events], links = page.raw[kV2Links];
  for (uint32_t p = 0; p < spans; ++p) {
    std::string_view ev, ln;
    if (!GetLengthPrefixed(&events, &ev) || !GetLengthPrefixed(&links, &ln)) return false;
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
  // Read at once (the page's columns came first): not copied.
  Rep& r = *rep_;
  if (r.broken) return;
  if (!r.tables_parsed) {
    r.tables_parsed = r.page.ParseTables().ok();
    if (!r.tables_parsed) r.broken = true;
  }
  if (!r.broken && !r.AddKeyChunk(raw)) r.broken = true;
}

void TagSummaryBuilder::EndPage(bool keyed) {
  Rep& r = *rep_;
  if (!r.broken && !r.AddPage(keyed)) r.broken = true;
  r.tables_parsed = false;
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
