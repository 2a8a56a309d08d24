#include "block/block_builder.h"

#include <zstd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/internal/resize_uninitialized.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "andante/tenant.h"
#include "block/block_format.h"
#include "util/crash_point.h"
#include "block/trace_id_filter.h"
#include "util/crc32c.h"
#include "util/strings.h"

namespace andante::internal {

// Owns the compression context, reused across pages: creating one per page
// would cost more than compressing a small page.
struct BlockBuilder::ZstdContext {
  ZstdContext() : cctx(ZSTD_createCCtx()) {}
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
  ZSTD_CCtx* cctx;
};

namespace {

// Largest entry overhead: 16-byte ID and a 10-byte varint.
constexpr uint64_t kMaxEntryOverhead = TraceId::kSize + 10;

}  // namespace

BlockBuilder::BlockBuilder(const BlockOptions& options, Backend& backend,
                           std::string tenant,
                           std::string block_id, uint64_t estimated_traces)
    : options_(options),
      tenant_(std::move(tenant)),
      block_id_(std::move(block_id)),
      zstd_(std::make_unique<ZstdContext>()),
      backend_(backend) {
  if (!(options_.bloom_filter_false_positive > 0 &&
        options_.bloom_filter_false_positive < 1)) {
    options_status_ = absl::InvalidArgumentError(
        absl::StrCat("bloom_filter_false_positive must be in (0, 1), got ",
                     options_.bloom_filter_false_positive));
  } else if (!IsValidBlockId(block_id_)) {
    options_status_ = absl::InvalidArgumentError(
        absl::StrCat("block id \"", block_id_, "\" is not a UUID"));
  } else if (absl::Status s = ValidateTenantId(tenant_); !s.ok()) {
    options_status_ = s;
  } else if (zstd_->cctx == nullptr) {
    options_status_ = absl::ResourceExhaustedError("ZSTD_createCCtx failed");
  } else {
    ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_compressionLevel,
                           options_.zstd_level);
    if (options_.version == kBlockFormatVersionV2) {
      v2_ = std::make_unique<V2BlockWriter>(options_, backend_, tenant_,
                                            block_id_);
    } else if (options_.version != kBlockFormatVersion) {
      options_status_ = absl::InvalidArgumentError(
          absl::StrCat("block version must be 1 or 2, got ", options_.version));
    }
  }
  ids_.reserve(std::min<uint64_t>(estimated_traces, 1u << 24));
}

BlockBuilder::~BlockBuilder() = default;

absl::Status BlockBuilder::Add(const TraceId& id, std::string_view data,
                               uint64_t start_unix_nano, uint64_t end_unix_nano,
                               uint32_t span_count) {
  if (!options_status_.ok()) return options_status_;
  if (finished_) {
    return absl::FailedPreconditionError("BlockBuilder::Add after Finish");
  }
  if (!ids_.empty() && !(ids_.back() < id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("BlockBuilder::Add: trace ", id.ToHex(),
                     " does not follow ", ids_.back().ToHex()));
  }
  uint64_t entry_bytes = kMaxEntryOverhead + data.size();
  if (entry_bytes > kMaxPageRawBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("trace ", id.ToHex(), " is ", data.size(),
                     " bytes, more than a block page can hold"));
  }
  if (v2_ != nullptr) {
    if (absl::Status s = v2_->Add(id, data); !s.ok()) return s;
    ids_.push_back(id);
    start_unix_nano_ = std::min(start_unix_nano_, start_unix_nano);
    end_unix_nano_ = std::max(end_unix_nano_, end_unix_nano);
    total_spans_ += span_count;
    return absl::OkStatus();
  }
  if (!page_.empty() && page_.size() + entry_bytes > kMaxPageRawBytes) {
    if (absl::Status s = CutPage(); !s.ok()) return s;
  }

  if (page_.empty()) page_first_id_ = id;
  page_.append(id.bytes());
  PutVarint64(&page_, data.size());
  page_.append(data);
  ++page_traces_;
  ids_.push_back(id);
  start_unix_nano_ = std::min(start_unix_nano_, start_unix_nano);
  end_unix_nano_ = std::max(end_unix_nano_, end_unix_nano);
  total_spans_ += span_count;

  if (page_.size() >= options_.page_size_bytes) return CutPage();
  return absl::OkStatus();
}

absl::Status BlockBuilder::CutPage() {
  if (data_writer_ == nullptr) {
    absl::StatusOr<std::unique_ptr<ObjectWriter>> writer =
        backend_.NewWriter(BlockKey(tenant_, block_id_, kDataObjectName));
    if (!writer.ok()) return writer.status();
    data_writer_ = std::move(*writer);
  }
  size_t bound = ZSTD_compressBound(page_.size());
  // zstd writes what it uses; zero-filling ~page_size bytes per page first
  // would be wasted work.
  absl::strings_internal::STLStringResizeUninitialized(&compressed_, bound);
  size_t n = ZSTD_compress2(zstd_->cctx, compressed_.data(), bound,
                            page_.data(), page_.size());
  if (ZSTD_isError(n)) {
    return absl::InternalError(
        absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
  }
  compressed_.resize(n);
  uint32_t crc = MaskCrc(Crc32c(compressed_));
  PutFixed32(&compressed_, crc);
  if (absl::Status s = data_writer_->Append(compressed_); !s.ok()) return s;
  const uint64_t offset = data_bytes_;
  data_bytes_ += compressed_.size();

  PageEntry page;
  page.first_id = page_first_id_;
  page.last_id = ids_.back();
  page.offset = offset;
  page.length = static_cast<uint32_t>(n + kPageTrailerSize);
  page.raw_length = static_cast<uint32_t>(page_.size());
  page.trace_count = page_traces_;
  page.crc = crc;
  pages_.push_back(page);

  raw_bytes_cut_ += page_.size();
  page_.clear();
  page_traces_ = 0;
  return absl::OkStatus();
}

uint64_t BlockBuilder::EstimatedSize() const {
  uint64_t open_page = page_.size();
  if (raw_bytes_cut_ > 0) {
    // Assume the open page compresses like the pages before it.
    open_page = static_cast<uint64_t>(static_cast<double>(open_page) *
                                      static_cast<double>(data_bytes_) /
                                      static_cast<double>(raw_bytes_cut_));
  }
  uint64_t pages = pages_.size() + (page_.empty() ? 0 : 1);
  uint64_t index =
      kIndexHeaderSize + pages * kIndexEntrySize + kIndexTrailerSize;
  uint64_t bloom = 0;
  if (options_status_.ok()) {
    bloom = ComputeTraceIdFilterShape(ids_.size(),
                                      options_.bloom_filter_false_positive,
                                      options_.bloom_filter_shard_size_bytes)
                .estimated_bytes;
  }
  if (v2_ != nullptr) return v2_->EstimatedSize() + bloom;
  return data_bytes_ + open_page + index + bloom;
}

absl::StatusOr<BlockMeta> BlockBuilder::Finish() {
  if (!options_status_.ok()) return options_status_;
  if (finished_) {
    return absl::FailedPreconditionError("BlockBuilder::Finish called twice");
  }
  if (ids_.empty()) {
    return absl::FailedPreconditionError(
        "BlockBuilder::Finish on a block without traces");
  }
  finished_ = true;
  if (v2_ == nullptr && !page_.empty()) {
    if (absl::Status s = CutPage(); !s.ok()) return s;
  }

  BlockMeta meta;
  meta.block_id = block_id_;
  meta.tenant = tenant_;
  meta.start_unix_nano = start_unix_nano_;
  meta.end_unix_nano = end_unix_nano_;
  meta.min_id = ids_.front();
  meta.max_id = ids_.back();
  meta.total_objects = ids_.size();
  meta.total_spans = total_spans_;
  meta.data_bytes = data_bytes_;
  meta.total_pages = static_cast<uint32_t>(pages_.size());
  meta.created_unix_seconds = absl::ToUnixSeconds(absl::Now());
  meta.compaction_level = compaction_level_;

  std::string index;
  if (v2_ == nullptr) {
    index = PageIndex(std::move(pages_)).Encode();
    meta.index_bytes = index.size();
  }

  // Sized from the real trace count, not the estimate, so the configured
  // false-positive rate holds however far off the estimate was.
  ShardedTraceIdFilter bloom(ids_.size(), options_.bloom_filter_false_positive,
                             options_.bloom_filter_shard_size_bytes);
  bloom.AddAll(ids_);
  meta.bloom_shards = bloom.shard_count();
  // The filter holds what is needed of them (8 bytes per trace): the 16 per
  // trace of the IDs are not held through the index and filter writes.
  std::vector<TraceId>().swap(ids_);

  auto key = [&](std::string_view object) {
    return BlockKey(tenant_, block_id_, object);
  };
  if (v2_ != nullptr) {
    // Data, then index, as v1 does.
    if (absl::Status s = v2_->Finish(&meta); !s.ok()) return s;
    v2_.reset();
  } else {
    if (absl::Status s = data_writer_->Close(); !s.ok()) return s;
    CrashPoint("block.after_data");
    data_writer_.reset();
    std::string().swap(compressed_);
    if (absl::Status s = backend_.Write(key(kIndexObjectName), index);
        !s.ok()) {
      return s;
    }
  }
  CrashPoint("block.after_index");
  for (uint32_t i = 0; i < bloom.shard_count(); ++i) {
    std::string shard = bloom.EncodeShard(i);
    meta.bloom_bytes += shard.size();
    absl::Status s =
        backend_.Write(key(absl::StrCat(ToAbsl(kBloomObjectPrefix), i)), shard);
    if (!s.ok()) return s;
  }
  CrashPoint("block.before_meta");
  // Last: from here on the block is visible.
  if (absl::Status s = backend_.Write(key(kMetaObjectName), meta.ToJson());
      !s.ok()) {
    return s;
  }
  CrashPoint("block.after_meta");
  return meta;
}

}  // namespace andante::internal
