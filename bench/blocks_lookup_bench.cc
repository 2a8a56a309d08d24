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
//
// Against S3, every hit's GET is replayed right after the lookup twice, in
// rotating order: through the same S3 backend (our client alone, without the
// lookup around it) and through a plain libcurl handle signing with libcurl's
// own SigV4 (the store and the machine alone, without our client). The three
// latency distributions, taken in the same seconds, tell the machine's and
// s3rver's tail from ours: get_* is the time our client spent in the
// lookup's GET (S3Options::observer), outside_* the rest of the lookup,
// client_* and curl_* the two replays. wait_ms is this process's run-queue
// wait per iteration; s3rver_cpu_ms and s3rver_wait_ms the store process's
// CPU time and run-queue wait per request (its pid from S3RVER_PID).
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
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

constexpr int kSpansPerBlock = 200;  // whole traces of the factory's shape

std::string Env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : v;
}

// Nanoseconds our S3 client spent in GET attempts since the last reset.
std::atomic<int64_t> get_nanos{0};

// The counting backend, remembering the last ranged read so that a lookup's
// GET can be replayed.
class RecordingBackend : public andante::testing::FaultBackend {
 public:
  using FaultBackend::FaultBackend;
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    {
      absl::MutexLock lock(&mu_);
      last_ = {std::string(key), offset, length};
    }
    return FaultBackend::ReadRange(key, offset, length);
  }
  struct Range {
    std::string key;
    uint64_t offset = 0, length = 0;
  };
  Range last() {
    absl::MutexLock lock(&mu_);
    return last_;
  }

 private:
  absl::Mutex mu_;
  Range last_ ABSL_GUARDED_BY(mu_);
};

// Plain libcurl on one reused handle: GETs a byte range of an object of the
// bucket, signed by libcurl's CURLOPT_AWS_SIGV4.
class PlainCurl {
 public:
  PlainCurl(std::string base_url, const std::string& region)
      : base_url_(std::move(base_url)), h_(curl_easy_init()) {
    sigv4_ = "aws:amz:" + region + ":s3";
    userpwd_ = Env("AWS_ACCESS_KEY_ID") + ":" + Env("AWS_SECRET_ACCESS_KEY");
    // The SHA-256 of the empty body, as our client sends it on a GET.
    headers_ = curl_slist_append(
        nullptr,
        "x-amz-content-sha256: "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
  ~PlainCurl() {
    curl_easy_cleanup(h_);
    curl_slist_free_all(headers_);
  }
  // OK if the GET answered 206 with `length` bytes.
  absl::Status Get(const std::string& key, uint64_t offset, uint64_t length) {
    body_.clear();
    const std::string url = base_url_ + key;
    const std::string range =
        std::to_string(offset) + "-" + std::to_string(offset + length - 1);
    curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h_, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(h_, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(h_, CURLOPT_USERPWD, userpwd_.c_str());
    curl_easy_setopt(h_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, &body_);
    long status = 0;
    if (CURLcode rc = curl_easy_perform(h_); rc != CURLE_OK) {
      return absl::UnavailableError(curl_easy_strerror(rc));
    }
    curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &status);
    if (status == 206 && body_.size() == length) return absl::OkStatus();
    return absl::InternalError("plain curl GET " + url + " " + range +
                               ": HTTP " + std::to_string(status) + " " +
                               body_.substr(0, 300));
  }

 private:
  static size_t Append(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  }
  std::string base_url_, sigv4_, userpwd_, body_;
  CURL* h_;
  curl_slist* headers_ = nullptr;
};

double LoadAverage() {
  double load = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  return load;
}

// CPU time and run-queue wait (nanoseconds, /proc/<pid>/task/*/schedstat
// summed) of process `pid`: how long it ran and how long it was runnable but
// waited for a core.
struct Sched {
  double cpu_ns = 0, wait_ns = 0;
};
Sched SchedOf(const std::string& pid) {
  Sched total;
  const std::string dir = "/proc/" + pid + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(dir, ec)) {
    if (FILE* f = std::fopen((task.path() / "schedstat").c_str(), "r")) {
      double cpu = 0, wait = 0;
      if (std::fscanf(f, "%lf %lf", &cpu, &wait) == 2) {
        total.cpu_ns += cpu;
        total.wait_ns += wait;
      }
      std::fclose(f);
    }
  }
  return total;
}

struct Bucket {
  std::shared_ptr<andante::Backend> backend;
  std::unique_ptr<PlainCurl> curl;  // S3 only
};

// 1,000 (the target's count) unless ANDANTE_BENCH_BLOCKS says otherwise
// (a quicker run while investigating).
int Blocks() {
  static const int blocks = [] {
    const int n = std::atoi(Env("ANDANTE_BENCH_BLOCKS", "1000").c_str());
    return n > 0 ? n : 1000;
  }();
  return blocks;
}

// `name` tells the fixtures of one run apart.
absl::StatusOr<Bucket> OpenBucket(const std::string& name) {
  if (Env("ANDANTE_S3_ENDPOINT").empty()) {
    return Bucket{
        std::shared_ptr<andante::Backend>(andante::OpenMemoryBackend()),
        nullptr};
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
  o.observer = [](const andante::S3RequestInfo& info) {
    if (info.operation == "GET") {
      get_nanos += absl::ToInt64Nanoseconds(info.duration);
    }
  };
  auto curl = std::make_unique<PlainCurl>(
      "http://" + o.endpoint + "/" + o.bucket + "/" + o.prefix + "/", o.region);
  auto backend = andante::OpenS3Backend(std::move(o));
  if (!backend.ok()) return backend.status();
  return Bucket{std::shared_ptr<andante::Backend>(std::move(*backend)),
                std::move(curl)};
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
  Bucket bucket;
  std::shared_ptr<RecordingBackend> backend;  // counts GETs
  std::unique_ptr<andante::Store> store;      // the reading instance
  std::vector<andante::TraceId> ids;
  double build_seconds = 0;
};

Fixture* MakeFixture(double bloom_fp) {
  // As the server's main does: Debian's abseil otherwise checks every lock
  // taken under another for deadlock cycles, and a lookup takes a block
  // reader's and the block cache's lock per block under the tenant's (9% of
  // a miss's CPU over 1,000 blocks went to GraphCycles).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto* f = new Fixture;
  char tmpl[] = "/tmp/andante-bench-blocks-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto bucket = OpenBucket("fp" + std::to_string(bloom_fp));
  if (!bucket.ok()) {
    f->error = std::string(bucket.status().message());
    return f;
  }
  f->bucket = *std::move(bucket);
  f->backend = std::make_shared<RecordingBackend>(f->bucket.backend);
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto writer =
        andante::Store::Open(Options(f->backend, dir + "/wal-w", bloom_fp));
    if (!writer.ok()) {
      f->error = std::string(writer.status().message());
      return f;
    }
    TraceFactory factory(11);
    for (int b = 0; b < Blocks(); ++b) {
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
  f->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  // The reading instance: an empty WAL, the bucket's blocks only.
  auto reader =
      andante::Store::Open(Options(f->backend, dir + "/wal-r", bloom_fp));
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
  // Lookup latency; of it, our client's GET time and the rest; and the two
  // replays of the hit's GET (S3 only).
  std::vector<double> millis, get_ms, outside_ms, client_ms, curl_ms;
  const bool replay = hit && f.bucket.curl != nullptr;
  auto since = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - t0)
        .count();
  };
  const uint64_t gets_before = f.backend->counts().reads;
  // S3RVER_PID (set by bench/run_blocks_lookup_s3.sh): the store's process.
  const std::string store_pid = Env("S3RVER_PID");
  const Sched self_before = SchedOf("self"), store_before = SchedOf(store_pid);
  uint64_t spans = 0;
  for (auto _ : state) {
    const andante::TraceId id =
        hit ? f.ids[rng() % f.ids.size()] : MissingId(rng);
    get_nanos = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto found = f.store->FindTraceById(andante::kSingleTenant, id);
    millis.push_back(since(t0));
    const double get = static_cast<double>(get_nanos.load()) / 1e6;
    get_ms.push_back(get);
    outside_ms.push_back(millis.back() - get);
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
    if (!replay) continue;
    state.PauseTiming();
    const RecordingBackend::Range r = f.backend->last();
    absl::Status replayed;
    for (int k = 0; k < 2; ++k) {
      const auto t1 = std::chrono::steady_clock::now();
      if ((k + millis.size()) % 2 == 0) {
        replayed.Update(
            f.bucket.backend->ReadRange(r.key, r.offset, r.length).status());
        client_ms.push_back(since(t1));
      } else {
        replayed.Update(f.bucket.curl->Get(r.key, r.offset, r.length));
        curl_ms.push_back(since(t1));
      }
    }
    state.ResumeTiming();
    if (!replayed.ok()) {
      state.SkipWithError(std::string(replayed.message()).c_str());
      return;
    }
  }
  auto pct = [](std::vector<double>& v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
  };
  const double n = static_cast<double>(millis.size());
  state.counters["blocks"] = Blocks();
  state.counters["gets_per_lookup"] =
      static_cast<double>(f.backend->counts().reads - gets_before) / n;
  state.counters["p50_ms"] = pct(millis, 0.50);
  state.counters["p99_ms"] = pct(millis, 0.99);
  state.counters["max_ms"] = millis.back();
  if (f.bucket.curl != nullptr) {
    state.counters["get_p50"] = pct(get_ms, 0.50);
    state.counters["get_p99"] = pct(get_ms, 0.99);
    state.counters["outside_p50"] = pct(outside_ms, 0.50);
    state.counters["outside_p99"] = pct(outside_ms, 0.99);
  }
  if (replay) {
    state.counters["client_p50"] = pct(client_ms, 0.50);
    state.counters["client_p99"] = pct(client_ms, 0.99);
    state.counters["curl_p50"] = pct(curl_ms, 0.50);
    state.counters["curl_p99"] = pct(curl_ms, 0.99);
  }
  state.counters["load1"] = LoadAverage();
  // Per iteration (a lookup and its replays): this process's run-queue
  // wait; per S3 request (lookups' GETs and replays): the store's CPU time
  // and run-queue wait.
  const Sched self_after = SchedOf("self"), store_after = SchedOf(store_pid);
  state.counters["wait_ms"] =
      (self_after.wait_ns - self_before.wait_ns) / 1e6 / n;
  if (!store_pid.empty()) {
    const double requests =
        static_cast<double>(f.backend->counts().reads - gets_before) +
        static_cast<double>(client_ms.size() + curl_ms.size());
    state.counters["s3rver_cpu_ms"] =
        (store_after.cpu_ns - store_before.cpu_ns) / 1e6 / requests;
    state.counters["s3rver_wait_ms"] =
        (store_after.wait_ns - store_before.wait_ns) / 1e6 / requests;
  }
  state.counters["spans_per_lookup"] = static_cast<double>(spans) / n;
  state.counters["build_s"] = f.build_seconds;
}

void BM_TraceByIdHit1000Blocks(benchmark::State& state) {
  Lookups(state, true);
}
void BM_TraceByIdMiss1000Blocks(benchmark::State& state) {
  Lookups(state, false);
}
// The argument is 1 / bloom_filter_false_positive: Tempo's default 0.01,
// 1e-5 (the bloom default before GCS1 fingerprint shards: now 17-bit
// fingerprints) and Andante's default 4e-9 (28-bit fingerprints). Misses run
// 10,000 lookups: the target is 0 GETs in all of them.
BENCHMARK(BM_TraceByIdHit1000Blocks)
    ->ArgName("inverse_bloom_fp")
    ->Arg(100)
    ->Arg(100000)
    ->Arg(250000000)
    ->Iterations(2000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TraceByIdMiss1000Blocks)
    ->ArgName("inverse_bloom_fp")
    ->Arg(100)
    ->Arg(100000)
    ->Arg(250000000)
    ->Iterations(10000)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
