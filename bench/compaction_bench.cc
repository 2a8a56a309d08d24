// Compaction: merging 8 blocks of realistic traces into one, on a local
// directory. Reports throughput as spans per CPU-second of the whole process
// (all threads: the per-input scan threads decompress in parallel with the
// merge) and the peak RSS growth during the merge, which must stay flat as
// the blocks grow (memory bounded by read buffers, not block size).
//
// Traces come from the load generator's TraceFactory and are split with
// SplitByTrace, as the ingester stores them. BM_Compact8Blocks draws them
// from a pool of 20,000 traces (so the blocks hold few distinct strings), and
// 10% of each block's traces repeat the previous block's (split traces with
// duplicate spans), so the combine path runs too. BM_Compact8FreshBlocks
// builds every block (v2, as a server writes them) from traces of its own:
// the generator's paths, statements and URLs make about one string per span
// distinct, which is what the output's string bloom is built from. Arg:
// spans per input block.
//
//   build/bench/compaction_bench --benchmark_counters_tabular=true
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/compaction.h"
#include "bench/block_setup.h"
#include "benchmark/benchmark.h"
#include "block/block_builder.h"
#include "block/block_format.h"
#include "block/block_meta.h"
#include "compaction/compaction_job.h"

namespace andante::internal {
namespace {

using bench::StoredTrace;

// A pool of realistic traces (~10 spans each).
const std::vector<StoredTrace>& Pool() {
  static const auto* pool =
      new std::vector<StoredTrace>(bench::RealisticTraces(20'000, 7));
  return *pool;
}

// Trace `n` of block `b`: a pool trace under a fresh ID. The last 10% of a
// block's traces reuse IDs (and data) of the previous block.
TraceId IdFor(uint64_t block, uint64_t n) {
  return TraceId::FromHighLow(block * 0x9e3779b97f4a7c15ull + 1, n);
}

absl::StatusOr<BlockMeta> BuildInput(Backend& backend, int block,
                                     uint64_t spans_wanted, bool fresh) {
  if (fresh) {
    // ~10 spans per trace, traces of their own.
    BlockOptions options;
    options.version = kBlockFormatVersionV2;
    return bench::BuildBlock(
        bench::RealisticTraces(spans_wanted / 10, 1000 + block), options,
        backend);
  }
  const std::vector<StoredTrace>& pool = Pool();
  std::vector<std::pair<TraceId, const StoredTrace*>> traces;
  uint64_t spans = 0;
  for (uint64_t n = 0; spans < spans_wanted; ++n) {
    bool shared = block > 0 && n % 10 == 0;
    // A shared trace repeats the previous block's copy: the same spans.
    const StoredTrace& t =
        pool[(n * 7 + block - (shared ? 1 : 0)) % pool.size()];
    traces.push_back({shared ? IdFor(block - 1, n) : IdFor(block, n), &t});
    spans += t.spans;
  }
  std::sort(traces.begin(), traces.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  traces.erase(std::unique(traces.begin(), traces.end(),
                           [](const auto& a, const auto& b) {
                             return a.first == b.first;
                           }),
               traces.end());
  BlockBuilder builder(BlockOptions(), backend, "bench", NewBlockId(),
                       traces.size());
  for (const auto& [id, t] : traces) {
    absl::Status s = builder.Add(id, t->data, t->start, t->end, t->spans);
    if (!s.ok()) return s;
  }
  return builder.Finish();
}

int64_t StatusKb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0)
      return std::stoll(line.substr(strlen(field)));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux clear_refs "5").
void ResetPeakRss() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return;
  [[maybe_unused]] ssize_t n = ::write(fd, "5", 1);
  ::close(fd);
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void Compact8Blocks(benchmark::State& state, bool fresh) {
  const uint64_t spans_per_block = static_cast<uint64_t>(state.range(0));
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      absl::StrCat("andante-compaction-bench-", ::getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<Backend>> local = OpenLocalBackend(dir);
  if (!local.ok()) {
    state.SkipWithError("cannot open local backend");
    return;
  }
  std::shared_ptr<Backend> backend = *std::move(local);
  std::vector<BlockMeta> inputs;
  uint64_t input_bytes = 0;
  for (int b = 0; b < 8; ++b) {
    absl::StatusOr<BlockMeta> meta = BuildInput(*backend, b, spans_per_block, fresh);
    if (!meta.ok()) {
      state.SkipWithError(std::string(meta.status().message()).c_str());
      return;
    }
    input_bytes += meta->data_bytes;
    inputs.push_back(*meta);
  }

  CompactionOptions options;
  double cpu = 0, spans_in = 0, spans_out = 0, peak_growth_mb = 0;
  double out_bytes = 0;
  for (auto _ : state) {
    ResetPeakRss();
    const int64_t rss_before = StatusKb("VmRSS:");
    const double cpu_before = ProcessCpuSeconds();
    absl::StatusOr<CompactionResult> result = RunCompactionJob(
        backend, "bench", inputs, options, absl::FromUnixSeconds(1));
    cpu += ProcessCpuSeconds() - cpu_before;
    peak_growth_mb =
        std::max(peak_growth_mb,
                 static_cast<double>(StatusKb("VmHWM:") - rss_before) / 1024.0);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      break;
    }
    spans_in += static_cast<double>(result->spans_in);
    spans_out += static_cast<double>(result->spans_out);
    out_bytes = static_cast<double>(result->bytes_out);
    // Unmark the inputs so the next iteration merges the same blocks.
    for (const BlockMeta& m : inputs) {
      (void)backend->Delete(
          BlockKey("bench", m.block_id, "meta.compacted.json"));
    }
  }
  state.counters["spans_per_cpu_s"] = spans_in / std::max(cpu, 1e-9);
  state.counters["spans_in"] =
      spans_in / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["dup_span_pct"] =
      spans_in > 0 ? 100.0 * (spans_in - spans_out) / spans_in : 0;
  state.counters["input_MB"] = static_cast<double>(input_bytes) / 1e6;
  state.counters["peak_rss_growth_MB"] = peak_growth_mb;
  state.counters["out_MB"] = out_bytes / 1e6;
  state.SetItemsProcessed(static_cast<int64_t>(spans_in));
  std::filesystem::remove_all(dir);
}
void BM_Compact8Blocks(benchmark::State& state) {
  Compact8Blocks(state, /*fresh=*/false);
}
void BM_Compact8FreshBlocks(benchmark::State& state) {
  Compact8Blocks(state, /*fresh=*/true);
}
BENCHMARK(BM_Compact8Blocks)
    ->Arg(50'000)
    ->Arg(200'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Compact8FreshBlocks)
    ->Arg(100'000)
    ->Arg(400'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
