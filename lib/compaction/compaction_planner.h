// Which blocks to merge: Tempo's time-window selection. Live blocks of a
// tenant are grouped by window (block end time / compaction_window); in the
// newest window (the active one, still receiving flushes) also by
// compaction level, so fresh level-0 blocks merge with each other first;
// older windows merge across levels. Each group is sorted by (level, start
// time, ID) and cut into runs of min..max_input_blocks blocks whose traces
// and bytes stay within max_compaction_objects / max_block_bytes.
#ifndef ANDANTE_COMPACTION_COMPACTION_PLANNER_H_
#define ANDANTE_COMPACTION_COMPACTION_PLANNER_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "andante/compaction.h"
#include "block/block_meta.h"

namespace andante::internal {

struct CompactionJob {
  std::string tenant;
  // "<tenant>/<window start unix seconds>": the ownership key. Every job of
  // a window has the same owner, so two instances never merge overlapping
  // sets of one window.
  std::string owner_key;
  std::vector<BlockMeta> inputs;
};

// Total stored bytes of a block (data + index + bloom).
uint64_t BlockBytes(const BlockMeta& meta);

std::vector<CompactionJob> PlanCompactions(const std::string& tenant,
                                           const std::vector<BlockMeta>& live,
                                           const CompactionOptions& options,
                                           absl::Time now);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_COMPACTION_PLANNER_H_
