#include "model/trace_json.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "nlohmann/json.hpp"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wire_format_lite.h"

namespace andante::internal {
namespace {

using ::google::protobuf::io::CodedOutputStream;
using ::google::protobuf::internal::WireFormatLite;
using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::TracesData;

constexpr std::string_view kResourceSpansKey = R"("resourceSpans":)";
constexpr std::string_view kBatchesKey = R"("batches":)";

// protobuf's JSON printer (3.21) refuses messages nested deeper than 64
// levels ("Message too deep"), while stored traces may nest attribute values
// 100 levels and more (otlp_nesting.h). Values at or below kSpliceDepth
// message levels are therefore printed on their own and spliced into the
// text in place of a marker: the output is the same as one print would be.
constexpr int kSpliceDepth = 32;

// Moves attribute values nested too deep for the printer out of a message,
// leaving a marker string in their place, and splices their JSON back in.
class Splicer {
 public:
  Splicer() : nonce_(absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(bitgen_)),
                                  absl::Hex(absl::Uniform<uint64_t>(bitgen_)))) {}

  // Detaches what is too deep below the attribute values of `kvs`, whose
  // KeyValues sit at message depth `depth`.
  void DetachAll(google::protobuf::RepeatedPtrField<KeyValue>* kvs, int depth) {
    for (KeyValue& kv : *kvs) {
      if (kv.has_value()) Detach(kv.mutable_value(), depth + 1);
    }
  }

  // `v` sits at message depth `depth`.
  void Detach(AnyValue* v, int depth) {
    if (!v->has_array_value() && !v->has_kvlist_value()) return;
    if (depth >= kSpliceDepth) {
      const std::string marker = absl::StrCat("andante-splice-", nonce_, "-", detached_.size());
      detached_.emplace_back(std::move(*v));
      v->Clear();
      v->set_string_value(marker);
      return;
    }
    if (v->has_array_value()) {
      for (AnyValue& e : *v->mutable_array_value()->mutable_values()) Detach(&e, depth + 2);
    } else {
      DetachAll(v->mutable_kvlist_value()->mutable_values(), depth + 2);
    }
  }

  // `json` (the print of the detached message) with every marker replaced by
  // the JSON of its value. False if a value does not print.
  bool Splice(std::string* json) {
    std::vector<std::pair<std::string, std::string>> replacements;
    replacements.reserve(detached_.size());
    for (size_t i = 0; i < detached_.size(); ++i) {
      std::string value_json;
      if (!PrintValue(&detached_[i], &value_json)) return false;
      replacements.emplace_back(
          absl::StrCat("{\"stringValue\":\"andante-splice-", nonce_, "-", i, "\"}"),
          std::move(value_json));
    }
    if (!replacements.empty()) *json = absl::StrReplaceAll(*json, replacements);
    return true;
  }

 private:
  // `v` as JSON, spliced as deep as it goes (one level of recursion per
  // kSpliceDepth levels of nesting).
  static bool PrintValue(AnyValue* v, std::string* out) {
    Splicer inner;
    inner.Detach(v, 0);
    return google::protobuf::util::MessageToJsonString(*v, out).ok() &&
           inner.Splice(out);
  }

  absl::BitGen bitgen_;
  const std::string nonce_;
  std::vector<AnyValue> detached_;
};

// Whether `v`, at message depth `depth`, nests too deep for one print.
bool TooDeep(const AnyValue& v, int depth) {
  if (v.has_array_value()) {
    if (depth >= kSpliceDepth) return true;
    for (const AnyValue& e : v.array_value().values()) {
      if (TooDeep(e, depth + 2)) return true;
    }
  } else if (v.has_kvlist_value()) {
    if (depth >= kSpliceDepth) return true;
    for (const KeyValue& kv : v.kvlist_value().values()) {
      if (TooDeep(kv.value(), depth + 3)) return true;
    }
  }
  return false;
}

bool TooDeep(const google::protobuf::RepeatedPtrField<KeyValue>& kvs, int depth) {
  for (const KeyValue& kv : kvs) {
    if (TooDeep(kv.value(), depth + 1)) return true;
  }
  return false;
}

// Whether any attribute value of `trace` nests too deep for one print.
// Depths: TracesData 0, ResourceSpans 1, Resource and ScopeSpans 2, scope
// and span 3, event and link 4; their KeyValues one more.
bool TooDeep(const TracesData& trace) {
  for (const auto& rs : trace.resource_spans()) {
    if (TooDeep(rs.resource().attributes(), 3)) return true;
    for (const auto& ss : rs.scope_spans()) {
      if (TooDeep(ss.scope().attributes(), 4)) return true;
      for (const auto& span : ss.spans()) {
        if (TooDeep(span.attributes(), 4)) return true;
        for (const auto& e : span.events()) {
          if (TooDeep(e.attributes(), 5)) return true;
        }
        for (const auto& l : span.links()) {
          if (TooDeep(l.attributes(), 5)) return true;
        }
      }
    }
  }
  return false;
}

// Detaches every attribute value of `trace` too deep for one print (same
// depths as above).
void DetachTooDeep(TracesData* trace, Splicer* splicer) {
  for (auto& rs : *trace->mutable_resource_spans()) {
    if (rs.has_resource()) {
      splicer->DetachAll(rs.mutable_resource()->mutable_attributes(), 3);
    }
    for (auto& ss : *rs.mutable_scope_spans()) {
      if (ss.has_scope()) {
        splicer->DetachAll(ss.mutable_scope()->mutable_attributes(), 4);
      }
      for (auto& span : *ss.mutable_spans()) {
        splicer->DetachAll(span.mutable_attributes(), 4);
        for (auto& e : *span.mutable_events()) {
          splicer->DetachAll(e.mutable_attributes(), 5);
        }
        for (auto& l : *span.mutable_links()) {
          splicer->DetachAll(l.mutable_attributes(), 5);
        }
      }
    }
  }
}

// TracesData as proto3 JSON. protobuf's printer with default options matches
// gogo jsonpb's defaults: json_name keys, int64 as strings, bytes as base64,
// enums as names, defaults omitted. (Key order follows field numbers rather
// than declaration order, which JSON readers do not observe.)
std::string TracesDataJson(const TracesData& trace) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  bool printed;
  if (!TooDeep(trace)) {
    printed = google::protobuf::util::MessageToJsonString(trace, &out, options).ok();
  } else {
    TracesData shallow = trace;
    Splicer splicer;
    DetachTooDeep(&shallow, &splicer);
    printed = google::protobuf::util::MessageToJsonString(shallow, &out, options).ok() &&
              splicer.Splice(&out);
  }
  // Only fails with strings that are not UTF-8, which a parsed proto3
  // message cannot hold. Serve an empty trace rather than broken JSON.
  return printed ? out : "{}";
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
                                    uint64_t inspected_bytes,
                                    std::string_view partial_message) {
  // tempopb.Trace is wire- and JSON-identical to TracesData (same field name
  // and number), so the response is assembled around its JSON.
  std::string metrics =
      inspected_bytes == 0
          ? std::string("{}")
          : absl::StrCat(R"({"inspectedBytes":")", inspected_bytes, R"("})");
  std::string partial;
  if (!partial_message.empty()) {
    partial = absl::StrCat(
        R"(,"status":"PARTIAL","message":)",
        nlohmann::json(std::string(partial_message))
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return absl::StrCat(R"({"trace":)", TracesDataJson(trace), R"(,"metrics":)",
                      metrics, partial, "}");
}

std::string TraceByIdResponseProtoV2(const TracesData& trace,
                                     uint64_t inspected_bytes,
                                     std::string_view partial_message) {
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
    if (!partial_message.empty()) {
      WireFormatLite::WriteEnum(3, 1, &os);  // PartialStatus PARTIAL
      WireFormatLite::WriteString(4, std::string(partial_message), &os);
    }
  }
  return out;
}

}  // namespace andante::internal
