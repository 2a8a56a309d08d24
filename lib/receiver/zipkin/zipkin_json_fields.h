// The Zipkin v2 JSON keys both v2 decoders recognise (zipkin_json_sax.cc,
// zipkin_json_simd.cc), matched the way Go's encoding/json matches struct
// fields: ASCII case-insensitively. Internal to the Zipkin receiver.
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_FIELDS_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_FIELDS_H_

#include <cstdint>
#include <string_view>

#include "receiver/zipkin/go_json.h"
#include "receiver/zipkin/zipkin_span.h"

namespace andante::internal {

enum class ZipkinJsonField : uint8_t {
  kUnknown,
  // Span
  kTraceId, kId, kParentId, kName, kKind, kTimestamp, kDuration, kDebug, kShared,
  kLocalEndpoint, kRemoteEndpoint, kAnnotations, kTags,
  // Endpoint
  kServiceName, kIpv4, kIpv6, kPort,
  // Annotation
  kAnnotationTimestamp, kAnnotationValue,
};

// `key` == `camel`, or equal to it ASCII case-insensitively. Clients send the
// canonical camelCase spelling, so the exact comparison settles nearly every
// key; `lower` is `camel` in lower case.
inline bool ZipkinKeyIs(std::string_view key, std::string_view camel, std::string_view lower) {
  return key == camel || KeyIs(key, lower);
}

// The field of model.SpanModel named by `key` (unescaped), or kUnknown.
inline ZipkinJsonField ZipkinSpanField(std::string_view key) {
  using F = ZipkinJsonField;
  switch (key.size()) {
    case 2: if (ZipkinKeyIs(key, "id", "id")) return F::kId; break;
    case 4:
      if (ZipkinKeyIs(key, "name", "name")) return F::kName;
      if (ZipkinKeyIs(key, "kind", "kind")) return F::kKind;
      if (ZipkinKeyIs(key, "tags", "tags")) return F::kTags;
      break;
    case 5: if (ZipkinKeyIs(key, "debug", "debug")) return F::kDebug; break;
    case 6: if (ZipkinKeyIs(key, "shared", "shared")) return F::kShared; break;
    case 7: if (ZipkinKeyIs(key, "traceId", "traceid")) return F::kTraceId; break;
    case 8:
      if (ZipkinKeyIs(key, "parentId", "parentid")) return F::kParentId;
      if (ZipkinKeyIs(key, "duration", "duration")) return F::kDuration;
      break;
    case 9: if (ZipkinKeyIs(key, "timestamp", "timestamp")) return F::kTimestamp; break;
    case 11: if (ZipkinKeyIs(key, "annotations", "annotations")) return F::kAnnotations; break;
    case 13: if (ZipkinKeyIs(key, "localEndpoint", "localendpoint")) return F::kLocalEndpoint; break;
    case 14:
      if (ZipkinKeyIs(key, "remoteEndpoint", "remoteendpoint")) return F::kRemoteEndpoint;
      break;
  }
  return F::kUnknown;
}

// The field of model.Endpoint named by `key`, or kUnknown.
inline ZipkinJsonField ZipkinEndpointField(std::string_view key) {
  using F = ZipkinJsonField;
  switch (key.size()) {
    case 4:
      if (ZipkinKeyIs(key, "ipv4", "ipv4")) return F::kIpv4;
      if (ZipkinKeyIs(key, "ipv6", "ipv6")) return F::kIpv6;
      if (ZipkinKeyIs(key, "port", "port")) return F::kPort;
      break;
    case 11: if (ZipkinKeyIs(key, "serviceName", "servicename")) return F::kServiceName; break;
  }
  return F::kUnknown;
}

// The field of model.Annotation named by `key`, or kUnknown.
inline ZipkinJsonField ZipkinAnnotationField(std::string_view key) {
  using F = ZipkinJsonField;
  switch (key.size()) {
    case 5: if (ZipkinKeyIs(key, "value", "value")) return F::kAnnotationValue; break;
    case 9: if (ZipkinKeyIs(key, "timestamp", "timestamp")) return F::kAnnotationTimestamp; break;
  }
  return F::kUnknown;
}

// model.Kind's UnmarshalJSON: the exact upper-case names, anything else is
// unspecified.
inline ZipkinKind ZipkinKindFromJson(std::string_view text) {
  return text == "CLIENT"     ? ZipkinKind::kClient
         : text == "SERVER"   ? ZipkinKind::kServer
         : text == "PRODUCER" ? ZipkinKind::kProducer
         : text == "CONSUMER" ? ZipkinKind::kConsumer
                              : ZipkinKind::kUnspecified;
}

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_JSON_FIELDS_H_
