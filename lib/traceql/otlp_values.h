// The OTLP -> traceql::Trace value rules, shared by the OTLP converter
// (otlp_trace.cc) and the v2 block scanner (lib/block/block_scanner.cc), so
// that a trace built from OTLP and one built from block columns hold the
// same values.
#ifndef ANDANTE_TRACEQL_OTLP_VALUES_H_
#define ANDANTE_TRACEQL_OTLP_VALUES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "andante/traceql_trace.h"
#include "andante/otlp/common/v1/common.pb.h"

namespace andante::traceql::internal {

// A span or trace ID's bytes as a big-endian integer (the last 8 bytes count).
inline uint64_t BigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

// Lower-case hex of an ID, as links are compared.
std::string HexId(std::string_view bytes);

// Adds `key` = `v` to the span, resource, scope, event or link being built in
// `t`: scalars as they are, arrays of scalars as arrays (nested arrays and
// kvlists inside dropped), kvlists and bytes not at all (nil to TraceQL).
// `scratch` is reused between calls.
void AddOtlpAttribute(std::string_view key,
                      const andante::otlp::common::v1::AnyValue& v,
                      Trace* t, std::vector<StoredValue>* scratch);

}  // namespace andante::traceql::internal

#endif  // ANDANTE_TRACEQL_OTLP_VALUES_H_
