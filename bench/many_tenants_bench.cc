// Many tenants in one process (issue 14, item 1): N tenants each push one
// small trace through Store::Push (WAL with the default interval fsync,
// local block storage), then the store is dropped without a flush (a
// crash: every tenant's data is only in its WAL), reopened, and every
// tenant's trace is read back. Reports open file descriptors and threads
// (from /proc/self) at the peak of each phase, the push rate and the
// restart time (Store::Open replaying N tenants' WALs).
//
//   build/bench/many_tenants_bench                       # 10k and 100k
//   build/bench/many_tenants_bench --benchmark_filter=/100000
//
// Counters: fds_* and threads_* are absolute counts for the whole process
// (the benchmark's own baseline is fds_base / threads_base); restart_s is
// the Store::Open time; push_s and read_s the wall time of each phase.
// Needs RLIMIT_NOFILE above the baseline + wal.max_open_files (64) only.
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/store.h"
#include "benchmark/benchmark.h"
#include "tests/testing/otlp_builders.h"
#include "util/log.h"
#include "tests/testing/store_options.h"

namespace {

// A fresh directory under $TMPDIR (default /tmp), removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") +
                       "/andante-many-tenants-bench-XXXXXX";
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string LoadAverage() {
  std::string load;
  if (FILE* f = fopen("/proc/loadavg", "r")) {
    char buf[64] = {};
    if (fgets(buf, sizeof(buf), f) != nullptr) load = buf;
    fclose(f);
  }
  while (!load.empty() && load.back() == '\n') load.pop_back();
  return load;
}

// User + system CPU of the whole process so far.
double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

size_t CountEntries(const char* dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir)) {
    ++n;
  }
  return n;
}

struct Peak {
  size_t fds = 0;
  size_t threads = 0;
  void Sample() {
    fds = std::max(fds, CountEntries("/proc/self/fd"));
    threads = std::max(threads, CountEntries("/proc/self/task"));
  }
};

andante::StoreOptions Options(const std::string& dir,
                              std::shared_ptr<andante::Backend> backend) {
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";  // defaults otherwise: interval fsync
  options.backend = std::move(backend);
  options.env = andante::testing::StillEnv();  // nothing is cut: restart replays all
  // Tempo's default ingest limits (15 MB/s, 10 000 live traces) would
  // throttle a benchmark that pushes as fast as it can.
  andante::TenantLimits unlimited;
  unlimited.rate_limit_bytes = unlimited.burst_size_bytes = 1ull << 40;
  unlimited.max_traces_per_user = 0;
  options.overrides = std::make_shared<andante::Overrides>(unlimited);
  options.ingester.flush_all_on_shutdown = false;
  return options;
}

void BM_ManyTenants(benchmark::State& state) {
  andante::internal::SetLogLevel(andante::internal::LogLevel::kWarn);
  const int tenants = static_cast<int>(state.range(0));
  for (auto _ : state) {
    ScratchDir tmp;
    if (tmp.path().empty()) {
      state.SkipWithError("mkdtemp failed");
      return;
    }
    auto backend = andante::OpenLocalBackend(tmp.path() + "/blocks");
    if (!backend.ok()) {
      state.SkipWithError(backend.status().ToString().c_str());
      return;
    }
    std::shared_ptr<andante::Backend> shared(std::move(*backend));
    Peak base, push, restart, read;
    base.Sample();
    std::mt19937_64 rng(1);
    std::vector<andante::TraceId> ids;
    ids.reserve(tenants);
    absl::Time t0 = absl::Now();
    {
      auto store = andante::Store::Open(Options(tmp.path(), shared));
      if (!store.ok()) {
        state.SkipWithError(store.status().ToString().c_str());
        return;
      }
      for (int i = 0; i < tenants; ++i) {
        auto pushed =
            (*store)->Push("tenant-" + std::to_string(i),
                           andante::testing::MakeRequest(rng, 1, 3, &ids));
        if (!pushed.ok()) {
          state.SkipWithError(pushed.status().ToString().c_str());
          return;
        }
        if (i % 1000 == 0) push.Sample();
      }
      push.Sample();
    }  // dropped without a flush; Close drains the fsync pool
    const double push_s = absl::ToDoubleSeconds(absl::Now() - t0);

    t0 = absl::Now();
    const double cpu0 = CpuSeconds();
    auto store = andante::Store::Open(Options(tmp.path(), shared));
    const double restart_s = absl::ToDoubleSeconds(absl::Now() - t0);
    const double restart_cpu_s = CpuSeconds() - cpu0;
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    restart.Sample();
    t0 = absl::Now();
    int missing = 0;
    for (int i = 0; i < tenants; ++i) {
      auto found =
          (*store)->FindTraceById("tenant-" + std::to_string(i), ids[i]);
      if (!found.ok() || found->span_count != 3) ++missing;
      if (i % 1000 == 0) read.Sample();
    }
    read.Sample();
    const double read_s = absl::ToDoubleSeconds(absl::Now() - t0);
    if (missing > 0) {
      state.SkipWithError(
          (std::to_string(missing) + " tenants did not read back").c_str());
      return;
    }
    state.counters["fds_base"] = base.fds;
    state.counters["threads_base"] = base.threads;
    state.counters["fds_push"] = push.fds;
    state.counters["threads_push"] = push.threads;
    state.counters["fds_restart"] = restart.fds;
    state.counters["fds_read"] = read.fds;
    state.counters["threads_read"] = read.threads;
    state.counters["push_s"] = push_s;
    state.counters["restart_s"] = restart_s;
    state.counters["restart_cpu_s"] = restart_cpu_s;
    state.counters["read_s"] = read_s;
    store->reset();
    // Removing N tenants' directories takes minutes on a busy disk and is
    // not part of the figures: print them first.
    fprintf(stderr,
            "tenants=%d fds: base=%zu push=%zu restart=%zu read=%zu; threads: "
            "base=%zu push=%zu read=%zu; push %.1f s, restart %.2f s (cpu %.2f "
            "s), read %.2f s; load %s\n",
            tenants, base.fds, push.fds, restart.fds, read.fds, base.threads,
            push.threads, read.threads, push_s, restart_s, restart_cpu_s,
            read_s, LoadAverage().c_str());
  }
}
BENCHMARK(BM_ManyTenants)
    ->Arg(20'000)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
