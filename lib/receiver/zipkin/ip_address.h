// IP addresses as Go's net package reads and prints them, for Zipkin
// endpoints. The collector's translator turns an endpoint's `ipv4`/`ipv6`
// into `net.host.ip` / `net.peer.ip` with net.IP.String(), so an address
// reads back exactly as Tempo would store it:
//
//   std::array<uint8_t, 16> ip;
//   if (ParseGoIp("2001:db8:0:0:1::1", &ip)) {
//     FormatGoIp(ToBytes(ip));        // "2001:db8::1:0:0:1"
//   }
//   FormatGoIp("\x0a\x00\x00\x01");   // "10.0.0.1"
#ifndef ANDANTE_RECEIVER_ZIPKIN_IP_ADDRESS_H_
#define ANDANTE_RECEIVER_ZIPKIN_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace andante::internal {

// net.ParseIP (netip.ParseAddr without zones): a dotted quad without leading
// zeros, or an RFC 4291 IPv6 address (with `::` and an optional trailing
// dotted quad). Writes the 16-byte form (IPv4 as ::ffff:a.b.c.d) and returns
// true, or returns false.
bool ParseGoIp(std::string_view text, std::array<uint8_t, 16>* out);

// net.IP(bytes).String(): 4 bytes or an IPv4-mapped 16-byte address as a
// dotted quad, other 16-byte addresses per RFC 5952 (lower-case hex, the
// first longest run of two or more zero groups as `::`), any other length as
// "?" followed by lower-case hex, and no bytes as "<nil>".
std::string FormatGoIp(std::string_view bytes);

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_IP_ADDRESS_H_
