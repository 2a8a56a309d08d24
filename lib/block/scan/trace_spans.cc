#include "block/scan/trace_spans.h"

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "block/scan/varint.h"

namespace andante::internal::scan {

namespace {

absl::Status Corrupt(const char* what) {
  return absl::DataLossError(absl::StrCat("v2 page column traces: ", what));
}

uint64_t BigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

// A stored table index: any value below 2^32 (not checked against a table).
bool GetIndex(const char** p, const char* end) {
  uint64_t v;
  return FastVarint(p, end, &v) && v <= UINT32_MAX;
}

}  // namespace

absl::Status ParseTraceSpans(std::string_view table,
                             std::vector<V2Page::TraceRef>* traces,
                             uint32_t* span_count) {
  const char* p = table.data();
  const char* const end = p + table.size();
  auto left = [&] { return static_cast<uint64_t>(end - p); };
  uint64_t n;
  if (!FastVarint(&p, end, &n) || n == 0 || n > left() / (TraceId::kSize + 1)) {
    return Corrupt("bad count");
  }
  traces->resize(n);
  uint64_t spans = 0;
  uint64_t prev_high = 0, prev_low = 0;
  for (uint64_t t = 0; t < n; ++t) {
    V2Page::TraceRef& tr = (*traces)[t];
    if (left() < TraceId::kSize) return Corrupt("truncated");
    const uint64_t high = BigEndian64(p), low = BigEndian64(p + 8);
    if (t > 0 && !(prev_high < high || (prev_high == high && prev_low < low))) {
      return Corrupt("trace IDs out of order");
    }
    prev_high = high;
    prev_low = low;
    std::array<uint8_t, TraceId::kSize> id;
    std::memcpy(id.data(), p, id.size());
    p += TraceId::kSize;
    tr.id = TraceId(id);
    tr.rs_begin = tr.rs_end = 0;
    tr.span_begin = static_cast<uint32_t>(spans);
    uint64_t rs_count;
    if (!FastVarint(&p, end, &rs_count) || rs_count > left() / 3) {
      return Corrupt("bad resource count");
    }
    for (uint64_t r = 0; r < rs_count; ++r) {
      uint64_t ss_count;
      if (!GetIndex(&p, end) || !GetIndex(&p, end) ||
          !FastVarint(&p, end, &ss_count) || ss_count > left() / 3) {
        return Corrupt("bad resource reference");
      }
      for (uint64_t s = 0; s < ss_count; ++s) {
        uint64_t count;
        if (!GetIndex(&p, end) || !GetIndex(&p, end) ||
            !FastVarint(&p, end, &count) || count > kV2MaxPageSpans - spans) {
          return Corrupt("bad scope reference");
        }
        spans += count;
      }
    }
    tr.span_end = static_cast<uint32_t>(spans);
  }
  if (p != end) return Corrupt("trailing bytes");
  *span_count = static_cast<uint32_t>(spans);
  return absl::OkStatus();
}

}  // namespace andante::internal::scan
