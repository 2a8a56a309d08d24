#include "block/scan/trace_filler.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "block/scan/columns.h"
#include "block/scan/intrinsic_checks.h"
#include "block/scan/varint.h"
#include "model/otlp_nesting.h"
#include "traceql/otlp_values.h"
#include "util/coding.h"

namespace andante::internal::scan {

using ::andante::otlp::common::v1::KeyValue;
using traceql::StoredValue;
using traceql::Trace;
using traceql::ValueType;
using traceql::internal::AddOtlpAttribute;

absl::Status TraceFiller::Fill(const V2Page& page, uint32_t mask,
                               const traceql::Query& query,
                               const int64_t* start_after,
                               absl::FunctionRef<bool(const Trace&)> fn,
                               bool* stopped, ScanStats* stats) {
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
                   kinds = page.raw[kV2Kinds], codes = page.raw[kV2StatusCodes],
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
          sp.span_id = traceql::internal::BigEndian64(
              std::string_view(ids + uint64_t{pos} * 8, 8));
          if (parent >= 2) {
            sp.parent_span_id = traceql::internal::BigEndian64(std::string_view(
                ids + (uint64_t{tr.span_begin} + parent - 2) * 8, 8));
          } else if (parent == 1) {
            sp.parent_span_id = traceql::internal::BigEndian64(
                std::string_view(raw_parent.data(), 8));
          }
          sp.start_unix_nanos = begin;
          sp.duration_nanos = UnZigZag64(duration);
          sp.name = Intern(page, name);
          uint64_t message = 0;
          if (messages && (!GetVarint64(&msgs, &message) || message >= nstr)) {
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
              if (!ParseOtlpMessage(b, &side_, kSpanDepth)) return bad("links");
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

bool TraceFiller::NonePass() const {
  return !trace_pass_.empty() &&
         std::find(trace_pass_.begin(), trace_pass_.end(), 1) ==
             trace_pass_.end();
}

absl::Status TraceFiller::ReadTraceStarts(
    const std::vector<V2Page::TraceRef>& traces, std::string_view starts) {
  trace_start_.assign(traces.size(), std::numeric_limits<int64_t>::max());
  const char* p = starts.data();
  const char* const end = p + starts.size();
  uint64_t prev = 0;
  for (size_t t = 0; t < traces.size(); ++t) {
    const V2Page::TraceRef& tr = traces[t];
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (uint32_t k = tr.span_begin; k < tr.span_end; ++k) {
      uint64_t delta;
      if (!FastVarint(&p, end, &delta)) {
        return absl::DataLossError("v2 page: start column is corrupt");
      }
      prev += static_cast<uint64_t>(UnZigZag64(delta));
      earliest = std::min(earliest, static_cast<int64_t>(prev));
    }
    trace_start_[t] = earliest;
  }
  return absl::OkStatus();
}

absl::Status TraceFiller::PrefilterTraces(const V2Page& page, uint32_t mask,
                                          const traceql::Query& query) {
  trace_pass_.clear();
  bool intrinsics = false;
  for (const traceql::Condition& c : query.span_conditions()) {
    intrinsics = intrinsics || IsIntrinsicCheck(c);
  }
  auto index_of = [&](std::string_view s) {
    for (size_t i = 0; i < page.strings.size(); ++i) {
      if (page.strings[i] == s) return static_cast<uint32_t>(i);
    }
    return UINT32_MAX;
  };
  const bool span_checks = (mask & Bit(kV2SpanAttributes)) &&
                           BuildSpanChecks(query, index_of, index_of, &checks_);
  if (!span_checks && !intrinsics) return absl::OkStatus();
  // Per span: whether every check may hold.
  candidate_.assign(page.span_count, 1);
  if (span_checks) {
    marked_.assign(page.span_count, 0);
    absl::Status s =
        MarkSpans(page.raw[kV2SpanAttributes], page.span_count,
                  page.strings.size(), checks_, [&](uint32_t span) {
                    marked_[span] = 1;
                    return true;
                  });
    if (!s.ok()) return s;
    for (uint32_t i = 0; i < page.span_count; ++i) candidate_[i] &= marked_[i];
  }
  for (const traceql::Condition& c : query.span_conditions()) {
    if (!MarkIntrinsic(c, page, page.span_count, &candidate_)) {
      return absl::DataLossError("v2 page: span column is corrupt");
    }
  }
  trace_pass_.assign(page.traces.size(), 0);
  for (size_t t = 0; t < page.traces.size(); ++t) {
    const V2Page::TraceRef& tr = page.traces[t];
    if (tr.span_end > page.span_count || tr.span_begin > tr.span_end) {
      return absl::DataLossError("v2 page: trace table is corrupt");
    }
    trace_pass_[t] =
        rule_.MayMatch(std::count(candidate_.begin() + tr.span_begin,
                                  candidate_.begin() + tr.span_end, 1),
                       tr.id);
  }
  return absl::OkStatus();
}


uint32_t TraceFiller::Intern(const V2Page& page, uint64_t index) {
  if (memo_gen_[index] == gen_) return memo_id_[index];
  const uint32_t id = trace_.Intern(page.strings[index]);
  memo_gen_[index] = gen_;
  memo_id_[index] = id;
  return id;
}

void TraceFiller::Push(const V2Page& page, const V2Attribute& a,
                       StoredValue value) {
  trace_.attributes.push_back(
      traceql::StoredAttribute{Intern(page, a.key), value});
}

void TraceFiller::AddAttribute(const V2Page& page, const V2Attribute& a) {
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

}  // namespace andante::internal::scan
