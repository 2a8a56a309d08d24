#include "compaction/blocklist.h"

#include <exception>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "andante/tenant.h"
#include "block/block_format.h"
#include "compaction/compaction_format.h"
#include "nlohmann/json.hpp"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

std::string EncodeCompactedMeta(const CompactedBlockMeta& compacted) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(
      compacted.meta.ToJson(), nullptr, /*allow_exceptions=*/false);
  j["compactedTime"] = absl::FormatTime(
      "%Y-%m-%d%ET%H:%M:%E*SZ", compacted.compacted_time, absl::UTCTimeZone());
  j["compactedTimeUnixNano"] =
      absl::StrCat(absl::ToUnixNanos(compacted.compacted_time));
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

absl::StatusOr<CompactedBlockMeta> DecodeCompactedMeta(std::string_view json) {
  // BlockMeta ignores the extra fields, so the marker parses as a meta.
  absl::StatusOr<BlockMeta> meta = BlockMeta::FromJson(json);
  if (!meta.ok()) return meta.status();
  try {
    nlohmann::json j = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                             /*allow_exceptions=*/false);
    auto it = j.find("compactedTimeUnixNano");
    int64_t nanos;
    if (it == j.end() || !it->is_string() ||
        !absl::SimpleAtoi(it->get<std::string>(), &nanos)) {
      return absl::DataLossError(
          "meta.compacted.json: \"compactedTimeUnixNano\" missing or not "
          "unix nanoseconds");
    }
    return CompactedBlockMeta{*std::move(meta), absl::FromUnixNanos(nanos)};
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("meta.compacted.json: ", e.what()));
  }
}

absl::Status MarkBlockCompacted(Backend& backend, const BlockMeta& meta,
                                absl::Time compacted_time) {
  return backend.Write(
      BlockKey(meta.tenant, meta.block_id, kCompactedMetaObjectName),
      EncodeCompactedMeta({meta, compacted_time}));
}

absl::StatusOr<TenantBlocklist> ListTenantBlocklist(
    Backend& backend, std::string_view tenant, absl::Time now,
    const TenantBlocklist* previous, std::vector<std::string>* non_blocks) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> names = backend.List(tenant);
  if (!names.ok()) return names.status();

  auto skip = [&](std::string_view block_id, const absl::Status& s) {
    ANDANTE_LOG(kWarn, "skipping unreadable block",
                {{"tenant", std::string(tenant)},
                 {"block", std::string(block_id)},
                 {"err", std::string(ToStd(s.message()))}});
  };
  auto names_block = [&](const BlockMeta& m, std::string_view block_id) {
    return m.block_id == block_id && m.tenant == tenant;
  };

  TenantBlocklist list;
  for (const std::string& block_id : *names) {
    if (!IsValidBlockId(block_id)) {
      if (non_blocks != nullptr) non_blocks->push_back(block_id);
      continue;
    }
    absl::StatusOr<std::string> marker =
        backend.Read(BlockKey(tenant, block_id, kCompactedMetaObjectName));
    if (marker.ok()) {
      absl::StatusOr<CompactedBlockMeta> c = DecodeCompactedMeta(*marker);
      if (c.ok() && !names_block(c->meta, block_id)) {
        c = absl::DataLossError("meta.compacted.json names another block");
      }
      if (!c.ok()) {
        skip(block_id, c.status());
        continue;
      }
      list.compacted.push_back(*std::move(c));
      continue;
    }
    if (!absl::IsNotFound(marker.status())) return marker.status();

    absl::StatusOr<std::string> json =
        backend.Read(BlockKey(tenant, block_id, kMetaObjectName));
    if (absl::IsNotFound(json.status())) {
      absl::Time first_seen = now;
      if (previous != nullptr) {
        for (const IncompleteBlock& b : previous->incomplete) {
          if (b.block_id == block_id) first_seen = b.first_seen;
        }
      }
      list.incomplete.push_back({block_id, first_seen});
      continue;
    }
    if (!json.ok()) return json.status();
    absl::StatusOr<BlockMeta> meta = BlockMeta::FromJson(*json);
    if (meta.ok() && !names_block(*meta, block_id)) {
      meta = absl::DataLossError("meta.json names another block");
    }
    if (!meta.ok()) {
      skip(block_id, meta.status());
      continue;
    }
    list.live.push_back(*std::move(meta));
  }
  return list;
}

}  // namespace andante::internal
