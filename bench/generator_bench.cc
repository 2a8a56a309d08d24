// Metrics generator hot paths at 10k active series:
//   BM_SpanMetrics      per-span cost of the span-metrics processor, and
//                       memory per active series: the registry's estimate
//                       (bytes_per_series) and glibc's heap in use
//                       (heap_bytes_per_series, malloc overhead included)
//   BM_ServiceGraphs    per-span cost of the service-graph processor (pairs)
//   BM_BothProcessors   both, as the server runs them on the ingest tap
//   BM_OtlpDecode       baseline: protobuf-decoding the same request, the
//                       least work ingest does per span
//   BM_RemoteWrite      collect + encode + snappy of 10k label sets, with
//                       bytes per sample for the batch size
//   BM_GeneratorTap     the MetricsGenerator tap (both processors) on the
//                       load generator's realistic 1000-span batches: compare
//                       with store_push_bench's BM_StorePush (same batches).
//                       Arg 0: the parsed tree; 1: parse the pushed bytes,
//                       then the tree (the old tap); 2: PushWire, the bytes
//                       read in place (the tap the store now uses); 3: a
//                       parsed push as the store now shows it to taps:
//                       serialized, then PushWire
//   BM_SpanMetricsWire / BM_ServiceGraphsWire / BM_BothProcessorsWire: the
//                       processors over views read from the wire bytes
//
//   meson compile -C build generator_bench && build/bench/generator_bench
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "andante/metrics_generator.h"
#include "andante/otlp.h"
#include "andante/metrics_registry.h"
#include "andante/service_graph.h"
#include "andante/span_metrics.h"
#include "bench/loadgen/trace_factory.h"
#include "generator/processor_views.h"
#include "generator/remote_write_encoding.h"
#include "generator/span_batch_view.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::trace::v1::Span;

constexpr int kOperations = 2500;  // x 4 kinds/statuses = 10k label sets
constexpr int kSpansPerRequest = 100;

std::string Bytes(uint64_t v, int n) {
  std::string s(n, '\0');
  for (int i = 0; i < n; ++i) s[i] = static_cast<char>(v >> (8 * (i % 8)));
  return s;
}

void AddAttr(Span* s, const std::string& k, const std::string& v) {
  auto* kv = s->add_attributes();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

// Requests of client/server pairs across 50 services, operations cycling
// through kOperations names so the registry holds ~10k series per metric.
std::vector<ExportTraceServiceRequest> MakeRequests(int count) {
  std::vector<ExportTraceServiceRequest> out;
  uint64_t id = 1;
  int op = 0;
  for (int r = 0; r < count; ++r) {
    ExportTraceServiceRequest req;
    for (int p = 0; p < kSpansPerRequest / 2; ++p, ++op) {
      const int svc = op % 50;
      const uint64_t trace = id++;
      for (int side = 0; side < 2; ++side) {
        auto* rs = req.add_resource_spans();
        auto* kv = rs->mutable_resource()->add_attributes();
        kv->set_key("service.name");
        kv->mutable_value()->set_string_value(
            absl::StrCat("service-", side == 0 ? svc : (svc + 1) % 50));
        auto* rkv = rs->mutable_resource()->add_attributes();
        rkv->set_key("deployment.environment");
        rkv->mutable_value()->set_string_value("prod");
        Span* s = rs->add_scope_spans()->add_spans();
        s->set_trace_id(Bytes(trace, 16));
        s->set_span_id(Bytes(trace * 2 + side, 8));
        if (side == 1) s->set_parent_span_id(Bytes(trace * 2, 8));
        s->set_name(absl::StrCat("GET /api/v1/resource/", op % kOperations));
        s->set_kind(side == 0 ? Span::SPAN_KIND_CLIENT
                              : Span::SPAN_KIND_SERVER);
        s->mutable_status()->set_code(
            op % 7 == 0
                ? andante::otlp::trace::v1::Status::STATUS_CODE_ERROR
                : andante::otlp::trace::v1::Status::STATUS_CODE_UNSET);
        s->set_start_time_unix_nano(1700000000000000000ull + op * 1000);
        s->set_end_time_unix_nano(1700000000000000000ull + op * 1000 +
                                  (op % 1000) * 1000000ull);
        AddAttr(s, "http.method", "GET");
        AddAttr(s, "http.route", "/api/v1/resource/:id");
      }
    }
    out.push_back(std::move(req));
  }
  return out;
}

const std::vector<ExportTraceServiceRequest>& Requests() {
  // Enough requests to cycle through every operation twice.
  static const auto* r =
      new std::vector<ExportTraceServiceRequest>(MakeRequests(200));
  return *r;
}

andante::SpanMetricsOptions SpanOptions() {
  andante::SpanMetricsOptions o;
  o.dimensions = {"http.method", "deployment.environment"};
  return o;
}

void BM_SpanMetrics(benchmark::State& state) {
  (void)Requests();  // built before the heap is measured
  const size_t heap_before = mallinfo2().uordblks;
  andante::MetricsRegistry registry{andante::RegistryOptions{}};
  andante::SpanMetricsProcessor p(SpanOptions(), &registry);
  const absl::Time now = absl::Now();
  // Warm: all series exist.
  for (const auto& r : Requests()) andante::PushRequest(&p, r, now);
  // glibc's count of bytes in use, malloc's overhead included: the
  // registry, the processor and their per-thread scratch.
  const double heap_bytes =
      static_cast<double>(mallinfo2().uordblks - heap_before);
  size_t i = 0;
  for (auto _ : state) {
    andante::PushRequest(&p, Requests()[i++ % Requests().size()], now);
  }
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
  // Per label set: 15 bucket series, _sum, _count, calls, size.
  state.counters["label_sets"] =
      static_cast<double>(registry.active_series()) / 19;
  state.counters["active_series"] =
      static_cast<double>(registry.active_series());
  state.counters["bytes_per_series"] =
      static_cast<double>(registry.ApproximateMemoryBytes()) /
      static_cast<double>(registry.active_series());
  state.counters["heap_bytes_per_series"] =
      heap_bytes / static_cast<double>(registry.active_series());
}
BENCHMARK(BM_SpanMetrics);

void BM_ServiceGraphs(benchmark::State& state) {
  andante::MetricsRegistry registry{andante::RegistryOptions{}};
  andante::ServiceGraphOptions o;
  o.dimensions = {"deployment.environment"};
  andante::ServiceGraphProcessor p(o, &registry);
  const absl::Time now = absl::Now();
  for (const auto& r : Requests()) andante::PushRequest(&p, r, now);
  size_t i = 0;
  for (auto _ : state) {
    andante::PushRequest(&p, Requests()[i++ % Requests().size()], now);
  }
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
  state.counters["pending_edges"] = static_cast<double>(p.pending_edges());
}
BENCHMARK(BM_ServiceGraphs);

void BM_BothProcessors(benchmark::State& state) {
  andante::MetricsRegistry registry{andante::RegistryOptions{}};
  andante::SpanMetricsProcessor sm(SpanOptions(), &registry);
  andante::ServiceGraphProcessor sg(andante::ServiceGraphOptions{}, &registry);
  const absl::Time now = absl::Now();
  for (const auto& r : Requests()) {
    andante::PushRequest(&sm, r, now);
    andante::PushRequest(&sg, r, now);
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& r = Requests()[i++ % Requests().size()];
    andante::PushRequest(&sm, r, now);
    andante::PushRequest(&sg, r, now);
  }
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
}
BENCHMARK(BM_BothProcessors);

const std::vector<std::string>& WireRequests() {
  static const auto* w = [] {
    auto* out = new std::vector<std::string>;
    for (const auto& r : Requests()) out->push_back(r.SerializeAsString());
    return out;
  }();
  return *w;
}

// Runs `push(view, now)` over views read from the wire bytes (the decode
// included), after a warm-up pass that creates every series.
template <class Push>
void RunWire(benchmark::State& state, Push push) {
  andante::internal::SpanBatchView view;
  const absl::Time now = absl::Now();
  for (const auto& w : WireRequests()) {
    view.FromWire(w);
    push(view, now);
  }
  size_t i = 0;
  for (auto _ : state) {
    view.FromWire(WireRequests()[i++ % WireRequests().size()]);
    push(view, now);
  }
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
}

void BM_SpanMetricsWire(benchmark::State& state) {
  andante::MetricsRegistry registry{andante::RegistryOptions{}};
  andante::SpanMetricsProcessor p(SpanOptions(), &registry);
  RunWire(state, [&](const auto& v, absl::Time now) {
    andante::ProcessorViews::Push(p, v, now);
  });
}
BENCHMARK(BM_SpanMetricsWire);

void BM_ServiceGraphsWire(benchmark::State& state) {
  andante::MetricsRegistry registry{andante::RegistryOptions{}};
  andante::ServiceGraphOptions o;
  o.dimensions = {"deployment.environment"};
  andante::ServiceGraphProcessor p(o, &registry);
  RunWire(state, [&](const auto& v, absl::Time now) {
    andante::ProcessorViews::Push(p, v, now);
  });
}
BENCHMARK(BM_ServiceGraphsWire);

void BM_BothProcessorsWire(benchmark::State& state) {
  andante::MetricsRegistry registry{andante::RegistryOptions{}};
  andante::SpanMetricsProcessor sm(SpanOptions(), &registry);
  andante::ServiceGraphProcessor sg(andante::ServiceGraphOptions{}, &registry);
  RunWire(state, [&](const auto& v, absl::Time now) {
    andante::ProcessorViews::Push(sm, v, now);
    andante::ProcessorViews::Push(sg, v, now);
  });
}
BENCHMARK(BM_BothProcessorsWire);

void BM_OtlpDecode(benchmark::State& state) {
  std::vector<std::string> wire;
  for (const auto& r : Requests()) wire.push_back(r.SerializeAsString());
  size_t i = 0;
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    req.ParseFromString(wire[i++ % wire.size()]);
    benchmark::DoNotOptimize(req);
  }
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
}
BENCHMARK(BM_OtlpDecode);

void BM_RemoteWrite(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  andante::RegistryOptions ro;
  ro.external_labels = {{"cluster", "prod"}, {"source", "tempo"}};
  andante::MetricsRegistry registry(ro);
  andante::SpanMetricsProcessor p(SpanOptions(), &registry);
  absl::Time now = absl::Now();
  for (const auto& r : Requests()) andante::PushRequest(&p, r, now);
  registry.Collect(now);  // past the initial zeros
  size_t bytes = 0, raw_bytes = 0, samples = 0;
  for (auto _ : state) {
    now += absl::Seconds(15);
    std::vector<andante::CollectedSample> s = registry.Collect(now);
    for (size_t b = 0; b < s.size(); b += batch) {
      const size_t n = std::min(batch, s.size() - b);
      const std::string raw = andante::internal::EncodeWriteRequest(
          absl::MakeConstSpan(s).subspan(b, n), true);
      const std::string body = andante::internal::SnappyCompress(raw);
      raw_bytes += raw.size();
      bytes += body.size();
    }
    samples += s.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["bytes_per_sample"] =
      static_cast<double>(bytes) / static_cast<double>(samples);
  state.counters["raw_bytes_per_sample"] =
      static_cast<double>(raw_bytes) / static_cast<double>(samples);
}
void BM_GeneratorTap(benchmark::State& state) {
  andante::MetricsGeneratorOptions o;
  o.processors = {"span-metrics", "service-graphs"};
  o.ingestion_time_range_slack = absl::ZeroDuration();
  auto gen = andante::MetricsGenerator::Create(o);
  andante::loadgen::TraceFactory factory(1);
  std::vector<ExportTraceServiceRequest> batches;
  for (int i = 0; i < 32; ++i) {
    batches.push_back(factory.BuildBatch(1000, absl::Now(), nullptr));
  }
  std::vector<std::string> wire;
  for (const auto& b : batches) wire.push_back(b.SerializeAsString());
  const int64_t mode = state.range(0);
  int64_t spans = 0;
  size_t i = 0;
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    const size_t k = i++ % batches.size();
    if (mode == 3) {
      (*gen)->PushWire("single-tenant", batches[k].SerializeAsString(), now);
    } else if (mode == 2) {
      (*gen)->PushWire("single-tenant", wire[k], now);
    } else if (mode == 1) {
      ExportTraceServiceRequest req;
      req.ParseFromString(wire[k]);
      andante::PushRequest(gen->get(), "single-tenant", req, now);
    } else {
      andante::PushRequest(gen->get(), "single-tenant", batches[k], now);
    }
    spans += 1000;
  }
  state.SetItemsProcessed(spans);
  state.counters["active_series"] =
      static_cast<double>((*gen)->active_series());
}
BENCHMARK(BM_GeneratorTap)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_RemoteWrite)->Arg(500)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
