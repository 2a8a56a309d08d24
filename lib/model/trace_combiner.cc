#include "model/trace_combiner.h"

#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "model/otlp_nesting.h"

namespace andante::internal {
namespace {

using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;

// An unambiguous key for "same message bytes and same schema_url": the
// schema_url length, the schema_url, then the serialized message. Absent and
// empty messages share a key, as they share a meaning.
template <typename M>
std::string GroupKey(bool has, const M& message, const std::string& schema_url) {
  std::string key;
  uint8_t len[5];  // a varint32 takes at most 5 bytes
  uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(schema_url.size()), len);
  key.append(reinterpret_cast<const char*>(len), end - len);
  key.append(schema_url);
  if (has) message.AppendToString(&key);
  return key;
}

std::string SpanKey(const Span& span) {
  std::string key = span.span_id();
  // Kinds are small, but keep the key unambiguous for any int32.
  const uint32_t kind = static_cast<uint32_t>(span.kind());
  for (int shift = 0; shift < 32; shift += 8) {
    key.push_back(static_cast<char>(kind >> shift));
  }
  return key;
}

}  // namespace

absl::Status TraceCombiner::Add(std::string_view traces_data) {
  TracesData parsed;
  if (!ParseOtlpMessage(traces_data, &parsed)) {
    return absl::DataLossError("stored trace data does not parse as TracesData");
  }
  for (ResourceSpans& rs : *parsed.mutable_resource_spans()) {
    std::string rkey = GroupKey(rs.has_resource(), rs.resource(), rs.schema_url());
    auto [rit, rnew] = resources_.try_emplace(std::move(rkey),
                                              trace_.resource_spans_size());
    ResourceSpans* out_rs;
    if (rnew) {
      out_rs = trace_.add_resource_spans();
      if (rs.has_resource()) out_rs->set_allocated_resource(rs.release_resource());
      out_rs->mutable_schema_url()->swap(*rs.mutable_schema_url());
      resource_states_.emplace_back();
    } else {
      out_rs = trace_.mutable_resource_spans(rit->second);
    }
    ResourceState& state = resource_states_[rit->second];

    for (ScopeSpans& ss : *rs.mutable_scope_spans()) {
      ScopeSpans* out_ss = nullptr;
      for (Span& span : *ss.mutable_spans()) {
        if (!span_keys_.insert(SpanKey(span)).second) continue;
        if (span.trace_id().empty() && !fill_trace_id_.empty()) {
          span.set_trace_id(fill_trace_id_);
        }
        if (out_ss == nullptr) {
          // Created lazily, so a scope whose spans are all duplicates adds
          // nothing.
          std::string skey = GroupKey(ss.has_scope(), ss.scope(), ss.schema_url());
          auto [sit, snew] = state.scopes.try_emplace(std::move(skey),
                                                      out_rs->scope_spans_size());
          if (snew) {
            out_ss = out_rs->add_scope_spans();
            if (ss.has_scope()) out_ss->set_allocated_scope(ss.release_scope());
            out_ss->mutable_schema_url()->swap(*ss.mutable_schema_url());
          } else {
            out_ss = out_rs->mutable_scope_spans(sit->second);
          }
        }
        out_ss->add_spans()->Swap(&span);
        ++span_count_;
      }
    }
  }
  return absl::OkStatus();
}

TracesData TraceCombiner::Finish(uint64_t* span_count) {
  // Resources that only contributed duplicate spans were added empty.
  TracesData result;
  for (ResourceSpans& rs : *trace_.mutable_resource_spans()) {
    if (rs.scope_spans_size() == 0) continue;
    result.add_resource_spans()->Swap(&rs);
  }
  *span_count = span_count_;
  trace_.Clear();
  resources_.clear();
  resource_states_.clear();
  span_keys_.clear();
  span_count_ = 0;
  return result;
}

}  // namespace andante::internal
