// The request layer end to end without sockets: an OTLP/HTTP protobuf body
// and the same bytes as an OTLP/gRPC message through RequestHandler (wrapper,
// decode, tenant, Store::Push with the WAL at its interval fsync), against
// Store::Push of the same batches (store_push_bench) for the layer's own
// cost. Realistic 1000-span batches from the load generator's trace factory.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "andante/request.h"
#include "andante/store.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "tests/testing/store_options.h"

namespace {

using andante::loadgen::TraceFactory;

void Run(benchmark::State& state, bool grpc) {
  char tmpl[] = "/tmp/andante-bench-request-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";
  options.wal.fsync = andante::WalFsync::kInterval;
  options.backend = andante::OpenMemoryBackend();
  options.env = andante::testing::StillEnv();
  options.ingester.flush_all_on_shutdown = false;
  auto store = andante::Store::Open(std::move(options));
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  andante::RequestHandler handler(store->get(), andante::RequestOptions());
  TraceFactory factory(1);
  std::vector<std::string> bodies;
  for (int i = 0; i < 32; ++i) {
    bodies.push_back(
        factory.BuildBatch(1000, absl::Now(), nullptr).SerializeAsString());
  }
  andante::HttpRequest req;
  req.method = "POST";
  req.path = "/v1/traces";
  req.headers = {{"Content-Type", "application/x-protobuf"}};
  int64_t bytes = 0;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& body = bodies[i++ % bodies.size()];
    bool ok;
    if (grpc) {
      andante::GrpcRequest call;
      call.message = body;
      ok = handler.OtlpGrpc(call).ok();
    } else {
      req.body = body;
      ok = handler.OtlpHttp(req).status == 200;
    }
    if (!ok) {
      state.SkipWithError("push refused");
      break;
    }
    bytes += body.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
  state.SetBytesProcessed(bytes);
  store->reset();
  std::filesystem::remove_all(dir);
}

void BM_OtlpHttpProtobuf(benchmark::State& state) { Run(state, false); }
void BM_OtlpGrpc(benchmark::State& state) { Run(state, true); }
BENCHMARK(BM_OtlpHttpProtobuf)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OtlpGrpc)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
