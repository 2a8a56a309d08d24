#include "receiver/zipkin/ip_address.h"

#include <cstring>

namespace andante::internal {
namespace {

// netip's parseIPv4Fields: exactly four decimal octets, no leading zeros.
bool ParseIpv4Fields(std::string_view s, uint8_t* fields) {
  int val = 0;
  int pos = 0;
  int digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && val == 0) return false;  // leading zero
      val = val * 10 + (c - '0');
      ++digits;
      if (val > 255) return false;
    } else if (c == '.') {
      if (i == 0 || i == s.size() - 1 || s[i - 1] == '.') return false;
      if (pos == 3) return false;
      fields[pos++] = static_cast<uint8_t>(val);
      val = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (pos < 3) return false;
  fields[3] = static_cast<uint8_t>(val);
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// netip's parseIPv6, zones rejected (net.ParseIP refuses them).
bool ParseIpv6(std::string_view s, std::array<uint8_t, 16>* out) {
  if (s.find('%') != std::string_view::npos) return false;
  uint8_t ip[16] = {};
  int ellipsis = -1;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) {
      out->fill(0);
      return true;
    }
  }
  int i = 0;
  while (i < 16) {
    size_t off = 0;
    uint32_t acc = 0;
    for (; off < s.size(); ++off) {
      int d = HexDigit(s[off]);
      if (d < 0) break;
      acc = (acc << 4) + static_cast<uint32_t>(d);
      if (off > 3) return false;  // more than 4 hex digits
    }
    if (off == 0) return false;
    if (off < s.size() && s[off] == '.') {
      if (ellipsis < 0 && i != 12) return false;
      if (i + 4 > 16) return false;
      if (!ParseIpv4Fields(s, ip + i)) return false;
      s = {};
      i += 4;
      break;
    }
    ip[i] = static_cast<uint8_t>(acc >> 8);
    ip[i + 1] = static_cast<uint8_t>(acc);
    i += 2;
    s.remove_prefix(off);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return false;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return false;  // multiple ::
      ellipsis = i;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) return false;
  if (i < 16) {
    if (ellipsis < 0) return false;
    int n = 16 - i;
    for (int j = i - 1; j >= ellipsis; --j) ip[j + n] = ip[j];
    std::memset(ip + ellipsis, 0, static_cast<size_t>(n));
  } else if (ellipsis >= 0) {
    return false;  // :: must stand for at least one zero group
  }
  std::memcpy(out->data(), ip, 16);
  return true;
}

void AppendDecimal(std::string* out, unsigned v) {
  if (v >= 100) out->push_back(static_cast<char>('0' + v / 100));
  if (v >= 10) out->push_back(static_cast<char>('0' + v / 10 % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

std::string DottedQuad(const uint8_t* b) {
  std::string out;
  out.reserve(15);
  for (int i = 0; i < 4; ++i) {
    if (i > 0) out.push_back('.');
    AppendDecimal(&out, b[i]);
  }
  return out;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

bool ParseGoIp(std::string_view text, std::array<uint8_t, 16>* out) {
  for (char c : text) {
    if (c == '.') {
      uint8_t v4[4];
      if (!ParseIpv4Fields(text, v4)) return false;
      out->fill(0);
      (*out)[10] = 0xff;
      (*out)[11] = 0xff;
      std::memcpy(out->data() + 12, v4, 4);
      return true;
    }
    if (c == ':') return ParseIpv6(text, out);
    if (c == '%') return false;
  }
  return false;
}

std::string FormatGoIp(std::string_view bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.empty()) return "<nil>";
  if (bytes.size() == 4) return DottedQuad(b);
  if (bytes.size() != 16) {
    std::string out = "?";
    for (uint8_t c : bytes) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    return out;
  }
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMappedPrefix, 12) == 0) return DottedQuad(b + 12);

  uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  // The first longest run of at least two zero groups becomes "::".
  int zero_start = -1;
  int zero_len = 0;
  for (int i = 0; i < 8; ++i) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i >= 2 && j - i > zero_len) {
      zero_start = i;
      zero_len = j - i;
    }
  }
  std::string out;
  out.reserve(39);
  for (int i = 0; i < 8; ++i) {
    if (i == zero_start) {
      out += "::";
      i += zero_len - 1;
      continue;
    }
    // No separator directly after "::".
    if (i > 0 && i != zero_start + zero_len) out.push_back(':');
    uint16_t g = groups[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      int d = (g >> shift) & 15;
      if (d != 0 || started || shift == 0) {
        out.push_back(kHex[d]);
        started = true;
      }
    }
  }
  return out;
}

}  // namespace andante::internal
