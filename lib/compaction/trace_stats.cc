#include "compaction/trace_stats.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "model/wire_reader.h"

namespace andante::internal {
namespace {

// span_id (8 bytes, zero-padded if shorter) then kind: the combiner's key.
using SpanKey = std::array<uint8_t, 12>;

struct Scan {
  TraceStats stats;
  std::vector<SpanKey> keys;
};

bool ScanSpan(std::string_view span, Scan& scan) {
  SpanKey key{};
  uint64_t start = 0, end = 0;
  bool ok = ForEachField(span, [&](uint32_t field, uint32_t wt, WireReader& r) {
    if (field == 2 && wt == kLengthDelimited) {  // span_id
      std::string_view id;
      if (!r.ReadBytes(&id)) return false;
      std::memcpy(key.data(), id.data(), std::min<size_t>(id.size(), 8));
      return true;
    }
    if (field == 6 && wt == kVarint) {  // kind
      uint64_t kind;
      if (!r.ReadVarint(&kind)) return false;
      uint32_t k = static_cast<uint32_t>(kind);
      std::memcpy(key.data() + 8, &k, 4);
      return true;
    }
    if (field == 7 && wt == kFixed64) return r.ReadFixed64(&start);
    if (field == 8 && wt == kFixed64) return r.ReadFixed64(&end);
    return r.SkipField(wt);
  });
  if (!ok) return false;
  TraceStats& s = scan.stats;
  if (s.span_count == 0 || start < s.start_unix_nano) s.start_unix_nano = start;
  s.end_unix_nano = std::max(s.end_unix_nano, end);
  ++s.span_count;
  scan.keys.push_back(key);
  return true;
}

bool ScanScopeSpans(std::string_view scope_spans, Scan& scan) {
  return ForEachField(scope_spans,
                      [&](uint32_t field, uint32_t wt, WireReader& r) {
                        if (field == 2 && wt == kLengthDelimited) {
                          std::string_view span;
                          return r.ReadBytes(&span) && ScanSpan(span, scan);
                        }
                        return r.SkipField(wt);
                      });
}

bool ScanResourceSpans(std::string_view resource_spans, Scan& scan) {
  return ForEachField(
      resource_spans, [&](uint32_t field, uint32_t wt, WireReader& r) {
        if ((field == 2 || field == 1000) && wt == kLengthDelimited) {
          std::string_view scope;
          return r.ReadBytes(&scope) && ScanScopeSpans(scope, scan);
        }
        return r.SkipField(wt);
      });
}

}  // namespace

absl::StatusOr<TraceStats> ScanTraceStats(std::string_view traces_data) {
  // Reused per thread: the compactor scans every trace it passes through.
  thread_local Scan scan;
  scan.stats = TraceStats();
  scan.keys.clear();
  bool ok = ForEachField(
      traces_data, [&](uint32_t field, uint32_t wt, WireReader& r) {
        if (field == 1 && wt == kLengthDelimited) {
          std::string_view rs;
          return r.ReadBytes(&rs) && ScanResourceSpans(rs, scan);
        }
        return r.SkipField(wt);
      });
  if (!ok)
    return absl::DataLossError("stored trace is not valid OTLP wire data");
  if (scan.keys.size() > 1) {
    std::sort(scan.keys.begin(), scan.keys.end());
    scan.stats.has_duplicate_spans =
        std::adjacent_find(scan.keys.begin(), scan.keys.end()) !=
        scan.keys.end();
  }
  return scan.stats;
}

}  // namespace andante::internal
