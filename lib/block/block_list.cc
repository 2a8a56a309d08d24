#include "block/block_list.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/tenant.h"
#include "block/block_format.h"
#include "util/crash_point.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

absl::StatusOr<TenantBlocks> ListTenantBlocks(Backend& backend,
                                              std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> names = backend.List(tenant);
  if (!names.ok()) return names.status();

  TenantBlocks blocks;
  for (const std::string& block_id : *names) {
    if (!IsValidBlockId(block_id)) continue;
    absl::StatusOr<std::string> json =
        backend.Read(BlockKey(tenant, block_id, kMetaObjectName));
    if (absl::IsNotFound(json.status())) {
      blocks.incomplete.push_back(block_id);
      continue;
    }
    absl::StatusOr<BlockMeta> meta = absl::DataLossError("unset");
    if (!json.ok()) {
      const absl::StatusCode code = json.status().code();
      if (code != absl::StatusCode::kDataLoss &&
          code != absl::StatusCode::kOutOfRange &&
          code != absl::StatusCode::kInvalidArgument) {
        return json.status();
      }
      meta = json.status();
    } else {
      meta = BlockMeta::FromJson(*json);
    }
    if (meta.ok() && (meta->block_id != block_id || meta->tenant != tenant)) {
      meta = absl::DataLossError(absl::StrCat(
          "meta.json names block ", meta->tenant, "/", meta->block_id));
    }
    if (!meta.ok()) {
      ANDANTE_LOG(kError, "damaged block: unreadable meta.json; skipping it",
                  {{"tenant", std::string(tenant)},
                   {"block", block_id},
                   {"reason", std::string(ToStd(meta.status().message()))}});
      blocks.damaged.push_back(block_id);
      continue;
    }
    blocks.complete.push_back(*std::move(meta));
  }
  return blocks;
}

absl::StatusOr<std::vector<std::string>> ListTenants(
    Backend& backend, std::vector<std::string>* non_tenants) {
  absl::StatusOr<std::vector<std::string>> names = backend.List("");
  if (!names.ok()) return names.status();
  // Stray top-level names (a file dropped into the data directory) are not
  // tenants; filtering them keeps every returned name safe to pass on.
  std::erase_if(*names, [&](const std::string& name) {
    if (ValidateTenantId(name).ok()) return false;
    if (non_tenants != nullptr) non_tenants->push_back(name);
    return true;
  });
  return names;
}

absl::Status DeleteBlock(Backend& backend, std::string_view tenant,
                         std::string_view block_id) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (!IsValidBlockId(block_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("block id \"", ToAbsl(block_id), "\" is not a UUID"));
  }
  if (absl::Status s =
          backend.Delete(BlockKey(tenant, block_id, kMetaObjectName));
      !s.ok()) {
    return s;
  }
  CrashPoint("delete.after_meta");
  // The index next: a directory without meta.json but with index, bloom and
  // data is recovered at start-up (ingest/block_loader.h); without its index
  // it is not, so a block being deleted is not brought back.
  if (absl::Status s =
          backend.Delete(BlockKey(tenant, block_id, kIndexObjectName));
      !s.ok()) {
    return s;
  }
  std::string prefix = absl::StrCat(ToAbsl(tenant), "/", ToAbsl(block_id));
  absl::StatusOr<std::vector<std::string>> objects = backend.List(prefix);
  if (!objects.ok()) return objects.status();
  for (const std::string& object : *objects) {
    if (absl::Status s = backend.Delete(BlockKey(tenant, block_id, object));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
