#include "ingest/block_loader.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "block/bloom_filter.h"
#include "block/page_index.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

absl::Status NotWhole(std::string_view what) {
  return absl::FailedPreconditionError(ToAbsl(what));
}

absl::Status NotWhole(std::string_view what, const absl::Status& cause) {
  return absl::FailedPreconditionError(
      absl::StrCat(ToAbsl(what), ": ", cause.message()));
}

}  // namespace

absl::StatusOr<BlockMeta> RecoverBlockMeta(
    const std::shared_ptr<Backend>& backend, std::string_view tenant,
    std::string_view block_id) {
  auto key = [&](std::string_view object) {
    return BlockKey(tenant, block_id, object);
  };
  absl::StatusOr<std::string> index_bytes = backend->Read(key(kIndexObjectName));
  if (!index_bytes.ok()) return NotWhole("no readable index", index_bytes.status());
  absl::StatusOr<PageIndex> index = PageIndex::Decode(*index_bytes);
  if (!index.ok()) return NotWhole("index", index.status());

  // Bloom shards: bloom-0 .. bloom-(n-1), all present and decodable.
  absl::StatusOr<std::vector<std::string>> objects =
      backend->List(absl::StrCat(ToAbsl(tenant), "/", ToAbsl(block_id)));
  if (!objects.ok()) return objects.status();
  uint32_t shards = 0;
  for (const std::string& name : *objects) {
    if (name.rfind(kBloomObjectPrefix, 0) == 0) ++shards;
  }
  if (shards == 0 || shards > kMaxBloomShards) {
    return NotWhole(absl::StrCat(shards, " bloom shards"));
  }
  std::vector<BloomFilter> blooms;
  uint64_t bloom_bytes = 0;
  for (uint32_t i = 0; i < shards; ++i) {
    absl::StatusOr<std::string> bytes =
        backend->Read(key(absl::StrCat(ToAbsl(kBloomObjectPrefix), i)));
    if (!bytes.ok()) return NotWhole(absl::StrCat("bloom-", i), bytes.status());
    absl::StatusOr<BloomFilter> filter = BloomFilter::Decode(*bytes);
    if (!filter.ok()) {
      return NotWhole(absl::StrCat("bloom-", i), filter.status());
    }
    bloom_bytes += bytes->size();
    blooms.push_back(*std::move(filter));
  }

  BlockMeta meta;
  meta.block_id = std::string(block_id);
  meta.tenant = std::string(tenant);
  meta.min_id = index->pages().front().first_id;
  meta.max_id = index->pages().back().last_id;
  for (const PageEntry& page : index->pages()) {
    meta.total_objects += page.trace_count;
  }
  meta.data_bytes = index->data_bytes();
  meta.index_bytes = index_bytes->size();
  meta.bloom_bytes = bloom_bytes;
  meta.total_pages = static_cast<uint32_t>(index->pages().size());
  meta.bloom_shards = shards;
  meta.created_unix_seconds = absl::ToUnixSeconds(absl::Now());

  // Read every trace once: checks the data (size, checksums, order) and
  // the bloom shards, and yields the span count and time range.
  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(backend, meta);
  if (!reader.ok()) return NotWhole("meta", reader.status());
  uint64_t start = std::numeric_limits<uint64_t>::max(), end = 0, spans = 0,
           traces = 0;
  opentelemetry::proto::trace::v1::TracesData trace;
  absl::Status scanned = (*reader)->ForEach(
      [&](const TraceId& id, std::string_view data) -> absl::Status {
        if (!blooms[ShardedBloomFilter::ShardOf(id, shards)].MayContain(id)) {
          return absl::DataLossError(
              absl::StrCat("trace ", id.ToHex(), " is not in its bloom shard"));
        }
        if (!trace.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
          return absl::DataLossError(
              absl::StrCat("trace ", id.ToHex(), " does not parse"));
        }
        ++traces;
        for (const auto& rs : trace.resource_spans()) {
          for (const auto& ss : rs.scope_spans()) {
            for (const auto& span : ss.spans()) {
              ++spans;
              start = std::min<uint64_t>(start, span.start_time_unix_nano());
              end = std::max<uint64_t>(end, span.end_time_unix_nano());
            }
          }
        }
        return absl::OkStatus();
      });
  if (!scanned.ok()) return NotWhole("data", scanned);
  if (traces != meta.total_objects) {
    return NotWhole(absl::StrCat("data holds ", traces, " traces; index says ",
                                 meta.total_objects));
  }
  meta.total_spans = spans;
  meta.start_unix_nano = spans == 0 ? 0 : start;
  meta.end_unix_nano = end;
  if (absl::Status s = backend->Write(key(kMetaObjectName), meta.ToJson());
      !s.ok()) {
    return s;
  }
  return meta;
}

absl::StatusOr<std::vector<std::shared_ptr<BlockReader>>> OpenTenantBlocks(
    const std::shared_ptr<Backend>& backend, std::string_view tenant,
    std::atomic<uint64_t>* damaged_counter) {
  auto count_damaged = [&] {
    if (damaged_counter != nullptr) {
      damaged_counter->fetch_add(1, std::memory_order_relaxed);
    }
  };
  absl::StatusOr<TenantBlocks> listed = ListTenantBlocks(*backend, tenant);
  if (!listed.ok()) return listed.status();
  for (size_t i = 0; i < listed->damaged.size(); ++i) count_damaged();

  for (const std::string& id : listed->incomplete) {
    absl::StatusOr<BlockMeta> meta = RecoverBlockMeta(backend, tenant, id);
    if (meta.ok()) {
      ANDANTE_LOG(kWarn, "recovered block without meta.json: rewrote it",
                  {{"tenant", std::string(tenant)},
                   {"block", id},
                   {"traces", absl::StrCat(meta->total_objects)},
                   {"spans", absl::StrCat(meta->total_spans)}});
      listed->complete.push_back(*std::move(meta));
      continue;
    }
    if (absl::IsUnavailable(meta.status())) return meta.status();
    // Maybe a flush a crash interrupted (then the WAL has the data again),
    // maybe the remains of the only copy: not ours to delete.
    ANDANTE_LOG(kError,
                "keeping incomplete block (no meta.json, not recoverable); "
                "remove it by hand once its data is known to be elsewhere",
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
        BlockReader::Open(backend, std::move(meta), damaged_counter);
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
