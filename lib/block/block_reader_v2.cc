// BlockReader's v2 (columnar) half: the index, column reads, lookups and the
// full scan. See block_reader.h for the damage rules, which are v1's.
#include <zstd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "block/block_reader.h"
#include "util/crc32c.h"
#include "util/strings.h"

namespace andante::internal {

ZSTD_DCtx* ThreadDCtx();  // block_reader.cc

namespace {

constexpr uint32_t kAllColumns = (1u << kV2ColumnCount) - 1;

}  // namespace

absl::StatusOr<std::shared_ptr<const V2Index>> BlockReader::LoadV2Index(
    uint64_t* inspected_bytes) {
  if (meta_.format_version != kBlockFormatVersionV2) {
    return absl::FailedPreconditionError("not a v2 block");
  }
  return LoadCached<V2Index>(
      &v2_index_, kIndexObjectName,
      [&](uint64_t* charge) -> absl::StatusOr<std::shared_ptr<const V2Index>> {
        absl::StatusOr<std::string> bytes = ReadIndexObject(inspected_bytes);
        if (!bytes.ok()) return bytes.status();
        absl::StatusOr<V2Index> index = V2Index::Decode(*bytes);
        if (!index.ok()) {
          return Damaged(kIndexObjectName, index.status(),
                         /*whole_block=*/true);
        }
        if (absl::Status s =
                CheckIndexShape(index->pages.size(), index->data_bytes());
            !s.ok()) {
          return s;
        }
        // Not make_shared: a weak reference must not keep the index's
        // storage after the cache drops it.
        std::shared_ptr<const V2Index> decoded(new V2Index(*std::move(index)));
        *charge = decoded->MemoryBytes();
        // The page table, if not loaded alone first, is taken from it.
        bool need_table;
        {
          absl::MutexLock lock(&mu_);
          need_table = page_table_ == nullptr;
        }
        if (need_table) {
          auto table =
              std::make_shared<const V2PageTable>(V2PageTable::Of(*decoded));
          absl::MutexLock lock(&mu_);
          if (page_table_ == nullptr) page_table_ = std::move(table);
        }
        return decoded;
      });
}

absl::StatusOr<std::shared_ptr<const V2PageTable>> BlockReader::PageTable(
    uint64_t* inspected_bytes) {
  {
    absl::MutexLock lock(&mu_);
    if (!damage_.ok()) return damage_;
    if (page_table_ != nullptr) return page_table_;
  }
  absl::StatusOr<std::string> bytes = ReadIndexObject(inspected_bytes);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<V2PageTable> table = V2PageTable::Decode(*bytes);
  if (!table.ok()) {
    return Damaged(kIndexObjectName, table.status(), /*whole_block=*/true);
  }
  if (absl::Status s = CheckIndexShape(table->pages.size(), table->data_bytes());
      !s.ok()) {
    return s;
  }
  auto loaded = std::make_shared<const V2PageTable>(*std::move(table));
  absl::MutexLock lock(&mu_);
  if (page_table_ == nullptr) page_table_ = std::move(loaded);
  return page_table_;
}

absl::Status BlockReader::DecodeV2Chunk(size_t n, uint32_t c,
                                        const V2Chunk& chunk,
                                        std::string_view stored,
                                        std::string* out) const {
  auto corrupt = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat("block ", meta_.tenant, "/",
                                            meta_.block_id, " page ", n,
                                            " column ", c, ": ", ToAbsl(what)));
  };
  if (stored.size() != chunk.length || stored.size() < kPageTrailerSize) {
    return corrupt("short read");
  }
  std::string_view frame = stored.substr(0, stored.size() - kPageTrailerSize);
  uint32_t trailer = DecodeFixed32(stored.data() + frame.size());
  if (trailer != chunk.crc || Crc32c(frame) != UnmaskCrc(trailer)) {
    return corrupt("checksum mismatch");
  }
  unsigned long long content =
      ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return corrupt("not a zstd frame");
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != chunk.raw_length) {
    return corrupt(absl::StrCat("index claims ", chunk.raw_length,
                                " uncompressed bytes; the chunk holds ",
                                content));
  }
  ZSTD_DCtx* dctx = ThreadDCtx();
  if (dctx == nullptr) {
    return absl::ResourceExhaustedError("ZSTD_createDCtx failed");
  }
  out->resize(chunk.raw_length);
  size_t got = ZSTD_decompressDCtx(dctx, out->data(), out->size(), frame.data(),
                                   frame.size());
  if (ZSTD_isError(got)) {
    return corrupt(absl::StrCat("zstd: ", ZSTD_getErrorName(got)));
  }
  if (got != out->size()) return corrupt("decompressed size mismatch");
  return absl::OkStatus();
}

absl::Status BlockReader::DecodeV2PageChunk(size_t n,
                                            const V2PageTable& table, size_t i,
                                            std::string_view stored,
                                            V2Page* page) const {
  const V2PageLocation& entry = table.pages[n];
  const V2Chunk& chunk = table.chunk(n, i);
  if (i < kV2ColumnCount) {
    return DecodeV2Chunk(n, static_cast<uint32_t>(i), chunk, stored,
                         &page->raw[i]);
  }
  if (i >= kV2KeyedFirstChunk) {
    return DecodeV2Chunk(n, static_cast<uint32_t>(i), chunk, stored,
                         &page->key_raw[i - kV2KeyedFirstChunk]);
  }
  // The keyed marker: stored as is, CRC-checked, naming the key count.
  uint64_t keys = 0;
  if (stored.size() != chunk.length || stored.size() < kPageTrailerSize ||
      DecodeFixed32(stored.data() + stored.size() - kPageTrailerSize) !=
          chunk.crc ||
      Crc32c(stored.substr(0, stored.size() - kPageTrailerSize)) !=
          UnmaskCrc(chunk.crc) ||
      !DecodeV2KeyedMarker(stored.substr(0, stored.size() - kPageTrailerSize),
                           &keys) ||
      keys != entry.key_count()) {
    return absl::DataLossError(absl::StrCat("block ", meta_.tenant, "/",
                                            meta_.block_id, " page ", n,
                                            ": keyed marker is corrupt"));
  }
  return absl::OkStatus();
}

absl::Status BlockReader::ReadV2Columns(size_t n, uint32_t columns,
                                        V2Page* page, uint64_t* inspected_bytes,
                                        uint64_t* chunks,
                                        const std::vector<uint32_t>* keys) {
  if (meta_.format_version != kBlockFormatVersionV2) {
    return absl::FailedPreconditionError("not a v2 block");
  }
  absl::StatusOr<std::shared_ptr<const V2PageTable>> table =
      PageTable(inspected_bytes);
  if (!table.ok()) return table.status();
  if (n >= (*table)->pages.size()) {
    return absl::OutOfRangeError(absl::StrCat("no page ", n));
  }
  const V2PageLocation& entry = (*table)->pages[n];
  const std::string key =
      BlockKey(meta_.tenant, meta_.block_id, kDataObjectName);
  for (std::string& r : page->raw) r.clear();
  page->key_raw.resize(entry.key_count());
  for (std::string& r : page->key_raw) r.clear();
  // The chunks wanted, in page order: a keyed page's span attributes are
  // its layout, marker and every key chunk.
  const size_t count = entry.chunk_count;
  const bool assemble = entry.keyed() && (columns & (1u << kV2SpanAttributes));
  std::vector<bool> want(count, false);
  for (uint32_t c = 0; c < kV2ColumnCount; ++c) want[c] = columns & (1u << c);
  for (size_t i = kV2ColumnCount; assemble && i < count; ++i) want[i] = true;
  if (keys != nullptr) {
    for (uint32_t k : *keys) {
      if (k >= entry.key_count()) {
        return absl::OutOfRangeError(absl::StrCat("no key chunk ", k));
      }
      want[kV2KeyedFirstChunk + k] = true;
    }
  }
  // One ranged read per run of consecutive wanted chunks.
  size_t i = 0;
  uint64_t offset = 0;  // of chunk i within the page
  while (i < count) {
    if (!want[i]) {
      offset += (*table)->chunk(n, i++).length;
      continue;
    }
    size_t end = i;
    uint64_t length = 0;
    while (end < count && want[end]) {
      length += (*table)->chunk(n, end++).length;
    }
    absl::StatusOr<std::string> stored =
        backend_->ReadRange(key, entry.offset + offset, length);
    if (!stored.ok()) {
      if (!IsDamage(stored.status())) return stored.status();
      return Damaged(kDataObjectName, stored.status(), /*whole_block=*/true);
    }
    if (inspected_bytes != nullptr) *inspected_bytes += stored->size();
    if (stored->size() != length) {
      return Damaged(kDataObjectName, absl::DataLossError("short read"), true);
    }
    uint64_t at = 0;
    for (; i < end; ++i) {
      const uint32_t len = (*table)->chunk(n, i).length;
      absl::Status s = DecodeV2PageChunk(
          n, **table, i, std::string_view(*stored).substr(at, len), page);
      if (!s.ok()) {
        return Damaged(absl::StrCat("data page ", n), s, /*whole_block=*/false);
      }
      if (chunks != nullptr && i != kV2ColumnCount) ++*chunks;
      at += len;
      offset += len;
    }
  }
  if (assemble) {
    if (absl::Status s = page->AssembleSpanAttributes(); !s.ok()) {
      return Damaged(absl::StrCat("data page ", n), s, /*whole_block=*/false);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> BlockReader::FindV2(
    const TraceId& id, uint64_t* inspected_bytes) {
  absl::StatusOr<std::shared_ptr<const V2PageTable>> table =
      PageTable(inspected_bytes);
  if (!table.ok()) return table.status();
  std::optional<size_t> n = (*table)->FindPage(id);
  if (!n.has_value()) return std::nullopt;
  // Every column, so ReadV2Columns makes exactly one ranged read. The page
  // (its column buffers and tables) is reused by the thread's next lookup,
  // so a lookup does not allocate them again.
  thread_local V2Page page;
  if (absl::Status s =
          ReadV2Columns(*n, kAllColumns, &page, inspected_bytes, nullptr);
      !s.ok()) {
    return s;
  }
  const std::string page_name = absl::StrCat("data page ", *n);
  if (absl::Status s = page.ParseTables(); !s.ok()) {
    return Damaged(page_name, s, /*whole_block=*/false);
  }
  const V2PageLocation& entry = (*table)->pages[*n];
  if (page.traces.size() != entry.trace_count ||
      page.span_count != entry.span_count ||
      page.traces.front().id != entry.first_id ||
      page.traces.back().id != entry.last_id) {
    return Damaged(page_name,
                   absl::DataLossError("page contents disagree with the index"),
                   false);
  }
  std::optional<std::string> found;
  absl::Status s = page.ForEachTraceOtlp(
      &id, [&](const TraceId&, andante::otlp::trace::v1::TracesData& d) {
        found.emplace();
        d.SerializeToString(&*found);
        return absl::OkStatus();
      });
  if (!s.ok()) return Damaged(page_name, s, /*whole_block=*/false);
  return found;
}

absl::Status BlockReader::ForEachV2(
    absl::FunctionRef<absl::Status(const TraceId&, std::string_view data)> fn,
    uint64_t read_bytes) {
  absl::StatusOr<std::shared_ptr<const V2PageTable>> table = PageTable(nullptr);
  if (!table.ok()) return table.status();
  const std::vector<V2PageLocation>& pages = (*table)->pages;
  const std::string data_key =
      BlockKey(meta_.tenant, meta_.block_id, kDataObjectName);
  V2Page page;
  std::string bytes;
  size_t n = 0;
  while (n < pages.size()) {
    size_t end = n + 1;
    uint64_t length = pages[n].length;
    while (end < pages.size() &&
           length + pages[end].length <= read_bytes) {
      length += pages[end++].length;
    }
    const uint64_t chunk_offset = pages[n].offset;
    absl::StatusOr<std::string> stored =
        backend_->ReadRange(data_key, chunk_offset, length);
    if (!stored.ok()) {
      if (!IsDamage(stored.status())) return stored.status();
      return Damaged(kDataObjectName, stored.status(), /*whole_block=*/true);
    }
    if (stored->size() != length) {
      return Damaged(kDataObjectName, absl::DataLossError("short read"), true);
    }
    for (; n < end; ++n) {
      const V2PageLocation& entry = pages[n];
      const std::string page_name = absl::StrCat("data page ", n);
      uint64_t at = entry.offset - chunk_offset;
      page.key_raw.resize(entry.key_count());
      for (size_t i = 0; i < entry.chunk_count; ++i) {
        const uint32_t length = (*table)->chunk(n, i).length;
        absl::Status s = DecodeV2PageChunk(
            n, **table, i, std::string_view(*stored).substr(at, length), &page);
        if (!s.ok()) return Damaged(page_name, s, false);
        at += length;
      }
      if (entry.keyed()) {
        if (absl::Status s = page.AssembleSpanAttributes(); !s.ok()) {
          return Damaged(page_name, s, false);
        }
      }
      if (absl::Status s = page.ParseTables(); !s.ok()) {
        return Damaged(page_name, s, false);
      }
      if (page.traces.size() != entry.trace_count ||
          page.traces.front().id != entry.first_id ||
          page.traces.back().id != entry.last_id) {
        return Damaged(
            page_name,
            absl::DataLossError("page contents disagree with the index"),
            false);
      }
      absl::Status fn_status;
      absl::Status s = page.ForEachTraceBytes(
          nullptr, [&](const TraceId& id, std::string_view trace) {
            fn_status = fn(id, trace);
            return fn_status;
          });
      if (!fn_status.ok()) return fn_status;
      if (!s.ok()) return Damaged(page_name, s, false);
    }
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
