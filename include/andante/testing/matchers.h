// gMock matchers for the spans a test Collector (andante/testing/collector.h)
// returns. Each takes a value or a matcher; failures explain what the span
// had instead.
//
//   using namespace andante::testing::matchers;
//   SpanList spans = collector->Search("{ name = \"charge\" }");
//   EXPECT_THAT(spans, ElementsAre(AllOf(
//       HasKind(SpanKind::kClient), IsError(),
//       HasAttribute("http.status_code", 402),
//       HasAttribute("payment.id"),          // present, any value
//       HasParentNamed("checkout"), HasEvent("exception"))));
//
//   Trace trace = collector->WaitForTrace(id, /*min_spans=*/4);
//   const Span& root = trace.Named("checkout");
//   EXPECT_THAT(trace, Each(AnyOf(IsRoot(), IsChildOf(root))));
//
// gMock's container matchers (SizeIs, Contains, ElementsAre, Each,
// UnorderedElementsAre, IsEmpty) apply to SpanList as to any container.
#ifndef ANDANTE_TESTING_MATCHERS_H_
#define ANDANTE_TESTING_MATCHERS_H_

#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "andante/testing/span.h"
#include "gmock/gmock.h"

namespace andante::testing {

namespace matchers_internal {

// Span attribute `key` (resource attribute when `resource`), optionally
// matching `value`.
class AttributeMatcher : public ::testing::MatcherInterface<const Span&> {
 public:
  AttributeMatcher(
      std::string key, bool resource,
      std::optional<::testing::Matcher<const AttributeValue&>> value)
      : key_(std::move(key)), resource_(resource), value_(std::move(value)) {}

  bool MatchAndExplain(
      const Span& span,
      ::testing::MatchResultListener* listener) const override {
    const Attributes& attrs =
        resource_ ? span.resource_attributes : span.attributes;
    auto it = attrs.find(key_);
    if (it == attrs.end()) {
      *listener << "which has no " << Scope() << " " << key_;
      return false;
    }
    if (!value_.has_value()) {
      *listener << "whose " << Scope() << " " << key_ << " is " << it->second;
      return true;
    }
    ::testing::StringMatchResultListener inner;
    const bool ok = value_->MatchAndExplain(it->second, &inner);
    *listener << "whose " << Scope() << " " << key_ << " is " << it->second;
    if (!inner.str().empty()) *listener << ", " << inner.str();
    return ok;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "has " << Scope() << " " << key_;
    if (value_.has_value()) {
      *os << " that ";
      value_->DescribeTo(os);
    }
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "doesn't have " << Scope() << " " << key_;
    if (value_.has_value()) {
      *os << " that ";
      value_->DescribeTo(os);
    }
  }

 private:
  const char* Scope() const {
    return resource_ ? "resource attribute" : "attribute";
  }
  std::string key_;
  bool resource_;
  std::optional<::testing::Matcher<const AttributeValue&>> value_;
};

// The span's parent is `parent` (same trace, parent_span_id = its span_id).
class ChildOfMatcher : public ::testing::MatcherInterface<const Span&> {
 public:
  explicit ChildOfMatcher(const Span& parent)
      : trace_id_(parent.trace_id),
        span_id_(parent.span_id),
        name_(parent.name) {}
  bool MatchAndExplain(
      const Span& span,
      ::testing::MatchResultListener* listener) const override {
    if (span.trace_id != trace_id_) {
      *listener << "which is in trace " << span.trace_id;
      return false;
    }
    if (span.parent_span_id.empty()) {
      *listener << "which is a root span";
      return false;
    }
    *listener << "whose parent is span " << span.parent_span_id;
    if (!span.parent_name.empty())
      *listener << " \"" << span.parent_name << "\"";
    return span.parent_span_id == span_id_;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "is a child of span " << span_id_ << " \"" << name_ << "\"";
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not a child of span " << span_id_ << " \"" << name_ << "\"";
  }

 private:
  std::string trace_id_;
  std::string span_id_;
  std::string name_;
};

}  // namespace matchers_internal

namespace matchers {

using ::andante::testing::SpanKind;
using ::andante::testing::SpanStatus;

// The span's name matches `m` (a string or a string matcher such as
// ::testing::StartsWith("GET ")).
template <typename M>
::testing::Matcher<const Span&> HasName(M m) {
  return ::testing::Field("name", &Span::name,
                          ::testing::MatcherCast<const std::string&>(m));
}

// The span's kind (SpanKind::kServer, ...).
inline ::testing::Matcher<const Span&> HasKind(SpanKind kind) {
  return ::testing::Field("kind", &Span::kind, kind);
}

// The span's status code (SpanStatus::kError, ...).
inline ::testing::Matcher<const Span&> HasStatus(SpanStatus status) {
  return ::testing::Field("status", &Span::status, status);
}

// Status code ERROR.
inline ::testing::Matcher<const Span&> IsError() {
  return HasStatus(SpanStatus::kError);
}

// The status message matches `m`.
template <typename M>
::testing::Matcher<const Span&> HasStatusMessage(M m) {
  return ::testing::Field("status_message", &Span::status_message,
                          ::testing::MatcherCast<const std::string&>(m));
}

// The span has attribute `key`, with any value.
inline ::testing::Matcher<const Span&> HasAttribute(std::string key) {
  return ::testing::MakeMatcher(new matchers_internal::AttributeMatcher(
      std::move(key), /*resource=*/false, std::nullopt));
}

// The span has attribute `key` and its value matches `m`: a value (500,
// "POST", true, 1.5; typed, so 500 does not match "500" or 500.0) or a
// matcher of AttributeValue.
template <typename M>
::testing::Matcher<const Span&> HasAttribute(std::string key, M m) {
  return ::testing::MakeMatcher(new matchers_internal::AttributeMatcher(
      std::move(key), /*resource=*/false,
      ::testing::MatcherCast<const AttributeValue&>(m)));
}

// The same for the span's resource attributes.
inline ::testing::Matcher<const Span&> HasResourceAttribute(std::string key) {
  return ::testing::MakeMatcher(new matchers_internal::AttributeMatcher(
      std::move(key), /*resource=*/true, std::nullopt));
}
template <typename M>
::testing::Matcher<const Span&> HasResourceAttribute(std::string key, M m) {
  return ::testing::MakeMatcher(new matchers_internal::AttributeMatcher(
      std::move(key), /*resource=*/true,
      ::testing::MatcherCast<const AttributeValue&>(m)));
}

// resource.service.name is `service`.
inline ::testing::Matcher<const Span&> HasService(std::string service) {
  return HasResourceAttribute("service.name",
                              AttributeValue(std::move(service)));
}

// The span has no parent.
inline ::testing::Matcher<const Span&> IsRoot() {
  return ::testing::Field("parent_span_id", &Span::parent_span_id,
                          ::testing::IsEmpty());
}

// The span's parent is `parent` (copied; it need not outlive the matcher).
inline ::testing::Matcher<const Span&> IsChildOf(const Span& parent) {
  return ::testing::MakeMatcher(new matchers_internal::ChildOfMatcher(parent));
}

// The span's parent was received and its name matches `m`.
template <typename M>
::testing::Matcher<const Span&> HasParentNamed(M m) {
  return ::testing::Field("parent_name", &Span::parent_name,
                          ::testing::MatcherCast<const std::string&>(m));
}

// The span has an event whose name matches `m`.
template <typename M>
::testing::Matcher<const Span&> HasEvent(M m) {
  return ::testing::Field("events", &Span::events,
                          ::testing::Contains(::testing::Field(
                              "name", &SpanEvent::name,
                              ::testing::MatcherCast<const std::string&>(m))));
}

// The span has an event named `name` with attribute `key` matching `m`.
template <typename M>
::testing::Matcher<const Span&> HasEvent(std::string name, std::string key,
                                         M m) {
  return ::testing::Field(
      "events", &Span::events,
      ::testing::Contains(::testing::AllOf(
          ::testing::Field("name", &SpanEvent::name, name),
          ::testing::Field(
              "attributes", &SpanEvent::attributes,
              ::testing::Contains(::testing::Pair(
                  key, ::testing::MatcherCast<const AttributeValue&>(m)))))));
}

}  // namespace matchers
}  // namespace andante::testing

#endif  // ANDANTE_TESTING_MATCHERS_H_
