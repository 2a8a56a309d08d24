// Value formatting shared by the generator's processors, registry and
// exposition: Prometheus' float and label spellings, Tempo's label-name
// sanitisation and attribute stringification.
#ifndef ANDANTE_GENERATOR_FORMAT_H_
#define ANDANTE_GENERATOR_FORMAT_H_

#include <string>
#include <string_view>

namespace andante::otlp::common::v1 {
class AnyValue;
}

namespace andante::internal {

// Shortest decimal that round-trips, never with an exponent ("0.002",
// "16.384", "1", "100000000"); "+Inf", "-Inf", "NaN".
std::string FormatFloat(double v);

// A label value escaped for the text exposition format (\\, \", \n).
std::string EscapeLabelValue(std::string_view v);

// 16 raw trace-ID bytes -> lowercase hex with leading zeros removed (Tempo's
// exemplar spelling). "0" for an all-zero ID.
std::string TraceIdExemplarHex(std::string_view trace_id);

// Every Unicode character outside [A-Za-z0-9_] replaced by one '_'
// (invalid UTF-8 bytes count one each). A leading digit is kept.
std::string SanitizeLabelName(std::string_view name);

// Tempo's attribute stringification: strings as-is, ints decimal, doubles
// shortest 'f' form, bools true/false, arrays "[" + elements + "]",
// kvlists "{k:v...}"; "" for an empty value.
std::string AnyValueString(const andante::otlp::common::v1::AnyValue& v);

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_FORMAT_H_
