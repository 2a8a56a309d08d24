// Zipkin receiver decode + translate throughput against the OTLP protobuf
// path, on the same 1000-span batch from the load generator's trace factory
// (bench/loadgen/trace_factory.h) re-encoded as the collector's Zipkin
// exporter would send it (receiver/zipkin/zipkin_test_encoder.h).
//
//   BM_OtlpProtoParseArena      baseline: arena parse of the OTLP request
//   BM_ZipkinV2Json             DecodeZipkinSpans, v2 JSON -> OTLP, arena
//   BM_ZipkinV2Proto            DecodeZipkinSpans, v2 protobuf -> OTLP, arena
//   BM_ZipkinV2JsonParseOnly    ParseZipkinV2Json into the span batch (the
//                               simdjson path), no translation
//   BM_ZipkinV2JsonSaxParseOnly the nlohmann SAX reference alone, which
//                               decodes whatever the simdjson path declines
//   BM_ZipkinV2JsonFallback     ParseZipkinV2Json on a body with one invalid
//                               UTF-8 byte: declined, then the reference
//   BM_NlohmannDomParse         for comparison: nlohmann DOM parse of the body
//   BM_ZipkinV2JsonSimdMatchesSax  not a timing: fails unless both JSON paths
//                               give the same batch for 20 trace-factory seeds
//
// items/s is spans/s on one core; compare BM_ZipkinV2* with the baseline.
#include <cstdint>
#include <string>
#include <tuple>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "bench/loadgen/trace_factory.h"
#include "google/protobuf/arena.h"
#include "nlohmann/json.hpp"
#include "receiver/zipkin/zipkin_decode.h"
#include "receiver/zipkin/zipkin_json.h"
#include "receiver/zipkin/zipkin_json_sax.h"
#include "receiver/zipkin/zipkin_json_simd.h"
#include "tests/testing/zipkin_test_encoder.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

constexpr int kSpans = 1000;

ExportTraceServiceRequest BuildBatch(uint64_t seed) {
  loadgen::TraceFactory factory(seed);
  return factory.BuildBatch(kSpans, absl::FromUnixSeconds(1700000000), nullptr);
}

const ExportTraceServiceRequest& Batch() {
  static const ExportTraceServiceRequest* const kBatch =
      new ExportTraceServiceRequest(BuildBatch(/*seed=*/42));
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

void ParseOnly(benchmark::State& state, const std::string& body,
               absl::Status (*parse)(std::string_view, ZipkinSpanBatch*)) {
  ZipkinSpanBatch batch;
  for (auto _ : state) {
    batch.Clear();
    absl::Status s = parse(body, &batch);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(batch.spans.data());
  }
  Report(state, body.size());
}

void BM_ZipkinV2JsonParseOnly(benchmark::State& state) {
  ParseOnly(state, zipkin_test::ZipkinJsonFromOtlp(Batch()), ParseZipkinV2Json);
}
BENCHMARK(BM_ZipkinV2JsonParseOnly);

void BM_ZipkinV2JsonSaxParseOnly(benchmark::State& state) {
  ParseOnly(state, zipkin_test::ZipkinJsonFromOtlp(Batch()), ParseZipkinV2JsonSax);
}
BENCHMARK(BM_ZipkinV2JsonSaxParseOnly);

void BM_ZipkinV2JsonFallback(benchmark::State& state) {
  std::string body = zipkin_test::ZipkinJsonFromOtlp(Batch());
  body.insert(body.find("\"name\":\"") + 8, "\xff");  // inside the first name
  ParseOnly(state, body, ParseZipkinV2Json);
}
BENCHMARK(BM_ZipkinV2JsonFallback);

// Field-by-field equality of two batches, strings by value.
bool SameBatch(const ZipkinSpanBatch& a, const ZipkinSpanBatch& b) {
  auto endpoint = [](const ZipkinEndpoint& e) {
    return std::tie(e.service_name, e.ipv4, e.ipv6, e.port);
  };
  auto span = [&](const ZipkinSpan& s) {
    return std::tuple_cat(
        std::tie(s.trace_id_high, s.trace_id_low, s.id, s.parent_id, s.start_unix_nano,
                 s.duration_nanos, s.timestamp_absent, s.kind, s.name, s.tags_begin, s.tags_end,
                 s.annotations_begin, s.annotations_end),
        endpoint(s.local_endpoint), endpoint(s.remote_endpoint));
  };
  if (a.spans.size() != b.spans.size() || a.tags.size() != b.tags.size() ||
      a.annotations.size() != b.annotations.size()) {
    return false;
  }
  for (size_t i = 0; i < a.spans.size(); ++i) {
    if (span(a.spans[i]) != span(b.spans[i])) return false;
  }
  for (size_t i = 0; i < a.tags.size(); ++i) {
    if (a.tags[i].key != b.tags[i].key || a.tags[i].value != b.tags[i].value) return false;
  }
  for (size_t i = 0; i < a.annotations.size(); ++i) {
    if (a.annotations[i].time_unix_nano != b.annotations[i].time_unix_nano ||
        a.annotations[i].value != b.annotations[i].value) {
      return false;
    }
  }
  return true;
}

void BM_ZipkinV2JsonSimdMatchesSax(benchmark::State& state) {
  for (auto _ : state) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      const std::string body = zipkin_test::ZipkinJsonFromOtlp(BuildBatch(seed));
      ZipkinSpanBatch simd, sax;
      if (!TryParseZipkinV2JsonSimd(body, &simd)) {
        state.SkipWithError(("simdjson path declined seed " + std::to_string(seed)).c_str());
        return;
      }
      if (!ParseZipkinV2JsonSax(body, &sax).ok() || !SameBatch(simd, sax)) {
        state.SkipWithError(("paths disagree on seed " + std::to_string(seed)).c_str());
        return;
      }
    }
  }
}
BENCHMARK(BM_ZipkinV2JsonSimdMatchesSax)->Iterations(1);

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
