#include <algorithm>
#include <cassert>

#include "absl/container/flat_hash_map.h"
#include "andante/traceql_trace.h"
#include "util/strings.h"

namespace andante::traceql {

Trace::Trace() { Clear(); }

void Trace::Clear() {
  trace_id = TraceId();
  strings.clear();
  index_.clear();
  attributes.clear();
  resources.clear();
  scopes.clear();
  spans.clear();
  events.clear();
  links.clear();
  array_values.clear();
  trace_id_hex.clear();
  root_span = -1;
  start_unix_nanos = end_unix_nanos = duration_nanos = 0;
  open_ = Open::kNone;
  Intern("");
  service_name_key_ = Intern("service.name");
}

uint32_t Trace::Intern(std::string_view s) {
  auto it = index_.find(andante::internal::ToAbsl(s));
  if (it != index_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(strings.size());
  strings.emplace_back(s);
  index_.emplace(std::string(s), id);
  return id;
}

uint32_t Trace::Find(std::string_view s) const {
  auto it = index_.find(andante::internal::ToAbsl(s));
  if (it != index_.end()) return it->second;
  // Producers may have filled `strings` directly.
  if (index_.size() != strings.size()) {
    for (size_t k = 0; k < strings.size(); ++k) {
      if (strings[k] == s) return static_cast<uint32_t>(k);
    }
  }
  return UINT32_MAX;
}

uint32_t Trace::AddResource() {
  CloseSpanChild();
  Resource r;
  r.attributes.begin = r.attributes.end =
      static_cast<uint32_t>(attributes.size());
  resources.push_back(r);
  open_ = Open::kResource;
  return static_cast<uint32_t>(resources.size()) - 1;
}

void Trace::EndResource(uint32_t resource) {
  Resource& r = resources[resource];
  r.attributes.end = static_cast<uint32_t>(attributes.size());
  r.service_name = kNoString;
  for (uint32_t k = r.attributes.begin; k < r.attributes.end; ++k) {
    if (attributes[k].key == service_name_key_ &&
        attributes[k].value.type == ValueType::kString) {
      r.service_name = attributes[k].value.str;
    }
  }
  open_ = Open::kNone;
}

uint32_t Trace::AddScope(std::string_view name, std::string_view version) {
  CloseSpanChild();
  InstrumentationScope s;
  s.name = Intern(name);
  s.version = Intern(version);
  s.attributes.begin = s.attributes.end =
      static_cast<uint32_t>(attributes.size());
  scopes.push_back(s);
  open_ = Open::kScope;
  return static_cast<uint32_t>(scopes.size()) - 1;
}

void Trace::EndScope(uint32_t scope) {
  scopes[scope].attributes.end = static_cast<uint32_t>(attributes.size());
  open_ = Open::kNone;
}

Span& Trace::AddSpan() {
  spans.emplace_back();
  Span& s = spans.back();
  s.scope = kNoScope;
  uint32_t here = static_cast<uint32_t>(attributes.size());
  s.attributes.begin = s.attributes.end = here;
  s.events_begin = s.events_end = static_cast<uint32_t>(events.size());
  s.links_begin = s.links_end = static_cast<uint32_t>(links.size());
  open_ = Open::kSpan;
  return s;
}

void Trace::CloseSpanChild() {
  uint32_t here = static_cast<uint32_t>(attributes.size());
  if (open_ == Open::kEvent) events.back().attributes.end = here;
  if (open_ == Open::kLink) links.back().attributes.end = here;
  if (open_ == Open::kSpan) spans.back().attributes.end = here;
}

void Trace::AddEvent(std::string_view name, int64_t time_since_start_nanos) {
  CloseSpanChild();
  SpanEvent e;
  e.name = Intern(name);
  e.time_since_start_nanos = time_since_start_nanos;
  e.attributes.begin = e.attributes.end =
      static_cast<uint32_t>(attributes.size());
  events.push_back(e);
  spans.back().events_end = static_cast<uint32_t>(events.size());
  open_ = Open::kEvent;
}

void Trace::AddLink(std::string_view trace_id_hex_in,
                    std::string_view span_id_hex) {
  CloseSpanChild();
  SpanLink l;
  l.trace_id = Intern(trace_id_hex_in);
  l.span_id = Intern(span_id_hex);
  l.attributes.begin = l.attributes.end =
      static_cast<uint32_t>(attributes.size());
  links.push_back(l);
  spans.back().links_end = static_cast<uint32_t>(links.size());
  open_ = Open::kLink;
}

void Trace::EndSpan() {
  CloseSpanChild();
  open_ = Open::kNone;
}

void Trace::AddAttribute(std::string_view key, StoredValue value) {
  attributes.push_back(StoredAttribute{Intern(key), value});
}

StoredValue Trace::ArrayValue(const std::vector<StoredValue>& elements) {
  StoredValue v;
  v.type = ValueType::kArray;
  uint64_t begin = array_values.size();
  array_values.insert(array_values.end(), elements.begin(), elements.end());
  v.i = static_cast<int64_t>((begin << 32) | array_values.size());
  return v;
}

void Trace::Finish() {
  if (index_.size() != strings.size()) {
    index_.clear();
    for (size_t k = 0; k < strings.size(); ++k) {
      index_.try_emplace(strings[k], static_cast<uint32_t>(k));
    }
  }
  absl::flat_hash_map<uint64_t, int32_t> by_id;
  by_id.reserve(spans.size());
  for (size_t k = 0; k < spans.size(); ++k) {
    by_id.try_emplace(spans[k].span_id, static_cast<int32_t>(k));
  }
  root_span = -1;
  start_unix_nanos = INT64_MAX;
  end_unix_nanos = INT64_MIN;
  for (size_t k = 0; k < spans.size(); ++k) {
    Span& s = spans[k];
    s.child_count = 0;
    s.parent = -1;
    if (s.parent_span_id != 0) {
      auto it = by_id.find(s.parent_span_id);
      if (it != by_id.end() && it->second != static_cast<int32_t>(k)) {
        s.parent = it->second;
      }
    } else if (root_span < 0) {
      root_span = static_cast<int32_t>(k);
    }
    start_unix_nanos = std::min(start_unix_nanos, s.start_unix_nanos);
    end_unix_nanos =
        std::max(end_unix_nanos, s.start_unix_nanos + s.duration_nanos);
  }
  for (Span& s : spans) {
    if (s.parent >= 0) ++spans[s.parent].child_count;
  }
  if (spans.empty()) start_unix_nanos = end_unix_nanos = 0;
  duration_nanos = end_unix_nanos - start_unix_nanos;
  std::string hex = trace_id.ToHex();
  size_t nz = hex.find_first_not_of('0');
  trace_id_hex = nz == std::string::npos ? "" : hex.substr(nz);
}

}  // namespace andante::traceql
