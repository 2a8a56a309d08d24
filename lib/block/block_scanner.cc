#include "block/block_scanner.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/traceql_otlp.h"
#include "block/block_format.h"
#include "block/v2_index.h"
#include "block/v2_page.h"
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
// What the span-attribute prefilter reads: the tables and span attributes.
constexpr uint32_t kProbeColumns = Bit(kV2Traces) | Bit(kV2Strings) |
                                   Bit(kV2Resources) | Bit(kV2Scopes) |
                                   Bit(kV2SpanAttributes);
// What every Trace needs: IDs, structure, names, times, kinds, statuses.
constexpr uint32_t kCoreColumns =
    Bit(kV2Traces) | Bit(kV2Strings) | Bit(kV2Resources) | Bit(kV2Scopes) |
    Bit(kV2SpanIds) | Bit(kV2Parents) | Bit(kV2Names) | Bit(kV2Kinds) |
    Bit(kV2StatusCodes) | Bit(kV2Starts) | Bit(kV2Durations) | Bit(kV2Misc);

// Stops BlockReader::ForEach when the callback asks to.
absl::Status Stop() { return absl::CancelledError("scan stopped"); }

bool ConditionMayHold(const Condition& c, const BloomFilter& strings,
                      int64_t min_duration, int64_t max_duration) {
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

// Fills Traces from a page's columns. Holds scratch reused across pages.
class TraceFiller {
 public:
  // Calls fn for each trace of `page` (tables parsed, the columns of `mask`
  // loaded). Sets *stopped when fn returns false.
  absl::Status Fill(const V2Page& page, uint32_t mask,
                    const traceql::Query& query,
                    absl::FunctionRef<bool(const Trace&)> fn, bool* stopped,
                    ScanStats* stats) {
    // Traces none of whose spans can satisfy the query's span-attribute
    // conditions are parsed past without building them.
    if (absl::Status s = PrefilterTraces(page, mask, query); !s.ok()) return s;
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
      if (!trace_pass_.empty() && !trace_pass_[t]) {
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
          ++stats->traces_passed_over;
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
              if (rest_.ParseFromArray(misc.data() - len,
                                       static_cast<int>(len)) &&
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
                if (!side_.ParseFromArray(b.data(), static_cast<int>(b.size())))
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
                if (!side_.ParseFromArray(b.data(), static_cast<int>(b.size())))
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

  // The span-attribute prefilter alone (see PrefilterTraces), for a page
  // whose tables are parsed and whose span attribute column is loaded.
  absl::Status Prefilter(const V2Page& page, const traceql::Query& query) {
    return PrefilterTraces(page, Bit(kV2SpanAttributes), query);
  }

  // After Prefilter or Fill: the prefilter ruled out every trace of the page.
  bool NonePass() const {
    return !trace_pass_.empty() &&
           std::find(trace_pass_.begin(), trace_pass_.end(), 1) ==
               trace_pass_.end();
  }

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
    struct Check {
      uint32_t key;  // page string index; UINT32_MAX: not in the page
      CompareOp op;
      bool is_string;
      int64_t i;
      uint32_t str;  // page string index of a string literal or UINT32_MAX
    };
    auto index_of = [&](std::string_view s) {
      for (size_t i = 0; i < page.strings.size(); ++i) {
        if (page.strings[i] == s) return static_cast<uint32_t>(i);
      }
      return UINT32_MAX;
    };
    std::vector<Check> checks;
    for (const Condition& c : query.conditions()) {
      if (c.is_intrinsic || c.attribute.scope != Scope::kSpan) continue;
      Check k{index_of(c.attribute.name), c.op, false, 0, UINT32_MAX};
      switch (c.op) {
        case CompareOp::kPresent:
          break;
        case CompareOp::kEq:
          if (c.literal.type == ValueType::kString) {
            k.is_string = true;
            k.str = index_of(c.literal.s);
            break;
          }
          [[fallthrough]];
        case CompareOp::kLt:
        case CompareOp::kLe:
        case CompareOp::kGt:
        case CompareOp::kGe:
          if (c.literal.type != ValueType::kInt) continue;
          k.i = c.literal.i;
          break;
        default:
          continue;
      }
      checks.push_back(k);
    }
    if (checks.empty()) return absl::OkStatus();
    trace_pass_.assign(page.traces.size(), 0);
    // A key the page's dictionary lacks: no span can satisfy that check.
    for (const Check& k : checks) {
      if (k.key == UINT32_MAX) return absl::OkStatus();
    }
    // The span attribute column is decoded in place (no per-span vector):
    // this loop is the whole cost of a page without candidates.
    constexpr size_t kMaxChecks = 32;
    if (checks.size() > kMaxChecks) checks.resize(kMaxChecks);  // fewer: still sound
    const uint64_t nstr = page.strings.size();
    const char* p = page.raw[kV2SpanAttributes].data();
    const char* const end = p + page.raw[kV2SpanAttributes].size();
    const auto corrupt = [] {
      return absl::DataLossError("v2 page: span attributes are corrupt");
    };
    size_t t = 0;
    for (uint32_t span = 0; span < page.span_count; ++span) {
      while (t < page.traces.size() && span >= page.traces[t].span_end) ++t;
      if (t >= page.traces.size()) return corrupt();
      uint64_t n;
      if (!FastVarint(&p, end, &n) || n > static_cast<uint64_t>(end - p) / 2) {
        return corrupt();
      }
      uint32_t held = 0;  // bit j: checks[j] holds for this span
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t key, u = 0;
        if (!FastVarint(&p, end, &key) || key >= nstr || p == end) {
          return corrupt();
        }
        const uint8_t tag = static_cast<uint8_t>(*p++);
        bool ok = true;
        switch (tag) {
          case kV2String:
            ok = FastVarint(&p, end, &u) && u < nstr;
            break;
          case kV2Bool:
            ok = p != end;
            if (ok) ++p;
            break;
          case kV2Int:
            ok = FastVarint(&p, end, &u);
            break;
          case kV2Double:
            ok = end - p >= 8;
            if (ok) p += 8;
            break;
          case kV2Any: {
            uint64_t len;
            ok = FastVarint(&p, end, &len) &&
                 len <= static_cast<uint64_t>(end - p);
            if (ok) p += len;
            break;
          }
          case kV2NoValue:
            break;
          default:
            ok = false;
        }
        if (!ok) return corrupt();
        for (size_t j = 0; j < checks.size(); ++j) {
          const Check& k = checks[j];
          if (k.key != key) continue;
          bool holds;
          if (k.op == CompareOp::kPresent) {
            holds = true;
          } else if (k.is_string) {
            holds = tag != kV2String || u == k.str;
          } else if (tag != kV2Int) {
            holds = true;  // another type: let the engine decide
          } else {
            const int64_t v = UnZigZag64(u);
            switch (k.op) {
              case CompareOp::kEq:
                holds = v == k.i;
                break;
              case CompareOp::kLt:
                holds = v < k.i;
                break;
              case CompareOp::kLe:
                holds = v <= k.i;
                break;
              case CompareOp::kGt:
                holds = v > k.i;
                break;
              default:
                holds = v >= k.i;
                break;
            }
          }
          if (holds) held |= 1u << j;
        }
      }
      if (held == (checks.size() == 32 ? 0xffffffffu
                                        : (1u << checks.size()) - 1)) {
        trace_pass_[t] = 1;
      }
    }
    if (p != end) return corrupt();
    return absl::OkStatus();
  }

  // A varint at *p (before `end`); false if truncated or over 10 bytes.
  static bool FastVarint(const char** p, const char* end, uint64_t* v) {
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
        if (any_.ParseFromArray(a.any.data(), static_cast<int>(a.any.size()))) {
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
      if (!data.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return absl::DataLossError(
            absl::StrCat("block ", reader_->meta().block_id, ": trace ",
                         id.ToHex(), " does not parse"));
      }
      if (stats != nullptr) ++stats->traces_inspected;
      return fn(id, data) ? absl::OkStatus() : Stop();
    });
  }

  absl::Status ScanForQuery(const traceql::Query&,
                            absl::FunctionRef<bool(const Trace&)> fn,
                            ScanStats* stats) override {
    TracesData data;
    Trace trace;
    return Scan(stats, [&](const TraceId& id, std::string_view bytes) {
      if (!data.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
          !traceql::TraceFromOtlp(data, id, &trace).ok()) {
        return absl::OkStatus();  // not searchable; Find still returns it
      }
      if (stats != nullptr) {
        ++stats->traces_inspected;
        stats->spans_inspected += trace.spans.size();
      }
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
    if (!V2SummaryMayMatch(query, idx.strings, min_duration, max_duration)) {
      ++stats->blocks_skipped;
      return absl::OkStatus();
    }
    ++stats->blocks_scanned;
    const uint32_t mask = QueryColumnMask(query);
    // Selective queries: a page is first probed with the few columns the
    // span-attribute prefilter needs; only a page with a candidate trace has
    // its other columns decompressed. A page with candidates suggests the
    // next has some too (broad queries), so probing pauses until a page
    // without any.
    const bool may_probe = query.all_conditions_required() &&
                           (mask & Bit(kV2SpanAttributes)) &&
                           (mask & ~kProbeColumns) != 0;
    bool probe = may_probe;
    V2Page page;
    TraceFiller filler;
    for (size_t n = 0; n < idx.pages.size(); ++n) {
      const V2PageEntry& p = idx.pages[n];
      if (!V2SummaryMayMatch(query, p.strings, p.min_duration,
                             p.max_duration)) {
        ++stats->pages_skipped;
        continue;
      }
      if (probe) {
        if (absl::Status s = ReadPage(n, kProbeColumns, &page, stats);
            !s.ok()) {
          return s;
        }
        ++stats->pages_probed;
        if (absl::Status s = filler.Prefilter(page, query); !s.ok()) {
          return Damaged(n, s);
        }
        if (filler.NonePass()) {
          stats->spans_inspected += page.span_count;
          stats->traces_passed_over += page.traces.size();
          continue;
        }
        probe = false;
      }
      if (absl::Status s = ReadPage(n, mask, &page, stats); !s.ok()) return s;
      bool stopped = false;
      absl::Status s = filler.Fill(page, mask, query, fn, &stopped, stats);
      if (!s.ok()) return Damaged(n, s);
      if (stopped) break;
      if (may_probe && filler.NonePass()) probe = true;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ReadPage(size_t n, uint32_t mask, V2Page* page,
                        ScanStats* stats) {
    absl::Status s = reader_->ReadV2Columns(
        n, mask, page, &stats->inspected_bytes, &stats->chunks_decompressed);
    if (!s.ok()) return s;
    ++stats->pages_read;
    if (s = page->ParseTables(); !s.ok()) return Damaged(n, s);
    return absl::OkStatus();
  }

  absl::Status Damaged(size_t n, const absl::Status& cause) {
    return absl::DataLossError(absl::StrCat(
        "block ", reader_->meta().tenant, "/", reader_->meta().block_id,
        " page ", n, " is damaged: ", cause.message()));
  }

  std::shared_ptr<BlockReader> reader_;
};

}  // namespace

bool V2SummaryMayMatch(const traceql::Query& query, const BloomFilter& strings,
                       int64_t min_duration, int64_t max_duration) {
  const std::vector<Condition>& conditions = query.conditions();
  if (conditions.empty()) return true;
  if (query.all_conditions_required()) {
    for (const Condition& c : conditions) {
      if (!ConditionMayHold(c, strings, min_duration, max_duration)) {
        return false;
      }
    }
    return true;
  }
  for (const Condition& c : conditions) {
    if (ConditionMayHold(c, strings, min_duration, max_duration)) return true;
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
