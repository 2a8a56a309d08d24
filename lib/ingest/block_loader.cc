#include "ingest/block_loader.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "block/block_builder.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "block/v2_recover.h"
#include "model/otlp_nesting.h"
#include "andante/otlp/trace/v1/trace.pb.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

absl::StatusOr<BlockMeta> RecoverBlock(const std::shared_ptr<Backend>& backend,
                                       const BlockOptions& options,
                                       std::string_view tenant,
                                       std::string_view block_id) {
  // Object writes are atomic, so a data object that exists is whole, as it
  // was when the builder closed it.
  absl::StatusOr<std::string> data =
      backend->Read(BlockKey(tenant, block_id, kDataObjectName));
  if (!data.ok()) return data.status();
  if (data->empty()) return absl::NotFoundError("empty data object");

  BlockBuilder builder(options, *backend, std::string(tenant), NewBlockId(), 0);
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (dctx == nullptr) {
    return absl::ResourceExhaustedError("ZSTD_createDCtx failed");
  }
  struct FreeDCtx {
    ZSTD_DCtx* d;
    ~FreeDCtx() { ZSTD_freeDCtx(d); }
  } free_dctx{dctx};

  andante::otlp::trace::v1::TracesData trace;
  std::string raw;
  std::string_view rest = *data;
  if (IsV2Data(rest)) {  // columnar: rebuilt trace by trace, then done
    absl::Status s = ForEachV2DataTrace(
        rest, [&](const TraceId& id, std::string_view one, uint64_t start,
                  uint64_t end, uint32_t spans) {
          return builder.Add(id, one, start, end, spans);
        });
    if (!s.ok()) return s;
    rest = std::string_view();
  }
  uint64_t offset = 0;
  bool first = true;
  TraceId last;
  while (!rest.empty()) {
    auto bad = [&](std::string_view what) {
      return absl::DataLossError(
          absl::StrCat("data page at offset ", offset, ": ", ToAbsl(what)));
    };
    size_t frame = ZSTD_findFrameCompressedSize(rest.data(), rest.size());
    if (ZSTD_isError(frame)) return bad(ZSTD_getErrorName(frame));
    if (rest.size() - frame < kPageTrailerSize) return bad("no trailer");
    std::string_view stored = rest.substr(0, frame);
    if (Crc32c(stored) != UnmaskCrc(DecodeFixed32(rest.data() + frame))) {
      return bad("checksum mismatch");
    }
    unsigned long long size = ZSTD_getFrameContentSize(stored.data(), frame);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > kMaxPageRawBytes) {
      return bad("unusable content size");
    }
    raw.resize(size);
    size_t got =
        ZSTD_decompressDCtx(dctx, raw.data(), raw.size(), stored.data(), frame);
    if (ZSTD_isError(got) || got != raw.size()) return bad("zstd");
    std::string_view entries = raw;
    while (!entries.empty()) {
      if (entries.size() < TraceId::kSize) return bad("entry truncated");
      std::array<uint8_t, TraceId::kSize> bytes;
      std::memcpy(bytes.data(), entries.data(), bytes.size());
      entries.remove_prefix(TraceId::kSize);
      uint64_t length;
      if (!GetVarint64(&entries, &length) || length > entries.size()) {
        return bad("entry length");
      }
      TraceId id(bytes);
      if (!first && !(last < id)) return bad("entries out of order");
      first = false;
      last = id;
      std::string_view one = entries.substr(0, length);
      entries.remove_prefix(length);
      if (!ParseOtlpMessage(one, &trace)) {
        return bad(absl::StrCat("trace ", id.ToHex(), " does not parse"));
      }
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
      if (absl::Status s = builder.Add(id, one, start, end, spans); !s.ok()) {
        return s;
      }
    }
    rest.remove_prefix(frame + kPageTrailerSize);
    offset += frame + kPageTrailerSize;
  }
  absl::StatusOr<BlockMeta> meta = builder.Finish();
  if (!meta.ok()) return meta.status();
  // The copy is complete and visible: the original can go.
  if (absl::Status s = DeleteBlock(*backend, tenant, block_id); !s.ok()) {
    ANDANTE_LOG(kWarn, "recovered block: could not delete the original",
                {{"tenant", std::string(tenant)},
                 {"block", std::string(block_id)},
                 {"error", std::string(ToStd(s.message()))}});
  }
  return meta;
}

absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> OpenTenantBlocks(
    const std::shared_ptr<Backend>& backend, const BlockOptions& options,
    std::string_view tenant, std::atomic<uint64_t>* damaged_counter,
    bool recover_incomplete, std::shared_ptr<BlockCache> cache) {
  auto count_damaged = [&] {
    if (damaged_counter != nullptr) {
      damaged_counter->fetch_add(1, std::memory_order_relaxed);
    }
  };
  absl::StatusOr<TenantBlocks> listed = ListTenantBlocks(*backend, tenant);
  if (!listed.ok()) return listed.status();
  for (size_t i = 0; i < listed->damaged.size(); ++i) count_damaged();

  if (!recover_incomplete) listed->incomplete.clear();
  for (const std::string& id : listed->incomplete) {
    absl::StatusOr<BlockMeta> meta = RecoverBlock(backend, options, tenant, id);
    if (meta.ok()) {
      ANDANTE_LOG(kWarn, "recovered block without meta.json: rebuilt it",
                  {{"tenant", std::string(tenant)},
                   {"block", id},
                   {"as", meta->block_id},
                   {"traces", absl::StrCat(meta->total_objects)},
                   {"spans", absl::StrCat(meta->total_spans)}});
      listed->complete.push_back(*std::move(meta));
      continue;
    }
    if (absl::IsNotFound(meta.status())) {
      // No data object: the block holds nothing to lose.
      ANDANTE_LOG(kWarn, "deleting incomplete block without data",
                  {{"tenant", std::string(tenant)}, {"block", id}});
      if (absl::Status s = DeleteBlock(*backend, tenant, id); !s.ok()) {
        return s;
      }
      continue;
    }
    if (absl::IsUnavailable(meta.status())) return meta.status();
    // Its data is damaged: maybe the only copy of some traces. Not ours to
    // delete.
    ANDANTE_LOG(kError,
                "keeping incomplete block (no meta.json, damaged data); "
                "remove it by hand once its traces are known to be elsewhere",
                {{"tenant", std::string(tenant)},
                 {"block", id},
                 {"reason", std::string(ToStd(meta.status().message()))}});
    count_damaged();
  }
  std::sort(listed->complete.begin(), listed->complete.end(),
            [](const BlockMeta& a, const BlockMeta& b) {
              return a.block_id < b.block_id;
            });

  std::vector<std::shared_ptr<BlockReader>> readers;
  for (BlockMeta& meta : listed->complete) {
    std::string id = meta.block_id;
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(backend, std::move(meta), damaged_counter, cache);
    if (!reader.ok()) {
      ANDANTE_LOG(kError, "damaged block: unusable meta.json; skipping it",
                  {{"tenant", std::string(tenant)},
                   {"block", id},
                   {"reason", std::string(ToStd(reader.status().message()))}});
      count_damaged();
      continue;
    }
    readers.push_back(std::move(*reader));
  }
  return readers;
}

}  // namespace andante::internal
