// Bounded decompression of request bodies (HTTP Content-Encoding).
//
// Every decoder stops as soon as its output would exceed `max_output`, while
// inflating, so a small compressed body that expands to gigabytes (a "gzip
// bomb") costs at most `max_output` bytes of memory and the CPU to produce
// them. Errors name the encoding: RESOURCE_EXHAUSTED for output over the
// limit, INVALID_ARGUMENT for a corrupt stream. The HTTP receivers and the
// gRPC receivers (grpc_message.h) decompress with these decoders.
//
//   std::string out;
//   absl::Status s = Decompress(ContentEncoding::kGzip, body, 20 << 20, &out);
//   // s.message(): "gzip: decompressed body exceeds the limit of 20971520
//   bytes"
#ifndef ANDANTE_RECEIVER_DECOMPRESS_H_
#define ANDANTE_RECEIVER_DECOMPRESS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace andante::internal {

enum class ContentEncoding {
  kIdentity,  // "" or "identity"
  kGzip,      // "gzip" (multi-member streams are read to the end)
  kZlib,      // "zlib" and "deflate" (the collector treats both as zlib)
  kZstd,      // "zstd" (one or more frames)
  kSnappy,    // "snappy", block format
};

// The encoding named by a Content-Encoding header value (case-insensitive,
// surrounding whitespace ignored). INVALID_ARGUMENT
// "unsupported Content-Encoding: <value>" for anything else, including "lz4"
// and stacked encodings ("gzip, zstd").
absl::StatusOr<ContentEncoding> ParseContentEncoding(std::string_view header);

// The header token for `encoding` ("", "gzip", "zlib", "zstd", "snappy").
std::string_view ContentEncodingName(ContentEncoding encoding);

// Replaces `*out` with `input` decoded per `encoding`. INVALID_ARGUMENT when
// the input is corrupt or truncated; RESOURCE_EXHAUSTED "<encoding>:
// decompressed body exceeds the limit of <max_output> bytes" when the output
// would exceed `max_output` bytes (checked while decoding, so at most
// max_output + 1 bytes are ever produced). `*out` keeps its capacity so
// callers can reuse one buffer; its content is unspecified after an error.
// REQUIRES: encoding != kIdentity (callers use `input` directly).
absl::Status Decompress(ContentEncoding encoding, std::string_view input,
                        size_t max_output, std::string* out);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_DECOMPRESS_H_
