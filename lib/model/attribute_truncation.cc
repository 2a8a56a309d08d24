#include "model/attribute_truncation.h"

#include "google/protobuf/arena.h"
#include "model/otlp_nesting.h"

namespace andante::internal {
namespace {

using andante::otlp::common::v1::AnyValue;
using andante::otlp::common::v1::KeyValue;
using andante::otlp::trace::v1::TracesData;

uint64_t TruncateValue(AnyValue* v, uint64_t max);

uint64_t TruncateKeyValues(
    google::protobuf::RepeatedPtrField<KeyValue>* attrs, uint64_t max) {
  uint64_t n = 0;
  for (KeyValue& kv : *attrs) {
    if (kv.key().size() > max && TruncateUtf8(kv.mutable_key(), max)) ++n;
    if (kv.has_value()) n += TruncateValue(kv.mutable_value(), max);
  }
  return n;
}

uint64_t TruncateValue(AnyValue* v, uint64_t max) {
  switch (v->value_case()) {
    case AnyValue::kStringValue:
      return v->string_value().size() > max &&
                     TruncateUtf8(v->mutable_string_value(), max)
                 ? 1
                 : 0;
    case AnyValue::kArrayValue: {
      uint64_t n = 0;
      for (AnyValue& e : *v->mutable_array_value()->mutable_values()) {
        n += TruncateValue(&e, max);
      }
      return n;
    }
    case AnyValue::kKvlistValue:
      return TruncateKeyValues(v->mutable_kvlist_value()->mutable_values(),
                               max);
    default:
      return 0;
  }
}

}  // namespace

bool TruncateUtf8(std::string* s, uint64_t max) {
  if (s->size() <= max) return false;
  size_t cut = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the
  // sequence the cut would split, unless the cut falls right after a
  // complete sequence.
  size_t lead = cut;
  while (lead > 0 && (static_cast<unsigned char>((*s)[lead]) & 0xC0) == 0x80) {
    --lead;
  }
  // (*s)[lead] starts the character that straddles or begins at `cut`.
  if (lead < cut) cut = lead;
  s->resize(cut);
  return true;
}

uint64_t TruncateAttributes(TracesData* data, uint64_t max) {
  uint64_t n = 0;
  for (auto& rs : *data->mutable_resource_spans()) {
    if (rs.has_resource()) {
      n += TruncateKeyValues(rs.mutable_resource()->mutable_attributes(), max);
    }
    for (auto& ss : *rs.mutable_scope_spans()) {
      if (ss.has_scope()) {
        n += TruncateKeyValues(ss.mutable_scope()->mutable_attributes(), max);
      }
      for (auto& span : *ss.mutable_spans()) {
        n += TruncateKeyValues(span.mutable_attributes(), max);
        for (auto& e : *span.mutable_events()) {
          n += TruncateKeyValues(e.mutable_attributes(), max);
        }
        for (auto& l : *span.mutable_links()) {
          n += TruncateKeyValues(l.mutable_attributes(), max);
        }
      }
    }
  }
  return n;
}

absl::Status TruncateFragmentAttributes(std::string* data, uint64_t max,
                                        uint64_t* truncated) {
  google::protobuf::Arena arena;
  auto* parsed = google::protobuf::Arena::CreateMessage<TracesData>(&arena);
  if (!ParseOtlpMessage(*data, parsed)) {
    return absl::InvalidArgumentError("stored fragment does not parse");
  }
  const uint64_t n = TruncateAttributes(parsed, max);
  *truncated += n;
  if (n > 0) parsed->SerializeToString(data);
  return absl::OkStatus();
}

}  // namespace andante::internal
