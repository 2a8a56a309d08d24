// Store::Push end to end without sockets: split by trace, WAL append (fsync
// interval, as the server runs), live-trace bookkeeping. Realistic 1000-span
// batches from the load generator's trace factory.
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "andante/backend.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"

namespace {

using andante::loadgen::TraceFactory;

void BM_StorePush(benchmark::State& state) {
  char tmpl[] = "/tmp/andante-bench-push-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";
  options.wal.fsync = andante::WalFsync::kInterval;
  options.backend = andante::OpenMemoryBackend();
  options.background_flush = false;
  options.ingester.flush_all_on_shutdown = false;
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
    auto pushed = (*store)->Push(andante::kSingleTenant, batch);
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
BENCHMARK(BM_StorePush)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
