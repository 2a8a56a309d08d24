// A serialized OTLP export request whose IDs and timestamps can be rewritten
// in place, so every send carries fresh traces without re-encoding.
//
// The load generator builds a few dozen realistic batches before it starts
// the clock, serializes each once, and on every send copies the bytes and
// patches them: each trace gets a new random trace ID, its span IDs (and the
// parent span IDs pointing at them) are XORed with one random 64-bit mask so
// the tree stays intact, and every timestamp moves by the time elapsed since
// the pool was built. The encoded length never changes.
//
//   absl::StatusOr<RequestTemplate> t = RequestTemplate::Parse(bytes);
//   std::string body;
//   std::vector<SentTrace> sent;
//   t->Instantiate(rng, shift_ns, &body, &sent);   // send `body`
#ifndef ANDANTE_BENCH_LOADGEN_REQUEST_TEMPLATE_H_
#define ANDANTE_BENCH_LOADGEN_REQUEST_TEMPLATE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace andante::loadgen {

// A small, fast generator for ID bytes (splitmix64).
class IdRng {
 public:
  explicit IdRng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// One trace of a sent request: its ID and how many spans it had.
struct SentTrace {
  std::array<uint8_t, 16> trace_id;
  uint32_t spans;
};

class RequestTemplate {
 public:
  // Walks the protobuf encoding of an ExportTraceServiceRequest (what
  // SerializeAsString produced) and records where every trace ID, span ID,
  // parent span ID and timestamp sits. INVALID_ARGUMENT on malformed input
  // or on a span whose trace ID is not 16 bytes.
  static absl::StatusOr<RequestTemplate> Parse(std::string bytes);

  // Overwrites `*out` with a copy of the request carrying fresh IDs and all
  // timestamps moved by `shift_ns`, and replaces `*sent` with its traces.
  void Instantiate(IdRng& rng, int64_t shift_ns, std::string* out,
                   std::vector<SentTrace>* sent) const;

  const std::string& bytes() const { return bytes_; }
  int spans() const { return spans_; }
  size_t traces() const { return traces_.size(); }

 private:
  struct TracePatch {
    uint32_t spans = 0;
    std::vector<uint32_t> trace_id_offsets;  // 16 bytes each
    std::vector<uint32_t> span_id_offsets;   // 8 bytes each, span and parent
  };

  std::string bytes_;
  int spans_ = 0;
  std::vector<TracePatch> traces_;
  std::vector<uint32_t> time_offsets_;  // fixed64 little-endian
};

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_REQUEST_TEMPLATE_H_
