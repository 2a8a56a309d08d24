#include "block/v2_wire_trace.h"

#include "absl/base/attributes.h"
#include "model/wire_reader.h"

namespace andante::internal {
namespace {

// The whole field that starts at `field_start` and ends at r's position.
std::string_view FieldBytes(const uint8_t* field_start, const WireReader& r) {
  return std::string_view(reinterpret_cast<const char*>(field_start),
                          static_cast<size_t>(r.position() - field_start));
}

uint32_t Size32(size_t n) { return static_cast<uint32_t>(n); }

// Reads a singular field once: false if it was seen before.
bool Once(uint32_t* seen, uint32_t field) {
  const uint32_t bit = 1u << field;
  if (*seen & bit) return false;
  *seen |= bit;
  return true;
}

// Reads the AnyValue in `bytes` into a's tag, bits and bytes. Arrays and
// kvlists are walked to check them (to kWireAnyDepth levels).
bool ReadAnyValue(std::string_view bytes, WireAttribute* a) {
  WireReader r(bytes);
  uint32_t field, type;
  bool any = false;  // a value field other than a scalar or a string
  bool set = false;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return false;
    uint64_t v;
    std::string_view b;
    const bool value_field = field >= 1 && field <= 7;
    if (value_field && set) {
      // Two value fields: protobuf keeps the last; rare, so refused.
      const bool known_type =
          (field == 1 || field >= 5) ? type == kLengthDelimited
          : field == 4               ? type == kFixed64
                                     : type == kVarint;
      if (known_type) return false;
    }
    switch (field) {
      case 1:
        if (type != kLengthDelimited) break;
        if (!r.ReadBytes(&b)) return false;
        a->tag = kV2String;
        a->bytes = b;
        set = true;
        continue;
      case 2:
      case 3:
        if (type != kVarint) break;
        if (!r.ReadVarint(&v)) return false;
        a->tag = field == 2 ? kV2Bool : kV2Int;
        a->bits = field == 2 ? (v != 0 ? 1 : 0) : v;
        set = true;
        continue;
      case 4:
        if (type != kFixed64) break;
        if (!r.ReadFixed64(&v)) return false;
        a->tag = kV2Double;
        a->bits = v;
        set = true;
        continue;
      case 5:
      case 6:
      case 7:
        if (type != kLengthDelimited) break;
        if (!r.ReadBytes(&b)) return false;
        any = true;
        set = true;
        continue;
      default:
        break;
    }
    if (!r.SkipField(type)) return false;  // an unknown field
  }
  if (any || !set) {
    // Stored whole, as protobuf would serialize it (unknown fields too).
    a->tag = kV2Any;
    a->bytes = bytes;
    if (any && !ForEachWireAnyString(bytes, kWireAnyDepth,
                                     [](std::string_view) {})) {
      return false;
    }
  }
  return true;
}

bool ForEachKeyValueString(std::string_view kv, int depth_left,
                           absl::FunctionRef<void(std::string_view)> fn) {
  WireReader r(kv);
  uint32_t field, type, seen = 0;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return false;
    std::string_view b;
    if ((field == 1 || field == 2) && type == kLengthDelimited) {
      if (!Once(&seen, field) || !r.ReadBytes(&b)) return false;
      if (field == 1) {
        fn(b);
      } else if (!ForEachWireAnyString(b, depth_left - 1, fn)) {
        return false;
      }
    } else if (!r.SkipField(type)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ForEachWireAnyString(std::string_view any, int depth_left,
                          absl::FunctionRef<void(std::string_view)> fn) {
  if (depth_left <= 0) return false;
  WireReader r(any);
  uint32_t field, type;
  int values = 0;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return false;
    std::string_view b;
    const bool known =
        ((field == 1 || field >= 5) && field <= 7 && type == kLengthDelimited) ||
        ((field == 2 || field == 3) && type == kVarint) ||
        (field == 4 && type == kFixed64);
    if (known && ++values > 1) return false;
    if (known && (field == 1 || field == 5 || field == 6)) {
      if (!r.ReadBytes(&b)) return false;
      if (field == 1) {
        fn(b);
        continue;
      }
      // ArrayValue: 1 values (AnyValue); KeyValueList: 1 values (KeyValue).
      WireReader list(b);
      uint32_t f, t;
      while (!list.done()) {
        if (!list.ReadTag(&f, &t)) return false;
        std::string_view e;
        if (f == 1 && t == kLengthDelimited) {
          if (!list.ReadBytes(&e)) return false;
          const bool ok = field == 5
                              ? ForEachWireAnyString(e, depth_left - 2, fn)
                              : ForEachKeyValueString(e, depth_left - 2, fn);
          if (!ok) return false;
        } else if (!list.SkipField(t)) {
          return false;
        }
      }
    } else if (!r.SkipField(type)) {
      return false;
    }
  }
  return true;
}

// The canonical KeyValue protobuf writes, {1: key, 2: value} with one-byte
// lengths and a string, int or bool value, read without the field loop.
// False: not of that shape (nothing is known then; the caller reads it the
// general way). What it reads is exactly what the general way reads.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool ReadCanonicalAttribute(
    std::string_view bytes, WireAttribute* a) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  if (n < 4 || p[0] != 0x0a || p[1] >= 0x80) return false;
  const size_t key_len = p[1];
  if (key_len + 4 > n) return false;
  const uint8_t* v = p + 2 + key_len;
  if (v[0] != 0x12 || v[1] >= 0x80 || key_len + 4 + v[1] != n) return false;
  const size_t value_len = v[1];
  v += 2;
  if (value_len < 2) return false;
  if (v[0] == 0x0a) {  // string_value
    if (v[1] >= 0x80 || size_t{v[1]} + 2 != value_len) return false;
    a->tag = kV2String;
    a->bytes = std::string_view(reinterpret_cast<const char*>(v + 2), v[1]);
  } else if (v[0] == 0x18 || v[0] == 0x10) {  // int_value, bool_value
    uint64_t x;
    const uint8_t* end = v + value_len;
    if (DecodeVarint64(v + 1, end, &x) != end) return false;
    if (v[0] == 0x18) {
      a->tag = kV2Int;
      a->bits = x;
    } else {
      a->tag = kV2Bool;
      a->bits = x != 0 ? 1 : 0;
    }
  } else {
    return false;
  }
  a->key = std::string_view(reinterpret_cast<const char*>(p + 2), key_len);
  return true;
}

bool WireTrace::ReadAttribute(std::string_view bytes) {
  WireAttribute& a = attributes.emplace_back();
  if (ReadCanonicalAttribute(bytes, &a)) return true;
  WireReader r(bytes);
  uint32_t field, type, seen = 0;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return false;
    if ((field == 1 || field == 2) && type == kLengthDelimited) {
      std::string_view b;
      if (!Once(&seen, field) || !r.ReadBytes(&b)) return false;
      if (field == 1) {
        a.key = b;
      } else if (!ReadAnyValue(b, &a)) {
        return false;
      }
    } else if (!r.SkipField(type)) {
      return false;  // other fields of a KeyValue are dropped, as before
    }
  }
  return true;
}

bool WireTrace::ReadSpan(std::string_view bytes) {
  WireSpan& sp = spans.emplace_back();
  sp.attributes.begin = sp.attributes.end = Size32(attributes.size());
  sp.rest.begin = Size32(pieces.size());
  // Events and links are gathered after the rest, so they stay contiguous.
  size_t events = 0, links = 0;
  WireReader r(bytes);
  uint32_t field, type, seen = 0;
  while (!r.done()) {
    const uint8_t* start = r.position();
    if (!r.ReadTag(&field, &type)) return false;
    std::string_view b;
    uint64_t v;
    switch (field) {
      case 1:
      case 2:
      case 4:
        if (type != kLengthDelimited) break;
        if (!Once(&seen, field) || !r.ReadBytes(&b)) return false;
        (field == 1 ? sp.trace_id : field == 2 ? sp.span_id : sp.parent_span_id) =
            b;
        sp.id_pieces[field - 1] = Size32(pieces.size());
        pieces.push_back(FieldBytes(start, r));
        continue;
      case 5:
        if (type != kLengthDelimited) break;
        if (!Once(&seen, field) || !r.ReadBytes(&sp.name)) return false;
        continue;
      case 6:
      case 12:
      case 14:
        if (type != kVarint) break;
        if (!Once(&seen, field) || !r.ReadVarint(&v)) return false;
        // As protobuf reads an enum (int32) and a uint32.
        (field == 6 ? sp.kind
                    : field == 12 ? sp.dropped_events : sp.dropped_links) =
            static_cast<uint32_t>(v);
        continue;
      case 7:
      case 8:
        if (type != kFixed64) break;
        if (!Once(&seen, field) || !r.ReadFixed64(field == 7 ? &sp.start : &sp.end))
          return false;
        continue;
      case 9:
        if (type != kLengthDelimited) break;
        if (!r.ReadBytes(&b)) return false;
        if (!ReadAttribute(b)) return false;
        continue;
      case 11:
      case 13:
        if (type != kLengthDelimited) break;
        if (!r.ReadBytes(&b)) return false;
        ++(field == 11 ? events : links);
        continue;
      case 15: {
        if (type != kLengthDelimited) break;
        if (!Once(&seen, field) || !r.ReadBytes(&b)) return false;
        sp.has_status = true;
        WireReader st(b);
        uint32_t f, t, st_seen = 0;
        while (!st.done()) {
          if (!st.ReadTag(&f, &t)) return false;
          if (f == 2 && t == kLengthDelimited) {
            if (!Once(&st_seen, f) || !st.ReadBytes(&sp.status_message))
              return false;
          } else if (f == 3 && t == kVarint) {
            if (!Once(&st_seen, f) || !st.ReadVarint(&v)) return false;
            sp.status_code = static_cast<uint32_t>(v);
          } else if (!st.SkipField(t)) {
            return false;  // dropped, as before
          }
        }
        continue;
      }
      default:
        break;
    }
    // Kept whole in the span's remainder.
    if (!r.SkipField(type)) return false;
    pieces.push_back(FieldBytes(start, r));
  }
  sp.attributes.end = Size32(attributes.size());
  sp.rest.end = Size32(pieces.size());
  if (events + links > 0) {
    // A second pass over the span for its events and links, in order.
    sp.events.begin = Size32(pieces.size());
    WireReader again(bytes);
    for (uint32_t want : {11u, 13u}) {
      if (want == 13) {
        sp.events.end = sp.links.begin = Size32(pieces.size());
        again = WireReader(bytes);
      }
      while (!again.done()) {
        const uint8_t* start = again.position();
        again.ReadTag(&field, &type);
        again.SkipField(type);
        if (field == want && type == kLengthDelimited) {
          pieces.push_back(FieldBytes(start, again));
        }
      }
    }
    sp.links.end = Size32(pieces.size());
  } else {
    sp.events.begin = sp.events.end = sp.links.begin = sp.links.end =
        sp.rest.end;
  }
  return true;
}

bool WireTrace::Read(std::string_view data) {
  resource_spans.clear();
  scope_spans.clear();
  spans.clear();
  attributes.clear();
  pieces.clear();
  WireReader r(data);
  uint32_t field, type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &type)) return false;
    std::string_view rs_bytes;
    if (field != 1 || type != kLengthDelimited) {
      if (!r.SkipField(type)) return false;  // dropped, as before
      continue;
    }
    if (!r.ReadBytes(&rs_bytes)) return false;
    WireResourceSpans& rs = resource_spans.emplace_back();
    rs.scopes.begin = Size32(scope_spans.size());
    WireReader rr(rs_bytes);
    uint32_t rs_seen = 0;
    while (!rr.done()) {
      if (!rr.ReadTag(&field, &type)) return false;
      if (type != kLengthDelimited || field < 1 || field > 3) {
        if (!rr.SkipField(type)) return false;
        continue;
      }
      std::string_view b;
      if (!rr.ReadBytes(&b)) return false;
      if (field == 1 || field == 3) {
        if (!Once(&rs_seen, field)) return false;
        (field == 1 ? rs.resource : rs.schema_url) = b;
        continue;
      }
      // A ScopeSpans. (rs may move as resource_spans grows: it does not.)
      WireScopeSpans& ss = scope_spans.emplace_back();
      ss.spans.begin = Size32(spans.size());
      WireReader sr(b);
      uint32_t ss_seen = 0;
      while (!sr.done()) {
        if (!sr.ReadTag(&field, &type)) return false;
        if (type != kLengthDelimited || field < 1 || field > 3) {
          if (!sr.SkipField(type)) return false;
          continue;
        }
        std::string_view sb;
        if (!sr.ReadBytes(&sb)) return false;
        if (field == 2) {
          if (!ReadSpan(sb)) return false;
          continue;
        }
        if (!Once(&ss_seen, field)) return false;
        (field == 1 ? ss.scope : ss.schema_url) = sb;
      }
      ss.spans.end = Size32(spans.size());
    }
    rs.scopes.end = Size32(scope_spans.size());
  }
  return true;
}

bool WireTrace::ReadResource(WireResourceSpans* rs) {
  rs->attributes.begin = Size32(attributes.size());
  rs->rest.begin = Size32(pieces.size());
  WireReader r(rs->resource);
  uint32_t field, type;
  while (!r.done()) {
    const uint8_t* start = r.position();
    if (!r.ReadTag(&field, &type)) return false;
    std::string_view b;
    if (field == 1 && type == kLengthDelimited) {
      if (!r.ReadBytes(&b) || !ReadAttribute(b)) return false;
      continue;
    }
    if (!r.SkipField(type)) return false;
    pieces.push_back(FieldBytes(start, r));
  }
  rs->attributes.end = Size32(attributes.size());
  rs->rest.end = Size32(pieces.size());
  return true;
}

bool WireTrace::ReadScope(WireScopeSpans* ss) {
  ss->attributes.begin = Size32(attributes.size());
  ss->rest.begin = Size32(pieces.size());
  ss->name = ss->version = std::string_view();
  WireReader r(ss->scope);
  uint32_t field, type, seen = 0;
  while (!r.done()) {
    const uint8_t* start = r.position();
    if (!r.ReadTag(&field, &type)) return false;
    std::string_view b;
    if (field >= 1 && field <= 3 && type == kLengthDelimited) {
      if (!r.ReadBytes(&b)) return false;
      if (field == 3) {
        if (!ReadAttribute(b)) return false;
      } else {
        if (!Once(&seen, field)) return false;
        (field == 1 ? ss->name : ss->version) = b;
      }
      continue;
    }
    if (!r.SkipField(type)) return false;
    pieces.push_back(FieldBytes(start, r));
  }
  ss->attributes.end = Size32(attributes.size());
  ss->rest.end = Size32(pieces.size());
  return true;
}

}  // namespace andante::internal
