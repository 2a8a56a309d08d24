// Store::Search and the tags API (warm: complete blocks' tags are cached
// after the first call, whose time is reported as cold_ms) over ~1M spans of
// the load generator's traces in flushed blocks on the memory backend (5
// blocks, each covering its own time span). The search benchmarks take the
// block format as their argument (/1: v1 rows, each trace decoded whole;
// /2: v2 columns through the column scanner). Each reports, next to its
// time, the bytes read (bytes_read) and spans inspected (spans_inspected)
// per query, as Tempo's search response does, and the spans stored per CPU
// second as items/s (search runs on one thread).
//
//   build/bench/search_bench
//   build/bench/search_bench --benchmark_filter='Scan|Needle'
// (BM_ScanNoSkip is the full scan of a column; BM_ScanSelectiveAttribute and
// BM_ScanAbsentInBounds are answered by the index's key statistics.)
// The *Cold rows are a process's first tags or tag values request, every
// iteration: /1 over blocks with their tag summaries, /0 over the same
// blocks without (as written before summaries: every trace decoded).
//   build/bench/search_bench --benchmark_filter=Cold
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/otlp.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/traceql.h"
#include "bench/block_setup.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "block/block_format.h"
#include "query/tag_summaries.h"

namespace {

using andante::Store;

constexpr int kBatches = 100;
constexpr int kSpansPerBatch = 10000;
constexpr int kBlocks = 5;

struct Env {
  std::string dir;
  std::shared_ptr<andante::Backend> backend;
  std::unique_ptr<Store> store;
  int64_t spans = 0;
  // The blocks' tag summaries (key -> bytes), deleted and written back to
  // compare with blocks without one.
  std::map<std::string, std::string> tag_summaries;
};

// Whether the blocks of `env` have their tag summaries.
void SetTagSummaries(Env& env, bool on) {
  if (env.tag_summaries.empty()) {
    auto blocks = env.backend->List(andante::kSingleTenant);
    if (!blocks.ok()) abort();
    for (const std::string& b : *blocks) {
      const std::string key =
          std::string(andante::kSingleTenant) + "/" + b + "/" +
          std::string(andante::internal::kTagSummaryObjectName);
      auto bytes = env.backend->Read(key);
      if (bytes.ok()) env.tag_summaries[key] = *bytes;
    }
  }
  for (const auto& [key, bytes] : env.tag_summaries) {
    if (!(on ? env.backend->Write(key, bytes) : env.backend->Delete(key)).ok())
      abort();
  }
}

Env& Data(uint32_t version = 2) {
  static Env* envs[3] = {nullptr, nullptr, nullptr};
  Env*& env = envs[version == 1 ? 1 : 2];
  if (env == nullptr) env = [version] {
    auto* e = new Env;
    char tmpl[] = "/tmp/andante-search-bench-XXXXXX";
    e->dir = mkdtemp(tmpl);
    e->backend = andante::OpenMemoryBackend();
    andante::StoreOptions options =
        andante::bench::BenchStoreOptions(e->dir, e->backend);
    options.block.version = version;
    auto store = Store::Open(std::move(options));
    if (!store.ok()) abort();
    e->store = std::move(*store);
    andante::loadgen::TraceFactory factory(42);
    absl::Time t = absl::Now() - absl::Hours(2);
    for (int b = 0; b < kBatches; ++b) {
      auto request = factory.BuildBatch(kSpansPerBatch,
                                        t + absl::Seconds(30 * b), nullptr);
      if (!e->store->Push(andante::kSingleTenant, request).ok()) abort();
      e->spans += kSpansPerBatch;
      if ((b + 1) % (kBatches / kBlocks) == 0 && !e->store->Flush().ok())
        abort();
    }
    return e;
  }();
  return *env;
}

void RunSearch(benchmark::State& state, const char* text, uint32_t limit) {
  Env& env = Data(static_cast<uint32_t>(state.range(0)));
  auto query = andante::traceql::Query::Parse(text);
  if (!query.ok()) {
    state.SkipWithError(std::string(query.status().message()).c_str());
    return;
  }
  andante::SearchOptions options;
  options.limit = limit;
  andante::SearchMetrics metrics;
  size_t found = 0;
  for (auto _ : state) {
    auto r = env.store->Search(andante::kSingleTenant, *query, options);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    metrics = r->metrics;
    found = r->traces.size();
  }
  state.counters["bytes_read"] = static_cast<double>(metrics.inspected_bytes);
  state.counters["spans_inspected"] =
      static_cast<double>(metrics.inspected_spans);
  state.counters["traces_found"] = static_cast<double>(found);
  state.counters["blocks_skipped"] = metrics.skipped_blocks;
  // Spans stored (searched or skipped) per second.
  state.SetItemsProcessed(state.iterations() * env.spans);
}

// Both block formats.
void Formats(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
}

void BM_SelectiveLimit20(benchmark::State& state) {
  RunSearch(state,
            R"({ resource.service.name = "frontend" && status = error })", 20);
}
BENCHMARK(BM_SelectiveLimit20)->Apply(Formats);

// The issue's example: a resource and a span attribute on one span.
void BM_SelectiveSpanAttributeLimit20(benchmark::State& state) {
  RunSearch(
      state,
      R"({ resource.service.name = "frontend" && span.http.status_code = 500 })",
      20);
}
BENCHMARK(BM_SelectiveSpanAttributeLimit20)->Apply(Formats);

// A filter and the same filter with a per-trace aggregate (or-mode: no span
// prefilter; each trace is evaluated whole), both limit 20.
void BM_DurationFilter(benchmark::State& state) {
  RunSearch(state, "{ duration > 1s }", 20);
}
BENCHMARK(BM_DurationFilter)->Apply(Formats);

void BM_DurationFilterCount(benchmark::State& state) {
  RunSearch(state, "{ duration > 1s } | count() > 2", 20);
}
BENCHMARK(BM_DurationFilterCount)->Apply(Formats);

void BM_Limit20MatchAll(benchmark::State& state) {
  RunSearch(state, "{ }", 20);
}
BENCHMARK(BM_Limit20MatchAll)->Apply(Formats);

// A selective attribute query that matches nothing: an int value, which the
// string summaries cannot rule out, so every block is scanned (the span
// attribute column of each page).
void BM_ScanSelectiveAttribute(benchmark::State& state) {
  RunSearch(state, R"({ span.http.status_code = 599 })", 20);
}
BENCHMARK(BM_ScanSelectiveAttribute)->Apply(Formats)->MinTime(2);

// A status code between the stored ones (200, 201, 500), matching nothing:
// every page's distinct int values rule it out.
void BM_ScanAbsentInBounds(benchmark::State& state) {
  RunSearch(state, R"({ span.http.status_code = 302 })", 20);
}
BENCHMARK(BM_ScanAbsentInBounds)->Apply(Formats)->MinTime(2);

// Matches nothing, but no summary can tell (each condition alone holds on
// some span of every page): the full scan of the span attribute column.
void BM_ScanNoSkip(benchmark::State& state) {
  RunSearch(
      state,
      R"({ span.http.status_code > 200 && span.http.status_code < 201 })", 20);
}
BENCHMARK(BM_ScanNoSkip)->Apply(Formats)->MinTime(2);

// Two conditions over resource and span columns, matching nothing.
void BM_ScanSelectiveTwoColumns(benchmark::State& state) {
  RunSearch(
      state,
      R"({ resource.service.name = "frontend" && span.http.status_code = 599 })",
      20);
}
BENCHMARK(BM_ScanSelectiveTwoColumns)->Apply(Formats)->MinTime(2);

// A broad query: every span with a status code passes the filter, and the
// pipeline evaluates every trace (no result: the count never exceeds it).
void BM_ScanBroad(benchmark::State& state) {
  RunSearch(state, R"({ span.http.status_code >= 200 } | count() > 100000)",
            20);
}
BENCHMARK(BM_ScanBroad)->Apply(Formats)->MinTime(2);

void BM_NeedleFullScan(benchmark::State& state) {
  RunSearch(state, R"({ span.user.id = "u-4242" })", 20);
}
BENCHMARK(BM_NeedleFullScan)->Apply(Formats)->MinTime(2);

void BM_Tags(benchmark::State& state) {
  Env& env = Data();
  andante::TagsResult r;
  // The first call of the process reads every block and fills the
  // per-block cache; the benchmark's own runs are warm.
  static double cold_ms = -1;
  absl::Time cold = absl::Now();
  if (!env.store
           ->SearchTags(andante::kSingleTenant, andante::TagScope::kAll, {})
           .ok())
    abort();
  if (cold_ms < 0) cold_ms = absl::ToDoubleMilliseconds(absl::Now() - cold);
  state.counters["cold_ms"] = cold_ms;
  for (auto _ : state) {
    auto tags = env.store->SearchTags(andante::kSingleTenant,
                                      andante::TagScope::kAll, {});
    if (!tags.ok()) abort();
    r = *tags;
  }
  state.counters["bytes_read"] = static_cast<double>(r.inspected_bytes);
  state.counters["tags"] =
      static_cast<double>(r.resource.size() + r.span.size());
}
BENCHMARK(BM_Tags)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TagValues(benchmark::State& state) {
  Env& env = Data();
  auto tag = andante::TagName::Parse("resource.service.name");
  andante::TagValuesResult r;
  static double cold_ms = -1;
  absl::Time cold = absl::Now();
  if (!env.store->SearchTagValues(andante::kSingleTenant, *tag, {}).ok())
    abort();
  if (cold_ms < 0) cold_ms = absl::ToDoubleMilliseconds(absl::Now() - cold);
  state.counters["cold_ms"] = cold_ms;
  for (auto _ : state) {
    auto values = env.store->SearchTagValues(andante::kSingleTenant, *tag, {});
    if (!values.ok()) abort();
    r = *values;
  }
  state.counters["bytes_read"] = static_cast<double>(r.inspected_bytes);
  state.counters["values"] = static_cast<double>(r.values.size());
}
BENCHMARK(BM_TagValues)->Unit(benchmark::kMillisecond)->UseRealTime();

// A process's first request, every iteration (the tags caches dropped
// first), over blocks with their tag summaries (/1) or without (/0: blocks
// written before summaries; every trace of every block read and decoded).
void RunCold(benchmark::State& state,
             const std::function<uint64_t(Store&)>& request) {
  Env& env = Data();
  SetTagSummaries(env, state.range(0) == 1);
  uint64_t bytes = 0;
  for (auto _ : state) {
    andante::query::DropTagCachesForTesting();
    bytes = request(*env.store);
  }
  SetTagSummaries(env, true);
  andante::query::DropTagCachesForTesting();
  state.counters["bytes_read"] = static_cast<double>(bytes);
}

void BM_TagsCold(benchmark::State& state) {
  RunCold(state, [](Store& store) {
    auto tags =
        store.SearchTags(andante::kSingleTenant, andante::TagScope::kAll, {});
    if (!tags.ok()) abort();
    return tags->inspected_bytes;
  });
}
BENCHMARK(BM_TagsCold)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// `tag`'s values, cold.
void ColdValues(benchmark::State& state, const char* tag) {
  auto name = andante::TagName::Parse(tag);
  if (!name.ok()) abort();
  RunCold(state, [&](Store& store) {
    auto values = store.SearchTagValues(andante::kSingleTenant, *name, {});
    if (!values.ok()) abort();
    return values->inspected_bytes;
  });
}
void BM_TagValuesServiceCold(benchmark::State& state) {
  ColdValues(state, "resource.service.name");
}
BENCHMARK(BM_TagValuesServiceCold)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
void BM_TagValuesStatusCodeCold(benchmark::State& state) {
  ColdValues(state, "span.http.status_code");
}
BENCHMARK(BM_TagValuesStatusCodeCold)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
void BM_TagValuesNameCold(benchmark::State& state) {
  ColdValues(state, "name");
}
BENCHMARK(BM_TagValuesNameCold)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
