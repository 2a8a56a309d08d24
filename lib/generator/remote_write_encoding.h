// Prometheus remote-write 1.0 request bodies: CollectedSamples -> protobuf
// WriteRequest -> snappy block compression.
#ifndef ANDANTE_GENERATOR_REMOTE_WRITE_ENCODING_H_
#define ANDANTE_GENERATOR_REMOTE_WRITE_ENCODING_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "andante/metrics_registry.h"

namespace andante::internal {

// Serialized WriteRequest with one TimeSeries per series: consecutive
// samples with the same label set (the initial zero and the value) share
// one entry, in timestamp order. Exemplars are included when
// `send_exemplars`.
std::string EncodeWriteRequest(absl::Span<const CollectedSample> samples,
                               bool send_exemplars);

// Snappy block format (not the framing format), as remote write requires.
std::string SnappyCompress(std::string_view raw);
// INVALID_ARGUMENT on a corrupt block.
absl::StatusOr<std::string> SnappyUncompress(std::string_view compressed);

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_REMOTE_WRITE_ENCODING_H_
