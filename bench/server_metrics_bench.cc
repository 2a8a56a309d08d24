// Cost of the self-monitoring on the push path: what ServerMetrics::RecordPush
// (five series updates on prometheus-cpp, by label values) and one request
// histogram observation add to every push. Compare with the ingest cost of a
// push (bench/store_push_bench, bench/run_loadgen.sh): a 1000-span batch
// takes milliseconds of server CPU.
#include <benchmark/benchmark.h>

#include "metrics.h"

namespace andante::net {
namespace {

void BM_RecordPush(benchmark::State& state) {
  ServerMetrics metrics({"0.1.0", "abc", "main", "none"}, "single-tenant");
  for (auto _ : state) {
    metrics.RecordPush("http", "single-tenant", 1000, 250000, "ok", true, 0);
    metrics.ObserveRequest("POST", "v1_traces", "200", 0.002);
  }
}
BENCHMARK(BM_RecordPush);

void BM_Render(benchmark::State& state) {
  ServerMetrics metrics({"0.1.0", "abc", "main", "none"}, "single-tenant");
  metrics.RecordPush("http", "single-tenant", 1000, 250000, "ok", true, 0);
  metrics.ObserveRequest("POST", "v1_traces", "200", 0.002);
  for (auto _ : state) benchmark::DoNotOptimize(metrics.registry.Render());
}
BENCHMARK(BM_Render);

}  // namespace
}  // namespace andante::net

BENCHMARK_MAIN();
