#include "model/trace_split.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/internal/resize_uninitialized.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/wire_format_lite.h"

namespace andante::internal {
namespace {

using ::google::protobuf::io::CodedOutputStream;
using ::google::protobuf::internal::WireFormatLite;
using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::opentelemetry::proto::trace::v1::ResourceSpans;
using ::opentelemetry::proto::trace::v1::ScopeSpans;
using ::opentelemetry::proto::trace::v1::Span;

// Field tags of the messages we assemble by hand; all length-delimited, and
// all field numbers < 16, so every tag is one byte.
constexpr uint8_t Tag(int field) {
  return static_cast<uint8_t>(field << 3 |
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}
constexpr uint8_t kTracesDataResourceSpans = Tag(1);
constexpr uint8_t kResourceSpansResource = Tag(1);
constexpr uint8_t kResourceSpansScopeSpans = Tag(2);
constexpr uint8_t kResourceSpansSchemaUrl = Tag(3);
constexpr uint8_t kScopeSpansScope = Tag(1);
constexpr uint8_t kScopeSpansSpans = Tag(2);
constexpr uint8_t kScopeSpansSchemaUrl = Tag(3);
// Span.trace_id as serialized: tag, length byte, 16 ID bytes.
constexpr uint8_t kTraceIdTag = Tag(1);
constexpr uint32_t kTraceIdFieldBytes = 2 + TraceId::kSize;
// ResourceSpans.instrumentation_library_spans, pre-1.0 OTLP.
constexpr int kLegacyScopeSpansField = 1000;

// Size of a length-delimited field (one-byte tag) with a payload of `n`.
inline size_t FieldSize(size_t n) {
  return 1 + CodedOutputStream::VarintSize32(static_cast<uint32_t>(n)) + n;
}
inline size_t StringFieldSize(const std::string& s) {
  return s.empty() ? 0 : FieldSize(s.size());
}

inline uint8_t* WriteHeader(uint8_t tag, size_t n, uint8_t* p) {
  *p++ = tag;
  return CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(n), p);
}
inline uint8_t* WriteBytes(uint8_t tag, const std::string& s, uint8_t* p) {
  p = WriteHeader(tag, s.size(), p);
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// One source ResourceSpans: its resource serialized once.
struct ResourceInfo {
  bool has_resource = false;
  std::string resource;  // serialized Resource
  const std::string* schema_url = nullptr;
};

// One source ScopeSpans: its scope serialized once.
struct ScopeInfo {
  uint32_t resource = 0;  // index into the ResourceInfo vector
  bool has_scope = false;
  std::string scope;  // serialized InstrumentationScope
  const std::string* schema_url = nullptr;
};

// One span in request order.
struct SpanEntry {
  const Span* span;
  uint32_t size;   // serialized size, cached inside `span` as well
  uint32_t scope;  // index into the ScopeInfo vector
  uint32_t trace;  // index into the fragment vector
};

// The scope-spans lists of `rs`: the regular field, or the legacy field 1000
// when the regular one is empty. Legacy messages are parsed into `legacy`,
// which must outlive the use of the returned pointers.
void CollectScopeSpans(const ResourceSpans& rs, std::deque<ScopeSpans>* legacy,
                       std::vector<const ScopeSpans*>* out) {
  out->clear();
  for (const ScopeSpans& ss : rs.scope_spans()) out->push_back(&ss);
  if (!out->empty()) return;
  const auto& unknown = rs.GetReflection()->GetUnknownFields(rs);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& field = unknown.field(i);
    if (field.number() != kLegacyScopeSpansField ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    // InstrumentationLibrarySpans{1 library{1 name, 2 version}, 2 spans,
    // 3 schema_url} is wire-compatible with ScopeSpans.
    ScopeSpans& parsed = legacy->emplace_back();
    if (parsed.ParseFromString(field.length_delimited())) {
      out->push_back(&parsed);
    } else {
      legacy->pop_back();
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<TraceFragment>> SplitByTrace(
    const ExportTraceServiceRequest& request) {
  std::vector<TraceFragment> fragments;
  std::vector<ResourceInfo> resources;
  std::vector<ScopeInfo> scopes;
  std::vector<SpanEntry> spans;
  std::deque<ScopeSpans> legacy;
  std::vector<const ScopeSpans*> scope_list;
  absl::flat_hash_map<TraceId, uint32_t> index;

  // Pass 1: validate, size every span once and assign it to its trace.
  resources.reserve(request.resource_spans_size());
  for (const ResourceSpans& rs : request.resource_spans()) {
    CollectScopeSpans(rs, &legacy, &scope_list);
    const uint32_t resource_index = static_cast<uint32_t>(resources.size());
    bool resource_used = false;
    for (const ScopeSpans* ss : scope_list) {
      if (ss->spans_size() == 0) continue;
      const uint32_t scope_index = static_cast<uint32_t>(scopes.size());
      ScopeInfo& scope = scopes.emplace_back();
      scope.resource = resource_index;
      scope.has_scope = ss->has_scope();
      if (scope.has_scope) ss->scope().SerializeToString(&scope.scope);
      scope.schema_url = &ss->schema_url();
      resource_used = true;
      for (const Span& span : ss->spans()) {
        const std::string& tid = span.trace_id();
        if (tid.size() != TraceId::kSize) {
          return absl::InvalidArgumentError(absl::StrCat(
              "trace ids must be 128 bit, received ", tid.size() * 8, " bits"));
        }
        const std::string& sid = span.span_id();
        if (sid.size() != SpanId::kSize ||
            sid.find_first_not_of('\0') == std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("span ids must be 64 bit and not all zero, received ",
                           sid.size() * 8, " bits"));
        }
        std::array<uint8_t, TraceId::kSize> raw;
        std::memcpy(raw.data(), tid.data(), TraceId::kSize);
        auto [it, inserted] = index.try_emplace(
            TraceId(raw), static_cast<uint32_t>(fragments.size()));
        const uint64_t start = span.start_time_unix_nano();
        const uint64_t end = span.end_time_unix_nano();
        if (inserted) {
          TraceFragment& f = fragments.emplace_back();
          f.id = it->first;
          f.start_unix_nano = start;
          f.end_unix_nano = end;
        }
        TraceFragment& f = fragments[it->second];
        f.start_unix_nano = std::min(f.start_unix_nano, start);
        f.end_unix_nano = std::max(f.end_unix_nano, end);
        ++f.span_count;
        spans.push_back(SpanEntry{
            &span,
            static_cast<uint32_t>(span.ByteSizeLong() - kTraceIdFieldBytes),
            scope_index, it->second});
      }
    }
    if (resource_used) {
      ResourceInfo& resource = resources.emplace_back();
      resource.has_resource = rs.has_resource();
      if (resource.has_resource) {
        rs.resource().SerializeToString(&resource.resource);
      }
      resource.schema_url = &rs.schema_url();
    }
  }
  if (fragments.empty()) return fragments;

  // Group span entries by trace, stable (counting sort): each trace's spans
  // stay in request order and therefore grouped by resource, then scope.
  std::vector<uint32_t> begin(fragments.size() + 1, 0);
  for (const SpanEntry& e : spans) ++begin[e.trace + 1];
  for (size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
  std::vector<const SpanEntry*> order(spans.size());
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (const SpanEntry& e : spans) order[next[e.trace]++] = &e;
  }

  // Pass 2: per trace, compute the nested message sizes, then write the
  // fragment in one go. `sizes` holds, per run, the ScopeSpans payload sizes
  // and, per resource run, the ResourceSpans payload size.
  std::vector<size_t> sizes;
  for (size_t t = 0; t < fragments.size(); ++t) {
    const SpanEntry* const* first = order.data() + begin[t];
    const SpanEntry* const* last = order.data() + begin[t + 1];

    sizes.clear();
    size_t total = 0;
    for (const SpanEntry* const* p = first; p != last;) {
      const uint32_t res = scopes[(*p)->scope].resource;
      const ResourceInfo& ri = resources[res];
      const size_t rs_slot = sizes.size();
      sizes.push_back(0);
      size_t rs_size = (ri.has_resource ? FieldSize(ri.resource.size()) : 0) +
                       StringFieldSize(*ri.schema_url);
      while (p != last && scopes[(*p)->scope].resource == res) {
        const uint32_t sc = (*p)->scope;
        const ScopeInfo& si = scopes[sc];
        size_t ss_size = (si.has_scope ? FieldSize(si.scope.size()) : 0) +
                         StringFieldSize(*si.schema_url);
        for (; p != last && (*p)->scope == sc; ++p) {
          ss_size += FieldSize((*p)->size);
        }
        sizes.push_back(ss_size);
        rs_size += FieldSize(ss_size);
      }
      sizes[rs_slot] = rs_size;
      total += FieldSize(rs_size);
    }

    std::string& data = fragments[t].data;
    // Each span is serialized whole and then shifted over its trace_id, so
    // the last one briefly needs kTraceIdFieldBytes past the end.
    absl::strings_internal::STLStringResizeUninitialized(
        &data, total + kTraceIdFieldBytes);
    uint8_t* out = reinterpret_cast<uint8_t*>(data.data());
    size_t slot = 0;
    for (const SpanEntry* const* p = first; p != last;) {
      const uint32_t res = scopes[(*p)->scope].resource;
      const ResourceInfo& ri = resources[res];
      out = WriteHeader(kTracesDataResourceSpans, sizes[slot++], out);
      if (ri.has_resource) out = WriteBytes(kResourceSpansResource, ri.resource, out);
      while (p != last && scopes[(*p)->scope].resource == res) {
        const uint32_t sc = (*p)->scope;
        const ScopeInfo& si = scopes[sc];
        out = WriteHeader(kResourceSpansScopeSpans, sizes[slot++], out);
        if (si.has_scope) out = WriteBytes(kScopeSpansScope, si.scope, out);
        for (; p != last && (*p)->scope == sc; ++p) {
          out = WriteHeader(kScopeSpansSpans, (*p)->size, out);
          // Sizes were cached by ByteSizeLong() in pass 1. Fields serialize
          // in number order, so the validated trace_id (field 1: tag, length
          // 16, 16 bytes) comes first; it is dropped, the fragment being
          // keyed by it, and TraceCombiner restores it on read.
          uint8_t* span_start = out;
          out = (*p)->span->SerializeWithCachedSizesToArray(out);
          assert(span_start[0] == kTraceIdTag && span_start[1] == TraceId::kSize);
          std::memmove(span_start, span_start + kTraceIdFieldBytes, (*p)->size);
          out -= kTraceIdFieldBytes;
        }
        if (!si.schema_url->empty()) {
          out = WriteBytes(kScopeSpansSchemaUrl, *si.schema_url, out);
        }
      }
      if (!ri.schema_url->empty()) {
        out = WriteBytes(kResourceSpansSchemaUrl, *ri.schema_url, out);
      }
    }
    assert(out == reinterpret_cast<uint8_t*>(data.data()) + total);
    data.resize(total);
  }
  return fragments;
}

}  // namespace andante::internal
