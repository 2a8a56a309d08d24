#include "receiver/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "snappy.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

constexpr size_t kMinChunk = 16 * 1024;

absl::Status TooLarge(std::string_view encoding, size_t max_output) {
  return absl::ResourceExhaustedError(absl::StrCat(
      ToAbsl(encoding), ": decompressed body exceeds the limit of ", max_output,
      " bytes"));
}

// Makes room for more output in `*out`, which holds `produced` valid bytes.
// The buffer never grows past max_output + 1: producing that extra byte is
// how an oversize stream is detected without inflating any further.
void Grow(size_t produced, size_t max_output, std::string* out) {
  size_t cap = max_output + 1;
  size_t next = std::min(cap, std::max(out->size() * 2, produced + kMinChunk));
  out->resize(next);
}

size_t InitialSize(size_t input_size, size_t max_output,
                   const std::string& out) {
  // Reuse whatever the caller's buffer already holds; otherwise guess 4x.
  size_t guess = std::max({input_size * 4, out.capacity(), kMinChunk});
  return std::min(guess, max_output + 1);
}

absl::Status Inflate(std::string_view input, bool gzip, size_t max_output,
                     std::string* out) {
  const std::string_view name = gzip ? "gzip" : "zlib";
  z_stream zs{};
  if (inflateInit2(&zs, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK) {
    return absl::InternalError(
        absl::StrCat(ToAbsl(name), ": inflateInit failed"));
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> cleanup(&zs, inflateEnd);

  const auto* in = reinterpret_cast<const Bytef*>(input.data());
  size_t in_left = input.size();
  auto feed = [&] {
    uInt n = static_cast<uInt>(std::min<size_t>(in_left, UINT_MAX));
    zs.next_in = const_cast<Bytef*>(in);
    zs.avail_in = n;
  };
  feed();
  out->resize(InitialSize(input.size(), max_output, *out));
  size_t produced = 0;
  for (;;) {
    if (produced == out->size()) {
      if (produced > max_output) return TooLarge(name, max_output);
      Grow(produced, max_output, out);
    }
    size_t room = std::min<size_t>(out->size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    uInt avail_in_before = zs.avail_in;
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    size_t consumed = avail_in_before - zs.avail_in;
    in += consumed;
    in_left -= consumed;
    if (zs.avail_in == 0 && in_left > 0) feed();
    if (produced > max_output) return TooLarge(name, max_output);
    if (rc == Z_STREAM_END) {
      // gzip allows several members back to back (Go's reader reads them
      // all); anything after a zlib stream is ignored, as Go's reader does.
      if (gzip && in_left > 0) {
        if (inflateReset(&zs) != Z_OK) {
          return absl::InternalError("gzip: inflateReset failed");
        }
        continue;
      }
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either the output is full (grow and retry) or
      // the input ended before the stream did.
      if (zs.avail_out == 0) continue;
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(name), ": unexpected EOF"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        ToAbsl(name),
        ": invalid data: ", zs.msg != nullptr ? zs.msg : "corrupt stream"));
  }
  out->resize(produced);
  return absl::OkStatus();
}

struct DctxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

absl::Status Unzstd(std::string_view input, size_t max_output,
                    std::string* out) {
  // One decompression context per thread: creating one costs more than
  // decoding a typical small request.
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
  if (dctx == nullptr) return absl::InternalError("zstd: out of memory");
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);

  out->clear();
  if (input.empty()) return absl::OkStatus();
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  out->resize(InitialSize(input.size(), max_output, *out));
  size_t produced = 0;
  for (;;) {
    if (produced == out->size()) {
      if (produced > max_output) return TooLarge("zstd", max_output);
      Grow(produced, max_output, out);
    }
    ZSTD_outBuffer ob{out->data(), out->size(), produced};
    size_t rc = ZSTD_decompressStream(dctx.get(), &ob, &in);
    produced = ob.pos;
    if (ZSTD_isError(rc)) {
      // Leave the context usable for the next request on this thread.
      ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
      return absl::InvalidArgumentError(
          absl::StrCat("zstd: invalid data: ", ZSTD_getErrorName(rc)));
    }
    if (produced > max_output) return TooLarge("zstd", max_output);
    if (in.pos == in.size) {
      if (rc == 0) break;  // every frame complete
      // Input consumed mid-frame: more output may still be buffered if the
      // output filled up; otherwise the stream is truncated.
      if (ob.pos < ob.size) {
        ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
        return absl::InvalidArgumentError("zstd: unexpected EOF");
      }
    }
  }
  out->resize(produced);
  return absl::OkStatus();
}

absl::Status Unsnappy(std::string_view input, size_t max_output,
                      std::string* out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(input.data(), input.size(), &length)) {
    return absl::InvalidArgumentError("snappy: corrupt input");
  }
  // The block format states its length up front: check before allocating.
  if (length > max_output) return TooLarge("snappy", max_output);
  out->resize(length);
  if (!snappy::RawUncompress(input.data(), input.size(), out->data())) {
    return absl::InvalidArgumentError("snappy: corrupt input");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ContentEncoding> ParseContentEncoding(std::string_view header) {
  absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(header));
  if (value.empty() || absl::EqualsIgnoreCase(value, "identity")) {
    return ContentEncoding::kIdentity;
  }
  if (absl::EqualsIgnoreCase(value, "gzip")) return ContentEncoding::kGzip;
  if (absl::EqualsIgnoreCase(value, "zlib") ||
      absl::EqualsIgnoreCase(value, "deflate")) {
    return ContentEncoding::kZlib;
  }
  if (absl::EqualsIgnoreCase(value, "zstd")) return ContentEncoding::kZstd;
  if (absl::EqualsIgnoreCase(value, "snappy")) return ContentEncoding::kSnappy;
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported Content-Encoding: ", ToAbsl(header)));
}

std::string_view ContentEncodingName(ContentEncoding encoding) {
  switch (encoding) {
    case ContentEncoding::kIdentity:
      return "";
    case ContentEncoding::kGzip:
      return "gzip";
    case ContentEncoding::kZlib:
      return "zlib";
    case ContentEncoding::kZstd:
      return "zstd";
    case ContentEncoding::kSnappy:
      return "snappy";
  }
  return "";
}

absl::Status Decompress(ContentEncoding encoding, std::string_view input,
                        size_t max_output, std::string* out) {
  switch (encoding) {
    case ContentEncoding::kGzip:
      return Inflate(input, /*gzip=*/true, max_output, out);
    case ContentEncoding::kZlib:
      return Inflate(input, /*gzip=*/false, max_output, out);
    case ContentEncoding::kZstd:
      return Unzstd(input, max_output, out);
    case ContentEncoding::kSnappy:
      return Unsnappy(input, max_output, out);
    case ContentEncoding::kIdentity:
      break;
  }
  if (input.size() > max_output) return TooLarge("identity", max_output);
  out->assign(input.data(), input.size());
  return absl::OkStatus();
}

}  // namespace andante::internal
