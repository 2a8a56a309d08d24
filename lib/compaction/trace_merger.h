// A streaming k-way merge of trace streams by trace ID. A trace that several
// inputs hold is combined with TraceCombiner (resources and scopes merged,
// duplicate spans dropped); a trace only one input holds passes through as
// is, unless it carries duplicate spans itself.
//
//   TraceMerger merger(std::move(streams));
//   MergedTrace t;
//   while (true) {
//     absl::StatusOr<bool> more = merger.Next(&t);
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     sink->Add(t.id, t.data, t.stats);
//   }
//
// Memory: the inputs' read buffers plus the largest combined trace.
#ifndef ANDANTE_COMPACTION_TRACE_MERGER_H_
#define ANDANTE_COMPACTION_TRACE_MERGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "andante/ids.h"
#include "compaction/trace_stats.h"
#include "compaction/trace_stream.h"

namespace andante::internal {

struct MergedTrace {
  TraceId id;
  // Valid until the next call of Next.
  std::string_view data;
  TraceStats stats;
  // Inputs that held the trace.
  uint32_t sources = 0;
};

struct MergeCounters {
  uint64_t traces_out = 0;
  uint64_t spans_in = 0;
  uint64_t spans_out = 0;
  uint64_t combined_traces = 0;  // held by more than one input or deduped
};

class TraceMerger {
 public:
  explicit TraceMerger(std::vector<std::unique_ptr<TraceStream>> inputs);
  TraceMerger(const TraceMerger&) = delete;
  TraceMerger& operator=(const TraceMerger&) = delete;

  // The next trace in increasing ID order, or false at the end. DATA_LOSS if
  // an input is out of order or holds undecodable trace bytes.
  absl::StatusOr<bool> Next(MergedTrace* out);

  const MergeCounters& counters() const { return counters_; }

 private:
  struct Head {
    TraceId id;
    std::string_view data;
    bool valid = false;
  };
  absl::Status Advance(size_t i);

  std::vector<std::unique_ptr<TraceStream>> inputs_;
  std::vector<Head> heads_;
  bool started_ = false;
  std::vector<size_t> pending_;  // inputs to advance at the next call
  std::string combined_;         // storage for the last combined trace
  MergeCounters counters_;
};

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_TRACE_MERGER_H_
