#include "block/v2_block_writer.h"

#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <optional>
#include <utility>

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

namespace {

// The zstd level of column chunks when BlockOptions::zstd_level is left at
// its default: level 3 (a chunk holds one column of a page, which level 3
// compresses ~1.7% smaller than level 2; v1 pages, the default's first use,
// pay far more for level 3), less for the per-span columns of small
// integers and random bytes, whose level-3 frames are no smaller than level
// 1's (they compress by entropy coding, not matches: the match search is
// wasted), and level 4 for the keyed layout, which it compresses 22%
// smaller than level 3 with fewer instructions. Measured per column on
// block_v2_bench's block (bytes summed over its 148 pages, callgrind
// instructions): span IDs 1.60 MB at every level, 45.6M -> 9.2M
// instructions at -1; starts and durations 0.77 MB each at 1 and 3, 87M ->
// 64M; the layout 135 kB -> 105 kB at 4.
int V2ChunkLevel(uint32_t chunk) {
  switch (chunk) {
    case kV2SpanIds:  // random bytes: stored raw at any level
      return -1;
    case kV2Parents:
    case kV2Kinds:
    case kV2StatusCodes:
    case kV2StatusMessages:
    case kV2Starts:
    case kV2Durations:
    case kV2Links:
    case kV2Misc:
      return 1;
    case kV2Names:
    case kV2Events:
      return 2;
    case kV2SpanAttributes:  // keyed: the layout (counts and key indices)
      return 4;
    default:  // the tables and the key chunks
      return 3;
  }
}

// The levels V2ChunkLevel uses, each with its own context: a context keeps
// its tables sized for its level between chunks.
constexpr int kV2ChunkLevels[] = {-1, 1, 2, 3, 4};
constexpr size_t kV2ChunkLevelCount = std::size(kV2ChunkLevels);

}  // namespace

struct V2BlockWriter::Zstd {
  Zstd() {
    for (ZSTD_CCtx*& c : cctx) c = ZSTD_createCCtx();
  }
  ~Zstd() {
    for (ZSTD_CCtx* c : cctx) ZSTD_freeCCtx(c);
  }
  bool ok() const {
    for (ZSTD_CCtx* c : cctx) {
      if (c == nullptr) return false;
    }
    return true;
  }
  // The context for `chunk` (a column, or kV2KeyedFirstChunk for any key
  // chunk).
  ZSTD_CCtx* For(uint32_t chunk) const {
    if (single_level) return cctx[0];
    const int level = V2ChunkLevel(chunk);
    for (size_t i = 0; i < kV2ChunkLevelCount; ++i) {
      if (kV2ChunkLevels[i] == level) return cctx[i];
    }
    return cctx[0];
  }
  ZSTD_CCtx* cctx[kV2ChunkLevelCount];
  // A configured level: every chunk at it, through cctx[0].
  bool single_level = false;
};

V2BlockWriter::V2BlockWriter(const BlockOptions& options, Backend& backend,
                             std::string tenant, std::string block_id)
    : options_(options),
      backend_(backend),
      tenant_(std::move(tenant)),
      block_id_(std::move(block_id)),
      zstd_(std::make_unique<Zstd>()) {
  if (zstd_->ok()) {
    if (options_.zstd_level != BlockOptions().zstd_level) {
      zstd_->single_level = true;
      ZSTD_CCtx_setParameter(zstd_->cctx[0], ZSTD_c_compressionLevel,
                             options_.zstd_level);
    } else {
      for (size_t i = 0; i < kV2ChunkLevelCount; ++i) {
        ZSTD_CCtx_setParameter(zstd_->cctx[i], ZSTD_c_compressionLevel,
                               kV2ChunkLevels[i]);
      }
    }
  }
  page_.set_keyed(keyed_span_attributes);
}

V2BlockWriter::~V2BlockWriter() = default;

absl::Status V2BlockWriter::Add(const TraceId& id, std::string_view data) {
  if (!zstd_->ok()) {
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
    absl::StatusOr<V2Chunk> chunk = AppendChunk(c, raw, &page_bytes);
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
          AppendChunk(kV2KeyedFirstChunk, page_.key_column(i), &page_bytes);
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
  // Each string hashed once for both blooms.
  page_keys_.clear();
  for (std::string_view s : page_.strings()) {
    page_keys_.push_back(BloomHashOf(V2StringKey(s)));
  }
  entry.strings.AddAllHashed(page_keys_);
  string_keys_.AddAllHashed(page_keys_);
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

absl::StatusOr<V2Chunk> V2BlockWriter::AppendChunk(uint32_t chunk,
                                                   std::string_view raw,
                                                   std::string* page_bytes) {
  if (raw.size() > kMaxPageRawBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a v2 page column holds ", raw.size(),
                     " bytes, more than a block page can hold"));
  }
  // Compressed into a scratch buffer, then appended: growing page_bytes
  // by the bound first would zero-fill it (libstdc++ has no uninitialized
  // resize), ~raw bytes written per chunk for nothing.
  const size_t bound = ZSTD_compressBound(raw.size());
  if (zbuf_size_ < bound) {
    zbuf_size_ = std::max(bound, 2 * zbuf_size_);
    zbuf_ = std::make_unique_for_overwrite<char[]>(zbuf_size_);
  }
  const size_t n = ZSTD_compress2(zstd_->For(chunk), zbuf_.get(), bound,
                                  raw.data(), raw.size());
  if (ZSTD_isError(n)) {
    return absl::InternalError(
        absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
  }
  const std::string_view frame(zbuf_.get(), n);
  page_bytes->append(frame);
  const uint32_t crc = MaskCrc(Crc32c(frame));
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
  std::vector<BloomKeyHash>().swap(page_keys_);
  zbuf_.reset();
  zbuf_size_ = 0;

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
