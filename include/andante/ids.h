// Trace and span identifiers.
//
// A TraceId is 16 bytes and a SpanId 8 bytes, both stored big-endian exactly
// as they travel in OTLP. Parsing accepts hexadecimal text in either case.
//
//   absl::StatusOr<andante::TraceId> id =
//       andante::TraceId::FromHex("5b8efff798038103d269b633813fc700");
//   if (!id.ok()) return id.status();   // INVALID_ARGUMENT, names the problem
//   std::string text = id->ToHex();    // lower-case, 32 characters
//
// Two parsers exist for trace IDs because two callers need them: the strict
// one (FromHex) for OTLP, which demands exactly 32 characters, and the lenient
// one (FromQueryHex) for the HTTP API, which, like Tempo, accepts 1-32
// characters and left-pads with zero bytes so a 64-bit Jaeger/Zipkin ID finds
// the 128-bit trace it was widened to.
#ifndef ANDANTE_IDS_H_
#define ANDANTE_IDS_H_

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace andante {

// A 128-bit trace identifier. The all-zero value is representable (OTLP
// accepts it at ingest) but `IsValid()` reports it as invalid.
class TraceId {
 public:
  static constexpr size_t kSize = 16;

  // The all-zero ID.
  constexpr TraceId() = default;
  explicit constexpr TraceId(const std::array<uint8_t, kSize>& bytes)
      : bytes_(bytes) {}

  // Exactly 16 raw bytes; any other length is INVALID_ARGUMENT with
  // "trace ids must be 128 bit, received N bits".
  static absl::StatusOr<TraceId> FromBytes(std::string_view bytes);
  // Exactly 32 hex characters.
  static absl::StatusOr<TraceId> FromHex(std::string_view hex);
  // 1-32 hex characters, left-padded with zeros (Tempo's query rule).
  static absl::StatusOr<TraceId> FromQueryHex(std::string_view hex);
  // From two big-endian halves (Jaeger's traceIdHigh / traceIdLow).
  static TraceId FromHighLow(uint64_t high, uint64_t low);

  // 32 lower-case hex characters.
  std::string ToHex() const;
  // The 16 raw bytes; the view lives as long as this object.
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(bytes_.data()), kSize};
  }
  const std::array<uint8_t, kSize>& array() const { return bytes_; }
  uint64_t high() const;
  uint64_t low() const;
  bool IsZero() const;
  bool IsValid() const { return !IsZero(); }

  friend auto operator<=>(const TraceId&, const TraceId&) = default;
  friend bool operator==(const TraceId&, const TraceId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TraceId& id) {
    return H::combine(std::move(h), id.high(), id.low());
  }

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// A 64-bit span identifier. Valid spans have a non-zero ID.
class SpanId {
 public:
  static constexpr size_t kSize = 8;

  constexpr SpanId() = default;
  explicit constexpr SpanId(uint64_t value) : value_(value) {}

  // Exactly 8 raw bytes, big-endian; INVALID_ARGUMENT otherwise with
  // "span ids must be 64 bit and not all zero, received N bits".
  // All-zero bytes are rejected as well.
  static absl::StatusOr<SpanId> FromBytes(std::string_view bytes);
  // Exactly 16 hex characters, not all zero.
  static absl::StatusOr<SpanId> FromHex(std::string_view hex);

  std::string ToHex() const;
  // 8 big-endian bytes.
  std::string ToBytes() const;
  uint64_t value() const { return value_; }
  bool IsValid() const { return value_ != 0; }

  friend auto operator<=>(const SpanId&, const SpanId&) = default;
  friend bool operator==(const SpanId&, const SpanId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SpanId& id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  uint64_t value_ = 0;
};

}  // namespace andante

#endif  // ANDANTE_IDS_H_
