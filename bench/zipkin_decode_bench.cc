// Zipkin receiver decode + translate throughput against the OTLP protobuf
// path, on the same 1000-span batch from the load generator's trace factory
// (bench/loadgen/trace_factory.h) re-encoded as the collector's Zipkin
// exporter would send it (receiver/zipkin/zipkin_test_encoder.h).
//
//   BM_OtlpProtoParseArena   baseline: arena parse of the OTLP request
//   BM_ZipkinV2Json          DecodeZipkinSpans, v2 JSON (SAX) -> OTLP, arena
//   BM_ZipkinV2Proto         DecodeZipkinSpans, v2 protobuf -> OTLP, arena
//   BM_ZipkinV2JsonParseOnly the SAX pass into the span batch, no translation
//   BM_NlohmannDomParse      for comparison: nlohmann DOM parse of the body
//
// items/s is spans/s on one core; compare BM_ZipkinV2* with the baseline.
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "bench/loadgen/trace_factory.h"
#include "google/protobuf/arena.h"
#include "nlohmann/json.hpp"
#include "receiver/zipkin/zipkin_decode.h"
#include "receiver/zipkin/zipkin_json.h"
#include "receiver/zipkin/zipkin_test_encoder.h"

namespace andante::internal {
namespace {

using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr int kSpans = 1000;

const ExportTraceServiceRequest& Batch() {
  static const ExportTraceServiceRequest* const kBatch = [] {
    loadgen::TraceFactory factory(/*seed=*/42);
    return new ExportTraceServiceRequest(
        factory.BuildBatch(kSpans, absl::FromUnixSeconds(1700000000), nullptr));
  }();
  return *kBatch;
}

google::protobuf::ArenaOptions ArenaOpts() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 1 << 20;
  options.max_block_size = 4 << 20;
  return options;
}

void Report(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["request_bytes"] = static_cast<double>(bytes);
  state.counters["ns_per_span"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSpans),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_OtlpProtoParseArena(benchmark::State& state) {
  const std::string bytes = Batch().SerializeAsString();
  for (auto _ : state) {
    google::protobuf::Arena arena(ArenaOpts());
    auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
    if (!req->ParseFromString(bytes)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(req);
  }
  Report(state, bytes.size());
}
BENCHMARK(BM_OtlpProtoParseArena);

void Decode(benchmark::State& state, const std::string& body, ZipkinFormat format) {
  for (auto _ : state) {
    google::protobuf::Arena arena(ArenaOpts());
    auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
    absl::Status s = DecodeZipkinSpans(body, format, req);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(req);
  }
  Report(state, body.size());
}

void BM_ZipkinV2Json(benchmark::State& state) {
  Decode(state, zipkin_test::ZipkinJsonFromOtlp(Batch()), ZipkinFormat::kV2Json);
}
BENCHMARK(BM_ZipkinV2Json);

void BM_ZipkinV2Proto(benchmark::State& state) {
  Decode(state, zipkin_test::ZipkinProtoFromOtlp(Batch()), ZipkinFormat::kV2Proto);
}
BENCHMARK(BM_ZipkinV2Proto);

void BM_ZipkinV2JsonParseOnly(benchmark::State& state) {
  const std::string body = zipkin_test::ZipkinJsonFromOtlp(Batch());
  ZipkinSpanBatch batch;
  for (auto _ : state) {
    batch.Clear();
    absl::Status s = ParseZipkinV2Json(body, &batch);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(batch.spans.data());
  }
  Report(state, body.size());
}
BENCHMARK(BM_ZipkinV2JsonParseOnly);

void BM_NlohmannDomParse(benchmark::State& state) {
  const std::string body = zipkin_test::ZipkinJsonFromOtlp(Batch());
  for (auto _ : state) {
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    benchmark::DoNotOptimize(doc);
  }
  Report(state, body.size());
}
BENCHMARK(BM_NlohmannDomParse);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
