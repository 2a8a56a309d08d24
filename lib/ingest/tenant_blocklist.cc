// TenantInstance: swapping the set of blocks it reads, after a blocklist
// poll or a local compaction (see tenant_instance.h).
#include <algorithm>
#include <utility>

#include "ingest/tenant_instance.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {

void TenantInstance::ApplyBlocklist(
    const std::vector<BlockMeta>& live,
    const absl::flat_hash_set<std::string>& reported) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<BlockReader>> open;
  for (std::shared_ptr<BlockReader>& r : blocks_) {
    open.emplace(r->meta().block_id, std::move(r));
  }
  std::vector<std::shared_ptr<BlockReader>> next;
  next.reserve(live.size() + unreported_.size());
  for (const BlockMeta& meta : live) {
    if (auto it = open.find(meta.block_id); it != open.end()) {
      next.push_back(std::move(it->second));
      open.erase(it);
      continue;
    }
    // Reads nothing: opening every new block under the lock is cheap.
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(options_.backend, meta, &counters_->blocks_damaged,
                          counters_->block_cache);
    if (!reader.ok()) {
      ANDANTE_LOG(kError, "polled block unusable; skipping it",
                  {{"tenant", tenant_},
                   {"block", meta.block_id},
                   {"reason", std::string(ToStd(reader.status().message()))}});
      continue;
    }
    next.push_back(std::move(*reader));
  }
  // Blocks of ours the poll has not seen yet stay; once seen, the poll
  // decides (a compacted one is dropped: its outputs are live).
  for (auto it = unreported_.begin(); it != unreported_.end();) {
    auto cur = it++;
    if (reported.contains(*cur)) {
      unreported_.erase(cur);
      continue;
    }
    if (auto r = open.find(*cur); r != open.end()) {
      next.push_back(std::move(r->second));
    }
  }
  blocks_ = std::move(next);
}

void TenantInstance::ReplaceBlocks(const std::vector<std::string>& inputs,
                                   const std::vector<BlockMeta>& outputs) {
  std::vector<std::shared_ptr<BlockReader>> added;
  for (const BlockMeta& meta : outputs) {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(options_.backend, meta, &counters_->blocks_damaged,
                          counters_->block_cache);
    if (!reader.ok()) {
      // Keep reading the inputs: they stay in the backend for
      // compacted_block_retention, and the next poll decides.
      ANDANTE_LOG(kError, "compaction output unusable; keeping its inputs",
                  {{"tenant", tenant_},
                   {"block", meta.block_id},
                   {"reason", std::string(ToStd(reader.status().message()))}});
      return;
    }
    added.push_back(std::move(*reader));
  }
  absl::flat_hash_set<std::string> dropped(inputs.begin(), inputs.end());
  absl::MutexLock lock(&mu_);
  std::erase_if(blocks_, [&](const std::shared_ptr<BlockReader>& r) {
    return dropped.contains(r->meta().block_id);
  });
  for (std::shared_ptr<BlockReader>& r : added) {
    const std::string& id = r->meta().block_id;
    if (std::any_of(blocks_.begin(), blocks_.end(),
                    [&](const auto& b) { return b->meta().block_id == id; })) {
      continue;  // a poll already brought it in
    }
    unreported_.insert(r->meta().block_id);
    blocks_.push_back(std::move(r));
  }
}

}  // namespace andante::internal
