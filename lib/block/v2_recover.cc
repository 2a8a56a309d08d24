#include "block/v2_recover.h"

#include <zstd.h>

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "block/v2_page.h"
#include "util/crc32c.h"

namespace andante::internal {

ZSTD_DCtx* ThreadDCtx();  // block_reader.cc

namespace {

// Decodes the chunk at the front of *data (chunk c of its page) into *out
// and advances past it.
absl::Status NextChunk(std::string_view* data, size_t c, std::string* out) {
  ZSTD_DCtx* dctx = ThreadDCtx();
  if (dctx == nullptr) return absl::ResourceExhaustedError("no zstd context");
  {
    auto bad = [&](std::string_view what) {
      return absl::DataLossError(
          absl::StrCat("v2 data: column ", c, ": ", std::string(what)));
    };
    size_t frame = ZSTD_findFrameCompressedSize(data->data(), data->size());
    if (ZSTD_isError(frame)) return bad("not a zstd frame");
    if (data->size() - frame < kPageTrailerSize) return bad("no trailer");
    std::string_view stored = data->substr(0, frame);
    if (Crc32c(stored) != UnmaskCrc(DecodeFixed32(data->data() + frame))) {
      return bad("checksum mismatch");
    }
    unsigned long long size = ZSTD_getFrameContentSize(stored.data(), frame);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > kMaxPageRawBytes) {
      return bad("unusable content size");
    }
    out->resize(size);
    size_t got =
        ZSTD_decompressDCtx(dctx, out->data(), size, stored.data(), frame);
    if (ZSTD_isError(got) || got != size) return bad("zstd");
    data->remove_prefix(frame + kPageTrailerSize);
  }
  return absl::OkStatus();
}

// Decodes the page at the front of *data into *page and advances past it: 16
// column chunks, then, for a keyed page, the marker (a skippable frame no
// page had there before) and the key chunks.
absl::Status NextPage(std::string_view* data, V2Page* page) {
  for (uint32_t c = 0; c < kV2ColumnCount; ++c) {
    if (absl::Status s = NextChunk(data, c, &page->raw[c]); !s.ok()) return s;
  }
  page->key_raw.clear();
  if (data->size() >= 8 && DecodeFixed32(data->data()) == kV2KeyedMarkerMagic) {
    const uint64_t size = DecodeFixed32(data->data() + 4);
    uint64_t keys = 0;
    if (data->size() - 8 < size + kPageTrailerSize ||
        !DecodeV2KeyedMarker(data->substr(0, 8 + size), &keys) ||
        Crc32c(data->substr(0, 8 + size)) !=
            UnmaskCrc(DecodeFixed32(data->data() + 8 + size))) {
      return absl::DataLossError("v2 data: keyed marker is corrupt");
    }
    data->remove_prefix(8 + size + kPageTrailerSize);
    // Each key chunk is at least a frame header and a trailer.
    if (keys > data->size() / 8) {
      return absl::DataLossError("v2 data: more keys than bytes");
    }
    page->key_raw.resize(keys);
    for (uint64_t i = 0; i < keys; ++i) {
      if (absl::Status s =
              NextChunk(data, kV2KeyedFirstChunk + i, &page->key_raw[i]);
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = page->AssembleSpanAttributes(); !s.ok()) return s;
  }
  return page->ParseTables();
}

}  // namespace

bool IsV2Data(std::string_view data) {
  V2Page page;
  return !data.empty() && NextPage(&data, &page).ok();
}

absl::Status ForEachV2DataTrace(
    std::string_view data,
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view, uint64_t,
                                   uint64_t, uint32_t)>
        fn) {
  V2Page page;
  std::string bytes;
  while (!data.empty()) {
    if (absl::Status s = NextPage(&data, &page); !s.ok()) return s;
    absl::Status s = page.ForEachTraceOtlp(
        nullptr, [&](const TraceId& id,
                     andante::otlp::trace::v1::TracesData& trace) {
          uint64_t start = std::numeric_limits<uint64_t>::max(), end = 0;
          uint32_t spans = 0;
          for (const auto& rs : trace.resource_spans()) {
            for (const auto& ss : rs.scope_spans()) {
              for (const auto& span : ss.spans()) {
                ++spans;
                start = std::min<uint64_t>(start, span.start_time_unix_nano());
                end = std::max<uint64_t>(end, span.end_time_unix_nano());
              }
            }
          }
          if (spans == 0) start = 0;
          trace.SerializeToString(&bytes);
          return fn(id, bytes, start, end, spans);
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
