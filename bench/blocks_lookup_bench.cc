// Trace by ID over 1,000 blocks in one bucket, with warm caches: how many
// backend GETs a hit and a miss cost (issue 10's targets: <= 1.05 per hit on
// average, 0 per miss), and the lookup latency, for three trace-ID filter
// false-positive rates: each block whose filter says yes costs one ranged
// GET, so with N blocks a lookup costs ~N x fp GETs beyond the hit itself.
//
// The blocks are written by one store (1,000 pushes, each flushed as its own
// block of 200 spans), then a second store opens the bucket as a restarted
// or another instance would, and every trace is looked up once to warm the
// bloom shard and page index caches. GETs are counted by a wrapper around
// the backend (tests/testing/fault_backend.h, no faults set: it counts Read
// and ReadRange calls), not by the store.
//
// The backend is in memory unless ANDANTE_S3_ENDPOINT is set; then it is S3
// at that endpoint (path style, plain HTTP, ANDANTE_S3_BUCKET, region
// ANDANTE_S3_REGION or "us-east-1", keys from AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY): bench/run_blocks_lookup_s3.sh starts s3rver on
// loopback and runs it so.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "andante/limits.h"
#include "andante/otlp.h"
#include "andante/s3.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "tests/testing/fault_backend.h"
#include "tests/testing/store_options.h"

namespace {

using andante::loadgen::TraceFactory;

constexpr int kBlocks = 1000;
constexpr int kSpansPerBlock = 200;  // whole traces of the factory's shape

std::string Env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : v;
}

// `name` tells the fixtures of one run apart.
absl::StatusOr<std::shared_ptr<andante::Backend>> OpenBucket(
    const std::string& name) {
  if (Env("ANDANTE_S3_ENDPOINT").empty()) {
    return std::shared_ptr<andante::Backend>(andante::OpenMemoryBackend());
  }
  andante::S3Options o;
  o.endpoint = Env("ANDANTE_S3_ENDPOINT");
  o.bucket = Env("ANDANTE_S3_BUCKET", "tempo-traces");
  o.region = Env("ANDANTE_S3_REGION", "us-east-1");
  o.insecure = true;
  o.forcepathstyle = true;
  o.list_with_delimiter = false;  // s3rver's delimiter listings are partial
  // A fresh prefix per run and fixture: the bucket may hold earlier runs,
  // and the fixtures write the same traces (one factory seed), so sharing a
  // prefix would double the blocks and find every trace twice.
  o.prefix = "blocks-lookup-" + std::to_string(::getpid()) + "-" + name;
  auto backend = andante::OpenS3Backend(std::move(o));
  if (!backend.ok()) return backend.status();
  return std::shared_ptr<andante::Backend>(std::move(*backend));
}

andante::StoreOptions Options(std::shared_ptr<andante::Backend> backend,
                              const std::string& wal, double bloom_fp) {
  andante::StoreOptions options;
  options.block.bloom_filter_false_positive = bloom_fp;
  options.wal.path = wal;
  options.wal.fsync = andante::WalFsync::kNever;
  options.backend = std::move(backend);
  options.env = andante::testing::StillEnv();
  andante::TenantLimits unlimited;
  unlimited.rate_limit_bytes = unlimited.burst_size_bytes = 1ull << 40;
  unlimited.max_traces_per_user = 0;
  options.overrides = std::make_shared<andante::Overrides>(unlimited);
  return options;
}

struct Fixture {
  std::string error;
  std::shared_ptr<andante::testing::FaultBackend> backend;  // counts GETs
  std::unique_ptr<andante::Store> store;  // the reading instance
  std::vector<andante::TraceId> ids;
  double build_seconds = 0;
};

Fixture* MakeFixture(double bloom_fp) {
  auto* f = new Fixture;
  char tmpl[] = "/tmp/andante-bench-blocks-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto bucket = OpenBucket("fp" + std::to_string(bloom_fp));
  if (!bucket.ok()) {
    f->error = std::string(bucket.status().message());
    return f;
  }
  f->backend = std::make_shared<andante::testing::FaultBackend>(*bucket);
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto writer = andante::Store::Open(Options(f->backend, dir + "/wal-w", bloom_fp));
    if (!writer.ok()) {
      f->error = std::string(writer.status().message());
      return f;
    }
    TraceFactory factory(11);
    for (int b = 0; b < kBlocks; ++b) {
      auto batch = factory.BuildBatch(kSpansPerBlock, absl::Now(), nullptr);
      for (const auto& rs : batch.resource_spans()) {
        for (const auto& ss : rs.scope_spans()) {
          for (const auto& span : ss.spans()) {
            f->ids.push_back(*andante::TraceId::FromBytes(span.trace_id()));
          }
        }
      }
      if (auto s = (*writer)->Push(andante::kSingleTenant, batch); !s.ok()) {
        f->error = std::string(s.status().message());
        return f;
      }
      if (auto s = (*writer)->Flush(); !s.ok()) {
        f->error = std::string(s.message());
        return f;
      }
    }
  }
  std::sort(f->ids.begin(), f->ids.end());
  f->ids.erase(std::unique(f->ids.begin(), f->ids.end()), f->ids.end());
  f->build_seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
  // The reading instance: an empty WAL, the bucket's blocks only.
  auto reader = andante::Store::Open(Options(f->backend, dir + "/wal-r", bloom_fp));
  if (!reader.ok()) {
    f->error = std::string(reader.status().message());
    return f;
  }
  f->store = std::move(*reader);
  // Warm: every trace once (loads each block's bloom shards and index).
  for (const andante::TraceId& id : f->ids) {
    f->store->FindTraceById(andante::kSingleTenant, id).IgnoreError();
  }
  return f;
}

// One bucket per bloom false-positive rate (1 / inverse_fp), built once.
Fixture& fixture(int64_t inverse_fp) {
  static auto* fixtures = new std::map<int64_t, Fixture*>;
  Fixture*& f = (*fixtures)[inverse_fp];
  if (f == nullptr) f = MakeFixture(1.0 / static_cast<double>(inverse_fp));
  return *f;
}

// A random ID no trace has (the factory's IDs are random too, so a clash
// would be a 2^-128 event).
andante::TraceId MissingId(std::mt19937_64& rng) {
  std::string bytes(16, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return *andante::TraceId::FromBytes(bytes);
}

void Lookups(benchmark::State& state, bool hit) {
  Fixture& f = fixture(state.range(0));
  if (!f.error.empty() || f.store == nullptr) {
    state.SkipWithError(f.error.empty() ? "no store" : f.error.c_str());
    return;
  }
  std::mt19937_64 rng(hit ? 1 : 2);
  std::vector<double> millis;
  const uint64_t gets_before = f.backend->counts().reads;
  uint64_t spans = 0;
  for (auto _ : state) {
    const andante::TraceId id =
        hit ? f.ids[rng() % f.ids.size()] : MissingId(rng);
    const auto t0 = std::chrono::steady_clock::now();
    auto found = f.store->FindTraceById(andante::kSingleTenant, id);
    millis.push_back(std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - t0)
                         .count());
    if (!found.ok()) {
      state.SkipWithError(std::string(found.status().message()).c_str());
      return;
    }
    if (hit && found->span_count == 0) {
      state.SkipWithError("an acknowledged trace was not found");
      return;
    }
    if (!hit && found->span_count != 0) {
      state.SkipWithError("a random ID was found");
      return;
    }
    spans += found->span_count;
  }
  std::sort(millis.begin(), millis.end());
  auto pct = [&](double p) {
    return millis[static_cast<size_t>(p * (millis.size() - 1))];
  };
  const double n = static_cast<double>(millis.size());
  state.counters["blocks"] = kBlocks;
  state.counters["gets_per_lookup"] =
      static_cast<double>(f.backend->counts().reads - gets_before) / n;
  state.counters["p50_ms"] = pct(0.50);
  state.counters["p99_ms"] = pct(0.99);
  state.counters["max_ms"] = millis.back();
  state.counters["spans_per_lookup"] = static_cast<double>(spans) / n;
  state.counters["build_s"] = f.build_seconds;
}

void BM_TraceByIdHit1000Blocks(benchmark::State& state) { Lookups(state, true); }
void BM_TraceByIdMiss1000Blocks(benchmark::State& state) {
  Lookups(state, false);
}
// The argument is 1 / bloom_filter_false_positive: Tempo's default 0.01,
// 1e-5 (the bloom default before GCS1 fingerprint shards: now 17-bit
// fingerprints) and Andante's default 4e-9 (28-bit fingerprints). Misses run
// 10,000 lookups: the target is 0 GETs in all of them.
BENCHMARK(BM_TraceByIdHit1000Blocks)
    ->ArgName("inverse_bloom_fp")->Arg(100)->Arg(100000)->Arg(250000000)
    ->Iterations(2000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TraceByIdMiss1000Blocks)
    ->ArgName("inverse_bloom_fp")->Arg(100)->Arg(100000)->Arg(250000000)
    ->Iterations(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
