// Block format v2 against v1 on the load generator's realistic traces:
// bytes on disk per span, build rate, trace-by-ID latency, and scan rates
// through BlockTraceScanner (v1: decode + convert every trace; v2: block and
// page skipping, only referenced columns). Version argument 3 is v2 with
// span attributes in the single-chunk layout written before keyed span
// attributes, for comparison.
//
//   build/bench/block_v2_bench --benchmark_counters_tabular=true
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/options.h"
#include "andante/traceql.h"
#include "bench/block_setup.h"
#include "benchmark/benchmark.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "block/block_scanner.h"
#include "block/v2_block_writer.h"

namespace andante::internal {
namespace {

using bench::StoredTrace;

const std::vector<StoredTrace>& Traces() {
  static const auto* traces =
      new std::vector<StoredTrace>(bench::RealisticTraces(20'000, 1));
  return *traces;
}

uint64_t TotalSpans() { return bench::TotalSpans(Traces()); }

// Arg 3: v2 with span attributes in the single-chunk layout of blocks
// written before keyed span attributes.
absl::StatusOr<BlockMeta> Build(Backend& backend, uint32_t version) {
  BlockOptions options;
  options.version = version == 3 ? 2 : version;
  SetV2KeyedSpanAttributesForTesting(version != 3);
  absl::StatusOr<BlockMeta> meta =
      bench::BuildBlock(Traces(), options, backend);
  SetV2KeyedSpanAttributesForTesting(true);
  return meta;
}

// Arg: format version. Items: spans.
void BM_Build(benchmark::State& state) {
  const uint32_t version = static_cast<uint32_t>(state.range(0));
  // Generated before timing starts: a one-iteration run must not charge the
  // generator to the build.
  (void)Traces();
  BlockMeta meta;
  for (auto _ : state) {
    std::unique_ptr<Backend> backend = OpenMemoryBackend();
    absl::StatusOr<BlockMeta> built = Build(*backend, version);
    if (!built.ok()) {
      state.SkipWithError(std::string(built.status().message()).c_str());
      return;
    }
    meta = *built;
  }
  const double spans = static_cast<double>(TotalSpans());
  state.SetItemsProcessed(state.iterations() * TotalSpans());
  state.counters["bytes_per_span"] =
      static_cast<double>(meta.data_bytes + meta.index_bytes +
                          meta.bloom_bytes) /
      spans;
  state.counters["data_per_span"] =
      static_cast<double>(meta.data_bytes) / spans;
  state.counters["index_per_span"] =
      static_cast<double>(meta.index_bytes) / spans;
  state.counters["pages"] = meta.total_pages;
}
BENCHMARK(BM_Build)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

// A block of each version in a local directory, built once.
struct LocalBlock {
  std::filesystem::path dir;
  std::shared_ptr<Backend> backend;
  std::shared_ptr<BlockReader> reader;
};

LocalBlock& Block(uint32_t version) {
  static std::map<uint32_t, LocalBlock>* blocks =
      new std::map<uint32_t, LocalBlock>;
  LocalBlock& b = (*blocks)[version];
  if (b.reader != nullptr) return b;
  b.dir = std::filesystem::temp_directory_path() /
          absl::StrCat("andante-v2-bench-", ::getpid(), "-", version);
  std::filesystem::remove_all(b.dir);
  b.backend = *OpenLocalBackend(b.dir.string());
  BlockMeta meta = *Build(*b.backend, version);
  b.reader = *BlockReader::Open(b.backend, meta);
  return b;
}

// Random present traces; the bloom shard and index are cached after the
// first lookups. Arg: version.
void BM_Find(benchmark::State& state) {
  LocalBlock& b = Block(static_cast<uint32_t>(state.range(0)));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    (void)b.reader->Find(Traces()[rng() % Traces().size()].id);
  }
  std::vector<double> micros;
  uint64_t inspected = 0;
  for (auto _ : state) {
    const StoredTrace& t = Traces()[rng() % Traces().size()];
    auto begin = std::chrono::steady_clock::now();
    absl::StatusOr<std::optional<std::string>> got =
        b.reader->Find(t.id, &inspected);
    auto end = std::chrono::steady_clock::now();
    if (!got.ok() || !got->has_value()) {
      state.SkipWithError("lookup failed");
      break;
    }
    micros.push_back(
        std::chrono::duration<double, std::micro>(end - begin).count());
  }
  std::sort(micros.begin(), micros.end());
  if (!micros.empty()) {
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[micros.size() * 99 / 100];
    state.counters["bytes_read"] =
        static_cast<double>(inspected) / static_cast<double>(micros.size());
  }
}
BENCHMARK(BM_Find)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond);

const char* const kScanQueries[] = {
    R"({ span.user.id = "u-4242" })",      // absent: block skipped
    R"({ span.http.status_code = 999 })",  // no match, not skippable
    R"({ resource.service.name = "cart" && span.http.status_code = 500 })",
    R"({ duration > 100ms })",
    // No match, and no summary can tell: a full scan of the column (key).
    R"({ span.http.status_code > 200 && span.http.status_code < 201 })",
};

// Full scan of a block through BlockTraceScanner; every yielded trace is
// evaluated. Args: version, query index. Items: spans in the block.
void BM_Scan(benchmark::State& state) {
  LocalBlock& b = Block(static_cast<uint32_t>(state.range(0)));
  const char* text = kScanQueries[state.range(1)];
  absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
  if (!query.ok()) {
    state.SkipWithError("bad query");
    return;
  }
  traceql::Matcher matcher(*query);
  std::vector<traceql::SpanSet> sets;
  ScanStats stats;
  uint64_t matched = 0;
  for (auto _ : state) {
    absl::Status s = BlockTraceScanner::ForBlock(b.reader)->ScanForQuery(
        *query,
        [&](const traceql::Trace& trace) {
          if (matcher.Evaluate(trace, &sets).ok() && !sets.empty()) ++matched;
          return true;
        },
        &stats);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
  state.SetLabel(text);
  state.SetItemsProcessed(state.iterations() * TotalSpans());
  const double it = static_cast<double>(state.iterations());
  state.counters["matched"] = static_cast<double>(matched) / it;
  state.counters["bytes_read"] =
      static_cast<double>(stats.inspected_bytes) / it;
  state.counters["chunks"] =
      static_cast<double>(stats.chunks_decompressed) / it;
  state.counters["pages_skipped"] =
      static_cast<double>(stats.pages_skipped) / it;
  state.counters["blocks_skipped"] =
      static_cast<double>(stats.blocks_skipped) / it;
}
BENCHMARK(BM_Scan)
    ->ArgsProduct({{1, 2, 3}, {0, 1, 2, 3, 4}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
