#include "block/scan/v1_scanner.h"

#include "absl/strings/str_cat.h"
#include "andante/traceql_otlp.h"
#include "block/scan/stop.h"
#include "model/otlp_nesting.h"

namespace andante::internal::scan {

using ::andante::otlp::trace::v1::TracesData;
using traceql::Trace;

absl::Status V1Scanner::ScanAll(
    absl::FunctionRef<bool(const TraceId&, TracesData&)> fn, ScanStats* stats) {
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

absl::Status V1Scanner::ScanForQuery(const traceql::Query&,
                                     const int64_t* start_after,
                                     absl::FunctionRef<bool(const Trace&)> fn,
                                     ScanStats* stats) {
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

absl::Status V1Scanner::Scan(
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
  return IsStop(s) ? absl::OkStatus() : s;
}

}  // namespace andante::internal::scan
