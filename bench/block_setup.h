// Setup shared by the block and search benchmarks: realistic traces stored
// as the ingest path stores them, blocks built from them, and a store that
// ingests as fast as a benchmark pushes.
//
//   std::vector<bench::StoredTrace> traces = bench::RealisticTraces(20'000, 1);
//   absl::StatusOr<BlockMeta> meta = bench::BuildBlock(traces, options, *backend);
//   auto store = Store::Open(bench::BenchStoreOptions(dir, OpenMemoryBackend()));
#ifndef ANDANTE_BENCH_BLOCK_SETUP_H_
#define ANDANTE_BENCH_BLOCK_SETUP_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/limits.h"
#include "andante/options.h"
#include "andante/store.h"
#include "bench/loadgen/trace_factory.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "model/trace_split.h"
#include "tests/testing/store_options.h"

namespace andante::bench {

// One trace as a block stores it: its fragments' serialized TracesData
// concatenated, with its time range and span count.
struct StoredTrace {
  TraceId id;
  std::string data;
  uint64_t start = 0, end = 0;
  uint32_t spans = 0;
};

// `n` traces from the load generator's trace factory (8-12 spans over 4-6
// services, HTTP/DB attributes; `seed` picks them), split into fragments
// exactly as the ingest path stores them (SplitByTrace), sorted by ID.
inline std::vector<StoredTrace> RealisticTraces(size_t n, uint64_t seed) {
  loadgen::TraceFactory factory(seed);
  absl::flat_hash_map<TraceId, StoredTrace> by_id;
  while (by_id.size() < n) {
    auto batch = factory.BuildBatch(1000, absl::Now(), nullptr);
    absl::StatusOr<std::vector<internal::TraceFragment>> fragments =
        internal::SplitByTrace(batch);
    if (!fragments.ok()) break;
    for (internal::TraceFragment& f : *fragments) {
      StoredTrace& t = by_id[f.id];
      t.id = f.id;
      t.data.append(f.data);
      t.start = t.start == 0 ? f.start_unix_nano
                             : std::min(t.start, f.start_unix_nano);
      t.end = std::max(t.end, f.end_unix_nano);
      t.spans += f.span_count;
    }
  }
  std::vector<StoredTrace> traces;
  traces.reserve(by_id.size());
  for (auto& [id, t] : by_id) traces.push_back(std::move(t));
  std::sort(traces.begin(), traces.end(),
            [](const StoredTrace& a, const StoredTrace& b) { return a.id < b.id; });
  if (traces.size() > n) traces.resize(n);
  return traces;
}

inline uint64_t TotalSpans(const std::vector<StoredTrace>& traces) {
  uint64_t n = 0;
  for (const StoredTrace& t : traces) n += t.spans;
  return n;
}

// Builds a block of `traces` (ascending IDs) into `backend`.
inline absl::StatusOr<internal::BlockMeta> BuildBlock(
    const std::vector<StoredTrace>& traces, const BlockOptions& options,
    Backend& backend) {
  internal::BlockBuilder builder(options, backend, "bench",
                                 internal::NewBlockId(), traces.size());
  for (const StoredTrace& t : traces) {
    absl::Status s = builder.Add(t.id, t.data, t.start, t.end, t.spans);
    if (!s.ok()) return s;
  }
  return builder.Finish();
}

// A store for a benchmark: WAL in `dir`/wal without fsync, blocks in
// `backend`, nothing running in the background (the still Env: blocks are
// cut by Flush), nothing flushed on shutdown, and no ingest limits (Tempo's
// defaults, 15 MB/s and 10 000 live traces, would throttle a benchmark that
// pushes as fast as it can).
inline StoreOptions BenchStoreOptions(const std::string& dir,
                                      std::shared_ptr<Backend> backend) {
  StoreOptions options = testing::TestStoreOptions(dir, std::move(backend));
  TenantLimits unlimited;
  unlimited.rate_limit_bytes = unlimited.burst_size_bytes = 1ull << 40;
  unlimited.max_traces_per_user = 0;
  options.overrides = std::make_shared<Overrides>(unlimited);
  return options;
}

}  // namespace andante::bench

#endif  // ANDANTE_BENCH_BLOCK_SETUP_H_
