// The translation rules shared by the Jaeger Thrift and protobuf paths: the
// OpenTelemetry collector's jaeger translator as Tempo runs it
// (reference/ingest-protocols.md §4.1-4.2). Both decoders turn their tags
// into JaegerTag views, collect them in a JaegerAttributes map and call the
// Finish* functions:
//
//   JaegerAttributes attrs;
//   for (const auto& tag : span.tags) attrs.Put(ToJaegerTag(tag));
//   FinishSpanAttributes(/*proto=*/false, &attrs, otlp_span);
//
// Internal to lib/receiver/jaeger.
#ifndef ANDANTE_RECEIVER_JAEGER_JAEGER_TRANSLATE_H_
#define ANDANTE_RECEIVER_JAEGER_JAEGER_TRANSLATE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "andante/otlp/common/v1/common.pb.h"
#include "andante/otlp/resource/v1/resource.pb.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

// A tag value in the collector's terms (pcommon value types). kString also
// carries the text made for tags of an unknown type.
enum class JaegerValueKind { kString, kBool, kInt, kDouble, kBytes };

// A borrowed view of one tag; `key` and `str` point into the decoded message
// (or into JaegerAttributes' own storage) and must outlive its use.
struct JaegerTag {
  std::string_view key;
  JaegerValueKind kind = JaegerValueKind::kString;
  std::string_view str;  // kString, kBytes
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
  // When set, the strings `key` and `str` view, which AppendTo may take by
  // swapping instead of copying (a decoder's scratch that is rewritten
  // anyway). Each owner must back at most one entry of a map.
  std::string* key_owner = nullptr;
  std::string* str_owner = nullptr;

  // pcommon's Value.Str(): the string, or "" for any other kind.
  std::string_view Str() const {
    return kind == JaegerValueKind::kString ? str : std::string_view();
  }
};

// An insertion-ordered attribute map that behaves exactly like pcommon.Map,
// which decides the collector's attribute order: Put replaces the value of
// an existing key in place (so the last duplicate wins at the first one's
// position) or appends; Remove moves the last entry into the removed slot.
// Lookups are linear for small maps and hashed beyond that, so hostile spans
// with thousands of tags stay linear in time. Reusable: Clear keeps capacity.
class JaegerAttributes {
 public:
  JaegerAttributes() = default;
  JaegerAttributes(const JaegerAttributes&) = delete;
  JaegerAttributes& operator=(const JaegerAttributes&) = delete;

  void Clear();
  void Put(const JaegerTag& tag);
  // The entry for `key`, or null. Valid until the next Put or Remove.
  const JaegerTag* Get(std::string_view key) const;
  bool Remove(std::string_view key);
  size_t size() const { return entries_.size(); }
  const std::vector<JaegerTag>& entries() const { return entries_; }

  // Copies `text` into storage owned by this map (until Clear) and returns a
  // view of it, for values the translator builds ("Jaeger-<version>").
  std::string_view Own(std::string text);

  // Appends every entry to `out` in the map's order, taking owned strings
  // (leaving their owners empty). Call once per filling.
  void AppendTo(google::protobuf::RepeatedPtrField<
                andante::otlp::common::v1::KeyValue>* out) const;

 private:
  static constexpr size_t kLinearLimit = 16;
  ptrdiff_t Find(std::string_view key) const;
  // One bit per (length, first byte, last byte) class of the keys put since
  // Clear: a clear bit proves a key absent without a scan, which is the
  // common answer for the translator's special keys.
  static uint64_t KeyBit(std::string_view key) {
    if (key.empty()) return 1;
    const unsigned mix = static_cast<unsigned>(key.size()) * 31u +
                         static_cast<unsigned char>(key.front()) * 7u +
                         static_cast<unsigned char>(key.back());
    return uint64_t{1} << (mix & 63);
  }
  uint64_t key_bits_ = 0;

  std::vector<JaegerTag> entries_;
  // key -> index into entries_, maintained once entries_ outgrew
  // kLinearLimit.
  absl::flat_hash_map<std::string_view, size_t> index_;
  bool indexed_ = false;
  std::deque<std::string> owned_;
};

// The text the collector stores for a tag of unknown type: Go's
// fmt.Sprintf("<Unknown Jaeger TagType %q>", type) with the enum's String()
// ("<UNSET>" for Thrift, the number for protobuf).
std::string UnknownTagTypeText(std::string_view type_name);

// Thrift strings are raw bytes, but OTLP strings (protobuf `string`) must be
// UTF-8 or later stages fail to parse what was stored. Replaces each byte
// that is not part of a valid UTF-8 sequence with U+FFFD, as Go's
// encoding/json does when Tempo prints such a string. Fast for ASCII.
void MakeValidUtf8(std::string* s);

// The length of the longest valid UTF-8 prefix of `s`: s.size() exactly
// when MakeValidUtf8 would leave `s` unchanged. Fast for ASCII.
size_t ValidUtf8Length(std::string_view s);

// 16-byte big-endian trace ID high||low, 8-byte big-endian span ID.
void AppendTraceId(uint64_t high, uint64_t low, std::string* out);
std::string SpanIdBytes(uint64_t id);

// Fills `resource` from a process: service.name (unless empty), the tags
// already Put into `attrs` after it, then hostname -> host.name and
// jaeger.version -> opencensus.exporterversion. `attrs` must hold
// service.name (if any) followed by the process tags, in that order.
void FinishResource(JaegerAttributes* attrs,
                    andante::otlp::resource::v1::Resource* resource);

// Applies the span-level rules to the span's tags in `attrs` and writes the
// result to `span`: span.kind -> kind, the three status steps,
// otel.status_code removal, and for `proto` also w3c.tracestate ->
// trace_state. Then appends the remaining attributes.
void FinishSpanAttributes(bool proto, JaegerAttributes* attrs,
                          andante::otlp::trace::v1::Span* span);

// A log's fields in `attrs` -> `event`: field "event" becomes the name (its
// string value) and is removed; the rest become attributes.
void FinishEventAttributes(JaegerAttributes* attrs,
                           andante::otlp::trace::v1::Span::Event* event);

// Appends a link with attribute opentracing.ref_type = child_of or
// follows_from.
void AddLink(uint64_t trace_high, uint64_t trace_low, uint64_t span_id,
             bool child_of, andante::otlp::trace::v1::Span* span);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_JAEGER_JAEGER_TRANSLATE_H_
