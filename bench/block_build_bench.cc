// Block format v1 hot paths: building a block from sorted traces and finding
// one trace by ID in a block on local disk.
//
// Traces are synthetic but shaped like real OTLP: each is a serialized
// TracesData (hand-encoded protobuf wire format, field numbers from
// opentelemetry/proto/trace/v1/trace.proto) with 1-3 services, 4-40 spans,
// random trace/span IDs, nanosecond timestamps, and http.*, db.* and rpc.*
// attributes whose values mix a small vocabulary with random parts (IDs in
// URLs and SQL). About 260 payload bytes per span, as in the target.
//
//   build-block/bench/block_build_bench --benchmark_counters_tabular=true
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "benchmark/benchmark.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "block/block_reader.h"

namespace andante::internal {
namespace {

// ---- a minimal protobuf writer --------------------------------------------

void Varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void Tag(std::string* out, int field, int wire) {
  Varint(out, field << 3 | wire);
}
void Bytes(std::string* out, int field, std::string_view v) {
  Tag(out, field, 2);
  Varint(out, v.size());
  out->append(v);
}
void Uint(std::string* out, int field, uint64_t v) {
  Tag(out, field, 0);
  Varint(out, v);
}
void Fixed64(std::string* out, int field, uint64_t v) {
  Tag(out, field, 1);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
// KeyValue{key, AnyValue{string_value | int_value}}.
void StrAttr(std::string* out, int field, std::string_view key,
             std::string_view value) {
  std::string any, kv;
  Bytes(&any, 1, value);
  Bytes(&kv, 1, key);
  Bytes(&kv, 2, any);
  Bytes(out, field, kv);
}
void IntAttr(std::string* out, int field, std::string_view key, int64_t value) {
  std::string any, kv;
  Uint(&any, 3, static_cast<uint64_t>(value));
  Bytes(&kv, 1, key);
  Bytes(&kv, 2, any);
  Bytes(out, field, kv);
}

std::string RawBytes(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(rng()));
  return s;
}

struct SyntheticTrace {
  TraceId id;
  std::string data;
  uint64_t start = 0, end = 0;
  uint32_t spans = 0;
};

const char* const kServices[] = {
    "frontend", "checkout", "cart",           "payment", "shipping",
    "currency", "catalog",  "recommendation", "email",   "ad"};
const char* const kTables[] = {"orders",   "users",    "carts",
                               "products", "payments", "shipments"};
const char* const kMethods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};

SyntheticTrace MakeTrace(std::mt19937_64& rng) {
  SyntheticTrace t;
  std::string trace_id = RawBytes(rng, 16);
  t.id = *TraceId::FromBytes(trace_id);
  const uint64_t t0 =
      1'700'000'000'000'000'000ull + rng() % 3'600'000'000'000ull;
  t.start = t0;
  t.end = t0;
  std::string root_span = RawBytes(rng, 8);
  std::string traces_data;
  int services = 1 + static_cast<int>(rng() % 3);
  for (int s = 0; s < services; ++s) {
    const char* service = kServices[rng() % std::size(kServices)];
    std::string resource, scope_spans, scope;
    StrAttr(&resource, 1, "service.name", service);
    StrAttr(&resource, 1, "service.version", "1.4.2");
    StrAttr(&resource, 1, "host.name",
            absl::StrCat(service, "-7d9f8c6b5-", rng() % 5));
    StrAttr(&resource, 1, "telemetry.sdk.language", "go");
    Bytes(&scope, 1, "go.opentelemetry.io/contrib/instrumentation/net/http");
    Bytes(&scope, 2, "0.46.1");
    Bytes(&scope_spans, 1, scope);
    int spans = 4 + static_cast<int>(rng() % 12);
    std::string parent = root_span;
    for (int i = 0; i < spans; ++i) {
      std::string span;
      std::string span_id = (s == 0 && i == 0) ? root_span : RawBytes(rng, 8);
      Bytes(&span, 1, trace_id);
      Bytes(&span, 2, span_id);
      if (!(s == 0 && i == 0)) Bytes(&span, 4, parent);
      uint64_t start = t0 + rng() % 50'000'000;
      uint64_t end = start + 1000 + rng() % 20'000'000;
      t.end = std::max(t.end, end);
      int kind = static_cast<int>(rng() % 3);
      if (kind == 0) {
        const char* method = kMethods[rng() % std::size(kMethods)];
        Bytes(&span, 5, absl::StrCat(method, " /api/v1/", service, "/{id}"));
        Uint(&span, 6, 2);  // SERVER
        Fixed64(&span, 7, start);
        Fixed64(&span, 8, end);
        StrAttr(&span, 9, "http.method", method);
        StrAttr(&span, 9, "http.url",
                absl::StrCat("https://shop.example.com/api/v1/", service, "/",
                             rng() % 1'000'000, "?session=", rng() % 100'000));
        StrAttr(&span, 9, "http.route",
                absl::StrCat("/api/v1/", service, "/{id}"));
        IntAttr(&span, 9, "http.status_code", rng() % 20 == 0 ? 500 : 200);
      } else if (kind == 1) {
        const char* table = kTables[rng() % std::size(kTables)];
        Bytes(&span, 5, absl::StrCat("SELECT ", table));
        Uint(&span, 6, 3);  // CLIENT
        Fixed64(&span, 7, start);
        Fixed64(&span, 8, end);
        StrAttr(&span, 9, "db.system", "postgresql");
        StrAttr(&span, 9, "db.name", "shop");
        StrAttr(&span, 9, "db.statement",
                absl::StrCat("SELECT * FROM ", table,
                             " WHERE id = ", rng() % 10'000'000, " LIMIT 1"));
      } else {
        Bytes(&span, 5, absl::StrCat("oteldemo.", service, "Service/Get"));
        Uint(&span, 6, 3);
        Fixed64(&span, 7, start);
        Fixed64(&span, 8, end);
        StrAttr(&span, 9, "rpc.system", "grpc");
        StrAttr(&span, 9, "rpc.service",
                absl::StrCat("oteldemo.", service, "Service"));
        StrAttr(&span, 9, "net.peer.name", absl::StrCat(service, ":8080"));
        IntAttr(&span, 9, "rpc.grpc.status_code", 0);
      }
      IntAttr(&span, 9, "net.host.port", 8080 + rng() % 4);
      std::string status;
      Uint(&status, 3, 1);  // STATUS_CODE_OK
      Bytes(&span, 15, status);
      Bytes(&scope_spans, 2, span);
      ++t.spans;
      parent = span_id;
    }
    std::string resource_spans;
    Bytes(&resource_spans, 1, resource);
    Bytes(&resource_spans, 2, scope_spans);
    Bytes(&traces_data, 1, resource_spans);
  }
  t.data = std::move(traces_data);
  return t;
}

std::vector<SyntheticTrace> MakeTraces(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<SyntheticTrace> traces;
  traces.reserve(n);
  for (size_t i = 0; i < n; ++i) traces.push_back(MakeTrace(rng));
  std::sort(traces.begin(), traces.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return traces;
}

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 +
         static_cast<double>(ts.tv_nsec) / 1e3;
}

absl::StatusOr<BlockMeta> BuildBlock(const std::vector<SyntheticTrace>& traces,
                                     const BlockOptions& options,
                                     Backend& backend) {
  BlockBuilder builder(options, backend, "bench", NewBlockId(), traces.size());
  for (const SyntheticTrace& t : traces) {
    absl::Status s = builder.Add(t.id, t.data, t.start, t.end, t.spans);
    if (!s.ok()) return s;
  }
  return builder.Finish();
}

// Builds a block of 10^4 traces (~130k spans, ~35 MB raw) into memory. Arg:
// page size in KiB.
void BM_BlockBuild(benchmark::State& state) {
  static const std::vector<SyntheticTrace>* traces =
      new std::vector<SyntheticTrace>(MakeTraces(10'000, 1));
  BlockOptions options;
  options.page_size_bytes = static_cast<uint64_t>(state.range(0)) << 10;
  uint64_t raw = 0, spans = 0;
  for (const SyntheticTrace& t : *traces) {
    raw += t.data.size();
    spans += t.spans;
  }
  BlockMeta meta;
  for (auto _ : state) {
    std::unique_ptr<Backend> backend = OpenMemoryBackend();
    absl::StatusOr<BlockMeta> built = BuildBlock(*traces, options, *backend);
    if (!built.ok()) {
      state.SkipWithError(std::string(built.status().message()).c_str());
      return;
    }
    meta = *built;
  }
  uint64_t stored = meta.data_bytes + meta.index_bytes + meta.bloom_bytes;
  state.SetItemsProcessed(state.iterations() * traces->size());
  state.SetBytesProcessed(state.iterations() * raw);
  state.counters["bytes_per_span"] =
      static_cast<double>(stored) / static_cast<double>(spans);
  state.counters["raw_bytes_per_span"] =
      static_cast<double>(raw) / static_cast<double>(spans);
  state.counters["pages"] = meta.total_pages;
}
BENCHMARK(BM_BlockBuild)
    ->Arg(64)
    ->Arg(256)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

// Finds random present traces in a block of 2*10^4 traces in a local
// directory under /tmp, with bloom shards and index cached (the page read is
// served by the OS page cache). Arg: page size in KiB. Reports p50/p99 of the
// individual lookups.
void BM_BlockFind(benchmark::State& state) {
  static const std::vector<SyntheticTrace>* traces =
      new std::vector<SyntheticTrace>(MakeTraces(20'000, 2));
  BlockOptions options;
  options.page_size_bytes = static_cast<uint64_t>(state.range(0)) << 10;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              absl::StrCat("andante-block-bench-", ::getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<Backend>> local = OpenLocalBackend(dir);
  if (!local.ok()) {
    state.SkipWithError("cannot open local backend");
    return;
  }
  std::shared_ptr<Backend> backend = *std::move(local);
  absl::StatusOr<BlockMeta> meta = BuildBlock(*traces, options, *backend);
  if (!meta.ok()) {
    state.SkipWithError(std::string(meta.status().message()).c_str());
    return;
  }
  std::unique_ptr<BlockReader> reader = *BlockReader::Open(backend, *meta);
  for (const SyntheticTrace& t : *traces) {  // warm bloom + index
    if (!reader->Find(t.id).ok()) break;
    if (&t - traces->data() > 2000) break;
  }

  std::mt19937_64 rng(3);
  // Wall time includes waiting for a CPU on a busy machine; thread CPU time
  // is the lookup's own cost. Both are reported.
  std::vector<double> micros, cpu_micros;
  uint64_t inspected = 0;
  for (auto _ : state) {
    const SyntheticTrace& t = (*traces)[rng() % traces->size()];
    auto begin = std::chrono::steady_clock::now();
    double cpu_begin = ThreadCpuMicros();
    absl::StatusOr<std::optional<std::string>> got =
        reader->Find(t.id, &inspected);
    cpu_micros.push_back(ThreadCpuMicros() - cpu_begin);
    auto end = std::chrono::steady_clock::now();
    if (!got.ok() || !got->has_value()) {
      state.SkipWithError("lookup failed");
      break;
    }
    micros.push_back(
        std::chrono::duration<double, std::micro>(end - begin).count());
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  if (!micros.empty()) {
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[micros.size() * 99 / 100];
    state.counters["p99_cpu_us"] = cpu_micros[cpu_micros.size() * 99 / 100];
    state.counters["bytes_read_per_lookup"] =
        static_cast<double>(inspected) / static_cast<double>(micros.size());
  }
  state.SetItemsProcessed(state.iterations());
  reader.reset();
  backend.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BlockFind)->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
