// What the test collector hands a test: spans as plain values, with no
// protobuf or OTLP type in sight, so assertions read like the instrumented
// code (`span.name == "charge"`, `span.attributes.at("http.status_code")`).
//
//   andante::testing::Trace trace = collector->WaitForTrace(trace_id_hex);
//   for (const andante::testing::Span& span : trace) {
//     if (span.status == andante::testing::SpanStatus::kError) ...
//   }
//
// A SpanList (what Search and WaitForTrace return) is an STL-style container
// of Span, so gMock's container matchers apply (SizeIs, ElementsAre,
// Contains, Each...). When an assertion on it fails, GoogleTest prints it
// with PrintTo below: the spans in the list and then every span the
// collector had received, as a tree per trace.
#ifndef ANDANTE_TESTING_SPAN_H_
#define ANDANTE_TESTING_SPAN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace andante::testing {

// OTLP's Span.SpanKind.
enum class SpanKind {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

// OTLP's Status.StatusCode.
enum class SpanStatus {
  kUnset = 0,
  kOk = 1,
  kError = 2,
};

// "server", "error", ... as TraceQL spells them.
std::string_view SpanKindName(SpanKind kind);
std::string_view SpanStatusName(SpanStatus status);
std::ostream& operator<<(std::ostream& os, SpanKind kind);
std::ostream& operator<<(std::ostream& os, SpanStatus status);

// One attribute value. Strings, booleans, integers and doubles keep their
// type; arrays, key-value lists and bytes are held as their text rendering
// (`[1, 2]`, `{a=1}`, `0x0a0b`) in a string. Implicitly constructible from
// the C++ literal types, so `attributes.at("n") == 3` and matchers such as
// HasAttribute("n", 3) read naturally. An int compares equal only to an
// integer attribute: 3 and 3.0 differ, as they do in OTLP.
class AttributeValue {
 public:
  using Variant =
      std::variant<std::monostate, std::string, bool, int64_t, double>;

  AttributeValue() = default;
  AttributeValue(const char* s) : value_(std::string(s)) {}       // NOLINT
  AttributeValue(std::string s) : value_(std::move(s)) {}         // NOLINT
  AttributeValue(std::string_view s) : value_(std::string(s)) {}  // NOLINT
  AttributeValue(bool b) : value_(b) {}                           // NOLINT
  AttributeValue(int i) : value_(int64_t{i}) {}                   // NOLINT
  AttributeValue(long i) : value_(int64_t{i}) {}                  // NOLINT
  AttributeValue(long long i) : value_(int64_t{i}) {}             // NOLINT
  AttributeValue(unsigned i) : value_(int64_t{i}) {}              // NOLINT
  AttributeValue(double d) : value_(d) {}                         // NOLINT

  const Variant& value() const { return value_; }
  bool is_empty() const { return value_.index() == 0; }

  // The value as TraceQL would write it: "text" quoted, true, 42, 1.5.
  std::string ToString() const;

  friend bool operator==(const AttributeValue& a, const AttributeValue& b) {
    return a.value_ == b.value_;
  }
  friend bool operator!=(const AttributeValue& a, const AttributeValue& b) {
    return !(a == b);
  }
  friend std::ostream& operator<<(std::ostream& os, const AttributeValue& v) {
    return os << v.ToString();
  }

 private:
  Variant value_;
};

using Attributes = std::map<std::string, AttributeValue, std::less<>>;

// A span event (OTLP Span.Event), e.g. a recorded exception.
struct SpanEvent {
  std::string name;
  int64_t time_unix_nanos = 0;
  Attributes attributes;
};

// A span link (OTLP Span.Link).
struct SpanLink {
  std::string trace_id;  // 32 lowercase hex digits
  std::string span_id;   // 16 lowercase hex digits
  Attributes attributes;
};

// One received span, with its resource and instrumentation scope folded in.
struct Span {
  std::string trace_id;        // 32 lowercase hex digits
  std::string span_id;         // 16 lowercase hex digits
  std::string parent_span_id;  // 16 hex digits; empty for a root span
  // The parent's name when the parent span was received too, else empty.
  std::string parent_name;
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  SpanStatus status = SpanStatus::kUnset;
  std::string status_message;
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  Attributes attributes;
  // The resource's attributes; `service.name` among them.
  Attributes resource_attributes;
  std::string scope_name;  // instrumentation scope
  std::string scope_version;
  std::vector<SpanEvent> events;
  std::vector<SpanLink> links;

  // resource_attributes["service.name"] as text, or "".
  std::string service_name() const;
  bool is_root() const { return parent_span_id.empty(); }
  int64_t duration_nanos() const { return end_unix_nanos - start_unix_nanos; }
  // The attribute `key`, or an empty AttributeValue.
  AttributeValue attribute(std::string_view key) const;
};

// One line: `"charge" client error("card declined") 3.2ms span=... parent=...
// {http.status_code=500}`.
void PrintTo(const Span& span, std::ostream* os);
std::ostream& operator<<(std::ostream& os, const Span& span);

// The spans given as an indented tree per trace (children under their
// parent, siblings by start time; spans whose parent was not received at the
// top with a note), attributes and events included.
std::string FormatSpanTree(const std::vector<Span>& spans);

// Spans answered by the collector, in start-time order, plus what GoogleTest
// needs to print a failure usefully. Copyable; a plain container otherwise.
class SpanList {
 public:
  using value_type = Span;
  using size_type = std::vector<Span>::size_type;
  using const_iterator = std::vector<Span>::const_iterator;
  using iterator = const_iterator;
  using const_reference = const Span&;
  using reference = const Span&;

  SpanList() = default;
  // `what` names the question ("search { status = error }"); `received`
  // renders every span the collector holds, called only when printing.
  SpanList(std::vector<Span> spans, std::string what,
           std::function<std::string()> received = nullptr,
           absl::Status status = absl::OkStatus())
      : spans_(std::move(spans)),
        what_(std::move(what)),
        received_(std::move(received)),
        status_(std::move(status)) {}

  const_iterator begin() const { return spans_.begin(); }
  const_iterator end() const { return spans_.end(); }
  size_type size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  const Span& operator[](size_type i) const { return spans_[i]; }
  const std::vector<Span>& spans() const { return spans_; }

  // The first span named `name`. If there is none: a non-fatal GoogleTest
  // failure printing the list, and an empty Span. Find tests for one.
  const Span& Named(std::string_view name) const;
  // The first span named `name`, or null.
  const Span* Find(std::string_view name) const;

  // Not OK when the question could not be asked (invalid TraceQL, invalid
  // trace ID, collector stopped); the list is then empty.
  const absl::Status& status() const { return status_; }
  const std::string& what() const { return what_; }
  // Every span the collector holds, as FormatSpanTree renders them.
  std::string ReceivedTree() const;

 private:
  std::vector<Span> spans_;
  std::string what_;
  std::function<std::string()> received_;
  absl::Status status_;
};

// A trace as WaitForTrace returns it: its spans in start-time order.
using Trace = SpanList;

// Prints the list's spans, then every span the collector had received as a
// tree, so a failed EXPECT_THAT(collector.Search(...), SizeIs(1)) shows what
// did arrive.
void PrintTo(const SpanList& list, std::ostream* os);

}  // namespace andante::testing

#endif  // ANDANTE_TESTING_SPAN_H_
