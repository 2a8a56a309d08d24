#include "block/v2_block_writer.h"

#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "absl/strings/internal/resize_uninitialized.h"
#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "util/crash_point.h"
#include "util/crc32c.h"
#include "util/strings.h"

namespace andante::internal {

namespace {
std::atomic<bool> keyed_span_attributes{true};
}  // namespace

void SetV2KeyedSpanAttributesForTesting(bool keyed) {
  keyed_span_attributes = keyed;
}

// The zstd level of column chunks when BlockOptions::zstd_level is left at
// its default.
constexpr int kV2DefaultZstdLevel = 3;

struct V2BlockWriter::Zstd {
  Zstd() : cctx(ZSTD_createCCtx()) {}
  ~Zstd() { ZSTD_freeCCtx(cctx); }
  ZSTD_CCtx* cctx;
};

V2BlockWriter::V2BlockWriter(const BlockOptions& options, Backend& backend,
                             std::string tenant, std::string block_id)
    : options_(options),
      backend_(backend),
      tenant_(std::move(tenant)),
      block_id_(std::move(block_id)),
      zstd_(std::make_unique<Zstd>()) {
  if (zstd_->cctx != nullptr) {
    // Level 3 unless a level was configured: a chunk holds one column of a
    // page, which level 3 compresses ~1.7% smaller than level 2 for ~1.7%
    // more build instructions (block_v2_bench: 40.08 -> 39.41 B/span); v1
    // pages, the default's first use, pay far more for level 3.
    const int level = options_.zstd_level == BlockOptions().zstd_level
                          ? kV2DefaultZstdLevel
                          : options_.zstd_level;
    ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_compressionLevel, level);
  }
  page_.set_keyed(keyed_span_attributes);
}

V2BlockWriter::~V2BlockWriter() = default;

absl::Status V2BlockWriter::Add(const TraceId& id, std::string_view data) {
  if (zstd_->cctx == nullptr) {
    return absl::ResourceExhaustedError("ZSTD_createCCtx failed");
  }
  if (page_.empty()) page_first_id_ = id;
  if (absl::Status s = page_.Add(id, data); !s.ok()) return s;
  last_id_ = id;
  if (page_.raw_bytes() >= options_.page_size_bytes / kV2PageSizeDivisor) {
    return CutPage();
  }
  return absl::OkStatus();
}

absl::Status V2BlockWriter::CutPage() {
  if (data_writer_ == nullptr) {
    absl::StatusOr<std::unique_ptr<ObjectWriter>> writer =
        backend_.NewWriter(BlockKey(tenant_, block_id_, kDataObjectName));
    if (!writer.ok()) return writer.status();
    data_writer_ = std::move(*writer);
  }
  V2PageEntry entry;
  entry.first_id = page_first_id_;
  entry.last_id = last_id_;
  entry.offset = data_bytes_;
  entry.trace_count = page_.trace_count();
  entry.span_count = page_.span_count();
  entry.min_start = page_.min_start();
  entry.max_end = page_.max_end();
  entry.min_duration = page_.min_duration();
  entry.max_duration = page_.max_duration();
  if (entry.span_count == 0) {
    entry.min_start = entry.max_end = entry.min_duration = entry.max_duration =
        0;
  }
  // Reused: it reaches its size in the first pages.
  std::string& page_bytes = page_bytes_;
  page_bytes.clear();
  for (uint32_t c = 0; c < kV2ColumnCount; ++c) {
    const std::string_view raw = page_.ColumnBytes(c, &column_);
    tags_.Column(c, raw);
    absl::StatusOr<V2Chunk> chunk = AppendChunk(raw, &page_bytes);
    if (!chunk.ok()) return chunk.status();
    entry.chunks[c] = *chunk;
  }
  entry.span_keys = page_.span_key_stats();
  if (page_.keyed()) {
    // The marker (stored as is: a skippable frame), then a chunk per key.
    entry.keyed = true;
    const std::string marker = EncodeV2KeyedMarker(entry.span_keys.size());
    const uint32_t crc = MaskCrc(Crc32c(marker));
    page_bytes.append(marker);
    PutFixed32(&page_bytes, crc);
    entry.key_marker = V2Chunk{static_cast<uint32_t>(marker.size() + 4),
                               static_cast<uint32_t>(marker.size() - 8), crc};
    entry.key_chunks.reserve(entry.span_keys.size());
    for (size_t i = 0; i < entry.span_keys.size(); ++i) {
      tags_.KeyChunk(page_.key_column(i));
      absl::StatusOr<V2Chunk> chunk =
          AppendChunk(page_.key_column(i), &page_bytes);
      if (!chunk.ok()) return chunk.status();
      entry.key_chunks.push_back(*chunk);
    }
  }
  if (page_bytes.size() > UINT32_MAX) {
    return absl::InvalidArgumentError("v2 page larger than 4 GiB");
  }
  entry.length = static_cast<uint32_t>(page_bytes.size());
  if (absl::Status s = data_writer_->Append(page_bytes); !s.ok()) return s;
  data_bytes_ += page_bytes.size();

  entry.strings = NewV2StringBloom(page_.strings().size());
  page_keys_.clear();
  for (std::string_view s : page_.strings()) {
    page_keys_.push_back(V2StringKey(s));
  }
  entry.strings.AddAll(page_keys_);
  string_keys_.AddAll(page_keys_);
  for (const std::string& s : page_.services()) {
    if (services_.size() < kV2MaxNamesListed)
      services_.insert(s);
    else if (!services_.contains(s))
      index_.services_complete = false;
  }
  for (std::string_view s : page_.span_names()) {
    if (span_names_.size() < kV2MaxNamesListed)
      span_names_.emplace(s);
    else if (!span_names_.contains(ToAbsl(s)))
      index_.span_names_complete = false;
  }
  if (page_.span_names().size() >= kV2MaxNamesListed) {
    index_.span_names_complete = false;
  }
  tags_.EndPage(page_.keyed());
  index_.attribute_stats = true;
  index_.pages.push_back(std::move(entry));
  page_.Clear();
  return absl::OkStatus();
}

absl::StatusOr<V2Chunk> V2BlockWriter::AppendChunk(std::string_view raw,
                                                   std::string* page_bytes) {
  if (raw.size() > kMaxPageRawBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a v2 page column holds ", raw.size(),
                     " bytes, more than a block page can hold"));
  }
  // Compressed straight behind the page's chunks so far (zstd writes what
  // it uses: nothing is zero-filled).
  const size_t bound = ZSTD_compressBound(raw.size());
  const size_t at = page_bytes->size();
  absl::strings_internal::STLStringResizeUninitialized(page_bytes,
                                                       at + bound);
  const size_t n = ZSTD_compress2(zstd_->cctx, page_bytes->data() + at, bound,
                                  raw.data(), raw.size());
  if (ZSTD_isError(n)) {
    page_bytes->resize(at);
    return absl::InternalError(
        absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
  }
  page_bytes->resize(at + n);
  const uint32_t crc =
      MaskCrc(Crc32c(std::string_view(page_bytes->data() + at, n)));
  PutFixed32(page_bytes, crc);
  raw_bytes_cut_ += raw.size();
  return V2Chunk{static_cast<uint32_t>(n + 4),
                 static_cast<uint32_t>(raw.size()), crc};
}

uint64_t V2BlockWriter::EstimatedSize() const {
  uint64_t open_page = page_.raw_bytes();
  if (raw_bytes_cut_ > 0) {
    open_page = static_cast<uint64_t>(static_cast<double>(open_page) *
                                      static_cast<double>(data_bytes_) /
                                      static_cast<double>(raw_bytes_cut_));
  }
  // The index: ~400 bytes per page (with key statistics) plus a byte per
  // distinct string.
  return data_bytes_ + open_page + 400 * (index_.pages.size() + 1) +
         string_keys_.KeyCount();
}

absl::Status V2BlockWriter::Finish(BlockMeta* meta) {
  if (!page_.empty()) {
    if (absl::Status s = CutPage(); !s.ok()) return s;
  }
  if (data_writer_ == nullptr) {
    return absl::FailedPreconditionError("v2 block without traces");
  }
  if (absl::Status s = data_writer_->Close(); !s.ok()) return s;
  CrashPoint("block.after_data");
  data_writer_.reset();
  std::string().swap(page_bytes_);
  std::string().swap(column_);
  std::vector<TraceId>().swap(page_keys_);

  index_.strings = std::move(string_keys_).Finish();
  index_.services.assign(services_.begin(), services_.end());
  index_.span_names.assign(span_names_.begin(), span_names_.end());
  std::sort(index_.services.begin(), index_.services.end());
  std::sort(index_.span_names.begin(), index_.span_names.end());
  // The tag summary before the index: a block recovered without meta.json
  // has it or is answered from its data, as a block written before it.
  if (std::optional<std::string> tags = tags_.Finish(options_.zstd_level)) {
    absl::Status s =
        backend_.Write(BlockKey(tenant_, block_id_, kTagSummaryObjectName),
                       *tags);
    if (!s.ok()) return s;
  }
  std::string index = index_.Encode();
  const size_t pages = index_.pages.size();
  index_ = V2Index();  // the encoded copy is what is written
  if (absl::Status s =
          backend_.Write(BlockKey(tenant_, block_id_, kIndexObjectName), index);
      !s.ok()) {
    return s;
  }
  meta->format_version = kBlockFormatVersionV2;
  meta->data_bytes = data_bytes_;
  meta->index_bytes = index.size();
  meta->total_pages = static_cast<uint32_t>(pages);
  return absl::OkStatus();
}

}  // namespace andante::internal
