// TraceQL engine: parse cost, and evaluation throughput (spans/s, reported
// as items/s) over ~200k spans of the load generator's traces converted to
// traceql::Trace once up front (conversion is not measured).
//
//   build/bench/traceql_bench --benchmark_filter=Eval
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "andante/traceql.h"
#include "andante/traceql_otlp.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "model/trace_split.h"

namespace {

using andante::traceql::Matcher;
using andante::traceql::Query;
using andante::traceql::SpanSet;
using andante::traceql::Trace;

struct Dataset {
  std::vector<Trace> traces;
  int64_t spans = 0;
};

const Dataset& Data() {
  static const Dataset* data = [] {
    auto* d = new Dataset;
    andante::loadgen::TraceFactory factory(7);
    for (int batch = 0; batch < 20; ++batch) {
      auto request = factory.BuildBatch(10000, absl::Now(), nullptr);
      auto fragments = andante::internal::SplitByTrace(request);
      if (!fragments.ok()) continue;
      for (const auto& f : *fragments) {
        andante::otlp::trace::v1::TracesData td;
        if (!td.ParseFromString(f.data)) continue;
        Trace t;
        if (!andante::traceql::TraceFromOtlp(td, f.id, &t).ok()) continue;
        d->spans += static_cast<int64_t>(t.spans.size());
        d->traces.push_back(std::move(t));
      }
    }
    return d;
  }();
  return *data;
}

void BM_Parse(benchmark::State& state) {
  const std::string text =
      R"({ resource.service.name = "payments" && span.http.status_code >= 500 )"
      R"(&& duration > 100ms } | count() > 2)";
  for (auto _ : state) {
    auto q = Query::Parse(text);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_Parse);

void RunQuery(benchmark::State& state, const char* text) {
  const Dataset& d = Data();
  absl::StatusOr<Query> q = Query::Parse(text);
  if (!q.ok()) {
    state.SkipWithError(std::string(q.status().message()).c_str());
    return;
  }
  Matcher matcher(*q);
  std::vector<SpanSet> sets;
  int64_t matched_traces = 0;
  for (auto _ : state) {
    matched_traces = 0;
    for (const Trace& t : d.traces) {
      if (!matcher.Evaluate(t, &sets).ok()) {
        state.SkipWithError("evaluation failed");
        return;
      }
      matched_traces += !sets.empty();
    }
  }
  state.SetItemsProcessed(state.iterations() * d.spans);
  state.counters["traces"] = static_cast<double>(d.traces.size());
  state.counters["matched_traces"] = static_cast<double>(matched_traces);
}

void BM_EvalSelective(benchmark::State& state) {
  RunQuery(
      state,
      R"({ resource.service.name = "payments" && span.http.status_code = 500 })");
}
BENCHMARK(BM_EvalSelective)->Unit(benchmark::kMillisecond);

void BM_EvalNeedleAbsentKey(benchmark::State& state) {
  RunQuery(state, R"({ span.user.id = "u-4242" })");
}
BENCHMARK(BM_EvalNeedleAbsentKey)->Unit(benchmark::kMillisecond);

void BM_EvalNeedleAbsentValue(benchmark::State& state) {
  RunQuery(state, R"({ span.http.method = "PATCH" })");
}
BENCHMARK(BM_EvalNeedleAbsentValue)->Unit(benchmark::kMillisecond);

void BM_EvalDurationFilter(benchmark::State& state) {
  RunQuery(state, "{ duration > 1s }");
}
BENCHMARK(BM_EvalDurationFilter)->Unit(benchmark::kMillisecond);

void BM_EvalDurationCount(benchmark::State& state) {
  RunQuery(state, "{ duration > 1s } | count() > 2");
}
BENCHMARK(BM_EvalDurationCount)->Unit(benchmark::kMillisecond);

void BM_EvalDuration100msCount(benchmark::State& state) {
  RunQuery(state, "{ duration > 100ms } | count() > 2");
}
BENCHMARK(BM_EvalDuration100msCount)->Unit(benchmark::kMillisecond);

void BM_EvalRegex(benchmark::State& state) {
  RunQuery(state, R"({ name =~ "GET /api/.*" })");
}
BENCHMARK(BM_EvalRegex)->Unit(benchmark::kMillisecond);

void BM_EvalStructural(benchmark::State& state) {
  RunQuery(state, "{ kind = server } >> { status = error }");
}
BENCHMARK(BM_EvalStructural)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
