// Store::Search, Store::SearchTags and Store::SearchTagValues: the query
// module's side of the Store facade.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/traceql.h"
#include "ingest/tenant_instance.h"
#include "block/block_format.h"
#include "block/block_scanner.h"
#include "query/block_search.h"
#include "query/byte_prefilter.h"
#include "query/tag_summaries.h"
#include "query/trace_decode.h"
#include "util/strings.h"

namespace andante {

// Grants the query module the tenant lookup Store keeps private.
namespace {

// Whether a complete block's read error skips that block instead of failing
// the request: DATA_LOSS, a damaged block (logged and counted by its
// reader), and, when `skip_gone`, NOT_FOUND: a block gone since the view was
// taken (compacted inputs are deleted compacted_block_retention after their
// outputs were published, so a search that outlives that sees them go).
// Trace by ID skips both (TenantInstance::CollectTrace). A search first
// runs again on a fresh view, which holds the outputs (Store::Search).
bool SkipsBlock(const absl::Status& s, bool skip_gone = true) {
  return absl::IsDataLoss(s) || (skip_gone && absl::IsNotFound(s));
}

// Go's time.Duration.String() for whole seconds: "168h0m0s", "30m0s", "45s".
std::string GoDurationString(absl::Duration d) {
  int64_t secs = absl::ToInt64Seconds(d);
  const int64_t h = secs / 3600, m = (secs % 3600) / 60, s = secs % 60;
  if (h > 0) return absl::StrCat(h, "h", m, "m", s, "s");
  if (m > 0) return absl::StrCat(m, "m", s, "s");
  return absl::StrCat(s, "s");
}

// The read limits' one enforcement point: `max_search_duration` refuses a
// search range longer than the tenant's limit (Tempo's 400 wording).
absl::Status CheckSearchDuration(const TenantLimits& limits,
                                 int64_t start_unix_seconds,
                                 int64_t end_unix_seconds) {
  const absl::Duration max = limits.max_search_duration;
  if (max <= absl::ZeroDuration() || start_unix_seconds == 0 ||
      end_unix_seconds == 0) {
    return absl::OkStatus();
  }
  if (absl::Seconds(end_unix_seconds - start_unix_seconds) <= max) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "range specified by start and end exceeds ", GoDurationString(max),
      ". received start=", start_unix_seconds, " end=", end_unix_seconds));
}

// ... and `max_bytes_per_tag_values_query` caps how far a tag names/values
// answer grows (it is cut off, not refused).
TagSearchOptions LimitTagSearch(const TagSearchOptions& options,
                                const TenantLimits& limits) {
  TagSearchOptions limited = options;
  if (limits.max_bytes_per_tag_values_query > 0) {
    limited.max_bytes =
        std::min(limited.max_bytes, limits.max_bytes_per_tag_values_query);
  }
  return limited;
}

}  // namespace

struct StoreSearchAccess {
  static internal::TenantInstance* Find(Store* store, std::string_view tenant) {
    return static_cast<internal::TenantInstance*>(
        store->FindTenantForSearch(tenant));
  }
};

namespace {

using internal::BlockReader;
using internal::TenantInstance;
using internal::TraceEntry;
using ReadFn = absl::FunctionRef<absl::Status(const TraceEntry&, std::string*)>;

// [start, end] in Unix nanoseconds; 0 = unbounded.
struct TimeRange {
  uint64_t start = 0;
  uint64_t end = 0;
  TimeRange(int64_t start_s, int64_t end_s) {
    if (start_s > 0) start = static_cast<uint64_t>(start_s) * 1000000000ULL;
    if (end_s > 0)
      end = static_cast<uint64_t>(end_s) * 1000000000ULL + 999999999ULL;
  }
  // Unknown times (0) always overlap.
  bool Overlaps(uint64_t lo, uint64_t hi) const {
    if (lo == 0 && hi == 0) return true;
    if (start != 0 && hi != 0 && hi < start) return false;
    if (end != 0 && lo != 0 && lo > end) return false;
    return true;
  }
};

std::vector<std::shared_ptr<BlockReader>> NewestFirst(
    std::vector<std::shared_ptr<BlockReader>> blocks) {
  std::stable_sort(blocks.begin(), blocks.end(),
                   [](const auto& a, const auto& b) {
                     return a->meta().end_unix_nano > b->meta().end_unix_nano;
                   });
  return blocks;
}

traceql::Value ToValue(const traceql::Trace& trace, traceql::StoredValue v) {
  traceql::Value out;
  out.type = v.type;
  switch (v.type) {
    case traceql::ValueType::kString:
      out.s = std::string(trace.str(v.str));
      break;
    case traceql::ValueType::kFloat:
      out.f = v.f;
      break;
    case traceql::ValueType::kBool:
      out.b = v.b;
      break;
    default:
      out.i = v.i;
  }
  return out;
}

std::string SpanIdHex(uint64_t id) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[id & 0xf];
    id >>= 4;
  }
  return out;
}

// Keeps the `limit` newest matching traces while traces are offered.
class Collector {
 public:
  Collector(const traceql::Query& query, const SearchOptions& options)
      : query_(query),
        options_(options),
        range_(options.start_unix_seconds, options.end_unix_seconds),
        matcher_(query) {}

  bool full() const { return heap_.size() >= options_.limit; }
  // Start of the oldest kept trace. REQUIRES: full().
  int64_t oldest_start() const { return heap_.front().start_unix_nanos; }
  // What a trace must start after to be kept: oldest_start() once full().
  int64_t start_after() const {
    return full() ? oldest_start() : std::numeric_limits<int64_t>::min();
  }
  SearchMetrics& metrics() { return metrics_; }
  const traceql::Query& query() const { return query_; }
  const TimeRange& range() const { return range_; }
  // Whether blocks gone under this search are skipped (SkipsBlock) rather
  // than reported as NOT_FOUND, for Store::Search to run again.
  bool skip_gone_blocks() const { return skip_gone_blocks_; }
  void set_skip_gone_blocks(bool skip) { skip_gone_blocks_ = skip; }

  absl::Status Offer(const traceql::Trace& trace) {
    ++metrics_.inspected_traces;
    metrics_.inspected_spans += trace.spans.size();
    if (trace.spans.empty()) return absl::OkStatus();
    if (!range_.Overlaps(static_cast<uint64_t>(trace.start_unix_nanos),
                         static_cast<uint64_t>(trace.end_unix_nanos))) {
      return absl::OkStatus();
    }
    if (full() && trace.start_unix_nanos <= oldest_start()) {
      return absl::OkStatus();
    }
    absl::Status s = matcher_.Evaluate(trace, &spansets_);
    if (!s.ok()) return s;
    if (spansets_.empty()) return absl::OkStatus();
    heap_.push_back(Build(trace));
    std::push_heap(heap_.begin(), heap_.end(), Newer);
    if (heap_.size() > options_.limit) {
      std::pop_heap(heap_.begin(), heap_.end(), Newer);
      heap_.pop_back();
    }
    return absl::OkStatus();
  }

  // Reports the results so far to SearchOptions::progress, if set.
  // CANCELLED when the callback asks to stop.
  absl::Status Progress() {
    if (!options_.progress) return absl::OkStatus();
    SearchResult so_far;
    so_far.traces = heap_;
    std::sort(so_far.traces.begin(), so_far.traces.end(), Newer);
    so_far.metrics = metrics_;
    if (!options_.progress(so_far)) {
      return absl::CancelledError("search cancelled by its caller");
    }
    return absl::OkStatus();
  }

  SearchResult Finish() {
    SearchResult result;
    std::sort(heap_.begin(), heap_.end(), Newer);
    result.traces = std::move(heap_);
    result.metrics = metrics_;
    return result;
  }

 private:
  // Heap order: the oldest trace at the front.
  static bool Newer(const SearchTrace& a, const SearchTrace& b) {
    if (a.start_unix_nanos != b.start_unix_nanos) {
      return a.start_unix_nanos > b.start_unix_nanos;
    }
    return a.trace_id_hex < b.trace_id_hex;
  }

  SearchTrace Build(const traceql::Trace& trace) {
    SearchTrace t;
    t.trace_id = trace.trace_id;
    t.trace_id_hex = trace.trace_id_hex;
    if (trace.root_span >= 0) {
      const traceql::Span& root = trace.spans[trace.root_span];
      uint32_t service = trace.resources[root.resource].service_name;
      t.root_service_name =
          service == traceql::kNoString ? "" : std::string(trace.str(service));
      t.root_trace_name = std::string(trace.str(root.name));
    } else {
      t.root_service_name = std::string(kRootSpanNotYetReceived);
    }
    t.start_unix_nanos = trace.start_unix_nanos;
    t.duration_ms = static_cast<uint32_t>(trace.duration_nanos / 1000000);
    for (const traceql::Span& span : trace.spans) {
      uint32_t service = trace.resources[span.resource].service_name;
      std::string name =
          service == traceql::kNoString ? "" : std::string(trace.str(service));
      SearchServiceStats& stats = t.service_stats[name];
      ++stats.span_count;
      if (span.status == traceql::SpanStatus::kError) ++stats.error_count;
    }
    for (const traceql::SpanSet& set : spansets_) {
      SearchSpanSet out;
      out.matched = static_cast<uint32_t>(set.spans.size());
      out.attributes = set.attributes;
      size_t n = set.spans.size();
      if (options_.spans_per_spanset != 0) {
        n = std::min<size_t>(n, options_.spans_per_spanset);
      }
      for (size_t i = 0; i < n; ++i) {
        const traceql::Span& span = trace.spans[set.spans[i]];
        SearchSpan s;
        s.span_id_hex = SpanIdHex(span.span_id);
        s.name = std::string(trace.str(span.name));
        s.start_unix_nanos = span.start_unix_nanos;
        s.duration_nanos = span.duration_nanos;
        query_.SpanAttributes(trace, set.spans[i], &s.attributes);
        out.spans.push_back(std::move(s));
      }
      t.span_sets.push_back(std::move(out));
    }
    return t;
  }

  const traceql::Query& query_;
  const SearchOptions options_;
  const TimeRange range_;
  traceql::Matcher matcher_;
  std::vector<traceql::SpanSet> spansets_;
  std::vector<SearchTrace> heap_;
  SearchMetrics metrics_;
  bool skip_gone_blocks_ = true;
};

// Adds the fragments of `id` held by `blocks` (except `skip`) to *parts.
// Only blocks whose time range comes within kSplitSlack of [lo, hi] (span
// times of the fragment at hand, 0 = unknown: all blocks) are asked: the
// parts of a trace cut while it was live lie close in time.
constexpr uint64_t kSplitSlack = 10ull * 60 * 1000000000;

// Whether a block's time range comes within kSplitSlack of [lo, hi].
bool NearInTime(const internal::BlockMeta& meta, uint64_t lo, uint64_t hi) {
  if (lo != 0 && meta.end_unix_nano != 0 &&
      meta.end_unix_nano + kSplitSlack < lo) {
    return false;
  }
  return hi == 0 || meta.start_unix_nano <= hi + kSplitSlack;
}

absl::Status FindElsewhere(
    const std::vector<std::shared_ptr<BlockReader>>& blocks,
    const BlockReader* skip, const TraceId& id, bool skip_gone,
    uint64_t* inspected_bytes, std::vector<std::string>* found,
    uint64_t lo = 0, uint64_t hi = 0) {
  for (const auto& block : blocks) {
    if (block.get() == skip) continue;
    if (!NearInTime(block->meta(), lo, hi)) continue;
    absl::StatusOr<std::optional<std::string>> data =
        query::FindInBlock(*block, id, inspected_bytes);
    if (SkipsBlock(data.status(), skip_gone)) continue;
    if (!data.ok()) return data.status();
    if (data->has_value()) found->push_back(**std::move(data));
  }
  return absl::OkStatus();
}

// Searches complete block blocks[i] (v1): each trace's stored bytes, past
// the byte prefilter, decoded whole and combined with its parts in other
// blocks. Traces in the WAL or already evaluated (*done) are skipped.
absl::Status ScanV1Block(
    const std::vector<std::shared_ptr<BlockReader>>& blocks, size_t i,
    const TenantInstance::SearchView& view, Collector& collector,
    const query::BytePrefilter& prefilter, absl::flat_hash_set<TraceId>* done) {
  SearchMetrics& metrics = collector.metrics();
  traceql::Trace trace;
  std::vector<std::string> elsewhere;
  std::vector<std::string_view> parts;
  return query::ScanBlockTraces(
      *blocks[i], &metrics.inspected_bytes,
          [&](const TraceId& id, std::string_view data) -> absl::Status {
            if (view.wal.contains(id) || done->contains(id)) {
              return absl::OkStatus();
            }
            if (!prefilter.MayMatch(data)) {
              // Any other part of the trace is found when its own block is
              // scanned.
              ++metrics.inspected_traces;
              return absl::OkStatus();
            }
            absl::Status s = query::DecodeTrace(id, {data}, false, &trace);
            if (!s.ok()) return s;
            elsewhere.clear();
            s = FindElsewhere(blocks, blocks[i].get(), id,
                              collector.skip_gone_blocks(),
                              &metrics.inspected_bytes, &elsewhere,
                              static_cast<uint64_t>(trace.start_unix_nanos),
                              static_cast<uint64_t>(trace.end_unix_nanos));
            if (!s.ok()) return s;
            if (!elsewhere.empty()) {
              done->insert(id);
              parts.assign({data});
              for (const std::string& p : elsewhere) parts.push_back(p);
              s = query::DecodeTrace(id, parts, true, &trace);
              if (!s.ok()) return s;
            }
            return collector.Offer(trace);
          });
}

// Adds `block` to the digest of a set of blocks for
// BlockReader::SplitMemoFor: the sum (a) and the XOR (b) of a 64-bit hash of
// each block's ID (std::hash mixed once more by splitmix64's finalizer:
// only equality within this process matters).
void AddToDigest(const BlockReader& block, BlockReader::BlockSetDigest* d) {
  uint64_t h = std::hash<std::string>{}(block.meta().block_id);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  d->a += h;
  d->b ^= h;
}

// Searches complete block blocks[i] (v2) through its column scanner: blocks
// and pages that cannot match are skipped by their summaries, only the
// referenced columns are decompressed, and traces are built straight from
// them. A trace with parts in other blocks is evaluated whole: its parts are
// read and decoded together, as for v1.
absl::Status ScanV2Block(
    const std::vector<std::shared_ptr<BlockReader>>& blocks, size_t i,
    const TenantInstance::SearchView& view,
    Collector& collector, absl::flat_hash_set<TraceId>* done) {
  SearchMetrics& metrics = collector.metrics();
  std::unique_ptr<internal::BlockTraceScanner> scanner =
      internal::BlockTraceScanner::ForBlock(blocks[i]);
  // A trace is evaluated whole, its parts combined: one whose part here
  // holds too few spans for the query (`count() > 2`) may match only if it
  // has parts in other blocks (its live parts: the WAL search above). Only
  // blocks near this one in time are asked: FindElsewhere would not combine
  // parts from the others (a part's span times lie within its block's), so
  // the answers are the same.
  std::vector<BlockReader*> near;
  if (collector.query().min_matching_spans() > 1) {
    const auto& meta = blocks[i]->meta();
    BlockReader::BlockSetDigest digest;
    for (const auto& block : blocks) {
      if (block != blocks[i] &&
          NearInTime(block->meta(), meta.start_unix_nano, meta.end_unix_nano)) {
        near.push_back(block.get());
        AddToDigest(*block, &digest);
      }
    }
    // What this block's pages have told about split traces, kept with the
    // block while the blocks near it stay the same (a new block elsewhere
    // in time does not make it stale).
    scanner->set_split_memo(blocks[i]->SplitMemoFor(digest));
  }
  scanner->set_may_be_split([&](const TraceId& id) {
    for (BlockReader* block : near) {
      absl::StatusOr<bool> may =
          block->MayContain(id, &metrics.inspected_bytes);
      if (!may.ok() || *may) return true;
    }
    return false;
  });
  internal::ScanStats stats;
  traceql::Trace whole;
  std::vector<std::string> elsewhere;
  std::vector<std::string_view> parts;
  uint64_t counted_spans = 0;
  absl::Status error;
  // Once `limit` results are kept, only a trace starting after the oldest of
  // them can enter: the scanner passes the others over without building
  // them. (A trace with parts elsewhere starts no later than this part.)
  int64_t start_after = collector.start_after();
  absl::Status s = scanner->ScanForQuery(
      collector.query(), &start_after,
      [&](const traceql::Trace& trace) {
        const TraceId& id = trace.trace_id;
        if (view.wal.contains(id) || done->contains(id)) return true;
        elsewhere.clear();
        error = FindElsewhere(blocks, blocks[i].get(), id,
                              collector.skip_gone_blocks(),
                              &metrics.inspected_bytes, &elsewhere,
                              static_cast<uint64_t>(trace.start_unix_nanos),
                              static_cast<uint64_t>(trace.end_unix_nanos));
        if (!error.ok()) return false;
        counted_spans += trace.spans.size();
        if (elsewhere.empty()) {
          error = collector.Offer(trace);
          start_after = collector.start_after();
          return error.ok();
        }
        done->insert(id);
        absl::StatusOr<std::optional<std::string>> own =
            query::FindInBlock(*blocks[i], id, &metrics.inspected_bytes);
        if (!own.ok()) {
          error = own.status();
          return false;
        }
        parts.clear();
        if (own->has_value()) parts.push_back(**own);
        for (const std::string& p : elsewhere) parts.push_back(p);
        error = query::DecodeTrace(id, parts, true, &whole);
        if (error.ok()) error = collector.Offer(whole);
        start_after = collector.start_after();
        return error.ok();
      },
      &stats);
  metrics.inspected_bytes += stats.inspected_bytes;
  // Offer counted the traces it was given; the scanner also looked at the
  // spans of traces its prefilter passed over.
  metrics.inspected_spans += stats.spans_inspected - std::min(
      stats.spans_inspected, counted_spans);
  metrics.inspected_traces += static_cast<uint32_t>(stats.traces_passed_over +
                                                    stats.traces_too_old);
  // Ruled out by its index summaries: not a byte of data read.
  metrics.skipped_blocks += static_cast<uint32_t>(stats.blocks_skipped);
  if (!error.ok()) return error;
  return s;
}

absl::Status SearchTenant(TenantInstance* instance, Collector& collector) {
  return instance->ForSearch([&](const TenantInstance::SearchView& view,
                                 ReadFn read) -> absl::Status {
    SearchMetrics& metrics = collector.metrics();
    std::vector<std::shared_ptr<BlockReader>> blocks = NewestFirst(view.blocks);
    metrics.total_blocks += static_cast<uint32_t>(blocks.size());
    for (const auto& b : blocks)
      metrics.total_block_bytes += b->meta().data_bytes;

    traceql::Trace trace;
    query::BytePrefilter prefilter(collector.query());
    std::string wal_bytes;
    std::vector<std::string> elsewhere;
    std::vector<std::string_view> parts;
    // Traces found in several blocks, evaluated whole already.
    absl::flat_hash_set<TraceId> done;

    // Live, head and frozen traces (newest data), each with its fragments in
    // complete blocks.
    for (const auto& [id, entry] : view.wal) {
      if (!collector.range().Overlaps(entry.start_unix_nano,
                                      entry.end_unix_nano) &&
          entry.start_unix_nano != 0) {
        // Its block fragments may still widen it; they were cut from the
        // same trace, so time-adjacent. Skip only well outside the range.
        continue;
      }
      if (collector.full() && entry.start_unix_nano != 0 &&
          static_cast<int64_t>(entry.start_unix_nano) <=
              collector.oldest_start()) {
        continue;
      }
      absl::Status s = read(entry, &wal_bytes);
      if (!s.ok()) return s;
      metrics.inspected_bytes += wal_bytes.size();
      elsewhere.clear();
      s = FindElsewhere(blocks, nullptr, id, collector.skip_gone_blocks(),
                        &metrics.inspected_bytes, &elsewhere);
      if (!s.ok()) return s;
      parts.assign({wal_bytes});
      for (const std::string& p : elsewhere) parts.push_back(p);
      if (prefilter.active() &&
          std::none_of(parts.begin(), parts.end(), [&](std::string_view p) {
            return prefilter.MayMatch(p);
          })) {
        ++metrics.inspected_traces;
        continue;
      }
      s = query::DecodeTrace(id, parts, /*dedupe=*/true, &trace);
      if (!s.ok()) return s;
      s = collector.Offer(trace);
      if (!s.ok()) return s;
    }
    if (absl::Status s = collector.Progress(); !s.ok()) return s;

    // Complete blocks, newest first.
    for (size_t i = 0; i < blocks.size(); ++i) {
      const BlockReader& meta_of = *blocks[i];
      const auto& meta = meta_of.meta();
      if (!collector.range().Overlaps(meta.start_unix_nano,
                                      meta.end_unix_nano)) {
        ++metrics.skipped_blocks;
        if (absl::Status s = collector.Progress(); !s.ok()) return s;
        continue;
      }
      if (collector.full() && meta.end_unix_nano != 0 &&
          static_cast<int64_t>(meta.end_unix_nano) < collector.oldest_start()) {
        // No trace here can be newer than the results, nor in any older
        // block.
        metrics.skipped_blocks += static_cast<uint32_t>(blocks.size() - i);
        break;
      }
      absl::Status s =
          meta.format_version == internal::kBlockFormatVersionV2
              ? ScanV2Block(blocks, i, view, collector, &done)
              : ScanV1Block(blocks, i, view, collector, prefilter, &done);
      if (!s.ok() && !SkipsBlock(s, collector.skip_gone_blocks())) return s;
      if (s = collector.Progress(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

// Calls fn(trace) for every stored trace fragment of the tenant in range,
// uncombined (for tags: the union over fragments is the union over traces).
// fn returns false to stop.
// `serve_block`, if set, answers for a whole complete block instead (e.g.
// from a cache) and returns false to stop.
using ServeBlock = std::function<absl::StatusOr<bool>(BlockReader&)>;

absl::Status ForEachFragment(
    TenantInstance* instance, const TimeRange& range, uint64_t* inspected_bytes,
    uint32_t* total_blocks, uint64_t* skipped_spans,
    const std::function<bool(const traceql::Trace&)>& fn,
    const ServeBlock& serve_block = nullptr) {
  return instance->ForSearch([&](const TenantInstance::SearchView& view,
                                 ReadFn read) -> absl::Status {
    std::vector<std::shared_ptr<BlockReader>> blocks = NewestFirst(view.blocks);
    *total_blocks += static_cast<uint32_t>(blocks.size());
    traceql::Trace trace;
    std::string bytes;
    bool stop = false;
    for (const auto& [id, entry] : view.wal) {
      if (!range.Overlaps(entry.start_unix_nano, entry.end_unix_nano)) continue;
      absl::Status s = read(entry, &bytes);
      if (!s.ok()) return s;
      *inspected_bytes += bytes.size();
      s = query::DecodeTrace(id, {bytes}, false, &trace, skipped_spans);
      if (!s.ok()) return s;
      if (!fn(trace)) return absl::OkStatus();
    }
    for (const auto& block : blocks) {
      if (!range.Overlaps(block->meta().start_unix_nano,
                          block->meta().end_unix_nano)) {
        continue;
      }
      if (serve_block) {
        absl::StatusOr<bool> more = serve_block(*block);
        if (SkipsBlock(more.status())) continue;
        if (!more.ok()) return more.status();
        if (!*more) return absl::OkStatus();
        continue;
      }
      absl::Status s = query::ScanBlockTraces(
          *block, inspected_bytes,
          [&](const TraceId& id, std::string_view data) -> absl::Status {
            absl::Status s =
                query::DecodeTrace(id, {data}, false, &trace, skipped_spans);
            if (!s.ok()) return s;
            if (!fn(trace)) {
              stop = true;
              return absl::CancelledError("enough");
            }
            return absl::OkStatus();
          });
      if (stop) return absl::OkStatus();
      if (SkipsBlock(s)) continue;
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

// Tags and tag values of complete blocks without a tag summary (or of a
// name it does not hold all values of) never change: computed from the data
// on the first unfiltered request, then served from memory bounded by bytes
// (query/tag_summaries.h).
using BlockTags = query::ScannedBlockTags;
using TagValueList = query::ScannedTagValues;

std::string CacheKey(const BlockReader& block) {
  return absl::StrCat(block.meta().tenant, "/", block.meta().block_id);
}

// The spans of `trace` a tag query looks at: all, or those matching.
absl::Status SelectSpans(const traceql::Trace& trace, traceql::Matcher* matcher,
                         std::vector<traceql::SpanSet>* scratch,
                         std::vector<uint32_t>* out) {
  out->clear();
  if (matcher == nullptr) {
    for (uint32_t i = 0; i < trace.spans.size(); ++i) out->push_back(i);
    return absl::OkStatus();
  }
  absl::Status s = matcher->Evaluate(trace, scratch);
  if (!s.ok()) return s;
  for (const traceql::SpanSet& set : *scratch) {
    out->insert(out->end(), set.spans.begin(), set.spans.end());
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SearchResult> Store::Search(std::string_view tenant,
                                           const traceql::Query& query,
                                           const SearchOptions& options) {
  if (options.limit == 0) {
    return absl::InvalidArgumentError(
        "invalid limit: must be a positive number");
  }
  TenantInstance* instance = StoreSearchAccess::Find(this, tenant);
  if (instance != nullptr) {
    absl::Status s = CheckSearchDuration(*instance->limits(),
                                         options.start_unix_seconds,
                                         options.end_unix_seconds);
    if (!s.ok()) return s;
  }
  // A block can go under a search that outlives compacted_block_retention:
  // its traces are in the compaction's outputs, which a fresh view holds,
  // so the search runs again (from scratch: its results must not count a
  // trace twice). The last attempt skips what is still gone.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    Collector collector(query, options);
    if (instance == nullptr) return collector.Finish();
    collector.set_skip_gone_blocks(attempt == kAttempts);
    absl::Status s = SearchTenant(instance, collector);
    const SearchMetrics& m = collector.metrics();
    internal::StoreCounters* counters = instance->counters();
    counters->search_blocks += m.total_blocks;
    counters->search_blocks_skipped += m.skipped_blocks;
    counters->search_inspected_bytes += m.inspected_bytes;
    if (absl::IsNotFound(s) && attempt < kAttempts) continue;
    if (!s.ok()) return s;
    return collector.Finish();
  }
}

namespace {

// Adds the attribute names of `spans` of `trace`, in the scopes `want`
// selects, to sets[resource, span, event, link, instrumentation].
void CollectTagNames(const traceql::Trace& trace,
                     const std::vector<uint32_t>& spans,
                     const std::function<bool(TagScope)>& want,
                     absl::flat_hash_set<std::string>* sets, uint64_t* bytes) {
  auto add = [&](int set, traceql::AttributeRange range) {
    for (uint32_t a = range.begin; a < range.end; ++a) {
      std::string_view key = trace.str(trace.attributes[a].key);
      if (sets[set].contains(internal::ToAbsl(key))) continue;
      sets[set].emplace(key);
      *bytes += key.size();
    }
  };
  for (uint32_t i : spans) {
    const traceql::Span& span = trace.spans[i];
    if (want(TagScope::kResource))
      add(0, trace.resources[span.resource].attributes);
    if (want(TagScope::kSpan)) add(1, span.attributes);
    if (want(TagScope::kEvent)) {
      for (uint32_t e = span.events_begin; e < span.events_end; ++e) {
        add(2, trace.events[e].attributes);
      }
    }
    if (want(TagScope::kLink)) {
      for (uint32_t l = span.links_begin; l < span.links_end; ++l) {
        add(3, trace.links[l].attributes);
      }
    }
    if (want(TagScope::kInstrumentation) &&
        span.scope != traceql::Trace::kNoScope) {
      add(4, trace.scopes[span.scope].attributes);
    }
  }
}

// Every tag name of `block`, from the cache or computed and cached.
absl::StatusOr<std::shared_ptr<const BlockTags>> TagsOfBlock(
    BlockReader& block, uint64_t* inspected_bytes, uint64_t* skipped_spans) {
  std::string key = CacheKey(block);
  std::shared_ptr<const BlockTags> cached;
  if (query::ScannedTagsCache().Find(key, &cached)) return cached;
  absl::flat_hash_set<std::string> sets[5];
  uint64_t bytes = 0;
  traceql::Trace trace;
  std::vector<uint32_t> spans;
  absl::Status s = query::ScanBlockTraces(
      block, inspected_bytes,
      [&](const TraceId& id, std::string_view data) -> absl::Status {
        absl::Status s =
            query::DecodeTrace(id, {data}, false, &trace, skipped_spans);
        if (!s.ok()) return s;
        spans.resize(trace.spans.size());
        for (uint32_t i = 0; i < spans.size(); ++i) spans[i] = i;
        CollectTagNames(
            trace, spans, [](TagScope) { return true; }, sets, &bytes);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  auto tags = std::make_shared<BlockTags>();
  for (int i = 0; i < 5; ++i) {
    tags->scopes[i].assign(sets[i].begin(), sets[i].end());
  }
  tags->bytes = bytes;
  uint64_t held = sizeof(BlockTags);
  for (const auto& names : tags->scopes) {
    for (const std::string& name : names) held += sizeof(name) + name.size();
  }
  query::ScannedTagsCache().Insert(key, tags, held);
  return std::shared_ptr<const BlockTags>(std::move(tags));
}

}  // namespace

absl::StatusOr<TagsResult> Store::SearchTags(
    std::string_view tenant, TagScope scope,
    const TagSearchOptions& requested) {
  TagsResult result;
  TenantInstance* instance = StoreSearchAccess::Find(this, tenant);
  if (instance == nullptr || scope == TagScope::kIntrinsic) return result;
  const TagSearchOptions options =
      LimitTagSearch(requested, *instance->limits());
  std::unique_ptr<traceql::Matcher> matcher;
  if (options.query != nullptr) {
    matcher = std::make_unique<traceql::Matcher>(*options.query);
  }
  absl::flat_hash_set<std::string> sets[5];  // resource span event link instr
  uint64_t bytes = 0;
  std::vector<traceql::SpanSet> scratch;
  std::vector<uint32_t> spans;
  absl::Status eval_error;
  std::function<bool(TagScope)> want = [&](TagScope s) {
    return scope == TagScope::kAll || scope == s;
  };
  ServeBlock serve;
  if (matcher == nullptr) {
    serve = [&](BlockReader& block) -> absl::StatusOr<bool> {
      static const TagScope kScopes[5] = {TagScope::kResource, TagScope::kSpan,
                                          TagScope::kEvent, TagScope::kLink,
                                          TagScope::kInstrumentation};
      // sets[i] is the summary's scope i (block_format.h TagSummaryScope).
      if (auto summary =
              query::TagSummaryOf(block, &result.inspected_bytes,
                                  &instance->counters()->tag_summaries_damaged)) {
        for (int i = 0; i < 5; ++i) {
          if (!want(kScopes[i])) continue;
          for (const auto& entry : summary->entries(
                   static_cast<internal::TagSummaryScope>(i))) {
            if (sets[i].insert(entry.name).second) bytes += entry.name.size();
          }
        }
        return bytes < options.max_bytes;
      }
      auto tags =
          TagsOfBlock(block, &result.inspected_bytes, &result.skipped_spans);
      if (!tags.ok()) return tags.status();
      for (int i = 0; i < 5; ++i) {
        if (!want(kScopes[i])) continue;
        for (const std::string& name : (*tags)->scopes[i]) {
          if (sets[i].insert(name).second) bytes += name.size();
        }
      }
      return bytes < options.max_bytes;
    };
  }
  absl::Status s = ForEachFragment(
      instance, TimeRange(options.start_unix_seconds, options.end_unix_seconds),
      &result.inspected_bytes, &result.total_blocks, &result.skipped_spans,
      [&](const traceql::Trace& trace) {
        eval_error = SelectSpans(trace, matcher.get(), &scratch, &spans);
        if (!eval_error.ok()) return false;
        CollectTagNames(trace, spans, want, sets, &bytes);
        return bytes < options.max_bytes;
      },
      serve);
  if (!s.ok()) return s;
  if (!eval_error.ok()) return eval_error;
  std::vector<std::string>* outs[5] = {&result.resource, &result.span,
                                       &result.event, &result.link,
                                       &result.instrumentation};
  for (int i = 0; i < 5; ++i) {
    outs[i]->assign(sets[i].begin(), sets[i].end());
    std::sort(outs[i]->begin(), outs[i]->end());
  }
  return result;
}

namespace {

// Adds the values of `tag` in span `i` of `trace` to `add`.
void TagValuesOfSpan(const TagName& tag, const traceql::Trace& trace,
                     uint32_t i,
                     const std::function<void(traceql::Value)>& add) {
  const traceql::Span& span = trace.spans[i];
  using traceql::Intrinsic;
  using traceql::Scope;
  using traceql::ValueType;
  auto str = [&](uint32_t id) {
    traceql::Value v;
    v.type = ValueType::kString;
    v.s = std::string(trace.str(id));
    add(std::move(v));
  };
  if (tag.is_intrinsic) {
    traceql::Value v;
    switch (tag.intrinsic) {
      case Intrinsic::kName:
        str(span.name);
        return;
      case Intrinsic::kStatusMessage:
        if (!trace.str(span.status_message).empty()) str(span.status_message);
        return;
      case Intrinsic::kStatus:
        v.type = ValueType::kStatus;
        v.i = static_cast<int64_t>(span.status);
        add(std::move(v));
        return;
      case Intrinsic::kKind:
        v.type = ValueType::kKind;
        v.i = static_cast<int64_t>(span.kind);
        add(std::move(v));
        return;
      case Intrinsic::kRootName:
        if (trace.root_span >= 0) str(trace.spans[trace.root_span].name);
        return;
      case Intrinsic::kRootServiceName:
        if (trace.root_span >= 0) {
          uint32_t s = trace.resources[trace.spans[trace.root_span].resource]
                           .service_name;
          if (s != traceql::kNoString) str(s);
        }
        return;
      case Intrinsic::kEventName:
        for (uint32_t e = span.events_begin; e < span.events_end; ++e) {
          str(trace.events[e].name);
        }
        return;
      case Intrinsic::kInstrumentationName:
      case Intrinsic::kInstrumentationVersion:
        if (span.scope != traceql::Trace::kNoScope) {
          const auto& sc = trace.scopes[span.scope];
          uint32_t id = tag.intrinsic == Intrinsic::kInstrumentationName
                            ? sc.name
                            : sc.version;
          if (!trace.str(id).empty()) str(id);
        }
        return;
      default:
        return;  // durations, IDs: no value list, as in Tempo
    }
  }
  uint32_t key = trace.Find(tag.attribute.name);
  if (key == traceql::kNoString) return;
  auto scan = [&](traceql::AttributeRange range) {
    for (uint32_t a = range.begin; a < range.end; ++a) {
      const traceql::StoredAttribute& attr = trace.attributes[a];
      if (attr.key != key) continue;
      if (attr.value.type == ValueType::kArray) {
        uint32_t begin = static_cast<uint32_t>(attr.value.i >> 32);
        uint32_t end = static_cast<uint32_t>(attr.value.i & 0xffffffff);
        for (uint32_t e = begin; e < end; ++e) {
          add(ToValue(trace, trace.array_values[e]));
        }
      } else if (attr.value.type != ValueType::kNil) {
        add(ToValue(trace, attr.value));
      }
    }
  };
  switch (tag.attribute.scope) {
    case Scope::kUnscoped:
      scan(span.attributes);
      scan(trace.resources[span.resource].attributes);
      break;
    case Scope::kSpan:
      scan(span.attributes);
      break;
    case Scope::kResource:
      scan(trace.resources[span.resource].attributes);
      break;
    case Scope::kEvent:
      for (uint32_t e = span.events_begin; e < span.events_end; ++e) {
        scan(trace.events[e].attributes);
      }
      break;
    case Scope::kLink:
      for (uint32_t l = span.links_begin; l < span.links_end; ++l) {
        scan(trace.links[l].attributes);
      }
      break;
    case Scope::kInstrumentation:
      if (span.scope != traceql::Trace::kNoScope) {
        scan(trace.scopes[span.scope].attributes);
      }
      break;
  }
}

}  // namespace

absl::StatusOr<TagValuesResult> Store::SearchTagValues(
    std::string_view tenant, const TagName& tag,
    const TagSearchOptions& requested) {
  TagValuesResult result;
  TenantInstance* instance = StoreSearchAccess::Find(this, tenant);
  if (instance == nullptr) return result;
  const TagSearchOptions options =
      LimitTagSearch(requested, *instance->limits());
  std::unique_ptr<traceql::Matcher> matcher;
  if (options.query != nullptr) {
    matcher = std::make_unique<traceql::Matcher>(*options.query);
  }
  // Keyed by type and text, which identify a value.
  absl::flat_hash_map<std::string, traceql::Value> seen;
  uint64_t bytes = 0;
  std::vector<traceql::SpanSet> scratch;
  std::vector<uint32_t> spans;
  absl::Status eval_error;
  std::function<void(traceql::Value)> add = [&](traceql::Value v) {
    if (bytes >= options.max_bytes) return;
    std::string key =
        absl::StrCat(static_cast<int>(v.type), ":", traceql::ValueToString(v));
    if (seen.contains(key)) return;
    bytes += key.size();
    seen.emplace(std::move(key), std::move(v));
  };
  ServeBlock serve;
  if (matcher == nullptr) {
    // Unfiltered: each block's values once, then from the cache.
    serve = [&](BlockReader& block) -> absl::StatusOr<bool> {
      if (auto summary =
              query::TagSummaryOf(block, &result.inspected_bytes,
                                  &instance->counters()->tag_summaries_damaged);
          summary != nullptr &&
          query::TagValuesFromSummary(*summary, tag, add)) {
        return bytes < options.max_bytes;
      }
      std::string key =
          absl::StrCat(CacheKey(block), "|", tag.is_intrinsic ? 1 : 0, "|",
                       static_cast<int>(tag.intrinsic), "|",
                       static_cast<int>(tag.attribute.scope), "|",
                       tag.attribute.name, "|", options.max_bytes);
      std::shared_ptr<const TagValueList> values;
      if (!query::ScannedTagValuesCache().Find(key, &values)) {
        absl::flat_hash_map<std::string, traceql::Value> own;
        uint64_t own_bytes = 0;
        std::function<void(traceql::Value)> add_own = [&](traceql::Value v) {
          if (own_bytes >= options.max_bytes) return;
          std::string k = absl::StrCat(static_cast<int>(v.type), ":",
                                       traceql::ValueToString(v));
          if (own.contains(k)) return;
          own_bytes += k.size();
          own.emplace(std::move(k), std::move(v));
        };
        traceql::Trace trace;
        absl::Status s = query::ScanBlockTraces(
            block, &result.inspected_bytes,
            [&](const TraceId& id, std::string_view data) -> absl::Status {
              absl::Status s = query::DecodeTrace(id, {data}, false, &trace,
                                                  &result.skipped_spans);
              if (!s.ok()) return s;
              for (uint32_t i = 0; i < trace.spans.size(); ++i) {
                TagValuesOfSpan(tag, trace, i, add_own);
              }
              return absl::OkStatus();
            });
        if (!s.ok()) return s;
        auto list = std::make_shared<TagValueList>();
        uint64_t held = sizeof(TagValueList);
        for (auto& [k, v] : own) {
          held += sizeof(v) + v.s.size();
          list->push_back(std::move(v));
        }
        query::ScannedTagValuesCache().Insert(key, list, held);
        values = std::move(list);
      }
      for (const traceql::Value& v : *values) add(v);
      return bytes < options.max_bytes;
    };
  }
  absl::Status s = ForEachFragment(
      instance, TimeRange(options.start_unix_seconds, options.end_unix_seconds),
      &result.inspected_bytes, &result.total_blocks, &result.skipped_spans,
      [&](const traceql::Trace& trace) {
        eval_error = SelectSpans(trace, matcher.get(), &scratch, &spans);
        if (!eval_error.ok()) return false;
        for (uint32_t i : spans) TagValuesOfSpan(tag, trace, i, add);
        return bytes < options.max_bytes;
      },
      serve);
  if (!s.ok()) return s;
  if (!eval_error.ok()) return eval_error;
  for (auto& [key, value] : seen) result.values.push_back(std::move(value));
  std::sort(result.values.begin(), result.values.end(),
            [](const traceql::Value& a, const traceql::Value& b) {
              if (a.type != b.type) return a.type < b.type;
              if (a.i != b.i) return a.i < b.i;
              if (a.f != b.f) return a.f < b.f;
              if (a.b != b.b) return a.b < b.b;
              return a.s < b.s;
            });
  return result;
}

absl::StatusOr<TagName> TagName::Parse(std::string_view text) {
  if (text.empty()) {
    return absl::InvalidArgumentError("please provide a non-empty tagName");
  }
  // The identifier parsed the way the engine parses it in a condition.
  absl::StatusOr<traceql::Query> q = traceql::Query::Parse(
      absl::StrCat("{ } | select(", internal::ToAbsl(text), ")"));
  size_t n = q.ok() ? q->columns().select_attributes.size() +
                          q->columns().select_intrinsics.size()
                    : 0;
  if (!q.ok() || n != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("please provide a valid tagName: ",
                     q.ok() ? std::string("not an attribute or intrinsic")
                            : std::string(q.status().message())));
  }
  TagName tag;
  if (!q->columns().select_intrinsics.empty()) {
    tag.is_intrinsic = true;
    tag.intrinsic = q->columns().select_intrinsics[0];
  } else {
    tag.attribute = q->columns().select_attributes[0];
  }
  return tag;
}

}  // namespace andante
