#include "block/block_scanner.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/traceql_otlp.h"
#include "block/block_format.h"
#include "block/v2_index.h"
#include "block/v2_page.h"
#include "block/v2_wire_trace.h"
#include "model/otlp_nesting.h"
#include "traceql/otlp_values.h"

namespace andante::internal {
namespace {

using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::TracesData;
using traceql::CompareOp;
using traceql::Condition;
using traceql::Intrinsic;
using traceql::Scope;
using traceql::StoredValue;
using traceql::internal::AddOtlpAttribute;
using traceql::Trace;
using traceql::ValueType;

constexpr uint32_t Bit(uint32_t c) { return 1u << c; }
constexpr uint32_t kAllColumns = (1u << kV2ColumnCount) - 1;
// What every Trace needs: IDs, structure, names, times, kinds, statuses.
constexpr uint32_t kCoreColumns =
    Bit(kV2Traces) | Bit(kV2Strings) | Bit(kV2Resources) | Bit(kV2Scopes) |
    Bit(kV2SpanIds) | Bit(kV2Parents) | Bit(kV2Names) | Bit(kV2Kinds) |
    Bit(kV2StatusCodes) | Bit(kV2Starts) | Bit(kV2Durations) | Bit(kV2Misc);

// Stops BlockReader::ForEach when the callback asks to.
absl::Status Stop() { return absl::CancelledError("scan stopped"); }

// Whether a span attribute `c` names may satisfy it, given the key's
// statistics `k` (null: no span of the page or block carries the key).
bool SpanKeyMayHold(const Condition& c, const V2KeyStats* k) {
  switch (c.op) {
    case CompareOp::kEq:
    case CompareOp::kPresent:
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe:
    case CompareOp::kRegex:
      // A comparison with nil is false: the attribute must exist.
      if (k == nullptr) return false;
      break;
    default:
      return true;
  }
  // Bounds decide only for an int literal against int values alone (a float
  // value compares numerically with an int literal: not decided here).
  if (c.literal.type != ValueType::kInt || k->types != (1u << kV2Int)) {
    return true;
  }
  const int64_t v = c.literal.i;
  switch (c.op) {
    case CompareOp::kEq:
      return k->min_int <= v && v <= k->max_int &&
             (k->ints.empty() ||
              std::binary_search(k->ints.begin(), k->ints.end(), v));
    case CompareOp::kLt:
      return k->min_int < v;
    case CompareOp::kLe:
      return k->min_int <= v;
    case CompareOp::kGt:
      return k->max_int > v;
    case CompareOp::kGe:
      return k->max_int >= v;
    default:
      return true;
  }
}

bool ConditionMayHold(const Condition& c, const BloomFilter& strings,
                      int64_t min_duration, int64_t max_duration,
                      const std::vector<V2KeyStats>* span_keys) {
  auto has = [&](const std::string& s) {
    return strings.MayContain(V2StringKey(s));
  };
  const bool string_eq =
      c.op == CompareOp::kEq && c.literal.type == ValueType::kString;
  if (c.is_intrinsic) {
    switch (c.intrinsic) {
      case Intrinsic::kName:
      case Intrinsic::kStatusMessage:
      case Intrinsic::kRootName:
      case Intrinsic::kRootServiceName:
      case Intrinsic::kInstrumentationName:
      case Intrinsic::kInstrumentationVersion:
        return !string_eq || has(c.literal.s);
      case Intrinsic::kDuration: {
        if (c.literal.type != ValueType::kDuration) return true;
        const int64_t v = c.literal.i;
        switch (c.op) {
          case CompareOp::kGt:
            return max_duration > v;
          case CompareOp::kGe:
            return max_duration >= v;
          case CompareOp::kLt:
            return min_duration < v;
          case CompareOp::kLe:
            return min_duration <= v;
          case CompareOp::kEq:
            return min_duration <= v && v <= max_duration;
          default:
            return true;
        }
      }
      default:
        return true;
    }
  }
  switch (c.attribute.scope) {
    case Scope::kUnscoped:
    case Scope::kSpan:
    case Scope::kResource:
    case Scope::kInstrumentation:
      break;
    default:
      return true;  // event and link attributes are not in the dictionary
  }
  if (span_keys != nullptr && c.attribute.scope == Scope::kSpan &&
      !SpanKeyMayHold(c, FindKeyStats(*span_keys, c.attribute.name))) {
    return false;
  }
  switch (c.op) {
    case CompareOp::kEq:
      return has(c.attribute.name) && (!string_eq || has(c.literal.s));
    // A comparison with nil is false: the attribute must exist.
    case CompareOp::kPresent:
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe:
    case CompareOp::kRegex:
      return has(c.attribute.name);
    default:
      return true;
  }
}

uint32_t QueryColumnMask(const traceql::Query& query) {
  uint32_t mask = kCoreColumns;
  auto attribute = [&](const traceql::AttributeName& a) {
    switch (a.scope) {
      case Scope::kUnscoped:
      case Scope::kSpan:
        mask |= Bit(kV2SpanAttributes);
        break;
      case Scope::kEvent:
        mask |= Bit(kV2Events);
        break;
      case Scope::kLink:
        mask |= Bit(kV2Links);
        break;
      default:
        break;  // resources and scopes are always read
    }
  };
  auto intrinsic = [&](Intrinsic i) {
    switch (i) {
      case Intrinsic::kStatusMessage:
        mask |= Bit(kV2StatusMessages);
        break;
      case Intrinsic::kEventName:
      case Intrinsic::kEventTimeSinceStart:
        mask |= Bit(kV2Events);
        break;
      case Intrinsic::kLinkTraceId:
      case Intrinsic::kLinkSpanId:
        mask |= Bit(kV2Links);
        break;
      default:
        break;
    }
  };
  const traceql::QueryColumns& cols = query.columns();
  for (const auto& a : cols.attributes) attribute(a);
  for (const auto& a : cols.select_attributes) attribute(a);
  for (Intrinsic i : cols.intrinsics) intrinsic(i);
  for (Intrinsic i : cols.select_intrinsics) intrinsic(i);
  return mask;
}

// One `span.key OP literal` check of the span-attribute prefilter, with
// key and string literal resolved to page dictionary indices.
struct SpanCheck {
  uint32_t key;  // page string index; UINT32_MAX: not in the page
  CompareOp op;
  bool is_string;
  int64_t i;
  uint32_t str;  // page string index of a string literal or UINT32_MAX
};
// More checks than this: the first ones only (fewer checks: still sound).
constexpr size_t kMaxSpanChecks = 32;

// Whether the prefilter can use condition `c`, and whether it needs the
// page's dictionary for it (a string literal).
bool IsSpanCheck(const Condition& c, bool* needs_strings) {
  if (c.is_intrinsic || c.attribute.scope != Scope::kSpan) return false;
  *needs_strings = false;
  switch (c.op) {
    case CompareOp::kPresent:
      return true;
    case CompareOp::kEq:
      if (c.literal.type == ValueType::kString) {
        *needs_strings = true;
        return true;
      }
      return c.literal.type == ValueType::kInt;
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe:
      return c.literal.type == ValueType::kInt;
    default:
      return false;
  }
}

// The prefilter's checks for `query` (whose conditions must all hold on one
// span). key_index / string_index map a key / string literal to its page
// dictionary index (UINT32_MAX: absent). False if no condition applies.
template <typename KeyIndex, typename StringIndex>
bool BuildSpanChecks(const traceql::Query& query, KeyIndex key_index,
                     StringIndex string_index, std::vector<SpanCheck>* out) {
  out->clear();
  for (const Condition& c : query.conditions()) {
    bool needs_strings;
    if (!IsSpanCheck(c, &needs_strings)) continue;
    SpanCheck k{key_index(c.attribute.name), c.op, needs_strings,
                needs_strings ? 0 : c.literal.i,
                needs_strings ? string_index(c.literal.s) : UINT32_MAX};
    out->push_back(k);
    if (out->size() == kMaxSpanChecks) break;
  }
  return !out->empty();
}

// A varint at *p (before `end`); false if truncated or over 10 bytes.
inline bool FastVarint(const char** p, const char* end, uint64_t* v) {
  const char* q = *p;
  if (q != end && static_cast<uint8_t>(*q) < 0x80) {
    *v = static_cast<uint8_t>(*q);
    *p = q + 1;
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && q != end; shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(*q++);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      *p = q;
      return true;
    }
  }
  return false;
}

// Reads one attribute value at *p (tag byte, then the value): the tag, and
// in *u a string index or zigzag int (0 for other tags). False if corrupt.
inline bool ReadValue(const char** p, const char* end, uint64_t nstr,
                      uint8_t* tag, uint64_t* u) {
  if (*p == end) return false;
  *tag = static_cast<uint8_t>(*(*p)++);
  *u = 0;
  switch (*tag) {
    case kV2String:
      return FastVarint(p, end, u) && *u < nstr;
    case kV2Int:
      return FastVarint(p, end, u);
    case kV2Bool:
      if (*p == end) return false;
      ++*p;
      return true;
    case kV2Double:
      if (end - *p < 8) return false;
      *p += 8;
      return true;
    case kV2Any: {
      uint64_t len;
      if (!FastVarint(p, end, &len) || len > static_cast<uint64_t>(end - *p)) {
        return false;
      }
      *p += len;
      return true;
    }
    case kV2NoValue:
      return true;
    default:
      return false;
  }
}

// Whether a value (tag, u as ReadValue gives them) of check k's key may
// satisfy it: another value type than the literal's is left to the engine.
inline bool CheckHolds(const SpanCheck& k, uint8_t tag, uint64_t u) {
  if (k.op == CompareOp::kPresent) return true;
  if (k.is_string) return tag != kV2String || u == k.str;
  if (tag != kV2Int) return true;
  const int64_t v = UnZigZag64(u);
  switch (k.op) {
    case CompareOp::kEq:
      return v == k.i;
    case CompareOp::kLt:
      return v < k.i;
    case CompareOp::kLe:
      return v <= k.i;
    case CompareOp::kGt:
      return v > k.i;
    default:
      return v >= k.i;
  }
}

absl::Status CorruptSpanAttributes() {
  return absl::DataLossError("v2 page: span attributes are corrupt");
}

// Walks a page's span attribute column (`span_count` spans; dictionary of
// `nstr` strings, or UINT64_MAX when the dictionary is not loaded) and calls
// on_pass(span) for each span no check is certainly false for: every key
// present with a value that may satisfy it (another value type than the
// literal's: left to the engine). on_pass returns false for a corrupt page.
// Decodes in place, with no per-span allocation: this loop is the whole
// cost of a page without candidates, so it stays out of line and branches
// on the common shapes (one-byte keys, string and int values) first.
[[gnu::noinline]] absl::Status MarkSpans(
    std::string_view column, uint32_t span_count, uint64_t nstr,
    const std::vector<SpanCheck>& checks,
    absl::FunctionRef<bool(uint32_t)> on_pass) {
  // A key the page lacks: no span can pass.
  uint64_t max_key = 0;
  for (const SpanCheck& k : checks) {
    if (k.key == UINT32_MAX) return absl::OkStatus();
    max_key = std::max<uint64_t>(max_key, k.key);
  }
  const SpanCheck* const first = checks.data();
  const size_t count = checks.size();
  const uint32_t all = count == 32 ? 0xffffffffu : (1u << count) - 1;
  const char* p = column.data();
  const char* const end = p + column.size();
  for (uint32_t span = 0; span < span_count; ++span) {
    uint64_t n;
    if (!FastVarint(&p, end, &n) || n > static_cast<uint64_t>(end - p) / 2) {
      return CorruptSpanAttributes();
    }
    uint32_t held = 0;  // bit j: checks[j] holds for this span
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t key, u;
      uint8_t tag;
      if (!FastVarint(&p, end, &key) || key >= nstr ||
          !ReadValue(&p, end, nstr, &tag, &u)) {
        return CorruptSpanAttributes();
      }
      // Most attributes are none of the checked keys.
      if (key > max_key) continue;
      for (size_t j = 0; j < count; ++j) {
        if (first[j].key == key && CheckHolds(first[j], tag, u)) {
          held |= 1u << j;
        }
      }
    }
    if (held == all && !on_pass(span)) return CorruptSpanAttributes();
  }
  if (p != end) return CorruptSpanAttributes();
  return absl::OkStatus();
}

// MarkSpans for a keyed page: `columns[j]` is the key chunk of checks[j]'s
// key. Walks only those chunks (each entry: span delta, value) and calls
// on_pass(span), once per span, in span order, for each span every check
// may hold for; stops early when on_pass returns false. `held` is scratch.
[[gnu::noinline]] absl::Status MarkKeyedSpans(
    const std::vector<std::string_view>& columns, uint32_t span_count,
    uint64_t nstr, const std::vector<SpanCheck>& checks,
    std::vector<uint32_t>* held, absl::FunctionRef<bool(uint32_t)> on_pass) {
  const size_t count = checks.size();
  const uint32_t all = count == 32 ? 0xffffffffu : (1u << count) - 1;
  // One check: its passing spans as they come. More: a bit per check.
  if (count > 1) held->assign(span_count, 0);
  for (size_t j = 0; j < count; ++j) {
    const char* p = columns[j].data();
    const char* const end = p + columns[j].size();
    uint64_t key, span = 0, delta, u;
    uint64_t last = UINT64_MAX;  // the last span passed (one check)
    uint8_t tag;
    if (!FastVarint(&p, end, &key) || key != checks[j].key) {
      return CorruptSpanAttributes();
    }
    while (p != end) {
      if (!FastVarint(&p, end, &delta) || delta >= span_count - span ||
          !ReadValue(&p, end, nstr, &tag, &u)) {
        return CorruptSpanAttributes();
      }
      span += delta;
      if (!CheckHolds(checks[j], tag, u)) continue;
      if (count > 1) {
        (*held)[span] |= 1u << j;
      } else if (span != last) {
        last = span;
        if (!on_pass(static_cast<uint32_t>(span))) return absl::OkStatus();
      }
    }
  }
  if (count > 1) {
    for (uint32_t span = 0; span < span_count; ++span) {
      if ((*held)[span] == all && !on_pass(span)) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// Fills Traces from a page's columns. Holds scratch reused across pages.
class TraceFiller {
 public:
  // Calls fn for each trace of `page` (tables parsed, the columns of `mask`
  // loaded) that starts after *start_after (if non-null; read before each
  // trace). Sets *stopped when fn returns false.
  absl::Status Fill(const V2Page& page, uint32_t mask,
                    const traceql::Query& query, const int64_t* start_after,
                    absl::FunctionRef<bool(const Trace&)> fn, bool* stopped,
                    ScanStats* stats) {
    // Traces none of whose spans can satisfy the query's span-attribute
    // conditions are parsed past without building them.
    if (absl::Status s = PrefilterTraces(page, mask, query); !s.ok()) return s;
    // So are traces that start too early.
    trace_start_.clear();
    if (start_after != nullptr) {
      if (absl::Status s = ReadTraceStarts(page); !s.ok()) return s;
    }
    if (NonePass()) {
      // Nothing of the page can match: no column needs parsing.
      if (stats != nullptr) {
        stats->spans_inspected += page.span_count;
        stats->traces_passed_over += page.traces.size();
      }
      return absl::OkStatus();
    }
    memo_gen_.assign(page.strings.size(), 0);
    memo_id_.resize(page.strings.size());
    gen_ = 0;
    const bool attrs = mask & Bit(kV2SpanAttributes);
    const bool messages = mask & Bit(kV2StatusMessages);
    const bool events = mask & Bit(kV2Events);
    const bool links = mask & Bit(kV2Links);
    if (page.raw[kV2SpanIds].size() != uint64_t{page.span_count} * 8) {
      return absl::DataLossError("v2 page: span id column has the wrong size");
    }
    std::string_view parents = page.raw[kV2Parents], names = page.raw[kV2Names],
                     kinds = page.raw[kV2Kinds],
                     codes = page.raw[kV2StatusCodes],
                     msgs = page.raw[kV2StatusMessages],
                     starts = page.raw[kV2Starts],
                     durations = page.raw[kV2Durations],
                     span_attrs = page.raw[kV2SpanAttributes],
                     evs = page.raw[kV2Events], lns = page.raw[kV2Links],
                     misc = page.raw[kV2Misc];
    const char* ids = page.raw[kV2SpanIds].data();
    const uint64_t nstr = page.strings.size();
    int64_t prev_start = 0;
    auto bad = [](std::string_view what) {
      return absl::DataLossError(
          absl::StrCat("v2 page: ", std::string(what), " column is corrupt"));
    };
    for (size_t t = 0; t < page.traces.size(); ++t) {
      const V2Page::TraceRef& tr = page.traces[t];
      const bool too_old =
          !trace_start_.empty() && trace_start_[t] <= *start_after;
      if (too_old || (!trace_pass_.empty() && !trace_pass_[t])) {
        for (uint32_t k = tr.span_begin; k < tr.span_end; ++k) {
          uint64_t parent, v, len, start_delta;
          std::string_view raw_parent, b;
          if (!GetV2Parent(&parents, tr.span_end - tr.span_begin, &parent,
                           &raw_parent) ||
              !GetVarint64(&names, &v) || !GetVarint64(&kinds, &v) ||
              !GetVarint64(&codes, &v) || !GetVarint64(&starts, &start_delta) ||
              !GetVarint64(&durations, &v) || !GetVarint64(&misc, &len) ||
              !GetLengthPrefixed(&misc, &b) ||
              (messages && !GetVarint64(&msgs, &v)) ||
              (events && !GetLengthPrefixed(&evs, &b)) ||
              (links && !GetLengthPrefixed(&lns, &b)) ||
              (attrs && !GetV2Attributes(&span_attrs, nstr, &decoded_).ok())) {
            return bad("span");
          }
          prev_start = static_cast<int64_t>(
              static_cast<uint64_t>(prev_start) +
              static_cast<uint64_t>(UnZigZag64(start_delta)));
        }
        if (stats != nullptr) {
          stats->spans_inspected += tr.span_end - tr.span_begin;
          ++(too_old ? stats->traces_too_old : stats->traces_passed_over);
        }
        continue;
      }
      trace_.Clear();
      ++gen_;
      trace_.trace_id = tr.id;
      bool valid = true;  // as TraceFromOtlp: 8-byte span IDs and parents
      uint32_t pos = tr.span_begin;
      for (uint32_t r = tr.rs_begin; r < tr.rs_end; ++r) {
        const V2Page::ResourceSpansRef& rsr = page.resource_spans[r];
        const uint32_t res = trace_.AddResource();
        for (const V2Attribute& a : page.resources[rsr.resource].attributes) {
          AddAttribute(page, a);
        }
        trace_.EndResource(res);
        for (uint32_t s = rsr.scopes_begin; s < rsr.scopes_end; ++s) {
          const V2Page::ScopeSpansRef& ssr = page.scope_spans[s];
          const V2Page::ScopeEntry& se = page.scopes[ssr.scope];
          const uint32_t scope =
              trace_.AddScope(page.strings[se.name], page.strings[se.version]);
          for (const V2Attribute& a : se.attributes) AddAttribute(page, a);
          trace_.EndScope(scope);
          for (uint32_t k = 0; k < ssr.span_count; ++k, ++pos) {
            uint64_t parent, name, kind, code, start, duration, flags;
            std::string_view raw_parent;
            if (!GetV2Parent(&parents, tr.span_end - tr.span_begin, &parent,
                             &raw_parent)) {
              return bad("parents");
            }
            if (!GetVarint64(&names, &name) || name >= nstr ||
                !GetVarint64(&kinds, &kind) || !GetVarint64(&codes, &code) ||
                !GetVarint64(&starts, &start) ||
                !GetVarint64(&durations, &duration) ||
                !GetVarint64(&misc, &flags)) {
              return bad("span");
            }
            uint64_t len;
            if (!GetVarint64(&misc, &len) || len > misc.size()) {
              return bad("misc");
            }
            misc.remove_prefix(len);
            // A parent of another length than 8 (kept in misc) makes the
            // trace invalid, as it does for TraceFromOtlp.
            if (parent == 0 && len > 0) {
              rest_.Clear();
              if (ParseOtlpMessage(std::string_view(misc.data() - len, len),
                                   &rest_, kSpanDepth) &&
                  !rest_.parent_span_id().empty()) {
                valid = false;
              }
            }
            if (!(flags & kV2FlagSpanIdInColumn)) valid = false;
            const int64_t begin =
                static_cast<int64_t>(static_cast<uint64_t>(prev_start) +
                                     static_cast<uint64_t>(UnZigZag64(start)));
            prev_start = begin;
            traceql::Span& sp = trace_.AddSpan();
            sp.span_id = traceql::internal::BigEndian64(std::string_view(ids + uint64_t{pos} * 8, 8));
            if (parent >= 2) {
              sp.parent_span_id =
                  traceql::internal::BigEndian64(
                      std::string_view(ids + (uint64_t{tr.span_begin} + parent - 2) * 8, 8));
            } else if (parent == 1) {
              sp.parent_span_id = traceql::internal::BigEndian64(std::string_view(raw_parent.data(), 8));
            }
            sp.start_unix_nanos = begin;
            sp.duration_nanos = UnZigZag64(duration);
            sp.name = Intern(page, name);
            uint64_t message = 0;
            if (messages &&
                (!GetVarint64(&msgs, &message) || message >= nstr)) {
              return bad("status message");
            }
            sp.status_message = Intern(page, message);
            const int32_t c = static_cast<int32_t>(code);
            sp.status = c == 1   ? traceql::SpanStatus::kOk
                        : c == 2 ? traceql::SpanStatus::kError
                                 : traceql::SpanStatus::kUnset;
            const int32_t kd = static_cast<int32_t>(kind);
            sp.kind = kd >= 0 && kd <= 5 ? static_cast<traceql::SpanKind>(kd)
                                         : traceql::SpanKind::kUnspecified;
            sp.resource = res;
            sp.scope = scope;
            if (attrs) {
              absl::Status st = GetV2Attributes(&span_attrs, nstr, &decoded_);
              if (!st.ok()) return bad("span attributes");
              for (const V2Attribute& a : decoded_) AddAttribute(page, a);
            }
            if (events) {
              std::string_view b;
              if (!GetLengthPrefixed(&evs, &b)) return bad("events");
              if (!b.empty()) {
                side_.Clear();
                if (!ParseOtlpMessage(b, &side_, kSpanDepth))
                  return bad("events");
                for (const auto& ev : side_.events()) {
                  trace_.AddEvent(
                      ev.name(),
                      static_cast<int64_t>(ev.time_unix_nano()) - begin);
                  for (const KeyValue& kv : ev.attributes()) {
                    AddOtlpAttribute(kv.key(), kv.value(), &trace_, &elements_);
                  }
                }
              }
            }
            if (links) {
              std::string_view b;
              if (!GetLengthPrefixed(&lns, &b)) return bad("links");
              if (!b.empty()) {
                side_.Clear();
                if (!ParseOtlpMessage(b, &side_, kSpanDepth))
                  return bad("links");
                for (const auto& ln : side_.links()) {
                  trace_.AddLink(traceql::internal::HexId(ln.trace_id()),
                                 traceql::internal::HexId(ln.span_id()));
                  for (const KeyValue& kv : ln.attributes()) {
                    AddOtlpAttribute(kv.key(), kv.value(), &trace_, &elements_);
                  }
                }
              }
            }
            trace_.EndSpan();
          }
        }
      }
      trace_.Finish();
      // TraceFromOtlp refuses such traces; the v1 path skips them too.
      if (!valid) continue;
      if (stats != nullptr) {
        ++stats->traces_inspected;
        stats->spans_inspected += tr.span_end - tr.span_begin;
      }
      if (!fn(trace_)) {
        *stopped = true;
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  // After Fill: the prefilter ruled out every trace of the page.
  bool NonePass() const {
    return !trace_pass_.empty() &&
           std::find(trace_pass_.begin(), trace_pass_.end(), 1) ==
               trace_pass_.end();
  }

  // Sets trace_starts()[t] to the start of trace t of `page` (tables
  // parsed, kV2Starts loaded): its earliest span's.
  absl::Status ReadTraceStarts(const V2Page& page) {
    trace_start_.assign(page.traces.size(),
                        std::numeric_limits<int64_t>::max());
    std::string_view starts = page.raw[kV2Starts];
    uint64_t prev = 0;
    for (size_t t = 0; t < page.traces.size(); ++t) {
      const V2Page::TraceRef& tr = page.traces[t];
      int64_t earliest = std::numeric_limits<int64_t>::max();
      for (uint32_t k = tr.span_begin; k < tr.span_end; ++k) {
        uint64_t delta;
        if (!GetVarint64(&starts, &delta)) {
          return absl::DataLossError("v2 page: start column is corrupt");
        }
        prev += static_cast<uint64_t>(UnZigZag64(delta));
        earliest = std::min(earliest, static_cast<int64_t>(prev));
      }
      trace_start_[t] = earliest;
    }
    return absl::OkStatus();
  }
  const std::vector<int64_t>& trace_starts() const { return trace_start_; }

 private:

  // Sets trace_pass_ (empty: every trace passes). Only for queries whose
  // conditions must all hold on one span: `span.x OP int` (= < <= > >=),
  // `span.x = "string"` and `span.x` presence; a span passes if no such
  // condition is certainly false for it (other conditions, other value
  // types: assumed true).
  absl::Status PrefilterTraces(const V2Page& page, uint32_t mask,
                               const traceql::Query& query) {
    trace_pass_.clear();
    if (!query.all_conditions_required() || !(mask & Bit(kV2SpanAttributes))) {
      return absl::OkStatus();
    }
    auto index_of = [&](std::string_view s) {
      for (size_t i = 0; i < page.strings.size(); ++i) {
        if (page.strings[i] == s) return static_cast<uint32_t>(i);
      }
      return UINT32_MAX;
    };
    if (!BuildSpanChecks(query, index_of, index_of, &checks_)) {
      return absl::OkStatus();
    }
    trace_pass_.assign(page.traces.size(), 0);
    size_t t = 0;
    return MarkSpans(page.raw[kV2SpanAttributes], page.span_count,
                     page.strings.size(), checks_, [&](uint32_t span) {
                       while (t < page.traces.size() &&
                              span >= page.traces[t].span_end) {
                         ++t;
                       }
                       if (t >= page.traces.size()) return false;
                       trace_pass_[t] = 1;
                       return true;
                     });
  }

  static bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
    uint64_t n;
    if (!GetVarint64(in, &n) || n > in->size()) return false;
    *out = in->substr(0, n);
    in->remove_prefix(n);
    return true;
  }

  // The trace's id of page string `index`; each distinct page string is
  // hashed into the trace once (memo_ is per page, gen_ per trace).
  uint32_t Intern(const V2Page& page, uint64_t index) {
    if (memo_gen_[index] == gen_) return memo_id_[index];
    const uint32_t id = trace_.Intern(page.strings[index]);
    memo_gen_[index] = gen_;
    memo_id_[index] = id;
    return id;
  }

  void Push(const V2Page& page, const V2Attribute& a, StoredValue value) {
    trace_.attributes.push_back(
        traceql::StoredAttribute{Intern(page, a.key), value});
  }

  void AddAttribute(const V2Page& page, const V2Attribute& a) {
    const std::string_view key = page.strings[a.key];
    switch (a.tag) {
      case kV2String: {
        StoredValue v;
        v.type = ValueType::kString;
        v.str = Intern(page, a.u);
        Push(page, a, v);
        break;
      }
      case kV2Bool:
        Push(page, a, StoredValue::Bool(a.u != 0));
        break;
      case kV2Int:
        Push(page, a, StoredValue::Int(UnZigZag64(a.u)));
        break;
      case kV2Double: {
        double d;
        std::memcpy(&d, &a.u, 8);
        Push(page, a, StoredValue::Float(d));
        break;
      }
      case kV2Any:
        any_.Clear();
        if (ParseOtlpMessage(a.any, &any_, kAttributeValueDepth)) {
          AddOtlpAttribute(key, any_, &trace_, &elements_);
        }
        break;
      default:
        break;  // no value: nil
    }
  }

  Trace trace_;
  std::vector<uint32_t> memo_gen_, memo_id_;  // per page string
  uint32_t gen_ = 0;
  std::vector<uint8_t> trace_pass_;  // per trace of the page; empty: all
  std::vector<int64_t> trace_start_;  // per trace of the page, if wanted
  std::vector<SpanCheck> checks_;
  std::vector<V2Attribute> decoded_;
  std::vector<StoredValue> elements_;
  AnyValue any_;
  andante::otlp::trace::v1::Span side_, rest_;
};

class V1Scanner : public BlockTraceScanner {
 public:
  explicit V1Scanner(std::shared_ptr<BlockReader> reader)
      : reader_(std::move(reader)) {}

  absl::Status ScanAll(absl::FunctionRef<bool(const TraceId&, TracesData&)> fn,
                       ScanStats* stats) override {
    TracesData data;
    return Scan(stats, [&](const TraceId& id, std::string_view bytes) {
      if (!ParseOtlpMessage(bytes, &data)) {
        return absl::DataLossError(
            absl::StrCat("block ", reader_->meta().block_id, ": trace ",
                         id.ToHex(), " does not parse"));
      }
      if (stats != nullptr) ++stats->traces_inspected;
      return fn(id, data) ? absl::OkStatus() : Stop();
    });
  }

  // v1 rows are decoded whole: a trace's start is known once it is built.
  absl::Status ScanForQuery(const traceql::Query&, const int64_t* start_after,
                            absl::FunctionRef<bool(const Trace&)> fn,
                            ScanStats* stats) override {
    TracesData data;
    Trace trace;
    return Scan(stats, [&](const TraceId& id, std::string_view bytes) {
      if (!ParseOtlpMessage(bytes, &data) ||
          !traceql::TraceFromOtlp(data, id, &trace).ok()) {
        return absl::OkStatus();  // not searchable; Find still returns it
      }
      if (stats != nullptr) stats->spans_inspected += trace.spans.size();
      if (start_after != nullptr && trace.start_unix_nanos <= *start_after) {
        if (stats != nullptr) ++stats->traces_too_old;
        return absl::OkStatus();
      }
      if (stats != nullptr) ++stats->traces_inspected;
      return fn(trace) ? absl::OkStatus() : Stop();
    });
  }

 private:
  absl::Status Scan(
      ScanStats* stats,
      absl::FunctionRef<absl::Status(const TraceId&, std::string_view)> fn) {
    absl::Status s = reader_->ForEach(fn);
    if (stats != nullptr) {
      // v1 has no columns: a scan reads and decompresses every page.
      ++stats->blocks_scanned;
      stats->pages_read += reader_->meta().total_pages;
      stats->chunks_decompressed += reader_->meta().total_pages;
      stats->inspected_bytes += reader_->meta().data_bytes;
    }
    if (absl::IsCancelled(s) && s.message() == "scan stopped") {
      return absl::OkStatus();
    }
    return s;
  }

  std::shared_ptr<BlockReader> reader_;
};

class V2Scanner : public BlockTraceScanner {
 public:
  explicit V2Scanner(std::shared_ptr<BlockReader> reader)
      : reader_(std::move(reader)) {}

  absl::Status ScanAll(absl::FunctionRef<bool(const TraceId&, TracesData&)> fn,
                       ScanStats* stats) override {
    ScanStats local;
    if (stats == nullptr) stats = &local;
    absl::StatusOr<std::shared_ptr<const V2Index>> index =
        reader_->LoadV2Index(&stats->inspected_bytes);
    if (!index.ok()) return index.status();
    ++stats->blocks_scanned;
    V2Page page;
    for (size_t n = 0; n < (*index)->pages.size(); ++n) {
      if (absl::Status s = ReadPage(n, kAllColumns, &page, stats); !s.ok()) {
        return s;
      }
      bool stopped = false;
      absl::Status s = page.ForEachTraceOtlp(
          nullptr, [&](const TraceId& id, TracesData& data) {
            ++stats->traces_inspected;
            if (!fn(id, data)) {
              stopped = true;
              return Stop();
            }
            return absl::OkStatus();
          });
      if (stopped) return absl::OkStatus();
      if (!s.ok()) return Damaged(n, s);
    }
    return absl::OkStatus();
  }

  absl::Status ScanForQuery(const traceql::Query& query,
                            const int64_t* start_after,
                            absl::FunctionRef<bool(const Trace&)> fn,
                            ScanStats* stats) override {
    ScanStats local;
    if (stats == nullptr) stats = &local;
    absl::StatusOr<std::shared_ptr<const V2Index>> index =
        reader_->LoadV2Index(&stats->inspected_bytes);
    if (!index.ok()) return index.status();
    const V2Index& idx = **index;
    int64_t min_duration = std::numeric_limits<int64_t>::max();
    int64_t max_duration = std::numeric_limits<int64_t>::min();
    for (const V2PageEntry& p : idx.pages) {
      min_duration = std::min(min_duration, p.min_duration);
      max_duration = std::max(max_duration, p.max_duration);
    }
    if (!V2SummaryMayMatch(query, idx.strings, min_duration, max_duration,
                           idx.attribute_stats ? &idx.span_keys : nullptr)) {
      ++stats->blocks_skipped;
      return absl::OkStatus();
    }
    ++stats->blocks_scanned;
    const uint32_t mask = QueryColumnMask(query);
    // The span-attribute keys the query references: all a keyed page's
    // span attributes need to hold for it.
    std::vector<std::string> span_keys;
    for (const auto* list :
         {&query.columns().attributes, &query.columns().select_attributes}) {
      for (const traceql::AttributeName& a : *list) {
        if (a.scope == Scope::kSpan || a.scope == Scope::kUnscoped) {
          span_keys.push_back(a.name);
        }
      }
    }
    std::sort(span_keys.begin(), span_keys.end());
    span_keys.erase(std::unique(span_keys.begin(), span_keys.end()),
                    span_keys.end());
    if (start_after != nullptr) {
      return ScanLatestFirst(idx, query, mask, span_keys, start_after, fn,
                             stats);
    }
    // Selective queries: a page is first probed with the few columns the
    // span-attribute prefilter needs; only a page with a candidate trace has
    // its other columns decompressed. A page with candidates suggests the
    // next has some too (broad queries), so probing pauses until a page
    // without any.
    const bool may_probe = query.all_conditions_required() &&
                           (mask & Bit(kV2SpanAttributes));
    bool probe = may_probe;
    // The probe finds keys in the index's key statistics, and needs the
    // page's dictionary only without them or for a string literal.
    bool probe_strings = !idx.attribute_stats;
    for (const Condition& c : query.conditions()) {
      bool needs_strings;
      if (IsSpanCheck(c, &needs_strings) && needs_strings) {
        probe_strings = true;
      }
    }
    std::vector<SpanCheck> checks;
    V2Page page;
    TraceFiller filler;
    for (size_t n = 0; n < idx.pages.size(); ++n) {
      const V2PageEntry& p = idx.pages[n];
      if (!PageMayMatch(idx, p, query, stats)) continue;
      if (probe) {
        absl::StatusOr<bool> candidates =
            Probe(idx, n, query, probe_strings, &checks, &page, stats);
        if (!candidates.ok()) return candidates.status();
        if (!*candidates) {
          stats->spans_inspected += p.span_count;
          stats->traces_passed_over += p.trace_count;
          continue;
        }
        probe = false;
      }
      if (absl::Status s = ReadPage(n, mask, &page, stats, &span_keys);
          !s.ok()) {
        return s;
      }
      bool stopped = false;
      absl::Status s =
          filler.Fill(page, mask, query, nullptr, fn, &stopped, stats);
      if (!s.ok()) return Damaged(n, s);
      if (stopped) break;
      if (may_probe && filler.NonePass()) probe = true;
    }
    return absl::OkStatus();
  }

 private:
  // Whether page `p`'s summaries let it hold a match (else counted skipped).
  static bool PageMayMatch(const V2Index& idx, const V2PageEntry& p,
                           const traceql::Query& query, ScanStats* stats) {
    if (V2SummaryMayMatch(query, p.strings, p.min_duration, p.max_duration,
                          idx.attribute_stats ? &p.span_keys : nullptr)) {
      return true;
    }
    ++stats->pages_skipped;
    return false;
  }

  // Reads page n's span attributes (and dictionary if probe_strings) and
  // tells whether any span may satisfy the query's span-attribute checks.
  // Reads no table: a page without candidates costs one column (two).
  // `checks` is scratch.
  absl::StatusOr<bool> Probe(const V2Index& idx, size_t n,
                             const traceql::Query& query, bool probe_strings,
                             std::vector<SpanCheck>* checks, V2Page* page,
                             ScanStats* stats) {
    const V2PageEntry& entry = idx.pages[n];
    // A keyed page: the key chunks of the checked keys alone.
    keys_.clear();
    if (entry.keyed) {
      for (const Condition& c : query.conditions()) {
        bool needs_strings;
        if (!IsSpanCheck(c, &needs_strings)) continue;
        const V2KeyStats* k = FindKeyStats(entry.span_keys, c.attribute.name);
        // Every check needs its key: no span of the page can pass.
        if (k == nullptr) return false;
        keys_.push_back(static_cast<uint32_t>(k - entry.span_keys.data()));
        if (keys_.size() == kMaxSpanChecks) break;
      }
      std::sort(keys_.begin(), keys_.end());
      keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    }
    const uint32_t columns =
        (entry.keyed ? 0 : Bit(kV2SpanAttributes)) |
        (probe_strings ? Bit(kV2Strings) : 0);
    if (absl::Status s = reader_->ReadV2Columns(
            n, columns, page, &stats->inspected_bytes,
            &stats->chunks_decompressed, entry.keyed ? &keys_ : nullptr);
        !s.ok()) {
      return s;
    }
    ++stats->pages_read;
    ++stats->pages_probed;
    uint64_t nstr = std::numeric_limits<uint64_t>::max();
    bool built;
    if (probe_strings) {
      if (absl::Status s = page->ParseStrings(); !s.ok()) return Damaged(n, s);
      nstr = page->strings.size();
      auto index_of = [&](std::string_view str) {
        for (size_t i = 0; i < page->strings.size(); ++i) {
          if (page->strings[i] == str) return static_cast<uint32_t>(i);
        }
        return UINT32_MAX;
      };
      built = BuildSpanChecks(query, index_of, index_of, checks);
    } else {
      built = BuildSpanChecks(
          query,
          [&](std::string_view key) {
            const V2KeyStats* k = FindKeyStats(entry.span_keys, key);
            return k == nullptr ? UINT32_MAX : k->dict;
          },
          [](std::string_view) { return UINT32_MAX; }, checks);
    }
    if (!built) return true;
    bool any = false;
    absl::Status s;
    if (entry.keyed) {
      // Each check's key chunk, found by its dictionary index.
      columns_.clear();
      for (const SpanCheck& check : *checks) {
        auto k = std::find_if(keys_.begin(), keys_.end(), [&](uint32_t k) {
          return entry.span_keys[k].dict == check.key;
        });
        if (k == keys_.end()) return false;  // the key is not in the page
        columns_.push_back(page->key_raw[*k]);
      }
      s = MarkKeyedSpans(columns_, entry.span_count, nstr, *checks, &held_,
                         [&](uint32_t) {
                           any = true;
                           return false;  // one is enough
                         });
    } else {
      s = MarkSpans(page->raw[kV2SpanAttributes], entry.span_count, nstr,
                    *checks, [&](uint32_t) {
                      any = true;
                      return true;
                    });
    }
    if (!s.ok()) return Damaged(n, s);
    return any;
  }

  // ScanForQuery with start_after. Pass 1 reads each page's trace table and
  // start column, plus the small columns that decide the query's cheap
  // per-span checks (LatestCandidate), and notes the latest start of a
  // trace with a candidate span. Pass 2 reads and fills pages in the order
  // of that start, latest first, and ends at the first page whose latest
  // candidate starts at or before *start_after: no later page can hold a
  // trace the caller still wants. Memory: one entry per page.
  absl::Status ScanLatestFirst(const V2Index& idx, const traceql::Query& query,
                               uint32_t mask,
                               const std::vector<std::string>& span_keys,
                               const int64_t* start_after,
                               absl::FunctionRef<bool(const Trace&)> fn,
                               ScanStats* stats) {
    V2Page page;
    TraceFiller filler;
    std::vector<std::pair<int64_t, uint32_t>> order;  // latest, page
    for (size_t n = 0; n < idx.pages.size(); ++n) {
      const V2PageEntry& p = idx.pages[n];
      if (!PageMayMatch(idx, p, query, stats)) continue;
      // Every span ends by max_end: when none ends before it starts, no
      // trace starts later. Nothing is read.
      if (p.min_duration >= 0 && p.max_end <= *start_after) {
        ++stats->pages_too_old;
        continue;
      }
      absl::StatusOr<int64_t> latest =
          LatestCandidate(idx, n, query, &page, &filler, stats);
      if (!latest.ok()) return latest.status();
      if (*latest <= *start_after) {
        ++stats->pages_too_old;
        stats->traces_passed_over += p.trace_count;
        continue;
      }
      order.emplace_back(*latest, static_cast<uint32_t>(n));
    }
    std::sort(order.begin(), order.end(), std::greater<>());
    for (size_t i = 0; i < order.size(); ++i) {
      const auto [latest, n] = order[i];
      if (latest <= *start_after) {
        for (; i < order.size(); ++i) {
          ++stats->pages_too_old;
          stats->traces_passed_over += idx.pages[order[i].second].trace_count;
        }
        break;
      }
      if (absl::Status s = ReadPage(n, mask, &page, stats, &span_keys);
          !s.ok()) {
        return s;
      }
      // Pass 1 counted the page's spans.
      ScanStats filled;
      bool stopped = false;
      absl::Status s =
          filler.Fill(page, mask, query, start_after, fn, &stopped, &filled);
      filled.spans_inspected = 0;
      Add(filled, stats);
      if (!s.ok()) return Damaged(n, s);
      if (stopped) break;
    }
    return absl::OkStatus();
  }

  static void Add(const ScanStats& from, ScanStats* to) {
    to->traces_inspected += from.traces_inspected;
    to->traces_passed_over += from.traces_passed_over;
    to->traces_too_old += from.traces_too_old;
    to->spans_inspected += from.spans_inspected;
  }

  // Pass 1 for page n: reads its trace table and start column plus what
  // the cheap checks need (the dictionary only for a string literal, or
  // without key statistics) and returns the latest start of a trace with a
  // span that may satisfy them (INT64_MIN: none). (Resource conditions
  // would need the dictionary, the page's largest column: the check costs
  // more than the reads it saves, and is left to the engine.)
  absl::StatusOr<int64_t> LatestCandidate(const V2Index& idx, size_t n,
                                          const traceql::Query& query,
                                          V2Page* page, TraceFiller* filler,
                                          ScanStats* stats) {
    constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
    const V2PageEntry& entry = idx.pages[n];
    const bool checked = query.all_conditions_required();
    uint32_t columns = Bit(kV2Traces) | Bit(kV2Starts);
    keys_.clear();
    bool span_checks = false;
    // Span checks find keys in the index's key statistics if it has them.
    bool strings = false;
    for (const Condition& c : checked ? query.conditions()
                                      : std::vector<Condition>{}) {
      bool needs_strings;
      if (IsSpanCheck(c, &needs_strings)) {
        if (span_checks && keys_.size() >= kMaxSpanChecks) continue;
        span_checks = true;
        strings = strings || needs_strings || !idx.attribute_stats;
        if (entry.keyed) {
          const V2KeyStats* k = FindKeyStats(entry.span_keys, c.attribute.name);
          if (k == nullptr) return kNone;  // no span of the page has the key
          keys_.push_back(static_cast<uint32_t>(k - entry.span_keys.data()));
        }
      } else if (c.is_intrinsic && c.intrinsic == Intrinsic::kStatus) {
        columns |= Bit(kV2StatusCodes);
      } else if (c.is_intrinsic && c.intrinsic == Intrinsic::kKind) {
        columns |= Bit(kV2Kinds);
      } else if (c.is_intrinsic && c.intrinsic == Intrinsic::kDuration) {
        columns |= Bit(kV2Durations);
      }
    }
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    ++stats->pages_read;
    ++stats->pages_probed;
    // The span checks first, as a probe: a page without a passing span
    // costs their columns alone.
    candidate_.assign(entry.span_count, 1);
    if (span_checks) {
      const uint32_t probe = (strings ? Bit(kV2Strings) : 0) |
                             (entry.keyed ? 0 : Bit(kV2SpanAttributes));
      if (absl::Status s = reader_->ReadV2Columns(
              n, probe, page, &stats->inspected_bytes,
              &stats->chunks_decompressed, entry.keyed ? &keys_ : nullptr);
          !s.ok()) {
        return s;
      }
      page->strings.clear();
      if (absl::Status s = strings ? page->ParseStrings() : absl::OkStatus();
          !s.ok()) {
        return Damaged(n, s);
      }
      if (absl::Status s = MarkSpanChecks(entry, query, *page, strings);
          !s.ok()) {
        return Damaged(n, s);
      }
      if (std::find(candidate_.begin(), candidate_.end(), 1) ==
          candidate_.end()) {
        stats->spans_inspected += entry.span_count;
        return kNone;
      }
    }
    if (absl::Status s = reader_->ReadV2Columns(n, columns, &times_,
                                                &stats->inspected_bytes,
                                                &stats->chunks_decompressed);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = times_.ParseTraceTable(); !s.ok()) {
      return Damaged(n, s);
    }
    if (times_.span_count != entry.span_count) {
      return Damaged(n, absl::DataLossError("span count disagrees with index"));
    }
    if (absl::Status s = filler->ReadTraceStarts(times_); !s.ok()) {
      return Damaged(n, s);
    }
    stats->spans_inspected += entry.span_count;  // their starts were read
    for (const Condition& c : checked ? query.conditions()
                                      : std::vector<Condition>{}) {
      if (c.is_intrinsic && !MarkIntrinsic(c, times_)) {
        return Damaged(n, absl::DataLossError("span column is corrupt"));
      }
    }
    int64_t latest = kNone;
    const std::vector<int64_t>& starts = filler->trace_starts();
    for (size_t t = 0; t < times_.traces.size(); ++t) {
      const V2Page::TraceRef& tr = times_.traces[t];
      if (starts[t] <= latest) continue;
      if (std::find(candidate_.begin() + tr.span_begin,
                    candidate_.begin() + tr.span_end,
                    1) != candidate_.begin() + tr.span_end) {
        latest = starts[t];
      }
    }
    return latest;
  }

  // Clears candidate_[span] for each span of `page` (its span-attribute
  // column or checked key chunks read by LatestCandidate) that certainly
  // fails the query's span-attribute checks. `strings`: the page's
  // dictionary is parsed (else keys are found in the index's key
  // statistics).
  absl::Status MarkSpanChecks(const V2PageEntry& entry,
                              const traceql::Query& query, const V2Page& page,
                              bool strings) {
    const uint32_t spans = entry.span_count;
    const uint64_t nstr =
        strings ? page.strings.size() : std::numeric_limits<uint64_t>::max();
    auto index_of = [&](std::string_view str) {
      for (size_t i = 0; i < page.strings.size(); ++i) {
        if (page.strings[i] == str) return static_cast<uint32_t>(i);
      }
      return UINT32_MAX;
    };
    auto key_of = [&](std::string_view key) {
      if (strings) return index_of(key);
      const V2KeyStats* k = FindKeyStats(entry.span_keys, key);
      return k == nullptr ? UINT32_MAX : k->dict;
    };
    if (BuildSpanChecks(query, key_of, index_of, &checks_)) {
      marked_.assign(spans, 0);
      auto mark = [&](uint32_t span) {
        marked_[span] = 1;
        return true;
      };
      absl::Status s;
      if (entry.keyed) {
        columns_.clear();
        for (const SpanCheck& check : checks_) {
          auto k = std::find_if(keys_.begin(), keys_.end(), [&](uint32_t k) {
            return entry.span_keys[k].dict == check.key;
          });
          if (k == keys_.end()) {  // the key is not in the page
            candidate_.assign(spans, 0);
            return absl::OkStatus();
          }
          columns_.push_back(page.key_raw[*k]);
        }
        s = MarkKeyedSpans(columns_, spans, nstr, checks_, &held_, mark);
      } else {
        s = MarkSpans(page.raw[kV2SpanAttributes], spans, nstr, checks_, mark);
      }
      if (!s.ok()) return s;
      for (uint32_t i = 0; i < spans; ++i) candidate_[i] &= marked_[i];
    }
    return absl::OkStatus();
  }

  // Status, kind or duration `c` against the span's column value. False if
  // the column is corrupt.
  bool MarkIntrinsic(const Condition& c, const V2Page& page) {
    uint32_t column;
    ValueType type;
    switch (c.intrinsic) {
      case Intrinsic::kStatus:
        column = kV2StatusCodes;
        type = ValueType::kStatus;
        break;
      case Intrinsic::kKind:
        column = kV2Kinds;
        type = ValueType::kKind;
        break;
      case Intrinsic::kDuration:
        column = kV2Durations;
        type = ValueType::kDuration;
        break;
      default:
        return true;
    }
    // The ordered comparisons (kEq..kGe), and only = and != for enums.
    static_assert(CompareOp::kGe > CompareOp::kEq &&
                  CompareOp::kRegex > CompareOp::kGe);
    const CompareOp last =
        type == ValueType::kDuration ? CompareOp::kGe : CompareOp::kNe;
    if (c.literal.type != type || c.op > last) return true;
    std::string_view in = page.raw[column];
    for (uint32_t i = 0; i < page.span_count; ++i) {
      uint64_t u;
      if (!GetVarint64(&in, &u)) return false;
      int64_t v;
      if (type == ValueType::kDuration) {
        v = UnZigZag64(u);
      } else if (type == ValueType::kStatus) {
        v = static_cast<int64_t>(u == 1   ? traceql::SpanStatus::kOk
                                 : u == 2 ? traceql::SpanStatus::kError
                                          : traceql::SpanStatus::kUnset);
      } else {
        const int32_t kd = static_cast<int32_t>(u);
        v = static_cast<int64_t>(kd >= 0 && kd <= 5
                                     ? static_cast<traceql::SpanKind>(kd)
                                     : traceql::SpanKind::kUnspecified);
      }
      const int64_t l = c.literal.i;
      bool holds;
      switch (c.op) {
        case CompareOp::kEq: holds = v == l; break;
        case CompareOp::kNe: holds = v != l; break;
        case CompareOp::kLt: holds = v < l; break;
        case CompareOp::kLe: holds = v <= l; break;
        case CompareOp::kGt: holds = v > l; break;
        default: holds = v >= l; break;
      }
      if (!holds) candidate_[i] = 0;
    }
    return true;
  }

  // Reads the columns of `mask` of page n and parses its tables. With
  // `span_keys` (the span-attribute keys a query references), a keyed page's
  // span attribute column is built from those keys' chunks alone.
  absl::Status ReadPage(size_t n, uint32_t mask, V2Page* page,
                        ScanStats* stats,
                        const std::vector<std::string>* span_keys = nullptr) {
    const V2PageEntry* entry = nullptr;
    if (span_keys != nullptr && (mask & Bit(kV2SpanAttributes))) {
      absl::StatusOr<std::shared_ptr<const V2Index>> index =
          reader_->LoadV2Index(&stats->inspected_bytes);
      if (!index.ok()) return index.status();
      if ((*index)->pages[n].keyed) entry = &(*index)->pages[n];
    }
    keys_.clear();
    if (entry != nullptr) {
      for (const std::string& key : *span_keys) {
        const V2KeyStats* k = FindKeyStats(entry->span_keys, key);
        if (k != nullptr) {
          keys_.push_back(static_cast<uint32_t>(k - entry->span_keys.data()));
        }
      }
    }
    absl::Status s = reader_->ReadV2Columns(
        n, entry != nullptr ? mask & ~Bit(kV2SpanAttributes) : mask, page,
        &stats->inspected_bytes, &stats->chunks_decompressed,
        entry != nullptr ? &keys_ : nullptr);
    if (!s.ok()) return s;
    ++stats->pages_read;
    if (entry != nullptr) {
      if (s = page->AssembleSpanAttributesOf(keys_, entry->span_count);
          !s.ok()) {
        return Damaged(n, s);
      }
    }
    if (s = page->ParseTables(); !s.ok()) return Damaged(n, s);
    return absl::OkStatus();
  }

  absl::Status Damaged(size_t n, const absl::Status& cause) {
    return absl::DataLossError(absl::StrCat(
        "block ", reader_->meta().tenant, "/", reader_->meta().block_id,
        " page ", n, " is damaged: ", cause.message()));
  }

  std::shared_ptr<BlockReader> reader_;
  // Probe scratch: key chunks to read, each check's chunk, per-span bits.
  std::vector<uint32_t> keys_;
  std::vector<std::string_view> columns_;
  std::vector<uint32_t> held_;
  // Pass 1 scratch: per span of the page (candidate, span checks passed);
  // the span-attribute checks.
  std::vector<uint8_t> candidate_, marked_;
  std::vector<SpanCheck> checks_;
  V2Page times_;  // pass 1: trace table, starts and intrinsic columns
};

}  // namespace

bool V2SummaryMayMatch(const traceql::Query& query, const BloomFilter& strings,
                       int64_t min_duration, int64_t max_duration,
                       const std::vector<V2KeyStats>* span_keys) {
  const std::vector<Condition>& conditions = query.conditions();
  if (conditions.empty()) return true;
  if (query.all_conditions_required()) {
    for (const Condition& c : conditions) {
      if (!ConditionMayHold(c, strings, min_duration, max_duration, span_keys)) {
        return false;
      }
    }
    return true;
  }
  for (const Condition& c : conditions) {
    if (ConditionMayHold(c, strings, min_duration, max_duration, span_keys)) return true;
  }
  return false;
}

std::unique_ptr<BlockTraceScanner> BlockTraceScanner::ForBlock(
    std::shared_ptr<BlockReader> reader) {
  if (reader->meta().format_version == kBlockFormatVersionV2) {
    return std::make_unique<V2Scanner>(std::move(reader));
  }
  return std::make_unique<V1Scanner>(std::move(reader));
}

}  // namespace andante::internal
