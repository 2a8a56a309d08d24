#include "compaction/trace_merger.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "model/trace_combiner.h"

namespace andante::internal {

TraceMerger::TraceMerger(std::vector<std::unique_ptr<TraceStream>> inputs)
    : inputs_(std::move(inputs)), heads_(inputs_.size()) {}

absl::Status TraceMerger::Advance(size_t i) {
  Head& h = heads_[i];
  TraceId previous = h.id;
  bool had = h.valid;
  absl::StatusOr<bool> more = inputs_[i]->Next(&h.id, &h.data);
  if (!more.ok()) return more.status();
  h.valid = *more;
  if (h.valid && had && !(previous < h.id)) {
    return absl::DataLossError(absl::StrCat("compaction input ", i,
                                            " is not sorted by trace ID at ",
                                            h.id.ToHex()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> TraceMerger::Next(MergedTrace* out) {
  if (!started_) {
    started_ = true;
    for (size_t i = 0; i < heads_.size(); ++i) {
      if (absl::Status s = Advance(i); !s.ok()) return s;
    }
  }
  for (size_t i : pending_) {
    if (absl::Status s = Advance(i); !s.ok()) return s;
  }
  pending_.clear();
  // A linear scan for the minimum: compactions merge a handful of blocks
  // (max_input_blocks), where a heap does not pay off.
  const Head* min = nullptr;
  for (const Head& h : heads_) {
    if (h.valid && (min == nullptr || h.id < min->id)) min = &h;
  }
  if (min == nullptr) return false;
  const TraceId id = min->id;

  std::vector<size_t> holders;
  for (size_t i = 0; i < heads_.size(); ++i) {
    if (heads_[i].valid && heads_[i].id == id) holders.push_back(i);
  }
  out->id = id;
  out->sources = static_cast<uint32_t>(holders.size());

  bool combine = holders.size() > 1;
  uint64_t spans_in = 0;
  for (size_t i : holders) {
    absl::StatusOr<TraceStats> stats = ScanTraceStats(heads_[i].data);
    if (!stats.ok()) {
      return absl::DataLossError(
          absl::StrCat("trace ", id.ToHex(), ": ", stats.status().message()));
    }
    spans_in += stats->span_count;
    if (stats->has_duplicate_spans) combine = true;
    if (holders.size() == 1) out->stats = *stats;
  }
  counters_.spans_in += spans_in;

  if (!combine) {
    out->data = heads_[holders[0]].data;
  } else {
    // No trace ID fill: stored spans leave it out, and so does the output.
    TraceCombiner combiner;
    for (size_t i : holders) {
      if (absl::Status s = combiner.Add(heads_[i].data); !s.ok()) {
        return absl::DataLossError(
            absl::StrCat("trace ", id.ToHex(), ": ", s.message()));
      }
    }
    uint64_t spans = 0;
    combined_.clear();
    if (!combiner.Finish(&spans).SerializeToString(&combined_)) {
      return absl::InternalError("serializing a combined trace failed");
    }
    absl::StatusOr<TraceStats> stats = ScanTraceStats(combined_);
    if (!stats.ok()) return stats.status();
    out->stats = *stats;
    out->data = combined_;
    ++counters_.combined_traces;
  }
  counters_.spans_out += out->stats.span_count;
  ++counters_.traces_out;

  // The output may point into a holder's read batch: advance the holders at
  // the next call, so the view stays valid until then.
  pending_ = std::move(holders);
  return true;
}

}  // namespace andante::internal
