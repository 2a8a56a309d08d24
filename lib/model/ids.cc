#include "andante/ids.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace andante {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `hex` (even length) into `out`, naming the first bad character the
// way Tempo does.
absl::Status DecodeHex(std::string_view hex, uint8_t* out) {
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      size_t pos = hi < 0 ? i : i + 1;
      return absl::InvalidArgumentError(absl::StrFormat(
          "trace IDs can only contain hex characters: invalid character '%c' "
          "at position %d",
          hex[pos], static_cast<int>(pos + 1)));
    }
    out[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return absl::OkStatus();
}

std::string EncodeHex(const uint8_t* data, size_t n) {
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[data[i] >> 4];
    out[2 * i + 1] = kHexDigits[data[i] & 0xf];
  }
  return out;
}

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

void StoreBigEndian64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

}  // namespace

absl::StatusOr<TraceId> TraceId::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trace ids must be 128 bit, received ", bytes.size() * 8, " bits"));
  }
  TraceId id;
  std::memcpy(id.bytes_.data(), bytes.data(), kSize);
  return id;
}

absl::StatusOr<TraceId> TraceId::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trace id must be 32 hex characters, received ", hex.size()));
  }
  TraceId id;
  absl::Status s = DecodeHex(hex, id.bytes_.data());
  if (!s.ok()) return s;
  return id;
}

absl::StatusOr<TraceId> TraceId::FromQueryHex(std::string_view hex) {
  if (hex.empty()) {
    return absl::InvalidArgumentError("trace ID is empty");
  }
  if (hex.size() > 2 * kSize) {
    return absl::InvalidArgumentError("trace IDs can't be larger than 128 bits");
  }
  std::string padded;
  if (hex.size() % 2 == 1) {
    padded = std::string("0").append(hex);
    hex = padded;
  }
  TraceId id;
  uint8_t* dest = id.bytes_.data() + (kSize - hex.size() / 2);
  absl::Status s = DecodeHex(hex, dest);
  if (!s.ok()) {
    // Positions refer to the caller's text, not the padded copy.
    if (!padded.empty()) {
      for (size_t i = 0; i + 1 < padded.size(); ++i) {
        if (HexValue(padded[i + 1]) < 0) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "trace IDs can only contain hex characters: invalid character "
              "'%c' at position %d",
              padded[i + 1], static_cast<int>(i + 1)));
        }
      }
    }
    return s;
  }
  return id;
}

TraceId TraceId::FromHighLow(uint64_t high, uint64_t low) {
  TraceId id;
  StoreBigEndian64(high, id.bytes_.data());
  StoreBigEndian64(low, id.bytes_.data() + 8);
  return id;
}

std::string TraceId::ToHex() const { return EncodeHex(bytes_.data(), kSize); }
uint64_t TraceId::high() const { return LoadBigEndian64(bytes_.data()); }
uint64_t TraceId::low() const { return LoadBigEndian64(bytes_.data() + 8); }
bool TraceId::IsZero() const { return high() == 0 && low() == 0; }

absl::StatusOr<SpanId> SpanId::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("span ids must be 64 bit and not all zero, received ",
                     bytes.size() * 8, " bits"));
  }
  SpanId id(LoadBigEndian64(reinterpret_cast<const uint8_t*>(bytes.data())));
  if (!id.IsValid()) {
    return absl::InvalidArgumentError(
        "span ids must be 64 bit and not all zero, received 64 bits");
  }
  return id;
}

absl::StatusOr<SpanId> SpanId::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "span id must be 16 hex characters, received ", hex.size()));
  }
  uint8_t raw[kSize];
  absl::Status s = DecodeHex(hex, raw);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        std::string("span IDs can only contain hex characters: ").append(hex));
  }
  SpanId id(LoadBigEndian64(raw));
  if (!id.IsValid()) {
    return absl::InvalidArgumentError("span id must not be all zero");
  }
  return id;
}

std::string SpanId::ToHex() const {
  uint8_t raw[kSize];
  StoreBigEndian64(value_, raw);
  return EncodeHex(raw, kSize);
}

std::string SpanId::ToBytes() const {
  std::string out(kSize, '\0');
  StoreBigEndian64(value_, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

}  // namespace andante
