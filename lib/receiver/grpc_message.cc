#include "receiver/grpc_message.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "receiver/decompress.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

// The decoder for a grpc-encoding name; nullopt for one we cannot decode.
// gRPC's "deflate" is the zlib format (RFC 1950), as gRPC core and
// grpc-js write it.
std::optional<ContentEncoding> DecoderFor(std::string_view encoding) {
  const absl::string_view name = ToAbsl(encoding);
  if (absl::EqualsIgnoreCase(name, "gzip")) return ContentEncoding::kGzip;
  if (absl::EqualsIgnoreCase(name, "deflate")) return ContentEncoding::kZlib;
  if (absl::EqualsIgnoreCase(name, "zstd")) return ContentEncoding::kZstd;
  if (absl::EqualsIgnoreCase(name, "snappy")) return ContentEncoding::kSnappy;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::string_view> GrpcMessageBytes(const GrpcMessage& message,
                                                  size_t max_message_size,
                                                  std::string* scratch) {
  if (!message.compressed) return message.payload;
  if (message.encoding.empty() ||
      absl::EqualsIgnoreCase(ToAbsl(message.encoding), "identity")) {
    return absl::InternalError(
        "grpc: compressed flag set with identity or empty encoding");
  }
  std::optional<ContentEncoding> decoder = DecoderFor(message.encoding);
  if (!decoder.has_value()) {
    return absl::UnimplementedError(
        absl::StrCat("grpc: Decompressor is not installed for grpc-encoding \"",
                     ToAbsl(message.encoding), "\""));
  }
  absl::Status s =
      Decompress(*decoder, message.payload, max_message_size, scratch);
  if (s.code() == absl::StatusCode::kResourceExhausted) {
    return absl::ResourceExhaustedError(
        absl::StrCat("grpc: received message after decompression larger "
                     "than max ",
                     max_message_size));
  }
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat(
        "grpc: failed to decompress the received message: ", s.message()));
  }
  return std::string_view(*scratch);
}

}  // namespace andante::internal
