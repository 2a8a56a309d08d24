// Store::Push end to end without sockets: split by trace, WAL append (fsync
// interval, as the server runs), live-trace bookkeeping. Realistic 1000-span
// batches from the load generator's trace factory. The argument is the
// number of tenants the batches are spread over round-robin, with every
// limit checked (rate, live traces, trace size) but none reached: /1 vs
// /100 is the cost of limits and tenancy per push (issue 12's target:
// within 10%).
//
// BM_StorePushWire: the server's OTLP path, SpanBatch::FromProto of the
// request bytes then Push, over batches of two service groups (~11k
// generator series). Arg 0: no tap; 1: the metrics generator (span metrics
// + service graphs) tapped, as the server runs it: the two give issue 11's
// "extra ingest CPU" ratio. Stable figure, instructions per span:
//   valgrind --tool=callgrind --toggle-collect='*PushWireOnce*'
//       build/bench/store_push_bench --benchmark_filter=StorePushWire/1
// divided by 1000 x timed_pushes (1000 spans a push, 64 pushes), /0 the
// same way.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/metrics_generator.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "tests/testing/store_options.h"

namespace {

using andante::loadgen::TraceFactory;

// A store as the server runs it (WAL fsync on an interval), in `dir`, over
// an in-memory backend, with every tenant limit checked on each push but
// none reached.
andante::StoreOptions BenchStoreOptions(const std::string& dir) {
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";
  options.wal.fsync = andante::WalFsync::kInterval;
  options.backend = andante::OpenMemoryBackend();
  options.env = andante::testing::StillEnv();
  options.ingester.flush_all_on_shutdown = false;
  andante::TenantLimits limits;
  limits.rate_limit_bytes = limits.burst_size_bytes = 1ull << 40;
  limits.max_traces_per_user = 1'000'000'000;
  limits.max_bytes_per_trace = 1ull << 40;
  options.overrides = std::make_shared<andante::Overrides>(limits);
  return options;
}

void BM_StorePush(benchmark::State& state) {
  char tmpl[] = "/tmp/andante-bench-push-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  const int tenants = static_cast<int>(state.range(0));
  std::vector<std::string> names;
  for (int t = 0; t < tenants; ++t) {
    names.push_back(tenants == 1 ? std::string(andante::kSingleTenant)
                                 : "tenant-" + std::to_string(t));
  }
  auto store = andante::Store::Open(BenchStoreOptions(dir));
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  TraceFactory factory(1);
  std::vector<andante::loadgen::ExportTraceServiceRequest> batches;
  for (int i = 0; i < 32; ++i) {
    batches.push_back(factory.BuildBatch(1000, absl::Now(), nullptr));
  }
  int64_t spans = 0, bytes = 0;
  size_t i = 0;
  for (auto _ : state) {
    const auto& batch = batches[i++ % batches.size()];
    auto pushed = (*store)->Push(names[i % names.size()], batch);
    if (!pushed.ok()) {
      state.SkipWithError(std::string(pushed.status().message()).c_str());
      break;
    }
    spans += pushed->spans_accepted;
    bytes += batch.ByteSizeLong();
  }
  state.SetItemsProcessed(spans);
  state.SetBytesProcessed(bytes);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StorePush)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);

// One push of serialized bytes as the OTLP receiver does it.
absl::StatusOr<andante::PushResult> PushWire(andante::Store& store,
                                             std::string_view bytes) {
  absl::StatusOr<andante::SpanBatch> batch =
      andante::SpanBatch::FromProto(bytes);
  if (!batch.ok()) return batch.status();
  return store.Push(andante::kSingleTenant, *batch);
}

// The timed pushes, not inlined so that callgrind counts exactly these
// (--toggle-collect), and counted (the "timed_pushes" counter: cumulative
// over the benchmark's runs, as callgrind's total is).
int64_t timed_pushes = 0;
[[gnu::noinline]] absl::StatusOr<andante::PushResult> PushWireOnce(
    andante::Store& store, std::string_view bytes) {
  ++timed_pushes;
  return PushWire(store, bytes);
}

void BM_StorePushWire(benchmark::State& state) {
  // As the server's main does (Debian's abseil checks every lock for
  // deadlock cycles otherwise).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  char tmpl[] = "/tmp/andante-bench-push-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  auto store = andante::Store::Open(BenchStoreOptions(dir));
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  std::unique_ptr<andante::MetricsGenerator> generator;
  if (state.range(0) == 1) {
    andante::MetricsGeneratorOptions o;
    o.processors = {"span-metrics", "service-graphs"};
    // The batches are built once; their spans must stay in the window.
    o.ingestion_time_range_slack = absl::ZeroDuration();
    generator = *andante::MetricsGenerator::Create(std::move(o));
    (*store)->AddSpanTap(generator.get());
  }
  andante::loadgen::TraceShape shape;
  shape.service_groups = 2;  // as bench/run_loadgen.sh --service_groups=2
  TraceFactory factory(1, shape);
  std::vector<std::string> wire;
  for (int i = 0; i < 64; ++i) {
    wire.push_back(factory.BuildBatch(1000, absl::Now(), nullptr)
                       .SerializeAsString());
  }
  // Warm-up: every series and tenant exists, as in a running server.
  for (const std::string& w : wire) (void)PushWire(**store, w);
  int64_t spans = 0, bytes = 0;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& w = wire[i++ % wire.size()];
    auto pushed = PushWireOnce(**store, w);
    if (!pushed.ok()) {
      state.SkipWithError(std::string(pushed.status().message()).c_str());
      break;
    }
    spans += pushed->spans_accepted;
    bytes += static_cast<int64_t>(w.size());
  }
  state.SetItemsProcessed(spans);
  state.SetBytesProcessed(bytes);
  state.counters["timed_pushes"] = static_cast<double>(timed_pushes);
  if (generator != nullptr) {
    state.counters["active_series"] =
        static_cast<double>(generator->active_series());
    (*store)->RemoveSpanTap(generator.get());
  }
  store->reset();
  std::filesystem::remove_all(dir);
}
// Each of the 64 batches pushed once: the same work on every run, so
// callgrind's counts compare across builds and machine loads.
BENCHMARK(BM_StorePushWire)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(64)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
