// Embedding Andante: store and query traces in-process, no server, no
// sockets.
//
//   build/examples/embed_store [DIR]
//
// Opens a store under DIR (default: a fresh temp dir), pushes one trace of
// three spans, finds it while it is live, flushes it into a block on local
// disk, reopens the store and finds it again.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"

namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::trace::v1::Span;

ExportTraceServiceRequest MakeTrace(const andante::TraceId& trace) {
  ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("checkout");
  auto* scope = rs->add_scope_spans();
  scope->mutable_scope()->set_name("embed-example");
  const char* names[] = {"POST /checkout", "SELECT orders", "charge card"};
  for (uint64_t i = 0; i < 3; ++i) {
    Span* span = scope->add_spans();
    span->set_trace_id(std::string(trace.bytes()));
    span->set_span_id(andante::SpanId(i + 1).ToBytes());
    if (i > 0) span->set_parent_span_id(andante::SpanId(1).ToBytes());
    span->set_name(names[i]);
    span->set_kind(i == 0 ? Span::SPAN_KIND_SERVER : Span::SPAN_KIND_CLIENT);
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + i * 1000);
    span->set_end_time_unix_nano(1'700'000'000'500'000'000ull);
  }
  return request;
}

absl::StatusOr<std::unique_ptr<andante::Store>> OpenStore(
    const std::string& dir) {
  auto backend = andante::OpenLocalBackend(dir + "/blocks");
  if (!backend.ok()) return backend.status();
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";
  options.backend = std::move(*backend);
  return andante::Store::Open(std::move(options));
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    char tmpl[] = "/tmp/andante-embed-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  auto trace_id =
      andante::TraceId::FromHex("5b8efff798038103d269b633813fc700");
  if (!trace_id.ok()) return Fail(trace_id.status());

  {
    auto store = OpenStore(dir);
    if (!store.ok()) return Fail(store.status());
    auto pushed = (*store)->Push(andante::kSingleTenant, MakeTrace(*trace_id));
    if (!pushed.ok()) return Fail(pushed.status());
    std::printf("pushed %llu spans (durable in the WAL)\n",
                static_cast<unsigned long long>(pushed->spans_accepted));

    auto live = (*store)->FindTraceById(andante::kSingleTenant, *trace_id);
    if (!live.ok()) return Fail(live.status());
    std::printf("found %llu spans while live\n",
                static_cast<unsigned long long>(live->span_count));

    if (absl::Status s = (*store)->Flush(); !s.ok()) return Fail(s);
    std::printf("flushed to a block under %s/blocks\n", dir.c_str());
  }  // Close() on destruction

  auto reopened = OpenStore(dir);
  if (!reopened.ok()) return Fail(reopened.status());
  auto found = (*reopened)->FindTraceById(andante::kSingleTenant, *trace_id);
  if (!found.ok()) return Fail(found.status());
  std::printf("after reopening: %llu spans from the block, first span \"%s\"\n",
              static_cast<unsigned long long>(found->span_count),
              andante::TracesDataOf(*found).resource_spans(0).scope_spans(0).spans(0).name().c_str());
  return found->span_count == 3 ? 0 : 1;
}
