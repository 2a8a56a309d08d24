// Fuzzes the OTLP protobuf ingest path: parse, split by trace, and combine
// the fragments back, checking that no span is lost or invented; and the
// wire-bytes split (SplitSerializedByTrace) against parse + SplitByTrace.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "model/otlp_nesting.h"
#include "model/trace_combiner.h"
#include "model/trace_split.h"

namespace {

using ::andante::internal::ParseOtlpMessage;
using ::andante::internal::SplitByTrace;
using ::andante::internal::TraceCombiner;
using ::andante::internal::SplitSerializedByTrace;
using ::andante::internal::TraceFragment;
using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::TracesData;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in proto3 strings is logged by protobuf; keep output clean.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The same bytes as stored trace data: the combiner must not crash.
  {
    TraceCombiner raw;
    if (raw.Add(std::string_view(reinterpret_cast<const char*>(data), size)).ok()) {
      uint64_t count = 0;
      raw.Finish(&count);
    }
  }

  // The wire-bytes split must accept nothing that the parse or SplitByTrace
  // rejects, and what it accepts must split as SplitByTrace does.
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<TraceFragment> wire;
  const bool wire_ok = SplitSerializedByTrace(bytes, &wire);

  // Parsed as every OTLP path parses (protobuf's recursion limit raised to
  // kMaxOtlpMessageDepth).
  ExportTraceServiceRequest request;
  if (!ParseOtlpMessage(bytes, &request)) {
    Check(!wire_ok);
    return 0;
  }
  auto fragments = SplitByTrace(request);
  if (!fragments.ok()) {
    Check(!wire_ok);
    return 0;
  }
  if (wire_ok) {
    Check(wire.size() == fragments->size());
    for (size_t i = 0; i < wire.size(); ++i) {
      const TraceFragment& a = wire[i];
      const TraceFragment& b = (*fragments)[i];
      Check(a.id == b.id && a.span_count == b.span_count &&
            a.start_unix_nano == b.start_unix_nano &&
            a.end_unix_nano == b.end_unix_nano);
      TracesData pa, pb;
      Check(ParseOtlpMessage(a.data, &pa));
      Check(ParseOtlpMessage(b.data, &pb));
      Check(pa.SerializeAsString() == pb.SerializeAsString());
    }
  }

  for (const auto& fragment : *fragments) {
    TraceCombiner combiner(fragment.id);
    // A fragment must parse, hold only its trace (its spans' trace IDs are
    // restored from the key), and survive a duplicate.
    Check(combiner.Add(fragment.data).ok());
    Check(combiner.Add(fragment.data).ok());
    uint64_t count = 0;
    auto trace = combiner.Finish(&count);
    Check(count <= fragment.span_count);
    Check(count > 0 || fragment.span_count == 0);
    uint64_t seen = 0;
    for (const auto& rs : trace.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          Check(span.trace_id() == fragment.id.bytes());
          Check(span.start_time_unix_nano() >= fragment.start_unix_nano);
          Check(span.end_time_unix_nano() <= fragment.end_unix_nano);
          ++seen;
        }
      }
    }
    Check(seen == count);
  }
  return 0;
}
