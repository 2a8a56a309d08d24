// Jaeger ingest decode paths, decode + translate to OTLP, against the OTLP
// protobuf parse as the baseline, all on the same 1000-span batch from the
// load generator's trace factory:
//
//   BM_OtlpProtoParseArena      OTLP ExportTraceServiceRequest, arena parse
//   BM_JaegerThriftBinaryHttp   POST /api/traces bodies (one Batch per service)
//   BM_JaegerThriftCompactAgent UDP 6831 datagrams (<= 65000 bytes each)
//   BM_JaegerThriftBinaryAgent  UDP 6832 datagrams
//   BM_JaegerProtoPostSpans     gRPC PostSpansRequest bytes -> OTLP (the
//                               wire walker, as the gRPC receiver runs it)
//   BM_JaegerProtoPostSpansFallback  the same for requests the walker leaves
//                               to protobuf: parse, re-encode, walk
//
// Each reports items_per_second = spans/s on one core; the receivers put the
// OTLP output on a per-request (or per-datagram) arena, and so do these.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/loadgen/jaeger_thrift_encode.h"
#include "bench/loadgen/trace_factory.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "jaeger/api_v2/collector.pb.h"
#include "receiver/jaeger/jaeger_proto.h"
#include "receiver/jaeger/jaeger_thrift.h"

namespace andante::internal {
namespace {

namespace jt = ::jaeger::thrift;
using ::google::protobuf::Arena;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

constexpr int kSpans = 1000;

ExportTraceServiceRequest MakeRequest() {
  loadgen::TraceFactory factory(/*seed=*/42);
  return factory.BuildBatch(kSpans, absl::FromUnixSeconds(1700000000), nullptr);
}

google::protobuf::ArenaOptions ArenaOptionsFor(size_t bytes) {
  google::protobuf::ArenaOptions options;
  options.start_block_size = std::max<size_t>(bytes * 4, 64 << 10);
  options.max_block_size = 4 << 20;
  return options;
}

// The proto form of a Thrift batch, as a Jaeger gRPC client would send it.
jaeger::api_v2::KeyValue ToProtoTag(const jt::Tag& tag) {
  jaeger::api_v2::KeyValue kv;
  kv.set_key(tag.key);
  switch (tag.vType) {
    case jt::TagType::STRING:
      kv.set_v_str(tag.vStr);
      break;
    case jt::TagType::DOUBLE:
      kv.set_v_type(jaeger::api_v2::FLOAT64);
      kv.set_v_float64(tag.vDouble);
      break;
    case jt::TagType::BOOL:
      kv.set_v_type(jaeger::api_v2::BOOL);
      kv.set_v_bool(tag.vBool);
      break;
    case jt::TagType::LONG:
      kv.set_v_type(jaeger::api_v2::INT64);
      kv.set_v_int64(tag.vLong);
      break;
    default:
      kv.set_v_type(jaeger::api_v2::BINARY);
      kv.set_v_binary(tag.vBinary);
      break;
  }
  return kv;
}

std::string Id8(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  return out;
}

std::string ToPostSpansRequest(const jt::Batch& batch) {
  jaeger::api_v2::PostSpansRequest request;
  auto* out = request.mutable_batch();
  out->mutable_process()->set_service_name(batch.process.serviceName);
  for (const jt::Tag& tag : batch.process.tags) *out->mutable_process()->add_tags() = ToProtoTag(tag);
  for (const jt::Span& span : batch.spans) {
    auto* s = out->add_spans();
    s->set_trace_id(Id8(span.traceIdHigh) + Id8(span.traceIdLow));
    s->set_span_id(Id8(span.spanId));
    s->set_operation_name(span.operationName);
    s->set_flags(static_cast<uint32_t>(span.flags));
    s->mutable_start_time()->set_seconds(span.startTime / 1000000);
    s->mutable_start_time()->set_nanos(static_cast<int32_t>(span.startTime % 1000000) * 1000);
    s->mutable_duration()->set_seconds(span.duration / 1000000);
    s->mutable_duration()->set_nanos(static_cast<int32_t>(span.duration % 1000000) * 1000);
    if (span.parentSpanId != 0) {
      auto* ref = s->add_references();
      ref->set_trace_id(s->trace_id());
      ref->set_span_id(Id8(span.parentSpanId));
    }
    for (const jt::Tag& tag : span.tags) *s->add_tags() = ToProtoTag(tag);
    for (const jt::Log& log : span.logs) {
      auto* l = s->add_logs();
      l->mutable_timestamp()->set_seconds(log.timestamp / 1000000);
      l->mutable_timestamp()->set_nanos(static_cast<int32_t>(log.timestamp % 1000000) * 1000);
      for (const jt::Tag& tag : log.fields) *l->add_fields() = ToProtoTag(tag);
    }
  }
  return request.SerializeAsString();
}

void Report(benchmark::State& state, size_t bytes, size_t messages) {
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["messages"] = static_cast<double>(messages);
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / kSpans;
}

void BM_OtlpProtoParseArena(benchmark::State& state) {
  const std::string bytes = MakeRequest().SerializeAsString();
  for (auto _ : state) {
    Arena arena(ArenaOptionsFor(bytes.size()));
    auto* req = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
    benchmark::DoNotOptimize(req->ParseFromString(bytes));
  }
  Report(state, bytes.size(), 1);
}
BENCHMARK(BM_OtlpProtoParseArena);

void BM_JaegerThriftBinaryHttp(benchmark::State& state) {
  std::vector<std::string> bodies;
  size_t bytes = 0;
  for (const jt::Batch& batch : loadgen::ToJaegerThriftBatches(MakeRequest())) {
    bodies.push_back(loadgen::EncodeJaegerThriftBatch(batch, ThriftProtocol::kBinary));
    bytes += bodies.back().size();
  }
  for (auto _ : state) {
    for (const std::string& body : bodies) {
      Arena arena(ArenaOptionsFor(body.size()));
      auto* req = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
      absl::Status s = DecodeJaegerThriftBatch(body, ThriftProtocol::kBinary, req);
      if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
      benchmark::DoNotOptimize(req);
    }
  }
  Report(state, bytes, bodies.size());
}
BENCHMARK(BM_JaegerThriftBinaryHttp);

void AgentBench(benchmark::State& state, ThriftProtocol protocol) {
  auto datagrams = loadgen::EncodeJaegerAgentDatagrams(MakeRequest(), protocol, 65000);
  if (!datagrams.ok()) {
    state.SkipWithError(std::string(datagrams.status().message()).c_str());
    return;
  }
  size_t bytes = 0;
  for (const std::string& d : *datagrams) {
    if (d.size() > 65000) state.SkipWithError("datagram over 65000 bytes");
    bytes += d.size();
  }
  for (auto _ : state) {
    for (const std::string& datagram : *datagrams) {
      Arena arena(ArenaOptionsFor(datagram.size()));
      auto* req = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
      absl::Status s = DecodeJaegerAgentMessage(datagram, protocol, req);
      if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
      benchmark::DoNotOptimize(req);
    }
  }
  Report(state, bytes, datagrams->size());
}
void BM_JaegerThriftCompactAgent(benchmark::State& state) {
  AgentBench(state, ThriftProtocol::kCompact);
}
BENCHMARK(BM_JaegerThriftCompactAgent);
void BM_JaegerThriftBinaryAgent(benchmark::State& state) {
  AgentBench(state, ThriftProtocol::kBinary);
}
BENCHMARK(BM_JaegerThriftBinaryAgent);

// `fallback`: each request ends with a field the walker leaves to protobuf
// (Batch field 2, process, sent a second time), so it takes the parse,
// re-encode and walk path that odd encodings pay for.
void ProtoBench(benchmark::State& state, bool fallback) {
  std::vector<std::string> requests;
  size_t bytes = 0;
  for (const jt::Batch& batch : loadgen::ToJaegerThriftBatches(MakeRequest())) {
    requests.push_back(ToPostSpansRequest(batch));
    if (fallback) {
      jaeger::api_v2::PostSpansRequest extra;
      extra.mutable_batch()->mutable_process()->set_service_name(batch.process.serviceName);
      requests.back() += extra.SerializeAsString();
    }
    bytes += requests.back().size();
  }
  for (auto _ : state) {
    for (const std::string& bytes_in : requests) {
      Arena arena(ArenaOptionsFor(bytes_in.size()));
      auto* req = Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
      absl::Status s = DecodeJaegerPostSpans(bytes_in, req);
      if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
      benchmark::DoNotOptimize(req);
    }
  }
  Report(state, bytes, requests.size());
}
void BM_JaegerProtoPostSpans(benchmark::State& state) { ProtoBench(state, false); }
BENCHMARK(BM_JaegerProtoPostSpans);
void BM_JaegerProtoPostSpansFallback(benchmark::State& state) { ProtoBench(state, true); }
BENCHMARK(BM_JaegerProtoPostSpansFallback);

}  // namespace
}  // namespace andante::internal

BENCHMARK_MAIN();
