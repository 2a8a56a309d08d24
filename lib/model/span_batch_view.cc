// The wire walk reads the OTLP levels down to the span fields the
// processors use and skips everything else (events, links, scopes, unknown
// fields). Protobuf's merge rules are kept where they can change a value:
// a repeated `resource` or `status` field merges (attributes append, the
// last scalar wins), a repeated scalar field's last occurrence wins.
#include "model/span_batch_view.h"

#include <atomic>

#include "model/otlp_nesting.h"
#include "model/wire_reader.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante::internal {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::common::v1::KeyValue;

// KeyOf's general walk (any field order, repeats, unknown fields).
[[gnu::noinline]] bool KeyOfSlow(std::string_view kv, std::string_view* key) {
  *key = {};
  return ForEachField(kv, [&](uint32_t f, uint32_t wt, WireReader& r) {
    if (f == 1 && wt == kLengthDelimited) return r.ReadBytes(key);
    return r.SkipField(wt);
  });
}

// The key (last occurrence) of a serialized KeyValue.
inline bool KeyOf(std::string_view kv, std::string_view* key) {
  // Fast path, what every encoder writes: the key (tag 0x0a, one-byte
  // length), then at most the value (tag 0x12, one-byte length) ending the
  // message. Anything else takes the general walk.
  const auto* p = reinterpret_cast<const uint8_t*>(kv.data());
  const size_t n = kv.size();
  if (n >= 2 && p[0] == 0x0a && p[1] < 0x80 && size_t{2} + p[1] <= n) {
    const size_t rest = 2 + p[1];
    if (rest == n || (n - rest >= 2 && p[rest] == 0x12 &&
                      p[rest + 1] < 0x80 && rest + 2 + p[rest + 1] == n)) {
      *key = kv.substr(2, p[1]);
      return true;
    }
  }
  return KeyOfSlow(kv, key);
}

std::atomic<int> recording_requests{0};

// The per-thread pool of recorded views (RecycleSpanBatchView).
constexpr size_t kPooledViews = 2;
struct ViewPool {
  std::unique_ptr<SpanBatchView> views[kPooledViews];
  size_t size = 0;
};
thread_local ViewPool view_pool;

// The view RecordedViewScope hands to the taps on this thread.
thread_local std::string_view tap_request;
thread_local SpanBatchView* tap_view = nullptr;

}  // namespace

void SpanBatchView::Clear() {
  resources_.clear();
  spans_.clear();
  attrs_.clear();
}

void SpanBatchView::FromTree(const ExportTraceServiceRequest& request) {
  Clear();
  for (const auto& rs : request.resource_spans()) {
    ResourceView res;
    res.attr_begin = static_cast<uint32_t>(attrs_.size());
    for (const KeyValue& kv : rs.resource().attributes()) {
      attrs_.push_back(AttrView{kv.key(), &kv.value(), {}});
    }
    res.attr_end = static_cast<uint32_t>(attrs_.size());
    const uint32_t ri = static_cast<uint32_t>(resources_.size());
    resources_.push_back(res);
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        SpanView s;
        s.trace_id = span.trace_id();
        s.span_id = span.span_id();
        s.parent_span_id = span.parent_span_id();
        s.name = span.name();
        s.status_message = span.status().message();
        s.kind = span.kind();
        s.status_code = span.status().code();
        s.start_ns = span.start_time_unix_nano();
        s.end_ns = span.end_time_unix_nano();
        s.size = span.ByteSizeLong();
        s.resource = ri;
        s.attr_begin = static_cast<uint32_t>(attrs_.size());
        for (const KeyValue& kv : span.attributes()) {
          attrs_.push_back(AttrView{kv.key(), &kv.value(), {}});
        }
        s.attr_end = static_cast<uint32_t>(attrs_.size());
        spans_.push_back(s);
      }
    }
  }
}

bool SpanBatchView::FromWire(std::string_view request_bytes) {
  Clear();
  return ForEachField(request_bytes,
                      [&](uint32_t f, uint32_t wt, WireReader& r) {
                        if (f != 1 || wt != kLengthDelimited) {
                          return r.SkipField(wt);
                        }
                        std::string_view rs;
                        return r.ReadBytes(&rs) && WireResourceSpans(rs);
                      });
}

bool SpanBatchView::FromBytes(std::string_view request_bytes,
                              ExportTraceServiceRequest* parsed) {
  if (FromWire(request_bytes)) return true;
  if (!ParseOtlpMessage(request_bytes, parsed)) return false;
  FromTree(*parsed);
  return true;
}

bool SpanBatchView::AddResourceAttributes(std::string_view resource) {
  return ForEachField(resource, [&](uint32_t f, uint32_t wt, WireReader& r) {
    if (f != 1 || wt != kLengthDelimited) return r.SkipField(wt);
    AttrView a;
    return r.ReadBytes(&a.wire) && KeyOf(a.wire, &a.key) &&
           (attrs_.push_back(a), true);
  });
}

bool SpanBatchView::AddResource(std::string_view resource) {
  ResourceView res;
  res.attr_begin = static_cast<uint32_t>(attrs_.size());
  if (!AddResourceAttributes(resource)) return false;
  res.attr_end = static_cast<uint32_t>(attrs_.size());
  resources_.push_back(res);
  return true;
}

SpanView& SpanBatchView::AddSpan(uint32_t resource, size_t size) {
  SpanView& s = spans_.emplace_back();
  s.size = size;
  s.resource = resource;
  s.attr_begin = static_cast<uint32_t>(attrs_.size());
  return s;
}

bool SpanBatchView::MergeStatus(std::string_view status, SpanView& s) {
  return ForEachField(status, [&](uint32_t f, uint32_t wt, WireReader& r) {
    if (f == 2 && wt == kLengthDelimited) return r.ReadBytes(&s.status_message);
    if (f == 3 && wt == kVarint) {
      uint64_t c;
      if (!r.ReadVarint(&c)) return false;
      s.status_code = static_cast<int32_t>(c);
      return true;
    }
    return r.SkipField(wt);
  });
}

bool SpanBatchView::WireResourceSpans(std::string_view bytes) {
  // Pass 1: the resource's attributes (every `resource` occurrence merges),
  // so they are contiguous ahead of the spans' attributes.
  ResourceView res;
  res.attr_begin = static_cast<uint32_t>(attrs_.size());
  const bool ok =
      ForEachField(bytes, [&](uint32_t f, uint32_t wt, WireReader& r) {
        if (f != 1 || wt != kLengthDelimited) return r.SkipField(wt);
        std::string_view resource;
        return r.ReadBytes(&resource) && AddResourceAttributes(resource);
      });
  if (!ok) return false;
  res.attr_end = static_cast<uint32_t>(attrs_.size());
  const uint32_t ri = static_cast<uint32_t>(resources_.size());
  resources_.push_back(res);
  // Pass 2: scope_spans -> spans.
  return ForEachField(bytes, [&](uint32_t f, uint32_t wt, WireReader& r) {
    if (f != 2 || wt != kLengthDelimited) return r.SkipField(wt);
    std::string_view ss;
    if (!r.ReadBytes(&ss)) return false;
    return ForEachField(ss, [&](uint32_t f2, uint32_t wt2, WireReader& r2) {
      if (f2 != 2 || wt2 != kLengthDelimited) return r2.SkipField(wt2);
      std::string_view span;
      return r2.ReadBytes(&span) && WireSpan(span, ri);
    });
  });
}

bool SpanBatchView::WireSpan(std::string_view bytes, uint32_t resource) {
  // Filled in place (on failure the whole view is unspecified anyway).
  SpanView& s = AddSpan(resource, bytes.size());
  uint64_t v;
  const bool ok =
      ForEachField(bytes, [&](uint32_t f, uint32_t wt, WireReader& r) {
        switch (f) {
          case 1:
            if (wt == kLengthDelimited) return r.ReadBytes(&s.trace_id);
            break;
          case 2:
            if (wt == kLengthDelimited) return r.ReadBytes(&s.span_id);
            break;
          case 4:
            if (wt == kLengthDelimited) return r.ReadBytes(&s.parent_span_id);
            break;
          case 5:
            if (wt == kLengthDelimited) return r.ReadBytes(&s.name);
            break;
          case 6:
            if (wt == kVarint) {
              if (!r.ReadVarint(&v)) return false;
              s.kind = static_cast<int32_t>(v);
              return true;
            }
            break;
          case 7:
            if (wt == kFixed64) return r.ReadFixed64(&s.start_ns);
            break;
          case 8:
            if (wt == kFixed64) return r.ReadFixed64(&s.end_ns);
            break;
          case 9:
            if (wt == kLengthDelimited) {
              AttrView a;
              if (!r.ReadBytes(&a.wire) || !KeyOf(a.wire, &a.key)) {
                return false;
              }
              attrs_.push_back(a);
              return true;
            }
            break;
          case 15:
            if (wt == kLengthDelimited) {
              std::string_view status;
              return r.ReadBytes(&status) && MergeStatus(status, s);
            }
            break;
          default:
            break;
        }
        return r.SkipField(wt);
      });
  if (!ok) return false;
  EndSpan(s);
  return true;
}

SpanViewRecordingRequest::SpanViewRecordingRequest() {
  recording_requests.fetch_add(1, std::memory_order_relaxed);
}
SpanViewRecordingRequest::~SpanViewRecordingRequest() {
  recording_requests.fetch_sub(1, std::memory_order_relaxed);
}
bool SpanViewRecordingWanted() {
  return recording_requests.load(std::memory_order_relaxed) > 0;
}

void RecycleSpanBatchView::operator()(SpanBatchView* view) const {
  ViewPool& pool = view_pool;
  if (pool.size < kPooledViews) {
    pool.views[pool.size++].reset(view);
  } else {
    delete view;
  }
}

RecordedSpanBatchView NewRecordedSpanBatchView() {
  ViewPool& pool = view_pool;
  if (pool.size > 0) {
    RecordedSpanBatchView v(pool.views[--pool.size].release());
    v->Clear();
    return v;
  }
  return RecordedSpanBatchView(new SpanBatchView);
}

RecordedViewScope::RecordedViewScope(std::string_view request,
                                     SpanBatchView* view)
    : previous_request_(tap_request), previous_view_(tap_view) {
  tap_request = request;
  tap_view = view;
}
RecordedViewScope::~RecordedViewScope() {
  tap_request = previous_request_;
  tap_view = previous_view_;
}

SpanBatchView* RecordedViewOf(std::string_view request) {
  if (tap_view == nullptr || request.data() != tap_request.data() ||
      request.size() != tap_request.size()) {
    return nullptr;
  }
  return tap_view;
}

}  // namespace andante::internal
