// Combining stored fragments of one trace into one clean trace.
//
// The concatenation of serialized TracesData messages is itself a valid
// TracesData (its only field is repeated), so the fragments of a trace are
// stored back to back. Reading them back yields one ResourceSpans per
// fragment and resource, and the same span may appear more than once (client
// retries, replicas, compaction of overlapping blocks). TraceCombiner turns
// such bytes, possibly from several sources, into one deduplicated trace.
//
//   TraceCombiner combiner;
//   for (std::string_view bytes : found) {
//     if (absl::Status s = combiner.Add(bytes); !s.ok()) return s;
//   }
//   uint64_t spans = 0;
//   TracesData trace = combiner.Finish(&spans);
//
// Call order: Add* Finish. After Finish the combiner is empty again and may
// be reused.
#ifndef ANDANTE_MODEL_TRACE_COMBINER_H_
#define ANDANTE_MODEL_TRACE_COMBINER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "andante/ids.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

class TraceCombiner {
 public:
  TraceCombiner() = default;
  // For stored fragments of trace `id`: the ingest path leaves span.trace_id
  // out of stored spans (the WAL entry or block entry is keyed by it), and
  // the combiner puts it back into every span that has none.
  explicit TraceCombiner(const TraceId& id) : fill_trace_id_(id.bytes()) {}
  TraceCombiner(const TraceCombiner&) = delete;
  TraceCombiner& operator=(const TraceCombiner&) = delete;

  // Parses `traces_data` (one or more concatenated serialized TracesData)
  // and merges it into the trace built so far. DATA_LOSS if it does not
  // parse; the trace built so far is then unchanged. The bytes are not
  // retained.
  absl::Status Add(std::string_view traces_data);

  // Returns the combined trace: ResourceSpans whose resource is identical
  // (same serialized bytes and schema_url) are merged, as are ScopeSpans with
  // identical scope and schema_url within them, and duplicate spans (same
  // span_id and kind — Zipkin shared spans keep one ID with different kinds)
  // are dropped, keeping the first. Resources, scopes and spans keep their
  // first-seen order. Sets *span_count to the number of spans returned.
  andante::otlp::trace::v1::TracesData Finish(uint64_t* span_count);

 private:
  // Per output ResourceSpans: scope key -> index into its scope_spans.
  struct ResourceState {
    absl::flat_hash_map<std::string, int> scopes;
  };

  std::string fill_trace_id_;  // empty: leave trace IDs as stored
  andante::otlp::trace::v1::TracesData trace_;
  // Resource key -> index into trace_.resource_spans and resource_states_.
  absl::flat_hash_map<std::string, int> resources_;
  std::vector<ResourceState> resource_states_;
  // span_id bytes followed by the kind, for deduplication.
  absl::flat_hash_set<std::string> span_keys_;
  uint64_t span_count_ = 0;
};

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_TRACE_COMBINER_H_
