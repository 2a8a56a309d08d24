#include "block/block_reader.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "block/scan/split_memo.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

// One decompression context per thread, reused across lookups (shared with
// block_reader_v2.cc).
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

namespace {

struct Entry {
  TraceId id;
  std::string_view data;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlockReader>> BlockReader::Open(
    std::shared_ptr<Backend> backend, BlockMeta meta,
    std::atomic<uint64_t>* damaged_counter,
    std::shared_ptr<BlockCache> cache) {
  if (backend == nullptr) {
    return absl::InvalidArgumentError("BlockReader::Open: null backend");
  }
  if (meta.format_version != kBlockFormatVersion &&
      meta.format_version != kBlockFormatVersionV2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block ", meta.block_id, " has formatVersion ", meta.format_version,
        "; this build reads ", kBlockFormatVersion, " and ",
        kBlockFormatVersionV2));
  }
  if (meta.total_pages == 0 || meta.bloom_shards == 0 ||
      meta.total_objects == 0 || meta.total_pages > meta.total_objects ||
      meta.bloom_shards > meta.total_objects ||
      meta.data_bytes < uint64_t{meta.total_pages} * (kPageTrailerSize + 1) ||
      !IsValidBlockId(meta.block_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("block ", meta.block_id, " has an unusable meta"));
  }
  return std::unique_ptr<BlockReader>(
      new BlockReader(std::move(backend), std::move(meta), damaged_counter,
                      std::move(cache)));
}

BlockReader::BlockReader(std::shared_ptr<Backend> backend, BlockMeta meta,
                         std::atomic<uint64_t>* damaged_counter,
                         std::shared_ptr<BlockCache> cache)
    : backend_(std::move(backend)),
      meta_(std::move(meta)),
      damaged_counter_(damaged_counter),
      cache_(std::move(cache)),
      bloom_(meta_.bloom_shards) {}

std::shared_ptr<scan::SplitMemo> BlockReader::SplitMemoFor(
    const BlockSetDigest& others) {
  absl::MutexLock lock(&mu_);
  if (split_memo_ == nullptr || !(split_memo_others_ == others)) {
    split_memo_ = std::make_shared<scan::SplitMemo>(meta_.total_pages);
    split_memo_others_ = others;
  }
  return split_memo_;
}

absl::Status BlockReader::damage() const {
  absl::MutexLock lock(&mu_);
  return damage_;
}

bool BlockReader::IsDamage(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kInvalidArgument:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<std::string> BlockReader::ReadObject(
    std::string_view name, uint64_t* inspected_bytes) {
  absl::StatusOr<std::string> bytes =
      backend_->Read(BlockKey(meta_.tenant, meta_.block_id, name));
  if (bytes.ok() && inspected_bytes != nullptr) {
    *inspected_bytes += bytes->size();
  }
  return bytes;
}

absl::Status BlockReader::Damaged(std::string_view what,
                                  const absl::Status& cause, bool whole_block) {
  // The message names the block and the object, never a filesystem path:
  // it may reach a client.
  //
  // A missing object is damage while the block's meta.json still exists.
  // Once meta.json is gone too, the block was deleted (DeleteBlock removes
  // meta.json first), e.g. compacted by another instance sharing the bucket
  // and removed by retention before this instance's next poll. Such a block
  // is "gone": NOT_FOUND, logged at info, not counted as damaged, and
  // skipped by lookups like a damaged one.
  const bool gone =
      absl::IsNotFound(cause) &&
      absl::IsNotFound(
          backend_->Read(BlockKey(meta_.tenant, meta_.block_id, kMetaObjectName))
              .status());
  absl::Status result =
      gone ? absl::NotFoundError(absl::StrCat(
                 "block ", meta_.tenant, "/", meta_.block_id, " is gone (",
                 ToAbsl(what), " deleted, e.g. compacted by another instance)"))
           : absl::DataLossError(absl::StrCat("block ", meta_.tenant, "/",
                                              meta_.block_id, " is damaged (",
                                              ToAbsl(what), ")"));
  bool log = false;
  {
    absl::MutexLock lock(&mu_);
    if (!damage_.ok()) return damage_;
    log = logged_.insert(std::string(what)).second;
    if (!counted_ && !gone) {
      counted_ = true;
      if (damaged_counter_ != nullptr) {
        damaged_counter_->fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (whole_block) damage_ = result;
  }
  if (log && gone) {
    ANDANTE_LOG(kInfo, "block object gone: skipping the block",
                {{"tenant", meta_.tenant},
                 {"block", meta_.block_id},
                 {"object", std::string(what)}});
  } else if (log) {
    ANDANTE_LOG(kError,
                whole_block ? "damaged block: skipping it"
                            : "damaged block object: reading around it",
                {{"tenant", meta_.tenant},
                 {"block", meta_.block_id},
                 {"object", std::string(what)},
                 {"reason", std::string(ToStd(cause.message()))}});
  }
  return result;
}

BlockReader::~BlockReader() {
  if (cache_ == nullptr) return;
  for (uint32_t shard = 0; shard < meta_.bloom_shards; ++shard) {
    cache_->Erase(
        CacheKey(absl::StrCat(ToAbsl(kBloomObjectPrefix), shard)));
  }
  cache_->Erase(CacheKey(kIndexObjectName));
}

std::string BlockReader::CacheKey(std::string_view name) const {
  return absl::StrCat(meta_.block_id, "/", ToAbsl(name));
}

template <typename T>
absl::StatusOr<std::shared_ptr<const T>> BlockReader::LoadCached(
    Held<T>* held, std::string_view name,
    absl::FunctionRef<absl::StatusOr<std::shared_ptr<const T>>(
        uint64_t* charge)>
        load) {
  {
    absl::MutexLock lock(&mu_);
    // A damaged block answers at once (checked here to take the lock once).
    if (!damage_.ok()) return damage_;
    if (auto v = held->Get(cache_.get())) return v;
    if (held->absent) return nullptr;
  }
  const std::string cache_key = CacheKey(name);
  if (cache_ != nullptr) {
    BlockCache::UseFlag flag;
    if (auto hit = cache_->Lookup<T>(cache_key, &flag)) {
      absl::MutexLock lock(&mu_);
      held->Set(hit, std::move(flag), /*cached=*/true);
      return hit;
    }
  }
  uint64_t charge = 0;
  absl::StatusOr<std::shared_ptr<const T>> loaded = load(&charge);
  if (!loaded.ok()) return loaded.status();
  if (*loaded == nullptr) {
    absl::MutexLock lock(&mu_);
    held->absent = true;
    return nullptr;
  }
  BlockCache::UseFlag flag;
  if (cache_ != nullptr) flag = cache_->Insert(cache_key, *loaded, charge);
  absl::MutexLock lock(&mu_);
  held->Set(*loaded, std::move(flag), cache_ != nullptr);
  return cache_ != nullptr ? *std::move(loaded) : held->strong;
}

// block_reader_v2.cc's index.
template absl::StatusOr<std::shared_ptr<const V2Index>>
BlockReader::LoadCached<V2Index>(
    Held<V2Index>*, std::string_view,
    absl::FunctionRef<
        absl::StatusOr<std::shared_ptr<const V2Index>>(uint64_t*)>);

absl::StatusOr<std::shared_ptr<const TraceIdShard>> BlockReader::BloomShard(
    uint32_t shard, uint64_t* inspected_bytes) {
  Held<TraceIdShard>* held;
  {
    absl::MutexLock lock(&mu_);
    held = &bloom_[shard];  // the vector is never resized
  }
  const std::string name = absl::StrCat(ToAbsl(kBloomObjectPrefix), shard);
  return LoadCached<TraceIdShard>(
      held, name,
      [&](uint64_t* charge)
          -> absl::StatusOr<std::shared_ptr<const TraceIdShard>> {
        absl::StatusOr<std::string> bytes =
            backend_->Read(BlockKey(meta_.tenant, meta_.block_id, name));
        absl::Status bad;
        if (!bytes.ok()) {
          if (!IsDamage(bytes.status())) return bytes.status();
          bad = bytes.status();
        } else {
          if (inspected_bytes != nullptr) *inspected_bytes += bytes->size();
          absl::StatusOr<TraceIdShard> filter = TraceIdShard::Decode(*bytes);
          if (filter.ok()) {
            // Not make_shared: a weak reference must not keep the filter's
            // storage after the cache drops it.
            std::shared_ptr<const TraceIdShard> loaded(
                new TraceIdShard(*std::move(filter)));
            *charge = loaded->MemoryBytes();
            return loaded;
          }
          bad = filter.status();
        }
        // A bloom shard only saves reads: without it the index decides.
        Damaged(name, bad, /*whole_block=*/false).IgnoreError();
        return nullptr;
      });
}

absl::StatusOr<std::string> BlockReader::ReadIndexObject(
    uint64_t* inspected_bytes) {
  absl::StatusOr<std::string> bytes =
      backend_->Read(BlockKey(meta_.tenant, meta_.block_id, kIndexObjectName));
  if (!bytes.ok()) {
    if (!IsDamage(bytes.status())) return bytes.status();
    return Damaged(kIndexObjectName, bytes.status(), /*whole_block=*/true);
  }
  if (inspected_bytes != nullptr) *inspected_bytes += bytes->size();
  if (meta_.index_bytes != 0 && bytes->size() != meta_.index_bytes) {
    return Damaged(kIndexObjectName,
                   absl::DataLossError(absl::StrCat(
                       "index object is ", bytes->size(),
                       " bytes; meta.json says ", meta_.index_bytes)),
                   /*whole_block=*/true);
  }
  return bytes;
}

absl::Status BlockReader::CheckIndexShape(size_t pages, uint64_t data_bytes) {
  if (pages == meta_.total_pages && data_bytes == meta_.data_bytes) {
    return absl::OkStatus();
  }
  return Damaged(kIndexObjectName,
                 absl::DataLossError(absl::StrCat(
                     "index of ", pages, " pages covering ", data_bytes,
                     " bytes disagrees with meta.json (", meta_.total_pages,
                     " pages, ", meta_.data_bytes, " bytes)")),
                 /*whole_block=*/true);
}

absl::StatusOr<std::shared_ptr<const PageIndex>> BlockReader::Index(
    uint64_t* inspected_bytes) {
  return LoadCached<PageIndex>(
      &index_, kIndexObjectName,
      [&](uint64_t* charge)
          -> absl::StatusOr<std::shared_ptr<const PageIndex>> {
        absl::StatusOr<std::string> bytes = ReadIndexObject(inspected_bytes);
        if (!bytes.ok()) return bytes.status();
        absl::StatusOr<PageIndex> index = PageIndex::Decode(*bytes);
        if (!index.ok()) {
          return Damaged(kIndexObjectName, index.status(),
                         /*whole_block=*/true);
        }
        if (absl::Status s =
                CheckIndexShape(index->pages().size(), index->data_bytes());
            !s.ok()) {
          return s;
        }
        // Decoded, an index takes about what it took stored (fixed-size
        // entries).
        *charge = bytes->size();
        return std::shared_ptr<const PageIndex>(
            new PageIndex(*std::move(index)));
      });
}

absl::StatusOr<std::string> BlockReader::DecodePage(
    size_t n, const PageEntry& entry, std::string_view stored) const {
  auto corrupt = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat("block ", meta_.tenant, "/",
                                            meta_.block_id, " page ", n, ": ",
                                            ToAbsl(what)));
  };
  if (stored.size() != entry.length) return corrupt("short read");
  std::string_view frame = stored.substr(0, stored.size() - kPageTrailerSize);
  uint32_t trailer = DecodeFixed32(stored.data() + frame.size());
  if (trailer != entry.crc || Crc32c(frame) != UnmaskCrc(trailer)) {
    return corrupt("checksum mismatch");
  }
  // The index's raw_length is not covered by the page checksum: check it
  // against the frame's own content size before allocating for it.
  unsigned long long content =
      ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return corrupt("not a zstd frame");
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != entry.raw_length) {
    return corrupt(absl::StrCat("index claims ", entry.raw_length,
                                " uncompressed bytes; the page holds ",
                                content));
  }
  ZSTD_DCtx* dctx = ThreadDCtx();
  if (dctx == nullptr) {
    return absl::ResourceExhaustedError("ZSTD_createDCtx failed");
  }
  std::string raw(entry.raw_length, '\0');
  size_t got = ZSTD_decompressDCtx(dctx, raw.data(), raw.size(), frame.data(),
                                   frame.size());
  if (ZSTD_isError(got)) {
    return corrupt(absl::StrCat("zstd: ", ZSTD_getErrorName(got)));
  }
  if (got != raw.size()) return corrupt("decompressed size mismatch");
  return raw;
}

namespace {

// Splits a decompressed page into entries, checking them against the index
// entry: count, first and last ID, strictly increasing IDs. The views point
// into `raw`.
absl::Status ParsePage(std::string_view raw, const PageEntry& page,
                       std::vector<Entry>* entries) {
  entries->clear();
  entries->reserve(page.trace_count);
  while (!raw.empty()) {
    if (raw.size() < TraceId::kSize) {
      return absl::DataLossError("page entry truncated");
    }
    std::array<uint8_t, TraceId::kSize> id;
    std::memcpy(id.data(), raw.data(), id.size());
    raw.remove_prefix(TraceId::kSize);
    uint64_t length;
    if (!GetVarint64(&raw, &length) || length > raw.size()) {
      return absl::DataLossError("page entry length is corrupt");
    }
    Entry e{TraceId(id), raw.substr(0, length)};
    raw.remove_prefix(length);
    if (!entries->empty() && !(entries->back().id < e.id)) {
      return absl::DataLossError("page entries out of order");
    }
    entries->push_back(e);
  }
  if (entries->size() != page.trace_count || entries->empty() ||
      entries->front().id != page.first_id ||
      entries->back().id != page.last_id) {
    return absl::DataLossError("page contents disagree with the index");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> BlockReader::MayContain(const TraceId& id,
                                             uint64_t* inspected_bytes) {
  if (id < meta_.min_id || meta_.max_id < id) return false;
  uint32_t shard = TraceIdShardOf(id, meta_.bloom_shards);
  absl::StatusOr<std::shared_ptr<const TraceIdShard>> bloom =
      BloomShard(shard, inspected_bytes);
  if (!bloom.ok()) return bloom.status();
  // nullptr: the shard is damaged, so the index decides.
  return *bloom == nullptr || (*bloom)->MayContain(id);
}

absl::StatusOr<std::optional<std::string>> BlockReader::Find(
    const TraceId& id, uint64_t* inspected_bytes) {
  absl::StatusOr<bool> may = MayContain(id, inspected_bytes);
  if (!may.ok()) return may.status();
  if (!*may) return std::nullopt;
  if (meta_.format_version == kBlockFormatVersionV2) {
    return FindV2(id, inspected_bytes);
  }

  absl::StatusOr<std::shared_ptr<const PageIndex>> index =
      Index(inspected_bytes);
  if (!index.ok()) return index.status();
  std::optional<size_t> n = (*index)->FindPage(id);
  if (!n.has_value()) return std::nullopt;
  const PageEntry& entry = (*index)->pages()[*n];

  const std::string page_name = absl::StrCat("data page ", *n);
  absl::StatusOr<std::string> stored = backend_->ReadRange(
      BlockKey(meta_.tenant, meta_.block_id, kDataObjectName), entry.offset,
      entry.length);
  if (!stored.ok()) {
    if (!IsDamage(stored.status())) return stored.status();
    // The data object is missing or shorter than the index says (truncated):
    // remember it, so later lookups fail at once instead of reading again.
    return Damaged(kDataObjectName, stored.status(), /*whole_block=*/true);
  }
  if (inspected_bytes != nullptr) *inspected_bytes += stored->size();
  absl::StatusOr<std::string> raw = DecodePage(*n, entry, *stored);
  if (!raw.ok()) {
    if (!IsDamage(raw.status())) return raw.status();
    return Damaged(page_name, raw.status(), /*whole_block=*/false);
  }

  std::vector<Entry> entries;
  if (absl::Status s = ParsePage(*raw, entry, &entries); !s.ok()) {
    return Damaged(page_name, s, /*whole_block=*/false);
  }
  auto it = std::lower_bound(
      entries.begin(), entries.end(), id,
      [](const Entry& e, const TraceId& x) { return e.id < x; });
  if (it == entries.end() || it->id != id) return std::nullopt;
  return std::string(it->data);
}

absl::Status BlockReader::ForEach(
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view data)> fn,
    uint64_t read_bytes) {
  if (meta_.format_version == kBlockFormatVersionV2) {
    return ForEachV2(fn, read_bytes);
  }
  absl::StatusOr<std::shared_ptr<const PageIndex>> index = Index(nullptr);
  if (!index.ok()) return index.status();
  const std::vector<PageEntry>& pages = (*index)->pages();
  const std::string data_key =
      BlockKey(meta_.tenant, meta_.block_id, kDataObjectName);
  std::vector<Entry> entries;
  size_t n = 0;
  while (n < pages.size()) {
    // Batch consecutive pages into one ranged read of about `read_bytes`:
    // few requests against object storage, bounded memory.
    size_t end = n + 1;
    uint64_t bytes = pages[n].length;
    while (end < pages.size() && bytes + pages[end].length <= read_bytes) {
      bytes += pages[end++].length;
    }
    const uint64_t chunk_offset = pages[n].offset;
    absl::StatusOr<std::string> chunk =
        backend_->ReadRange(data_key, chunk_offset, bytes);
    if (!chunk.ok()) {
      if (!IsDamage(chunk.status())) return chunk.status();
      return Damaged(kDataObjectName, chunk.status(), /*whole_block=*/true);
    }
    for (; n < end; ++n) {
      const PageEntry& entry = pages[n];
      absl::StatusOr<std::string> raw =
          DecodePage(n, entry,
                     std::string_view(*chunk).substr(
                         entry.offset - chunk_offset, entry.length));
      if (!raw.ok()) {
        if (!IsDamage(raw.status())) return raw.status();
        return Damaged(absl::StrCat("data page ", n), raw.status(), false);
      }
      if (absl::Status s = ParsePage(*raw, entry, &entries); !s.ok()) {
        return Damaged(absl::StrCat("data page ", n), s, false);
      }
      for (const Entry& e : entries) {
        if (absl::Status s = fn(e.id, e.data); !s.ok()) return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
