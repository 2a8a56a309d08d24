#include "receiver/grpc_message.h"

#include <zlib.h>
#include <zstd.h>

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "snappy.h"

namespace andante::internal {
namespace {

std::string Deflate(std::string_view data, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Gzip(std::string_view data) {
  return Deflate(data, 16 + MAX_WBITS);
}
std::string Zlib(std::string_view data) { return Deflate(data, MAX_WBITS); }

std::string Zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 1);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Snappy(std::string_view data) {
  std::string out;
  snappy::Compress(data.data(), data.size(), &out);
  return out;
}

constexpr size_t kMax = 4 << 20;

TEST(GrpcMessageTest, UncompressedMessageIsThePayloadItself) {
  const std::string payload = "\x0a\x02hi";
  std::string scratch = "untouched";
  absl::StatusOr<std::string_view> bytes =
      GrpcMessageBytes({payload, false, "gzip"}, kMax, &scratch);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->data(), payload.data());  // a view, not a copy
  EXPECT_EQ(scratch, "untouched");
}

TEST(GrpcMessageTest, EveryEncodingDecompresses) {
  const std::string message(100000, 'm');
  const struct {
    std::string_view encoding;
    std::string compressed;
  } cases[] = {{"gzip", Gzip(message)},
               {"GZIP", Gzip(message)},
               {"deflate", Zlib(message)},
               {"zstd", Zstd(message)},
               {"snappy", Snappy(message)}};
  for (const auto& c : cases) {
    std::string scratch;
    absl::StatusOr<std::string_view> bytes =
        GrpcMessageBytes({c.compressed, true, c.encoding}, kMax, &scratch);
    ASSERT_TRUE(bytes.ok()) << c.encoding << ": " << bytes.status();
    EXPECT_EQ(*bytes, message) << c.encoding;
  }
}

TEST(GrpcMessageTest, CompressedFlagWithoutEncodingIsRefusedAsGrpcGo) {
  const std::string compressed = Gzip("payload");
  for (std::string_view encoding : {"", "identity"}) {
    std::string scratch;
    absl::StatusOr<std::string_view> bytes =
        GrpcMessageBytes({compressed, true, encoding}, kMax, &scratch);
    ASSERT_FALSE(bytes.ok()) << encoding;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInternal);
    EXPECT_EQ(bytes.status().message(),
              "grpc: compressed flag set with identity or empty encoding");
  }
}

TEST(GrpcMessageTest, UnknownEncodingIsUnimplemented) {
  std::string scratch;
  absl::StatusOr<std::string_view> bytes =
      GrpcMessageBytes({"xx", true, "lz4"}, kMax, &scratch);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(bytes.status().message(),
            "grpc: Decompressor is not installed for grpc-encoding \"lz4\"");
}

TEST(GrpcMessageTest, CorruptStreamIsInternalWithTheReason) {
  const std::string truncated = Gzip(std::string(10000, 'a')).substr(0, 20);
  std::string scratch;
  absl::StatusOr<std::string_view> bytes =
      GrpcMessageBytes({truncated, true, "gzip"}, kMax, &scratch);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(bytes.status().message(),
            "grpc: failed to decompress the received message: gzip: "
            "unexpected EOF");
}

TEST(GrpcMessageTest, BombStopsAtTheLimitWhileInflating) {
  // 64 MiB of zeros in ~64 KiB; the limit is 1 MiB.
  const std::string zeros(64 << 20, '\0');
  const size_t limit = 1 << 20;
  for (std::string_view encoding : {"gzip", "deflate", "zstd", "snappy"}) {
    const std::string compressed = encoding == "gzip"      ? Gzip(zeros)
                                   : encoding == "deflate" ? Zlib(zeros)
                                   : encoding == "zstd"    ? Zstd(zeros)
                                                           : Snappy(zeros);
    std::string scratch;
    absl::StatusOr<std::string_view> bytes =
        GrpcMessageBytes({compressed, true, encoding}, limit, &scratch);
    ASSERT_FALSE(bytes.ok()) << encoding;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kResourceExhausted)
        << encoding;
    EXPECT_EQ(bytes.status().message(),
              "grpc: received message after decompression larger than max "
              "1048576")
        << encoding;
    // Never more than the limit and the one byte that proved it too large.
    EXPECT_LE(scratch.capacity(), 2 * limit) << encoding;
  }
}

TEST(GrpcMessageTest, ExactlyTheLimitPasses) {
  const std::string message(1000, 'x');
  std::string scratch;
  absl::StatusOr<std::string_view> bytes =
      GrpcMessageBytes({Gzip(message), true, "gzip"}, 1000, &scratch);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, message);
  bytes = GrpcMessageBytes({Gzip(message + "x"), true, "gzip"}, 1000, &scratch);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace andante::internal
