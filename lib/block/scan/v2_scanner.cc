#include "block/scan/v2_scanner.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "block/scan/columns.h"
#include "block/scan/stop.h"
#include "block/scan/summary.h"

namespace andante::internal::scan {

using ::andante::otlp::trace::v1::TracesData;
using traceql::Condition;
using traceql::Trace;

absl::Status V2Scanner::ScanAll(
    absl::FunctionRef<bool(const TraceId&, TracesData&)> fn, ScanStats* stats) {
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

absl::Status V2Scanner::ScanForQuery(const traceql::Query& query,
                                     const int64_t* start_after,
                                     absl::FunctionRef<bool(const Trace&)> fn,
                                     ScanStats* stats) {
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
  const std::vector<std::string> span_keys = QuerySpanKeys(query);
  if (start_after != nullptr) {
    return ScanLatestFirst(idx, query, mask, span_keys, start_after, fn, stats);
  }
  // Selective queries: a page is first probed with the few columns the
  // span-attribute prefilter needs; only a page with a candidate trace has
  // its other columns decompressed. A page with candidates suggests the
  // next has some too (broad queries), so probing pauses until a page
  // without any.
  bool may_probe = false;
  // The probe finds keys in the index's key statistics, and needs the
  // page's dictionary only without them or for a string literal.
  bool probe_strings = !idx.attribute_stats;
  for (const Condition& c : query.span_conditions()) {
    bool needs_strings;
    if (IsSpanCheck(c, &needs_strings)) {
      may_probe = mask & Bit(kV2SpanAttributes);
      probe_strings = probe_strings || needs_strings;
    }
  }
  bool probe = may_probe;
  std::vector<SpanCheck> checks;
  V2Page page;
  const CandidateRule rule(query, may_be_split_);
  TraceFiller filler(rule);
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
    if (absl::Status s = ReadPage(n, mask, &page, stats, &span_keys); !s.ok()) {
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

bool V2Scanner::PageMayMatch(const V2Index& idx, const V2PageEntry& p,
                             const traceql::Query& query, ScanStats* stats) {
  if (V2SummaryMayMatch(query, p.strings, p.min_duration, p.max_duration,
                        idx.attribute_stats ? &p.span_keys : nullptr)) {
    return true;
  }
  ++stats->pages_skipped;
  return false;
}

absl::StatusOr<bool> V2Scanner::Probe(const V2Index& idx, size_t n,
                                      const traceql::Query& query,
                                      bool probe_strings,
                                      std::vector<SpanCheck>* checks,
                                      V2Page* page, ScanStats* stats) {
  const V2PageEntry& entry = idx.pages[n];
  // A keyed page: the key chunks of the checked keys alone.
  keys_.clear();
  if (entry.keyed) {
    for (const Condition& c : query.span_conditions()) {
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
  const uint32_t columns = (entry.keyed ? 0 : Bit(kV2SpanAttributes)) |
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
    s = MarkSpans(page->raw[kV2SpanAttributes], entry.span_count, nstr, *checks,
                  [&](uint32_t) {
                    any = true;
                    return true;
                  });
  }
  if (!s.ok()) return Damaged(n, s);
  return any;
}

absl::Status V2Scanner::ReadPage(size_t n, uint32_t mask, V2Page* page,
                                 ScanStats* stats,
                                 const std::vector<std::string>* span_keys) {
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
    if (s = page->AssembleSpanAttributesOf(keys_, entry->span_count); !s.ok()) {
      return Damaged(n, s);
    }
  }
  if (s = page->ParseTables(); !s.ok()) return Damaged(n, s);
  return absl::OkStatus();
}

absl::Status V2Scanner::Damaged(size_t n, const absl::Status& cause) {
  return absl::DataLossError(absl::StrCat("block ", reader_->meta().tenant, "/",
                                          reader_->meta().block_id, " page ", n,
                                          " is damaged: ", cause.message()));
}

}  // namespace andante::internal::scan
