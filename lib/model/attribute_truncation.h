// `max_attribute_bytes`: attribute keys and string values longer than the
// limit are cut to it, on a UTF-8 character boundary, before they are
// stored (Tempo's distributor truncates rather than rejects).
//
//   uint64_t n = 0;
//   if (fragment.data.size() > max) {  // nothing longer can hide inside
//     absl::Status s = TruncateFragmentAttributes(&fragment.data, max, &n);
//   }
#ifndef ANDANTE_MODEL_ATTRIBUTE_TRUNCATION_H_
#define ANDANTE_MODEL_ATTRIBUTE_TRUNCATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence (a
// partial trailing sequence is removed whole). True if it changed.
bool TruncateUtf8(std::string* s, uint64_t max);

// Truncates every attribute key and string value (resource, scope, span,
// event and link attributes, including strings nested in arrays and
// key-value lists) of `data`. Returns how many keys/values were cut.
uint64_t TruncateAttributes(andante::otlp::trace::v1::TracesData* data,
                            uint64_t max);

// The same for a serialized TracesData (a stored fragment), rewritten in
// place only if something was cut. INVALID_ARGUMENT if it does not parse.
absl::Status TruncateFragmentAttributes(std::string* data, uint64_t max,
                                        uint64_t* truncated);

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_ATTRIBUTE_TRUNCATION_H_
