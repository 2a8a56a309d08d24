// V2Scanner's scan for a search keeping the newest results: pass 1 over
// every page's start column and cheap checks, pass 2 over the pages in the
// order of their latest candidate trace.
#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <utility>

#include "block/block_format.h"
#include "block/scan/columns.h"
#include "block/scan/intrinsic_checks.h"
#include "block/scan/trace_spans.h"
#include "block/scan/v2_scanner.h"

namespace andante::internal::scan {

using traceql::Condition;
using traceql::Intrinsic;
using traceql::Trace;

absl::Status V2Scanner::ScanLatestFirst(
    const V2Index& idx, const traceql::Query& query, uint32_t mask,
    const std::vector<std::string>& span_keys, const int64_t* start_after,
    absl::FunctionRef<bool(const Trace&)> fn, ScanStats* stats) {
  V2Page page;
  const CandidateRule rule(query, may_be_split_);
  TraceFiller filler(rule);
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
        LatestCandidate(idx, n, query, rule, &page, &filler, stats);
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
    if (absl::Status s = ReadPage(n, mask, &page, stats, &span_keys); !s.ok()) {
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

void V2Scanner::Add(const ScanStats& from, ScanStats* to) {
  to->traces_inspected += from.traces_inspected;
  to->traces_passed_over += from.traces_passed_over;
  to->traces_too_old += from.traces_too_old;
  to->spans_inspected += from.spans_inspected;
}

absl::StatusOr<int64_t> V2Scanner::LatestCandidate(const V2Index& idx, size_t n,
                                                   const traceql::Query& query,
                                                   const CandidateRule& rule,
                                                   V2Page* page,
                                                   TraceFiller* filler,
                                                   ScanStats* stats) {
  constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  const V2PageEntry& entry = idx.pages[n];
  const uint32_t columns = Bit(kV2Traces) | Bit(kV2Starts);
  uint32_t check_columns = 0;  // of status, kind and duration checks
  keys_.clear();
  bool span_checks = false;
  // Span checks find keys in the index's key statistics if it has them.
  bool strings = false;
  for (const Condition& c : query.span_conditions()) {
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
    } else {
      check_columns |= IntrinsicColumnBit(c);
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
  // With a count() bound (most pages hold a span that may satisfy the
  // checks, few a trace with enough of them) the check columns come first,
  // then the trace table, and the starts only for a page with a candidate
  // trace; otherwise all at once.
  const bool staged = rule.min_spans() > 1;
  if (absl::Status s = reader_->ReadV2Columns(
          n, staged ? check_columns : columns | check_columns, &times_,
          &stats->inspected_bytes, &stats->chunks_decompressed);
      !s.ok()) {
    return s;
  }
  stats->spans_inspected += entry.span_count;  // their checks were read
  for (const Condition& c : query.span_conditions()) {
    if (!MarkIntrinsic(c, times_, entry.span_count, &candidate_)) {
      return Damaged(n, absl::DataLossError("span column is corrupt"));
    }
  }
  if (staged) {
    const uint64_t candidates =
        std::count(candidate_.begin(), candidate_.end(), uint8_t{1});
    if (candidates == 0) return kNone;
    if (split_memo_ != nullptr) {
      // Too few candidates for one trace to match unless it is split: the
      // memo tells without the trace table whether any is in such a trace.
      if (candidates < rule.min_spans()) {
        std::optional<bool> split =
            split_memo_->AnySplitCandidate(n, candidate_);
        if (split.has_value() && !*split) {
          ++stats->pages_split_memo;
          return kNone;
        }
      }
    }
    if (absl::Status s = reader_->ReadV2Columns(n, Bit(kV2Traces), &times_,
                                                &stats->inspected_bytes,
                                                &stats->chunks_decompressed);
        !s.ok()) {
      return s;
    }
  }
  uint32_t span_count = 0;
  if (absl::Status s =
          ParseTraceSpans(times_.raw[kV2Traces], &traces_, &span_count);
      !s.ok()) {
    return Damaged(n, s);
  }
  if (span_count != entry.span_count) {
    return Damaged(n, absl::DataLossError("span count disagrees with index"));
  }
  // Which traces may match, from their candidate spans (found by position:
  // a page holds few when the checks are selective); the starts are decoded
  // only when one may.
  match_.assign(traces_.size(), 0);
  // With a memo, whether each trace may be split: from the memo, or asked
  // of every trace of the page once and recorded.
  const bool memo = staged && split_memo_ != nullptr;
  if (memo && !split_memo_->Get(n, &split_ranges_)) {
    split_ranges_.clear();
    for (const V2Page::TraceRef& tr : traces_) {
      if (may_be_split_(tr.id)) {
        split_ranges_.emplace_back(tr.span_begin, tr.span_end);
      }
    }
    split_memo_->Set(n, split_ranges_);
  }
  auto may_be_split = [&](const V2Page::TraceRef& tr) {
    if (!memo) return may_be_split_(tr.id);
    auto it = std::lower_bound(
        split_ranges_.begin(), split_ranges_.end(), tr.span_begin,
        [](const SplitMemo::SpanRange& r, uint32_t b) { return r.first < b; });
    return it != split_ranges_.end() && it->first == tr.span_begin;
  };
  bool any = false;
  const uint8_t* const cand = candidate_.data();
  size_t t = 0;
  for (uint32_t k = 0; k < span_count;) {
    const void* hit = std::memchr(cand + k, 1, span_count - k);
    if (hit == nullptr) break;
    k = static_cast<uint32_t>(static_cast<const uint8_t*>(hit) - cand);
    while (traces_[t].span_end <= k) ++t;  // the trace table covers k
    const V2Page::TraceRef& tr = traces_[t];
    const uint64_t count =
        std::count(cand + k, cand + tr.span_end, uint8_t{1});
    match_[t] = count >= rule.min_spans() || may_be_split(tr);
    any = any || match_[t];
    k = tr.span_end;
  }
  if (!any) return kNone;
  std::string_view starts = times_.raw[kV2Starts];
  if (staged) {
    if (absl::Status s = reader_->ReadV2Columns(n, Bit(kV2Starts), page,
                                                &stats->inspected_bytes,
                                                &stats->chunks_decompressed);
        !s.ok()) {
      return s;
    }
    starts = page->raw[kV2Starts];
  }
  if (absl::Status s = filler->ReadTraceStarts(traces_, starts);
      !s.ok()) {
    return Damaged(n, s);
  }
  int64_t latest = kNone;
  const std::vector<int64_t>& trace_starts = filler->trace_starts();
  for (t = 0; t < traces_.size(); ++t) {
    if (match_[t] && trace_starts[t] > latest) {
      latest = trace_starts[t];
    }
  }
  return latest;
}

absl::Status V2Scanner::MarkSpanChecks(const V2PageEntry& entry,
                                       const traceql::Query& query,
                                       const V2Page& page, bool strings) {
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

}  // namespace andante::internal::scan
