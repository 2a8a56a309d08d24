// Trace by ID after a flush, from blocks on local disk: bloom shard and index
// cached after first use, one ranged page read per lookup. Reports the
// latency distribution of random lookups over 20k traces (~200k spans).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <vector>

#include "andante/backend.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "bench/block_setup.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"

namespace {

using andante::loadgen::TraceFactory;

struct Fixture {
  std::string dir;
  std::unique_ptr<andante::Store> store;
  std::vector<andante::TraceId> ids;
};

Fixture* MakeFixture() {
  auto* f = new Fixture;
  char tmpl[] = "/tmp/andante-bench-lookup-XXXXXX";
  f->dir = ::mkdtemp(tmpl);
  andante::StoreOptions options = andante::bench::BenchStoreOptions(
      f->dir, *andante::OpenLocalBackend(f->dir + "/blocks"));
  auto store = andante::Store::Open(std::move(options));
  if (!store.ok()) return f;
  f->store = std::move(*store);
  TraceFactory factory(3);
  for (int b = 0; b < 200; ++b) {
    auto batch = factory.BuildBatch(1000, absl::Now(), nullptr);
    for (const auto& rs : batch.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          f->ids.push_back(*andante::TraceId::FromBytes(span.trace_id()));
        }
      }
    }
    f->store->Push(andante::kSingleTenant, batch).IgnoreError();
  }
  f->store->Flush().IgnoreError();
  return f;
}

void BM_FindTraceByIdAfterFlush(benchmark::State& state) {
  static Fixture* fixture = MakeFixture();
  if (fixture->store == nullptr || fixture->ids.empty()) {
    state.SkipWithError("store did not open");
    return;
  }
  std::mt19937_64 rng(state.thread_index());
  std::vector<double> micros;
  uint64_t spans = 0;
  for (auto _ : state) {
    const auto& id = fixture->ids[rng() % fixture->ids.size()];
    auto t0 = std::chrono::steady_clock::now();
    auto found = fixture->store->FindTraceById(andante::kSingleTenant, id);
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - t0)
                         .count());
    if (!found.ok() || found->span_count == 0) {
      state.SkipWithError("trace not found after flush");
      break;
    }
    spans += found->span_count;
  }
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[static_cast<size_t>(p * (micros.size() - 1))];
  };
  state.SetItemsProcessed(state.iterations());
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["max_us"] = micros.back();
  state.counters["spans_per_trace"] =
      static_cast<double>(spans) / static_cast<double>(micros.size());
}
BENCHMARK(BM_FindTraceByIdAfterFlush)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
