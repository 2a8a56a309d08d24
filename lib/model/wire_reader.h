// A bounds-checked cursor over protobuf wire bytes, for the decoders that
// walk a serialized message instead of parsing it into generated classes
// (the OTLP split by trace, the Jaeger gRPC translator). Every read returns
// false on malformed or truncated input and never reads past the end.
//
//   WireReader r(bytes);
//   uint32_t field, wire_type;
//   while (!r.done()) {
//     if (!r.ReadTag(&field, &wire_type)) return false;
//     if (field == 1 && wire_type == kLengthDelimited) { ... r.ReadBytes(&v) }
//     else if (!r.SkipField(wire_type)) return false;
//   }
//
// Internal to Andante.
#ifndef ANDANTE_MODEL_WIRE_READER_H_
#define ANDANTE_MODEL_WIRE_READER_H_

#include <cstdint>
#include <cstring>
#include <string_view>

#include "util/coding.h"

namespace andante::internal {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())),
        end_(p_ + bytes.size()) {}

  bool done() const { return p_ == end_; }
  const uint8_t* position() const { return p_; }

  // Reads a tag; false on a malformed one or field number 0.
  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint32_t tag;
    if (p_ < end_ && *p_ < 0x80) {
      tag = *p_++;
    } else {
      // At most 5 bytes, and the value must fit 32 bits.
      const uint8_t* next = DecodeVarint32(p_, end_, &tag);
      if (next == nullptr) return false;
      p_ = next;
    }
    *field = tag >> 3;
    *wire_type = tag & 7;
    return *field != 0;
  }

  bool ReadVarint(uint64_t* v) {
    if (p_ < end_ && *p_ < 0x80) {
      *v = *p_++;
      return true;
    }
    const uint8_t* next = DecodeVarint64(p_, end_, v);
    if (next == nullptr) return false;
    p_ = next;
    return true;
  }

  bool SkipVarint() {
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      if (*p_++ < 0x80) return true;
    }
    return false;
  }

  bool ReadFixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    *v = DecodeFixed64(reinterpret_cast<const char*>(p_));
    p_ += 8;
    return true;
  }

  bool Skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

  // A length-delimited payload.
  bool ReadBytes(std::string_view* out) {
    uint32_t n;
    if (p_ < end_ && *p_ < 0x80) {
      n = *p_++;
    } else {
      const uint8_t* next = DecodeVarint32(p_, end_, &n);
      if (next == nullptr || n > INT32_MAX) return false;
      p_ = next;
    }
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

  // Skips the payload of a field of `wire_type` whose tag was just read.
  // Groups (and the invalid wire types 6 and 7) are refused: no message we
  // read uses them, and skipping them needs a nesting-aware scan.
  bool SkipField(uint32_t wire_type) {
    switch (wire_type) {
      case kVarint:
        return SkipVarint();
      case kFixed64:
        return Skip(8);
      case kLengthDelimited: {
        std::string_view ignored;
        return ReadBytes(&ignored);
      }
      case kFixed32:
        return Skip(4);
      default:
        return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Reads every field of the message in `bytes`: `on_field(field, wire_type,
// reader)` reads (or skips) the payload of the tag just read and returns
// false to stop. False on a malformed tag or when `on_field` stopped.
template <class OnField>
bool ForEachField(std::string_view bytes, OnField&& on_field) {
  WireReader r(bytes);
  uint32_t field, wire_type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &wire_type) || !on_field(field, wire_type, r)) {
      return false;
    }
  }
  return true;
}

// Whether `s` is structurally valid UTF-8 by protobuf's own rules (the
// check its parser applies to proto3 `string` fields), so a walker accepts
// exactly the strings protobuf would. Fast for ASCII. Named apart from the
// receivers' RFC 3629 checks: these must not be interchanged.
bool IsValidProtobufUtf8(std::string_view s);

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_WIRE_READER_H_
