#include "compaction/compaction_planner.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace andante::internal {

uint64_t BlockBytes(const BlockMeta& meta) {
  return meta.data_bytes + meta.index_bytes + meta.bloom_bytes;
}

std::vector<CompactionJob> PlanCompactions(const std::string& tenant,
                                           const std::vector<BlockMeta>& live,
                                           const CompactionOptions& options,
                                           absl::Time now) {
  const int64_t window_s =
      std::max<int64_t>(1, absl::ToInt64Seconds(options.compaction_window));
  auto window_of = [&](const BlockMeta& m) {
    int64_t end_s = static_cast<int64_t>(m.end_unix_nano / 1'000'000'000ull);
    return end_s - end_s % window_s;
  };
  const int64_t now_s = absl::ToUnixSeconds(now);
  const int64_t active_window = now_s - now_s % window_s;

  // (window, level or -1 for "any level") -> blocks.
  std::map<std::pair<int64_t, int64_t>, std::vector<const BlockMeta*>> groups;
  for (const BlockMeta& m : live) {
    int64_t window = window_of(m);
    int64_t level = window >= active_window ? m.compaction_level : -1;
    groups[{window, level}].push_back(&m);
  }

  std::vector<CompactionJob> jobs;
  for (auto& [key, blocks] : groups) {
    std::sort(blocks.begin(), blocks.end(),
              [](const BlockMeta* a, const BlockMeta* b) {
                return std::tie(a->compaction_level, a->start_unix_nano,
                                a->block_id) < std::tie(b->compaction_level,
                                                        b->start_unix_nano,
                                                        b->block_id);
              });
    size_t i = 0;
    while (i < blocks.size()) {
      std::vector<BlockMeta> run;
      uint64_t objects = 0, bytes = 0;
      size_t j = i;
      while (j < blocks.size() &&
             run.size() < static_cast<size_t>(options.max_input_blocks)) {
        const BlockMeta& m = *blocks[j];
        if (!run.empty() &&
            (objects + m.total_objects > options.max_compaction_objects ||
             bytes + BlockBytes(m) > options.max_block_bytes)) {
          break;
        }
        objects += m.total_objects;
        bytes += BlockBytes(m);
        run.push_back(m);
        ++j;
      }
      if (run.size() >= static_cast<size_t>(options.min_input_blocks)) {
        jobs.push_back(
            {tenant, absl::StrCat(tenant, "/", key.first), std::move(run)});
        i = j;
      } else {
        // This block cannot join a run with the next ones (it alone is too
        // big, or it is last): move on.
        ++i;
      }
    }
  }
  return jobs;
}

}  // namespace andante::internal
