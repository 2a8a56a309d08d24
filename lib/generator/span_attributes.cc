#include "generator/span_attributes.h"

#include "generator/format.h"

namespace andante::internal {

std::string LookupAttribute(const Attributes& first, const Attributes& second,
                            std::string_view key) {
  if (const auto* v = FindAttribute(first, key)) return AnyValueString(*v);
  if (const auto* v = FindAttribute(second, key)) return AnyValueString(*v);
  return "";
}

double SpanMultiplier(const Attributes& span, const Attributes& resource,
                      std::string_view key) {
  if (key.empty()) return 1;
  using andante::otlp::common::v1::AnyValue;
  const AnyValue* v = FindAttribute(span, key);
  if (v == nullptr) v = FindAttribute(resource, key);
  if (v == nullptr) return 1;
  double ratio = 0;
  if (v->value_case() == AnyValue::kDoubleValue) {
    ratio = v->double_value();
  } else if (v->value_case() == AnyValue::kIntValue) {
    ratio = static_cast<double>(v->int_value());
  }
  return ratio > 0 ? 1 / ratio : 1;
}

}  // namespace andante::internal
