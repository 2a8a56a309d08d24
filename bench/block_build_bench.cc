// Block format v1 hot paths: building a block from sorted traces and finding
// one trace by ID in a block on local disk.
//
// Traces come from the load generator's TraceFactory (8-12 spans over 4-6
// services, HTTP/DB attributes, ~266 payload bytes per span) and are split
// with SplitByTrace, so the blocks hold exactly what the server stores.
//
//   build-block/bench/block_build_bench --benchmark_counters_tabular=true
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "bench/block_setup.h"
#include "benchmark/benchmark.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "block/block_reader.h"

namespace andante::internal {
namespace {

using bench::StoredTrace;

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 +
         static_cast<double>(ts.tv_nsec) / 1e3;
}

// Builds a block of 10^4 traces (~100k spans, ~27 MB raw) into memory. Args:
// page size in KiB, zstd level.
void BM_BlockBuild(benchmark::State& state) {
  static const std::vector<StoredTrace>* traces =
      new std::vector<StoredTrace>(bench::RealisticTraces(10'000, 1));
  BlockOptions options;
  options.page_size_bytes = static_cast<uint64_t>(state.range(0)) << 10;
  options.zstd_level = static_cast<int>(state.range(1));
  uint64_t raw = 0, spans = 0;
  for (const StoredTrace& t : *traces) {
    raw += t.data.size();
    spans += t.spans;
  }
  BlockMeta meta;
  for (auto _ : state) {
    std::unique_ptr<Backend> backend = OpenMemoryBackend();
    absl::StatusOr<BlockMeta> built =
        bench::BuildBlock(*traces, options, *backend);
    if (!built.ok()) {
      state.SkipWithError(std::string(built.status().message()).c_str());
      return;
    }
    meta = *built;
  }
  uint64_t stored = meta.data_bytes + meta.index_bytes + meta.bloom_bytes;
  state.SetItemsProcessed(state.iterations() * traces->size());
  state.SetBytesProcessed(state.iterations() * raw);
  state.counters["bytes_per_span"] =
      static_cast<double>(stored) / static_cast<double>(spans);
  state.counters["raw_bytes_per_span"] =
      static_cast<double>(raw) / static_cast<double>(spans);
  state.counters["pages"] = meta.total_pages;
}
BENCHMARK(BM_BlockBuild)
    ->ArgsProduct({{64, 256, 512, 1024}, {1, 2, 3, 6}})
    ->Unit(benchmark::kMillisecond);

// Finds random present traces in a block of 2*10^4 traces in a local
// directory under /tmp, with bloom shards and index cached (the page read is
// served by the OS page cache). Arg: page size in KiB. Reports p50/p99 of the
// individual lookups.
void BM_BlockFind(benchmark::State& state) {
  static const std::vector<StoredTrace>* traces =
      new std::vector<StoredTrace>(bench::RealisticTraces(20'000, 2));
  BlockOptions options;
  options.page_size_bytes = static_cast<uint64_t>(state.range(0)) << 10;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              absl::StrCat("andante-block-bench-", ::getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<Backend>> local = OpenLocalBackend(dir);
  if (!local.ok()) {
    state.SkipWithError("cannot open local backend");
    return;
  }
  std::shared_ptr<Backend> backend = *std::move(local);
  absl::StatusOr<BlockMeta> meta =
      bench::BuildBlock(*traces, options, *backend);
  if (!meta.ok()) {
    state.SkipWithError(std::string(meta.status().message()).c_str());
    return;
  }
  std::unique_ptr<BlockReader> reader = *BlockReader::Open(backend, *meta);
  for (const StoredTrace& t : *traces) {  // warm bloom + index
    if (!reader->Find(t.id).ok()) break;
    if (&t - traces->data() > 2000) break;
  }

  std::mt19937_64 rng(3);
  // Wall time includes waiting for a CPU on a busy machine; thread CPU time
  // is the lookup's own cost. Both are reported.
  std::vector<double> micros, cpu_micros;
  uint64_t inspected = 0;
  for (auto _ : state) {
    const StoredTrace& t = (*traces)[rng() % traces->size()];
    auto begin = std::chrono::steady_clock::now();
    double cpu_begin = ThreadCpuMicros();
    absl::StatusOr<std::optional<std::string>> got =
        reader->Find(t.id, &inspected);
    cpu_micros.push_back(ThreadCpuMicros() - cpu_begin);
    auto end = std::chrono::steady_clock::now();
    if (!got.ok() || !got->has_value()) {
      state.SkipWithError("lookup failed");
      break;
    }
    micros.push_back(
        std::chrono::duration<double, std::micro>(end - begin).count());
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  if (!micros.empty()) {
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[micros.size() * 99 / 100];
    state.counters["p99_cpu_us"] = cpu_micros[cpu_micros.size() * 99 / 100];
    state.counters["bytes_read_per_lookup"] =
        static_cast<double>(inspected) / static_cast<double>(micros.size());
  }
  state.SetItemsProcessed(state.iterations());
  reader.reset();
  backend.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BlockFind)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
