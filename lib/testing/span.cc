// Printing of test-collector spans: one line per span, a tree per trace.
#include "andante/testing/span.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace andante::testing {
namespace {

// Quotes `s` as a TraceQL/JSON string literal.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string FormatAttributes(const Attributes& attrs) {
  std::string out = "{";
  for (const auto& [key, value] : attrs) {
    if (out.size() > 1) out += ", ";
    absl::StrAppend(&out, key, "=", value.ToString());
  }
  return out + "}";
}

std::string FormatDuration(int64_t nanos) {
  if (nanos < 1000) return absl::StrCat(nanos, "ns");
  if (nanos < 1000000) return absl::StrFormat("%.1fus", nanos / 1e3);
  if (nanos < 1000000000) return absl::StrFormat("%.2fms", nanos / 1e6);
  return absl::StrFormat("%.3fs", nanos / 1e9);
}

// `"name" kind status 1.2ms` plus attributes: the part of a span's line
// that the tree and PrintTo share.
std::string Describe(const Span& span) {
  std::string out =
      absl::StrCat(Quote(span.name), " ", std::string(SpanKindName(span.kind)),
                   " ", std::string(SpanStatusName(span.status)));
  if (!span.status_message.empty()) {
    absl::StrAppend(&out, "(", Quote(span.status_message), ")");
  }
  absl::StrAppend(&out, " ", FormatDuration(span.duration_nanos()),
                  " span=", span.span_id);
  if (!span.attributes.empty()) {
    absl::StrAppend(&out, " ", FormatAttributes(span.attributes));
  }
  return out;
}

bool ByStart(const Span* a, const Span* b) {
  if (a->start_unix_nanos != b->start_unix_nanos) {
    return a->start_unix_nanos < b->start_unix_nanos;
  }
  return a->span_id < b->span_id;
}

void AppendSubtree(
    const Span& span,
    const absl::flat_hash_map<std::string, std::vector<const Span*>>& children,
    int depth, absl::flat_hash_set<const Span*>& printed, std::string* out) {
  if (!printed.insert(&span).second) return;  // a cycle of bad parent IDs
  const std::string indent(2 * depth + 2, ' ');
  absl::StrAppend(out, indent, Describe(span), "\n");
  for (const SpanEvent& event : span.events) {
    absl::StrAppend(out, indent, "    event ", Quote(event.name));
    if (!event.attributes.empty()) {
      absl::StrAppend(out, " ", FormatAttributes(event.attributes));
    }
    absl::StrAppend(out, "\n");
  }
  auto it = children.find(span.span_id);
  if (it == children.end()) return;
  for (const Span* child : it->second) {
    AppendSubtree(*child, children, depth + 1, printed, out);
  }
}

}  // namespace

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified:
      return "unspecified";
    case SpanKind::kInternal:
      return "internal";
    case SpanKind::kServer:
      return "server";
    case SpanKind::kClient:
      return "client";
    case SpanKind::kProducer:
      return "producer";
    case SpanKind::kConsumer:
      return "consumer";
  }
  return "unknown-kind";
}

std::string_view SpanStatusName(SpanStatus status) {
  switch (status) {
    case SpanStatus::kUnset:
      return "unset";
    case SpanStatus::kOk:
      return "ok";
    case SpanStatus::kError:
      return "error";
  }
  return "unknown-status";
}

std::ostream& operator<<(std::ostream& os, SpanKind kind) {
  return os << SpanKindName(kind);
}

std::ostream& operator<<(std::ostream& os, SpanStatus status) {
  return os << SpanStatusName(status);
}

std::string AttributeValue::ToString() const {
  struct Visitor {
    std::string operator()(std::monostate) const { return "nil"; }
    std::string operator()(const std::string& s) const { return Quote(s); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const {
      // The shortest of 15-17 significant digits that reads back as `d`.
      std::string s;
      for (int precision = 15; precision <= 17; ++precision) {
        s = absl::StrFormat("%.*g", precision, d);
        if (std::strtod(s.c_str(), nullptr) == d) break;
      }
      if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
      return s;
    }
  };
  return std::visit(Visitor{}, value_);
}

std::string Span::service_name() const {
  auto it = resource_attributes.find("service.name");
  if (it == resource_attributes.end()) return "";
  if (const auto* s = std::get_if<std::string>(&it->second.value())) return *s;
  return it->second.ToString();
}

AttributeValue Span::attribute(std::string_view key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? AttributeValue() : it->second;
}

void PrintTo(const Span& span, std::ostream* os) {
  *os << Describe(span) << " trace=" << span.trace_id;
  if (!span.parent_span_id.empty()) {
    *os << " parent=" << span.parent_span_id;
    if (!span.parent_name.empty())
      *os << " (" << Quote(span.parent_name) << ")";
  }
  const std::string service = span.service_name();
  if (!service.empty()) *os << " service=" << Quote(service);
  for (const SpanEvent& event : span.events) {
    *os << " event " << Quote(event.name);
    if (!event.attributes.empty())
      *os << " " << FormatAttributes(event.attributes);
  }
}

std::ostream& operator<<(std::ostream& os, const Span& span) {
  PrintTo(span, &os);
  return os;
}

std::string FormatSpanTree(const std::vector<Span>& spans) {
  if (spans.empty()) return "  (no spans)\n";
  // Traces in order of their first span's start; spans by start within.
  std::map<std::string, std::vector<const Span*>> traces;
  for (const Span& span : spans) traces[span.trace_id].push_back(&span);
  std::vector<std::pair<std::string, std::vector<const Span*>>> ordered(
      traces.begin(), traces.end());
  for (auto& [id, list] : ordered) std::sort(list.begin(), list.end(), ByStart);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) {
                     return a.second.front()->start_unix_nanos <
                            b.second.front()->start_unix_nanos;
                   });
  std::string out;
  for (const auto& [id, list] : ordered) {
    absl::flat_hash_set<std::string> ids;
    absl::flat_hash_map<std::string, std::vector<const Span*>> children;
    for (const Span* s : list) ids.insert(s->span_id);
    std::string service;
    for (const Span* s : list) {
      if (!s->parent_span_id.empty() && ids.contains(s->parent_span_id)) {
        children[s->parent_span_id].push_back(s);
      }
      if (service.empty()) service = s->service_name();
    }
    absl::StrAppend(&out, "trace ", id, " (", list.size(),
                    list.size() == 1 ? " span" : " spans");
    if (!service.empty()) absl::StrAppend(&out, ", service ", Quote(service));
    absl::StrAppend(&out, ")\n");
    absl::flat_hash_set<const Span*> printed;
    for (const Span* s : list) {
      const bool top =
          s->parent_span_id.empty() || !ids.contains(s->parent_span_id);
      if (!top) continue;
      if (!s->parent_span_id.empty()) {
        absl::StrAppend(&out, "  (parent ", s->parent_span_id,
                        " not received)\n");
      }
      AppendSubtree(*s, children, 0, printed, &out);
    }
    for (const Span* s : list) {  // spans caught in a parent cycle
      if (!printed.contains(s)) AppendSubtree(*s, children, 0, printed, &out);
    }
  }
  return out;
}

const Span* SpanList::Find(std::string_view name) const {
  for (const Span& span : spans_) {
    if (span.name == name) return &span;
  }
  return nullptr;
}

const Span& SpanList::Named(std::string_view name) const {
  if (const Span* span = Find(name)) return *span;
  std::ostringstream os;
  PrintTo(*this, &os);
  ADD_FAILURE() << "no span named \"" << name << "\" among " << os.str();
  static const Span* const kNone = new Span();
  return *kNone;
}

std::string SpanList::ReceivedTree() const {
  return received_ ? received_() : std::string();
}

void PrintTo(const SpanList& list, std::ostream* os) {
  *os << list.size() << (list.size() == 1 ? " span" : " spans");
  if (!list.what().empty()) *os << " from " << list.what();
  if (!list.status().ok()) *os << " (failed: " << list.status() << ")";
  *os << (list.empty() ? "" : ":");
  for (const Span& span : list) {
    *os << "\n  ";
    PrintTo(span, os);
  }
  const std::string received = list.ReceivedTree();
  if (!received.empty()) {
    *os << "\nSpans the collector received:\n" << received;
  }
}

}  // namespace andante::testing
