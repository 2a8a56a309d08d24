// A flat, borrowed view of the spans of one OTLP ExportTraceServiceRequest,
// made from the parsed message tree, straight from its protobuf wire bytes
// (no parsing into generated classes), or recorded by the store's split of
// those bytes (SplitSerializedByTrace with a view to record into), so that
// the bytes are walked once for both. The metrics generator's processors
// read only this view, so every path produces the same series.
//
//   internal::SpanBatchView view;
//   if (!view.FromWire(bytes)) return InvalidArgument(...);
//   for (const SpanView& s : view.spans()) ... view.SpanAttribute(s, key)
//
// Everything points into the source (tree or bytes), which must outlive the
// view's use. Internal to Andante.
#ifndef ANDANTE_MODEL_SPAN_BATCH_VIEW_H_
#define ANDANTE_MODEL_SPAN_BATCH_VIEW_H_

#include <cstdint>
#include <memory>
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
  size_t attr_count() const { return attrs_.size(); }

  // The first attribute named `key` of the resource / span, or null.
  const AttrView* ResourceAttribute(const ResourceView& r,
                                    std::string_view key) const {
    return Find(r.attr_begin, r.attr_end, key);
  }
  const AttrView* SpanAttribute(const SpanView& s, std::string_view key) const {
    return Find(s.attr_begin, s.attr_end, key);
  }
  const AttrView* attrs_begin(uint32_t i) const { return attrs_.data() + i; }

  // Recording, for a walker that reads the request's levels itself (the
  // store's split, model/trace_split.cc) and must produce exactly what
  // FromWire does: Clear(), then per ResourceSpans in order AddResource,
  // then per span of its scope_spans in order AddSpan, its fields and
  // AddSpanAttribute / MergeStatus per occurrence in order, EndSpan.
  void Clear();
  // A ResourceSpans whose `resource` field (serialized Resource) is
  // `resource`, empty when absent; false on malformed bytes.
  bool AddResource(std::string_view resource);
  // A span of `resource` (the index AddResource gave: resources().size()-1
  // after it) whose serialized bytes take `size`. The reference is valid
  // until the next AddSpan.
  SpanView& AddSpan(uint32_t resource, size_t size);
  // An `attributes` occurrence (serialized KeyValue) of the last span added,
  // whose key (last occurrence) is `key`.
  void AddSpanAttribute(std::string_view key, std::string_view key_value) {
    attrs_.push_back(AttrView{key, nullptr, key_value});
  }
  // A `status` occurrence (serialized Status) merged into `span`.
  static bool MergeStatus(std::string_view status, SpanView& span);
  void EndSpan(SpanView& span) {
    span.attr_end = static_cast<uint32_t>(attrs_.size());
  }

 private:
  const AttrView* Find(uint32_t b, uint32_t e, std::string_view key) const {
    for (uint32_t i = b; i < e; ++i) {
      if (attrs_[i].key == key) return &attrs_[i];
    }
    return nullptr;
  }
  bool AddResourceAttributes(std::string_view resource);
  bool WireResourceSpans(std::string_view bytes);
  bool WireSpan(std::string_view bytes, uint32_t resource);

  std::vector<ResourceView> resources_;
  std::vector<SpanView> spans_;
  std::vector<AttrView> attrs_;
};

// Recording a view during the store's split costs the split a little; it is
// done only while some consumer of recorded views exists (the metrics
// generator holds one of these while it lives).
class SpanViewRecordingRequest {
 public:
  SpanViewRecordingRequest();
  ~SpanViewRecordingRequest();
  SpanViewRecordingRequest(const SpanViewRecordingRequest&) = delete;
  SpanViewRecordingRequest& operator=(const SpanViewRecordingRequest&) =
      delete;
};
// Whether a SpanViewRecordingRequest exists in the process.
bool SpanViewRecordingWanted();

// A recorded view returns to a small per-thread pool when released, so its
// vectors keep their capacity across batches.
struct RecycleSpanBatchView {
  void operator()(SpanBatchView* view) const;
};
using RecordedSpanBatchView =
    std::unique_ptr<SpanBatchView, RecycleSpanBatchView>;
// An empty view from the calling thread's pool (or a new one).
RecordedSpanBatchView NewRecordedSpanBatchView();

// The hand-off of a recorded view to span taps: while a scope lives on a
// thread, RecordedViewOf(request) on that thread returns the view recorded
// from exactly those bytes (same address and size), else null. The store
// opens one around its calls of SpanTap::OnSpans, whose public signature
// carries only the bytes; a tap that knows the view (the metrics generator)
// reads it instead of walking the bytes again.
class RecordedViewScope {
 public:
  RecordedViewScope(std::string_view request, SpanBatchView* view);
  ~RecordedViewScope();
  RecordedViewScope(const RecordedViewScope&) = delete;
  RecordedViewScope& operator=(const RecordedViewScope&) = delete;

 private:
  std::string_view previous_request_;
  SpanBatchView* previous_view_;
};
SpanBatchView* RecordedViewOf(std::string_view request);

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_SPAN_BATCH_VIEW_H_
