// A program outside Andante's tree using the installed library: opens a Store
// on a fresh temporary directory, pushes one OTLP request of N spans (half
// built with andante/otlp.h's messages, half as protobuf bytes), finds the
// trace while it is live and again after a flush into a block, and prints
// what it found.
//
//   consumer N NAME_PREFIX
//
// Output, one line each:
//   live: <span count> <span names, sorted, comma-separated>
//   block: <span count> <"same" if the flushed trace's bytes parse back to the
//          live trace's span names, else "diff">
//   json: <1 if ToTempoJson() names the first span, else 0>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"

namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

ExportTraceServiceRequest MakeRequest(const andante::TraceId& id, int first,
                                      int count, const std::string& prefix) {
  ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("consumer");
  auto* scope = rs->add_scope_spans();
  for (int i = first; i < first + count; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(std::string(id.bytes()));
    span->set_span_id(andante::SpanId(static_cast<uint64_t>(i) + 1).ToBytes());
    span->set_name(prefix + std::to_string(i));
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + i);
    span->set_end_time_unix_nano(1'700'000'000'000'001'000ull + i);
  }
  return request;
}

std::vector<std::string> SortedNames(
    const andante::otlp::trace::v1::TracesData& data) {
  std::vector<std::string> names;
  for (const auto& rs : data.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) names.push_back(span.name());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> SortedNames(const andante::FoundTrace& found) {
  return SortedNames(andante::TracesDataOf(found));
}

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer N NAME_PREFIX\n");
    return 2;
  }
  const int n = std::atoi(argv[1]);
  const std::string prefix = argv[2];
  char tmpl[] = "/tmp/andante-consumer-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;

  auto backend = andante::OpenLocalBackend(dir + "/blocks");
  if (!backend.ok()) return Fail("backend", backend.status());
  andante::StoreOptions options;
  options.wal.path = dir + "/wal";
  options.backend = std::move(*backend);
  auto store = andante::Store::Open(std::move(options));
  if (!store.ok()) return Fail("open", store.status());

  auto id = andante::TraceId::FromHex("0123456789abcdef0123456789abcdef");
  if (!id.ok()) return Fail("id", id.status());
  // First half: the parsed message. Second half: its wire bytes.
  ExportTraceServiceRequest first = MakeRequest(*id, 0, n / 2, prefix);
  auto pushed = (*store)->Push(andante::kSingleTenant,
                               andante::SpanBatchFromRequest(first));
  if (!pushed.ok()) return Fail("push", pushed.status());
  const std::string bytes =
      MakeRequest(*id, n / 2, n - n / 2, prefix).SerializeAsString();
  auto batch = andante::SpanBatch::FromProto(bytes);
  if (!batch.ok()) return Fail("decode", batch.status());
  pushed = (*store)->Push(andante::kSingleTenant, *batch);
  if (!pushed.ok()) return Fail("push", pushed.status());

  auto live = (*store)->FindTraceById(andante::kSingleTenant, *id);
  if (!live.ok()) return Fail("find", live.status());
  const std::vector<std::string> names = SortedNames(*live);
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  std::printf("live: %llu %s\n",
              static_cast<unsigned long long>(live->span_count), joined.c_str());

  if (absl::Status s = (*store)->Flush(); !s.ok()) return Fail("flush", s);
  auto flushed = (*store)->FindTraceById(andante::kSingleTenant, *id);
  if (!flushed.ok()) return Fail("find", flushed.status());
  // From the block now; its serialized form parses back to the same spans.
  andante::otlp::trace::v1::TracesData reparsed;
  if (!reparsed.ParseFromString(flushed->SerializeAsTracesData())) return 1;
  std::printf("block: %llu %s\n",
              static_cast<unsigned long long>(flushed->span_count),
              SortedNames(reparsed) == names ? "same" : "diff");
  const std::string json = flushed->ToTempoJson();
  std::printf("json: %d\n",
              json.find("\"" + names.front() + "\"") != std::string::npos);

  if (absl::Status s = (*store)->Close(); !s.ok()) return Fail("close", s);
  std::filesystem::remove_all(dir);
  return 0;
}
