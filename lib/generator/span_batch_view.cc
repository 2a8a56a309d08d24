#include "generator/span_batch_view.h"

#include "generator/format.h"
#include "google/protobuf/io/coded_stream.h"
#include "model/wire_reader.h"
#include "andante/otlp/common/v1/common.pb.h"

namespace andante::internal {
namespace {

using andante::otlp::common::v1::AnyValue;
using andante::otlp::common::v1::KeyValue;

// The payload of the only field of `msg` when it has exactly one field
// occurrence and that is length-delimited `field`; false otherwise.
bool OnlyBytesField(std::string_view msg, uint32_t field, bool* empty,
                    std::string_view* out) {
  WireReader r(msg);
  *empty = r.done();
  if (*empty) return true;
  uint32_t f, wt;
  if (!r.ReadTag(&f, &wt) || f != field || wt != kLengthDelimited ||
      !r.ReadBytes(out)) {
    return false;
  }
  return r.done();
}

// Parses a KeyValue taken from an accepted request. Its values may nest as
// deep as the store accepts (kMaxOtlpMessageDepth, 320 levels, in
// model/otlp_nesting.h), past protobuf's default limit of 100.
bool ParseKeyValue(std::string_view bytes, KeyValue* kv) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  in.SetRecursionLimit(400);
  return kv->ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

}  // namespace

std::string_view AttrString(const AttrView* a, std::string* scratch) {
  if (a == nullptr) return {};
  if (a->tree != nullptr) {
    if (a->tree->value_case() == AnyValue::kStringValue) {
      return a->tree->string_value();
    }
    *scratch = AnyValueString(*a->tree);
    return *scratch;
  }
  // Fast path: KeyValue{key, value: AnyValue{string_value}} with no repeats.
  {
    WireReader r(a->wire);
    uint32_t f, wt;
    int values = 0;
    std::string_view value;
    bool ok = true;
    while (ok && !r.done()) {
      if (!r.ReadTag(&f, &wt)) {
        ok = false;
      } else if (f == 2 && wt == kLengthDelimited) {
        ++values;
        ok = r.ReadBytes(&value);
      } else {
        ok = r.SkipField(wt);
      }
    }
    if (ok && values <= 1) {
      bool empty;
      std::string_view s;
      if (values == 0) return {};
      if (OnlyBytesField(value, 1, &empty, &s)) return empty ? "" : s;
      if (OnlyBytesField(value, 7, &empty, &s)) return s;
    }
  }
  KeyValue kv;
  if (!ParseKeyValue(a->wire, &kv)) {
    return {};
  }
  *scratch = AnyValueString(kv.value());
  return *scratch;
}

double AttrNumber(const AttrView* a) {
  if (a == nullptr) return 0;
  const AnyValue* v = a->tree;
  KeyValue kv;
  if (v == nullptr) {
    if (!ParseKeyValue(a->wire, &kv)) {
      return 0;
    }
    v = &kv.value();
  }
  if (v->value_case() == AnyValue::kDoubleValue) return v->double_value();
  if (v->value_case() == AnyValue::kIntValue) {
    return static_cast<double>(v->int_value());
  }
  return 0;
}

}  // namespace andante::internal
