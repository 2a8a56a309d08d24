#include "compaction/compaction_job.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "compaction/blocklist.h"
#include "compaction/compaction_planner.h"
#include "compaction/instance_ring.h"
#include "compaction/trace_merger.h"
#include "compaction/trace_stream.h"
#include "util/crash_point.h"
#include "util/log.h"

namespace andante::internal {

absl::StatusOr<CompactionResult> RunCompactionJob(
    std::shared_ptr<Backend> backend, std::string_view tenant,
    const std::vector<BlockMeta>& inputs, const CompactionOptions& options,
    absl::Time now, const std::atomic<bool>* cancel) {
  if (inputs.empty()) {
    return absl::InvalidArgumentError("compaction job without inputs");
  }
  // TEST HOOK: "compaction.block.before_meta" and the like aim at the
  // output blocks' writes (lib/util/crash_point.h).
  CrashPointScope crash_scope("compaction");
  CompactionResult result;
  result.tenant = std::string(tenant);
  uint32_t level = 0;
  uint64_t estimated_traces = 0;
  for (const BlockMeta& m : inputs) {
    if (m.tenant != tenant) {
      return absl::InvalidArgumentError(
          absl::StrCat("block ", m.block_id, " belongs to tenant ", m.tenant));
    }
    result.input_block_ids.push_back(m.block_id);
    level = std::max(level, m.compaction_level + 1);
    estimated_traces += m.total_objects;
  }
  result.output_level = level;

  std::vector<std::unique_ptr<TraceStream>> streams;
  for (const BlockMeta& m : inputs) {
    absl::StatusOr<std::unique_ptr<TraceStream>> stream =
        OpenTraceStream(backend, m, options.v2_in_buffer_bytes, cancel);
    if (!stream.ok()) return stream.status();
    streams.push_back(*std::move(stream));
  }
  TraceMerger merger(std::move(streams));

  std::unique_ptr<BlockSink> sink;
  uint64_t sink_traces = 0;
  auto finish = [&]() -> absl::Status {
    absl::StatusOr<BlockMeta> meta = sink->Finish();
    sink.reset();
    if (!meta.ok()) return meta.status();
    result.output_block_ids.push_back(meta->block_id);
    result.bytes_out += BlockBytes(*meta);
    return absl::OkStatus();
  };

  MergedTrace trace;
  while (true) {
    absl::StatusOr<bool> more = merger.Next(&trace);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return absl::CancelledError("compaction cancelled");
    }
    if (sink != nullptr && (sink->EstimatedSize() >= options.max_block_bytes ||
                            sink_traces >= options.max_compaction_objects)) {
      if (absl::Status s = finish(); !s.ok()) return s;
    }
    if (sink == nullptr) {
      std::string id = CompactionOutputBlockId(tenant, result.input_block_ids,
                                               result.output_block_ids.size());
      sink = NewBlockSink(
          options.block, *backend, std::string(tenant), id, level,
          std::min(estimated_traces, options.max_compaction_objects));
      sink_traces = 0;
    }
    if (absl::Status s = sink->Add(trace.id, trace.data, trace.stats);
        !s.ok()) {
      return s;
    }
    ++sink_traces;
  }
  if (sink != nullptr) {
    if (absl::Status s = finish(); !s.ok()) return s;
  }

  const MergeCounters& c = merger.counters();
  result.traces = c.traces_out;
  result.spans_in = c.spans_in;
  result.spans_out = c.spans_out;
  result.combined_traces = c.combined_traces;

  // Every output is published: only now may the inputs stop being live.
  CrashPoint("compaction.after_outputs");
  for (const BlockMeta& m : inputs) {
    if (absl::Status s = MarkBlockCompacted(*backend, m, now); !s.ok()) {
      return s;
    }
    CrashPoint("compaction.after_mark");  // @1: some inputs marked, not all
  }
  ANDANTE_LOG(kInfo, "compacted blocks",
              {{"tenant", std::string(tenant)},
               {"inputs", absl::StrCat(inputs.size())},
               {"outputs", absl::StrCat(result.output_block_ids.size())},
               {"traces", absl::StrCat(result.traces)},
               {"spans", absl::StrCat(result.spans_out)}});
  return result;
}

}  // namespace andante::internal
