#include "model/trace_json.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wire_format_lite.h"

namespace andante::internal {
namespace {

using ::google::protobuf::io::CodedOutputStream;
using ::google::protobuf::internal::WireFormatLite;
using ::opentelemetry::proto::trace::v1::TracesData;

constexpr std::string_view kResourceSpansKey = R"("resourceSpans":)";
constexpr std::string_view kBatchesKey = R"("batches":)";

// TracesData as proto3 JSON. protobuf's printer with default options matches
// gogo jsonpb's defaults: json_name keys, int64 as strings, bytes as base64,
// enums as names, defaults omitted. (Key order follows field numbers rather
// than declaration order, which JSON readers do not observe.)
std::string TracesDataJson(const TracesData& trace) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  if (!google::protobuf::util::MessageToJsonString(trace, &out, options).ok()) {
    // Only reachable with strings that are not UTF-8, which a parsed proto3
    // message cannot hold. Serve an empty trace rather than broken JSON.
    return "{}";
  }
  return out;
}

}  // namespace

std::string TraceToJsonV1(const TracesData& trace) {
  std::string out = TracesDataJson(trace);
  // Tempo renames the first "resourceSpans" key textually; the printer emits
  // no whitespace, so it is at the very start.
  if (out.size() > kResourceSpansKey.size() &&
      std::string_view(out).substr(1, kResourceSpansKey.size()) == kResourceSpansKey) {
    out.replace(1, kResourceSpansKey.size(), kBatchesKey);
  }
  return out;
}

std::string TraceToProtoV1(const TracesData& trace) {
  return trace.SerializeAsString();
}

std::string TraceByIdResponseJsonV2(const TracesData& trace,
                                    uint64_t inspected_bytes) {
  // tempopb.Trace is wire- and JSON-identical to TracesData (same field name
  // and number), so the response is assembled around its JSON.
  std::string metrics =
      inspected_bytes == 0
          ? std::string("{}")
          : absl::StrCat(R"({"inspectedBytes":")", inspected_bytes, R"("})");
  return absl::StrCat(R"({"trace":)", TracesDataJson(trace), R"(,"metrics":)",
                      metrics, "}");
}

std::string TraceByIdResponseProtoV2(const TracesData& trace,
                                     uint64_t inspected_bytes) {
  // TraceByIDResponse{1 trace: Trace, 2 metrics: {1 inspectedBytes}}, written
  // directly to avoid copying the trace into a tempopb message.
  const size_t trace_size = trace.ByteSizeLong();
  const size_t metrics_size =
      inspected_bytes == 0 ? 0 : 1 + CodedOutputStream::VarintSize64(inspected_bytes);
  std::string out;
  out.reserve(trace_size + metrics_size + 16);
  {
    google::protobuf::io::StringOutputStream sink(&out);
    CodedOutputStream os(&sink);
    WireFormatLite::WriteTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &os);
    os.WriteVarint32(static_cast<uint32_t>(trace_size));
    trace.SerializeWithCachedSizes(&os);
    WireFormatLite::WriteTag(2, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &os);
    os.WriteVarint32(static_cast<uint32_t>(metrics_size));
    if (inspected_bytes != 0) WireFormatLite::WriteUInt64(1, inspected_bytes, &os);
  }
  return out;
}

}  // namespace andante::internal
