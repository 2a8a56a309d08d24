// OTLP ingest decode path: protobuf parse, split by trace, the wire-bytes
// split that replaces both for protobuf requests, OTLP/JSON parse.
//
// The request is what a busy collector sends: 1000 spans = 100 traces x 10
// spans over 5 services, HTTP server/client spans and DB spans with the
// usual semantic-convention attributes (~260 bytes of payload per span).
#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "andante/ids.h"
#include "andante/store.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "model/otlp_json.h"
#include "model/otlp_nesting.h"
#include "model/trace_split.h"
#include "nlohmann/json.hpp"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::Span;

constexpr int kTraces = 100;
constexpr int kSpansPerTrace = 10;
constexpr int kServices = 5;
constexpr const char* kServiceNames[kServices] = {"frontend", "cart", "checkout",
                                                  "payment", "inventory"};

void Attr(google::protobuf::RepeatedPtrField<KeyValue>* attrs, const char* key,
          const std::string& value) {
  KeyValue* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}
void IntAttr(google::protobuf::RepeatedPtrField<KeyValue>* attrs, const char* key,
             int64_t value) {
  KeyValue* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

ExportTraceServiceRequest MakeRequest() {
  std::mt19937_64 rng(42);
  ExportTraceServiceRequest req;
  ResourceSpans* rs[kServices];
  for (int s = 0; s < kServices; ++s) {
    rs[s] = req.add_resource_spans();
    auto* attrs = rs[s]->mutable_resource()->mutable_attributes();
    Attr(attrs, "service.name", kServiceNames[s]);
    Attr(attrs, "service.version", "1.4.2");
    Attr(attrs, "host.name", absl::StrCat("ip-10-0-1-", 10 + s));
    Attr(attrs, "telemetry.sdk.language", "go");
    auto* ss = rs[s]->add_scope_spans();
    ss->mutable_scope()->set_name("go.opentelemetry.io/contrib/instrumentation/net/http");
    ss->mutable_scope()->set_version("0.46.0");
  }
  const uint64_t base = 1700000000000000000u;
  for (int t = 0; t < kTraces; ++t) {
    TraceId trace_id = TraceId::FromHighLow(rng(), rng());
    uint64_t parent = 0;
    for (int i = 0; i < kSpansPerTrace; ++i) {
      const int service = (t + i) % kServices;
      Span* span = rs[service]->mutable_scope_spans(0)->add_spans();
      span->set_trace_id(std::string(trace_id.bytes()));
      const uint64_t id = rng() | 1;
      span->set_span_id(SpanId(id).ToBytes());
      if (parent != 0) span->set_parent_span_id(SpanId(parent).ToBytes());
      parent = id;
      const uint64_t start = base + t * 1000000000ull + i * 1000000ull;
      span->set_start_time_unix_nano(start);
      span->set_end_time_unix_nano(start + 1000000ull + rng() % 50000000ull);
      span->set_flags(0x101);
      auto* attrs = span->mutable_attributes();
      if (i % 3 == 2) {
        span->set_name("SELECT inventory.items");
        span->set_kind(Span::SPAN_KIND_CLIENT);
        Attr(attrs, "db.system", "postgresql");
        Attr(attrs, "db.name", "inventory");
        Attr(attrs, "db.statement", "SELECT id, sku, qty FROM items WHERE sku = $1");
        Attr(attrs, "net.peer.name", "db.internal");
        IntAttr(attrs, "net.peer.port", 5432);
      } else {
        span->set_name("GET /api/v1/cart/{id}");
        span->set_kind(i % 3 == 0 ? Span::SPAN_KIND_SERVER : Span::SPAN_KIND_CLIENT);
        Attr(attrs, "http.method", "GET");
        Attr(attrs, "http.route", "/api/v1/cart/{id}");
        Attr(attrs, "http.url", absl::StrCat("http://cart:8080/api/v1/cart/", rng() % 100000));
        IntAttr(attrs, "http.status_code", 200);
        Attr(attrs, "user_agent.original", "Go-http-client/1.1");
      }
    }
  }
  return req;
}

// The same request in the OTLP/JSON dialect.
std::string ToOtlpJson(const ExportTraceServiceRequest& req) {
  using nlohmann::json;
  auto attrs_json = [](const auto& attrs) {
    json out = json::array();
    for (const KeyValue& kv : attrs) {
      json value;
      if (kv.value().has_int_value()) {
        value["intValue"] = std::to_string(kv.value().int_value());
      } else {
        value["stringValue"] = kv.value().string_value();
      }
      out.push_back({{"key", kv.key()}, {"value", value}});
    }
    return out;
  };
  auto hex = [](const std::string& bytes) {
    std::string out;
    for (unsigned char c : bytes) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
    return out;
  };
  json rss = json::array();
  for (const ResourceSpans& rs : req.resource_spans()) {
    json spans = json::array();
    for (const Span& s : rs.scope_spans(0).spans()) {
      json span = {{"traceId", hex(s.trace_id())},
                   {"spanId", hex(s.span_id())},
                   {"name", s.name()},
                   {"kind", static_cast<int>(s.kind())},
                   {"flags", s.flags()},
                   {"startTimeUnixNano", std::to_string(s.start_time_unix_nano())},
                   {"endTimeUnixNano", std::to_string(s.end_time_unix_nano())},
                   {"attributes", attrs_json(s.attributes())}};
      if (!s.parent_span_id().empty()) span["parentSpanId"] = hex(s.parent_span_id());
      spans.push_back(span);
    }
    const auto& scope = rs.scope_spans(0).scope();
    rss.push_back(
        {{"resource", {{"attributes", attrs_json(rs.resource().attributes())}}},
         {"scopeSpans",
          json::array({{{"scope", {{"name", scope.name()}, {"version", scope.version()}}},
                        {"spans", spans}}})}});
  }
  return json{{"resourceSpans", rss}}.dump();
}

void BM_ParseProto(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    benchmark::DoNotOptimize(req.ParseFromString(bytes));
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
  state.SetBytesProcessed(state.iterations() * bytes.size());
  state.counters["request_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_ParseProto);

// The same parse with the recursion limit raised (otlp_nesting.h), through a
// CodedInputStream: what every parse of OTLP data in Andante does, the read
// path's TraceCombiner included. Compare with BM_ParseProto.
void BM_ParseOtlpMessage(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    benchmark::DoNotOptimize(andante::internal::ParseOtlpMessage(bytes, &req));
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_ParseOtlpMessage);

void BM_SplitByTrace(benchmark::State& state) {
  const ExportTraceServiceRequest req = MakeRequest();
  for (auto _ : state) {
    auto fragments = SplitByTrace(req);
    benchmark::DoNotOptimize(fragments);
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
}
BENCHMARK(BM_SplitByTrace);

// Parsing into an arena: one allocation block instead of ~25 heap
// allocations per span. What a receiver should do.
void BM_ParseProtoArena(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  google::protobuf::ArenaOptions options;
  options.start_block_size = 1 << 20;
  for (auto _ : state) {
    google::protobuf::Arena arena(options);
    auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
    benchmark::DoNotOptimize(req->ParseFromString(bytes));
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_ParseProtoArena);

// What the OTLP gRPC/HTTP-protobuf receiver does per request.
void BM_ParseProtoAndSplit(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
    req->ParseFromString(bytes);
    auto fragments = SplitByTrace(*req);
    benchmark::DoNotOptimize(fragments);
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
}
BENCHMARK(BM_ParseProtoAndSplit);

// The wire-bytes split that replaced parse + split on the OTLP/gRPC and
// OTLP/HTTP-protobuf paths: same fragments, no message tree.
void BM_SplitSerializedByTrace(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  std::vector<TraceFragment> fragments;
  for (auto _ : state) {
    if (!SplitSerializedByTrace(bytes, &fragments)) {
      state.SkipWithError("wire split declined the request");
      break;
    }
    benchmark::DoNotOptimize(fragments);
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_SplitSerializedByTrace);

// What the receivers do per request now, including the batch around it.
void BM_SpanBatchFromProto(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  for (auto _ : state) {
    absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
    if (!batch.ok()) {
      state.SkipWithError("FromProto failed");
      break;
    }
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
}
BENCHMARK(BM_SpanBatchFromProto);

void BM_ParseOtlpJson(benchmark::State& state) {
  const std::string body = ToOtlpJson(MakeRequest());
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    absl::Status s = ParseOtlpJson(body, &req);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(req);
  }
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["request_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseOtlpJson);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
