// A flat, borrowed view of the spans of one OTLP ExportTraceServiceRequest,
// made either from the parsed message tree or straight from its protobuf
// wire bytes (no parsing into generated classes). The processors read only
// this view, so both paths produce the same series: the tap on the ingest
// path walks the pushed bytes once and never builds the tree.
//
//   internal::SpanBatchView view;
//   if (!view.FromWire(bytes)) return InvalidArgument(...);
//   for (const SpanView& s : view.spans()) ... view.FindAttribute(...)
//
// Everything points into the source (tree or bytes), which must outlive the
// view's use. Internal to Andante.
#ifndef ANDANTE_GENERATOR_SPAN_BATCH_VIEW_H_
#define ANDANTE_GENERATOR_SPAN_BATCH_VIEW_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace andante::otlp {
namespace collector::trace::v1 {
class ExportTraceServiceRequest;
}
namespace common::v1 {
class AnyValue;
}
}  // namespace andante::otlp

namespace andante::internal {

// One attribute: its key and either the parsed value or the wire bytes of
// the whole KeyValue message (its value read on demand).
struct AttrView {
  std::string_view key;
  const andante::otlp::common::v1::AnyValue* tree = nullptr;
  std::string_view wire;  // serialized KeyValue when `tree` is null
};

struct ResourceView {
  uint32_t attr_begin = 0, attr_end = 0;  // into attrs()
};

struct SpanView {
  std::string_view trace_id, span_id, parent_span_id, name, status_message;
  int32_t kind = 0;
  int32_t status_code = 0;
  uint64_t start_ns = 0, end_ns = 0;
  // Serialized size of the Span message (Tempo's traces_spanmetrics_size).
  // From the wire it is the span's encoded length: the same as the parsed
  // span's ByteSizeLong() for canonical encodings.
  uint64_t size = 0;
  uint32_t resource = 0;                  // into resources()
  uint32_t attr_begin = 0, attr_end = 0;  // into attrs()
  bool skip = false;                      // filtered out (time window)
};

class SpanBatchView {
 public:
  // Replace the view's contents.
  void FromTree(const andante::otlp::collector::trace::v1::
                    ExportTraceServiceRequest& request);
  // False on malformed wire bytes (the view is then unspecified).
  bool FromWire(std::string_view request_bytes);
  // FromWire, or, for the few encodings it declines that protobuf accepts
  // (groups among unknown fields), FromTree of the bytes parsed into
  // *parsed, which must then outlive the view's use. False when protobuf
  // cannot parse them either.
  bool FromBytes(std::string_view request_bytes,
                 andante::otlp::collector::trace::v1::ExportTraceServiceRequest*
                     parsed);

  const std::vector<ResourceView>& resources() const { return resources_; }
  std::vector<SpanView>& spans() { return spans_; }
  const std::vector<SpanView>& spans() const { return spans_; }

  // The first attribute named `key` of the resource / span, or null.
  const AttrView* ResourceAttribute(const ResourceView& r,
                                    std::string_view key) const {
    return Find(r.attr_begin, r.attr_end, key);
  }
  const AttrView* SpanAttribute(const SpanView& s, std::string_view key) const {
    return Find(s.attr_begin, s.attr_end, key);
  }
  const AttrView* attrs_begin(uint32_t i) const { return attrs_.data() + i; }

 private:
  const AttrView* Find(uint32_t b, uint32_t e, std::string_view key) const {
    for (uint32_t i = b; i < e; ++i) {
      if (attrs_[i].key == key) return &attrs_[i];
    }
    return nullptr;
  }
  bool WireResourceSpans(std::string_view bytes);
  bool WireSpan(std::string_view bytes, uint32_t resource);

  std::vector<ResourceView> resources_;
  std::vector<SpanView> spans_;
  std::vector<AttrView> attrs_;
};

// A fixed list of attribute keys, found in one pass over a span's or a
// resource's attributes (instead of one scan per key): a key whose length
// no wanted key has is passed over with one bit test.
class AttrKeySet {
 public:
  explicit AttrKeySet(std::vector<std::string> keys) : keys_(std::move(keys)) {
    for (size_t j = 0; j < keys_.size(); ++j) {
      const unsigned bit = LenBit(keys_[j]);
      len_mask_ |= uint64_t{1} << bit;
      by_len_[bit].push_back(static_cast<uint32_t>(j));
    }
  }
  size_t size() const { return keys_.size(); }

  // out[i] = the first attribute in [begin, end) of `batch` named keys[i],
  // or null. REQUIRES: `out` has size() entries.
  void Match(const SpanBatchView& batch, uint32_t begin, uint32_t end,
             const AttrView** out) const {
    for (size_t j = 0; j < keys_.size(); ++j) out[j] = nullptr;
    for (uint32_t i = begin; i < end; ++i) {
      const AttrView* a = batch.attrs_begin(i);
      const unsigned bit = LenBit(a->key);
      if ((len_mask_ >> bit & 1) == 0) continue;
      for (uint32_t j : by_len_[bit]) {
        if (out[j] == nullptr && keys_[j] == a->key) out[j] = a;
      }
    }
  }

 private:
  static unsigned LenBit(std::string_view k) {
    return k.size() < 63 ? static_cast<unsigned>(k.size()) : 63;
  }
  std::vector<std::string> keys_;
  uint64_t len_mask_ = 0;
  std::vector<uint32_t> by_len_[64];  // indexes into keys_, by LenBit
};

// The value of `a` as the processors stringify it (format.h AnyValueString).
// Returns a view into the source when the value is a string (the common
// case), else into `*scratch`. "" for a null `a`.
std::string_view AttrString(const AttrView* a, std::string* scratch);

// The value as a double when it is a double or int attribute, else 0.
double AttrNumber(const AttrView* a);

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_SPAN_BATCH_VIEW_H_
