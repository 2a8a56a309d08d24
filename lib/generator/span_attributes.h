// Reading the OTLP span model the way the generator's processors need it.
#ifndef ANDANTE_GENERATOR_SPAN_ATTRIBUTES_H_
#define ANDANTE_GENERATOR_SPAN_ATTRIBUTES_H_

#include <string>
#include <string_view>

#include "google/protobuf/repeated_ptr_field.h"
#include "andante/otlp/common/v1/common.pb.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

using Attributes = google::protobuf::RepeatedPtrField<
    andante::otlp::common::v1::KeyValue>;

// The first attribute named `key`, or null.
inline const andante::otlp::common::v1::AnyValue* FindAttribute(
    const Attributes& attrs, std::string_view key) {
  for (const auto& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

// Stringified value of `key` in `first`, else in `second`; "" if absent.
std::string LookupAttribute(const Attributes& first, const Attributes& second,
                            std::string_view key);

// (end - start) in seconds; 0 if end <= start.
inline double LatencySeconds(const andante::otlp::trace::v1::Span& s) {
  if (s.end_time_unix_nano() <= s.start_time_unix_nano()) return 0;
  return static_cast<double>(s.end_time_unix_nano() -
                             s.start_time_unix_nano()) /
         1e9;
}

// 1/v for the double (or int) attribute `key` (span attributes first, then
// resource) when v > 0; else 1 (also for an empty key).
double SpanMultiplier(const Attributes& span, const Attributes& resource,
                      std::string_view key);

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_SPAN_ATTRIBUTES_H_
