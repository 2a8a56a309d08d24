// Store::Push end to end without sockets: split by trace, WAL append (fsync
// interval, as the server runs), live-trace bookkeeping. Realistic 1000-span
// batches from the load generator's trace factory. The argument is the
// number of tenants the batches are spread over round-robin, with every
// limit checked (rate, live traces, trace size) but none reached: /1 vs
// /100 is the cost of limits and tenancy per push (issue 12's target:
// within 10%).
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "tests/testing/store_options.h"

namespace {

using andante::loadgen::TraceFactory;

void BM_StorePush(benchmark::State& state) {
  char tmpl[] = "/tmp/andante-bench-push-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";
  options.wal.fsync = andante::WalFsync::kInterval;
  options.backend = andante::OpenMemoryBackend();
  options.env = andante::testing::StillEnv();
  options.ingester.flush_all_on_shutdown = false;
  andante::TenantLimits limits;  // checked on every push, never reached
  limits.rate_limit_bytes = limits.burst_size_bytes = 1ull << 40;
  limits.max_traces_per_user = 1'000'000'000;
  limits.max_bytes_per_trace = 1ull << 40;
  options.overrides = std::make_shared<andante::Overrides>(limits);
  const int tenants = static_cast<int>(state.range(0));
  std::vector<std::string> names;
  for (int t = 0; t < tenants; ++t) {
    names.push_back(tenants == 1 ? std::string(andante::kSingleTenant)
                                 : "tenant-" + std::to_string(t));
  }
  auto store = andante::Store::Open(std::move(options));
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

}  // namespace

BENCHMARK_MAIN();
