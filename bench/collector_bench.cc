// The test collector's figures (issue 13):
//   BM_CollectorStart       Collector::Start until every receiver listens
//                           (target <= 50 ms); Stop is not timed.
//   BM_FlushToSearchVisible an OTLP/HTTP export (a 3-span trace, protobuf,
//                           over a fresh connection as a flushing exporter
//                           makes it) until Search returns its span
//                           (target <= 20 ms); counter ack_ms is the export
//                           alone.
//   BM_IdleCollectorMemory  resident memory a started, idle collector adds
//                           (target <= 16 MB), run first: first_rss_mb for
//                           the first collector of the process (gRPC's
//                           global state included), idle_rss_mb the mean of
//                           ten more started next to it.
//
//   meson compile -C build bench/collector_bench && build/bench/collector_bench
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "andante/testing/collector.h"
#include "benchmark/benchmark.h"
#include "tests/collector/otlp_clients.h"

namespace {

using ::andante::collector_test::PostOtlpHttp;
using ::andante::collector_test::RandomHex;
using ::andante::collector_test::RequestBuilder;
using ::andante::testing::Collector;

double RssMb() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<double>(resident) * ::sysconf(_SC_PAGESIZE) / (1 << 20);
}

void BM_IdleCollectorMemory(benchmark::State& state) {
  for (auto _ : state) {
    const double before_first = RssMb();
    auto first = Collector::Start();
    absl::SleepFor(absl::Milliseconds(200));
    const double after_first = RssMb();
    constexpr int kMore = 10;
    std::vector<std::unique_ptr<Collector>> more;
    for (int i = 0; i < kMore; ++i) {
      auto c = Collector::Start();
      if (c.ok()) more.push_back(std::move(*c));
    }
    absl::SleepFor(absl::Milliseconds(200));
    const double after_more = RssMb();
    if (!first.ok() || more.size() != kMore) {
      state.SkipWithError("start failed");
      break;
    }
    state.counters["first_rss_mb"] = after_first - before_first;
    state.counters["idle_rss_mb"] = (after_more - after_first) / kMore;
  }
}
BENCHMARK(BM_IdleCollectorMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_CollectorStart(benchmark::State& state) {
  for (auto _ : state) {
    auto collector = Collector::Start();
    state.PauseTiming();
    if (!collector.ok()) {
      state.SkipWithError(std::string(collector.status().message()).c_str());
      break;
    }
    (*collector)->Stop().IgnoreError();
    collector->reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CollectorStart)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FlushToSearchVisible(benchmark::State& state) {
  auto collector = Collector::Start();
  if (!collector.ok()) {
    state.SkipWithError("start failed");
    return;
  }
  std::mt19937_64 rng(42);
  int64_t n = 0;
  double ack_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string trace = RandomHex(rng, 16);
    const std::string root = RandomHex(rng, 8);
    RequestBuilder b("bench");
    RequestBuilder::SetInt(b.Add(trace, root, "", "root"), "bench.n", ++n);
    b.Add(trace, RandomHex(rng, 8), root, "child-1");
    b.Add(trace, RandomHex(rng, 8), root, "child-2");
    const std::string query = absl::StrCat("{ span.bench.n = ", n, " }");
    state.ResumeTiming();
    const absl::Time start = absl::Now();
    if (PostOtlpHttp((*collector)->otlp_http_endpoint(), b.request()) != 200) {
      state.SkipWithError("export failed");
      break;
    }
    ack_seconds += absl::ToDoubleSeconds(absl::Now() - start);
    if ((*collector)->Search(query).size() != 1) {
      state.SkipWithError("span not visible");
      break;
    }
  }
  state.counters["ack_ms"] = benchmark::Counter(
      ack_seconds * 1e3 / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_FlushToSearchVisible)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
