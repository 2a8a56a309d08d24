// Store::Search and the tags API (warm: complete blocks' tags are cached
// after the first call, whose time is reported as cold_ms) over ~1M spans of
// the load generator's traces in flushed v1 blocks on the memory backend (5
// blocks, each covering its own time span). Each benchmark reports, next to its
// latency, the bytes read (bytes_read) and spans inspected (spans_inspected)
// per query, as Tempo's search response does; the needle reports spans/s as
// items/s.
//
//   build/bench/search_bench
//   build/bench/search_bench --benchmark_filter=Needle
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/traceql.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"

namespace {

using andante::Store;

constexpr int kBatches = 100;
constexpr int kSpansPerBatch = 10000;
constexpr int kBlocks = 5;

struct Env {
  std::string dir;
  std::unique_ptr<Store> store;
  int64_t spans = 0;
};

Env& Data() {
  static Env* env = [] {
    auto* e = new Env;
    char tmpl[] = "/tmp/andante-search-bench-XXXXXX";
    e->dir = mkdtemp(tmpl);
    andante::StoreOptions options;
    options.wal.path = e->dir + "/wal";
    options.wal.fsync = andante::WalFsync::kNever;
    options.backend = andante::OpenMemoryBackend();
    options.background_flush = false;
    // Tempo's default ingest limits (15 MB/s, 10 000 live traces) would
    // throttle a benchmark that pushes as fast as it can.
    andante::TenantLimits unlimited;
    unlimited.rate_limit_bytes = unlimited.burst_size_bytes = 1ull << 40;
    unlimited.max_traces_per_user = 0;
    options.overrides = std::make_shared<andante::Overrides>(unlimited);
    options.ingester.flush_all_on_shutdown = false;
    auto store = Store::Open(std::move(options));
    if (!store.ok()) abort();
    e->store = std::move(*store);
    andante::loadgen::TraceFactory factory(42);
    absl::Time t = absl::Now() - absl::Hours(2);
    for (int b = 0; b < kBatches; ++b) {
      auto request = factory.BuildBatch(kSpansPerBatch,
                                        t + absl::Seconds(30 * b), nullptr);
      if (!e->store->Push(andante::kSingleTenant, request).ok()) abort();
      e->spans += kSpansPerBatch;
      if ((b + 1) % (kBatches / kBlocks) == 0 && !e->store->Flush().ok())
        abort();
    }
    return e;
  }();
  return *env;
}

void RunSearch(benchmark::State& state, const char* text, uint32_t limit) {
  Env& env = Data();
  auto query = andante::traceql::Query::Parse(text);
  if (!query.ok()) {
    state.SkipWithError(std::string(query.status().message()).c_str());
    return;
  }
  andante::SearchOptions options;
  options.limit = limit;
  andante::SearchMetrics metrics;
  size_t found = 0;
  for (auto _ : state) {
    auto r = env.store->Search(andante::kSingleTenant, *query, options);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    metrics = r->metrics;
    found = r->traces.size();
  }
  state.counters["bytes_read"] = static_cast<double>(metrics.inspected_bytes);
  state.counters["spans_inspected"] =
      static_cast<double>(metrics.inspected_spans);
  state.counters["traces_found"] = static_cast<double>(found);
  state.counters["blocks_skipped"] = metrics.skipped_blocks;
  // Spans stored (searched or skipped) per second.
  state.SetItemsProcessed(state.iterations() * env.spans);
}

void BM_SelectiveLimit20(benchmark::State& state) {
  RunSearch(state,
            R"({ resource.service.name = "frontend" && status = error })", 20);
}
BENCHMARK(BM_SelectiveLimit20)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Limit20MatchAll(benchmark::State& state) {
  RunSearch(state, "{ }", 20);
}
BENCHMARK(BM_Limit20MatchAll)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_NeedleFullScan(benchmark::State& state) {
  RunSearch(state, R"({ span.user.id = "u-4242" })", 20);
}
BENCHMARK(BM_NeedleFullScan)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

void BM_Tags(benchmark::State& state) {
  Env& env = Data();
  andante::TagsResult r;
  // The first call of the process reads every block and fills the
  // per-block cache; the benchmark's own runs are warm.
  static double cold_ms = -1;
  absl::Time cold = absl::Now();
  if (!env.store
           ->SearchTags(andante::kSingleTenant, andante::TagScope::kAll, {})
           .ok())
    abort();
  if (cold_ms < 0) cold_ms = absl::ToDoubleMilliseconds(absl::Now() - cold);
  state.counters["cold_ms"] = cold_ms;
  for (auto _ : state) {
    auto tags = env.store->SearchTags(andante::kSingleTenant,
                                      andante::TagScope::kAll, {});
    if (!tags.ok()) abort();
    r = *tags;
  }
  state.counters["bytes_read"] = static_cast<double>(r.inspected_bytes);
  state.counters["tags"] =
      static_cast<double>(r.resource.size() + r.span.size());
}
BENCHMARK(BM_Tags)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TagValues(benchmark::State& state) {
  Env& env = Data();
  auto tag = andante::TagName::Parse("resource.service.name");
  andante::TagValuesResult r;
  static double cold_ms = -1;
  absl::Time cold = absl::Now();
  if (!env.store->SearchTagValues(andante::kSingleTenant, *tag, {}).ok())
    abort();
  if (cold_ms < 0) cold_ms = absl::ToDoubleMilliseconds(absl::Now() - cold);
  state.counters["cold_ms"] = cold_ms;
  for (auto _ : state) {
    auto values = env.store->SearchTagValues(andante::kSingleTenant, *tag, {});
    if (!values.ok()) abort();
    r = *values;
  }
  state.counters["bytes_read"] = static_cast<double>(r.inspected_bytes);
  state.counters["values"] = static_cast<double>(r.values.size());
}
BENCHMARK(BM_TagValues)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
