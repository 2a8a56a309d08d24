// Fuzzes the block format v2 page decoder on raw (decompressed) columns, the
// v2 index decoder, and the index-less data reader used for recovery.
//
// Input: the 16 columns of a page, each as varint length + bytes (missing
// columns are empty), then any key chunks of a keyed page the same way (if
// there are any, the span attribute column is the keyed layout and is
// assembled first). The same bytes are also given whole to V2Index::Decode
// and to IsV2Data/ForEachV2DataTrace.
//
// Checks: nothing crashes, reads out of bounds or allocates without bound; a
// page whose tables parse either rebuilds every trace or fails with
// DATA_LOSS, and rebuilt traces serialize.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "block/block_format.h"
#include "block/v2_index.h"
#include "block/v2_page.h"
#include "block/v2_recover.h"

using namespace andante::internal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)V2Index::Decode(in);
  if (IsV2Data(in)) {
    (void)ForEachV2DataTrace(
        in, [](const andante::TraceId&, std::string_view, uint64_t, uint64_t,
               uint32_t) { return absl::OkStatus(); });
  }

  V2Page page;
  std::string_view rest = in;
  for (uint32_t c = 0; c < kV2ColumnCount && !rest.empty(); ++c) {
    uint64_t n;
    if (!GetVarint64(&rest, &n)) break;
    if (n > rest.size()) n = rest.size();
    page.raw[c] = std::string(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  while (!rest.empty() && page.key_raw.size() < 64) {
    uint64_t n;
    if (!GetVarint64(&rest, &n)) break;
    if (n > rest.size()) n = rest.size();
    page.key_raw.emplace_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  if (!page.key_raw.empty()) {
    absl::Status s = page.AssembleSpanAttributes();
    if (!s.ok()) {
      if (s.code() != absl::StatusCode::kDataLoss) std::abort();
      return 0;
    }
  }
  absl::Status s = page.ParseTables();
  if (!s.ok()) {
    if (s.code() != absl::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  std::string out;
  s = page.ForEachTraceOtlp(
      nullptr, [&](const andante::TraceId&,
                   andante::otlp::trace::v1::TracesData& trace) {
        trace.SerializeToString(&out);
        return absl::OkStatus();
      });
  if (!s.ok() && s.code() != absl::StatusCode::kDataLoss) std::abort();
  return 0;
}
