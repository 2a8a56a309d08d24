// The request message of a gRPC call as the receivers decode it: gRPC's own
// per-message decompression is turned off on our servers (gRPC C++ 1.51
// inflates a message completely before it checks its size, so a 4 MiB gzip
// bomb would cost gigabytes), and the message arrives as sent: its bytes, the
// compressed flag of its 5-byte frame prefix and the call's grpc-encoding.
// GrpcMessageBytes decompresses it with the bounded decoders of
// decompress.h, as the HTTP receivers do, and answers what grpc-go (and so
// Tempo) answers when it cannot:
//
//   std::string scratch;
//   absl::StatusOr<std::string_view> bytes = GrpcMessageBytes(
//       {.payload = wire, .compressed = true, .encoding = "gzip"},
//       4 << 20, &scratch);
//   // bytes.status(): RESOURCE_EXHAUSTED "grpc: received message after
//   // decompression larger than max 4194304" for a gzip bomb.
#ifndef ANDANTE_RECEIVER_GRPC_MESSAGE_H_
#define ANDANTE_RECEIVER_GRPC_MESSAGE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace andante::internal {

// One received gRPC message, before decompression.
struct GrpcMessage {
  // The message bytes as they were framed (compressed when `compressed`).
  std::string_view payload;
  // The compressed flag of the message's frame prefix.
  bool compressed = false;
  // The call's grpc-encoding ("gzip", "deflate", "identity"; empty when the
  // client sent none).
  std::string_view encoding;
};

// The message's bytes: `message.payload` itself when it is not compressed,
// else its decompression, written to `*scratch` and never larger than
// `max_message_size` (the decoder stops while inflating). The view is valid
// while `message.payload` and `*scratch` are.
//
// Errors, with grpc-go's codes and messages:
//   - compressed with no or "identity" encoding: INTERNAL "grpc: compressed
//     flag set with identity or empty encoding";
//   - compressed with an encoding it has no decompressor for: UNIMPLEMENTED
//     "grpc: Decompressor is not installed for grpc-encoding \"<name>\"";
//   - a corrupt or truncated stream: INTERNAL "grpc: failed to decompress
//     the received message: <reason>";
//   - more than `max_message_size` bytes once decompressed:
//     RESOURCE_EXHAUSTED "grpc: received message after decompression larger
//     than max <max_message_size>".
// Supported encodings: gzip, deflate (zlib format, as gRPC frames it), zstd
// and snappy (block format), case-insensitive.
absl::StatusOr<std::string_view> GrpcMessageBytes(const GrpcMessage& message,
                                                  size_t max_message_size,
                                                  std::string* scratch);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_GRPC_MESSAGE_H_
