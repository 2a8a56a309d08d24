// Wal::Append throughput by payload size and fsync policy, single- and
// multi-threaded (kAlways with several threads shows group commit at work).
//
//   build-*/bench/wal_append_bench --benchmark_filter=Always
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "benchmark/benchmark.h"
#include "util/log.h"
#include "wal/wal.h"

namespace andante::internal {
namespace {

// One WAL directory shared by the threads of a benchmark run, created by
// thread 0 in setup and removed at teardown.
struct Shared {
  std::string dir;
  std::unique_ptr<Wal> wal;
};
Shared g_shared;

template <WalFsync kPolicy>
void Setup(const benchmark::State&) {
  SetLogLevel(LogLevel::kError);
  std::string tmpl = "/tmp/andante_wal_bench.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  g_shared.dir = tmpl;
  WalOptions options;
  options.fsync = kPolicy;
  options.fsync_interval = absl::Milliseconds(100);
  options.segment_bytes = 64ull << 20;
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(options, g_shared.dir);
  if (!wal.ok()) std::abort();
  g_shared.wal = std::move(*wal);
}

void Teardown(const benchmark::State&) {
  g_shared.wal.reset();
  std::filesystem::remove_all(g_shared.dir);
}

void BM_Append(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::string payload(size, '\0');
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  for (char& c : payload) c = static_cast<char>(rng());
  Wal& wal = *g_shared.wal;
  uint64_t appended = 0;
  for (auto _ : state) {
    absl::StatusOr<WalRecordRef> ref = wal.Append(payload);
    if (!ref.ok()) {
      state.SkipWithError("append failed");
      break;
    }
    // Keep the disk footprint bounded on long runs.
    if (++appended % 4096 == 0 && state.thread_index() == 0) {
      absl::StatusOr<uint64_t> segment = wal.Rotate();
      if (segment.ok()) wal.DeleteSegmentsBefore(*segment).IgnoreError();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(size));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

#define WAL_APPEND_BENCH(name, policy) \
  BENCHMARK(BM_Append)                 \
      ->Name("BM_Append/" name)        \
      ->ArgName("bytes")               \
      ->Arg(4 << 10)                   \
      ->Arg(64 << 10)                  \
      ->Setup(Setup<policy>)           \
      ->Teardown(Teardown)             \
      ->UseRealTime()                  \
      ->ThreadRange(1, 4)

WAL_APPEND_BENCH("never", WalFsync::kNever);
WAL_APPEND_BENCH("interval", WalFsync::kInterval);
WAL_APPEND_BENCH("always", WalFsync::kAlways);

// Replay of a WAL of 4 KiB records (recovery time after a crash).
void BM_Replay(benchmark::State& state) {
  SetLogLevel(LogLevel::kError);
  std::string tmpl = "/tmp/andante_wal_bench.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  const std::string dir = tmpl;
  const int records = static_cast<int>(state.range(0));
  {
    WalOptions options;
    options.fsync = WalFsync::kNever;
    options.segment_bytes = 8ull << 20;
    std::unique_ptr<Wal> wal = std::move(*Wal::Open(options, dir));
    std::string payload(4096, 'x');
    for (int i = 0; i < records; ++i) {
      if (!wal->Append(payload).ok()) std::abort();
    }
  }
  uint64_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<WalReplayReport> report =
        ReplayWal(dir, [](const WalRecordRef&, std::string_view payload) {
          benchmark::DoNotOptimize(payload.data());
          return absl::OkStatus();
        });
    if (!report.ok() || report->records != static_cast<uint64_t>(records)) {
      state.SkipWithError("replay failed");
      break;
    }
    bytes += report->bytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Replay)->ArgName("records")->Arg(16384)->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
