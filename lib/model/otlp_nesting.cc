#include "model/otlp_nesting.h"

#include <climits>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "model/otlp_wire_schema.h"
#include "model/protobuf_errors.h"
#include "model/wire_reader.h"

namespace andante::internal {
namespace {

using otlp_wire::FieldKind;
using otlp_wire::Kind;
using otlp_wire::Lookup;
using otlp_wire::Msg;

// Whether message `m` at nesting `depth`, serialized as `bytes`, holds known
// messages nested deeper than `max_depth`, as far as its bytes can be read
// (malformed parts end the look). Recursion stops one level past the limit.
bool NestsDeeperThan(Msg m, std::string_view bytes, int depth, int max_depth) {
  if (depth > max_depth) return true;
  WireReader r(bytes);
  uint32_t field, wire_type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &wire_type)) return false;
    if (wire_type != kLengthDelimited) {
      if (!r.SkipField(wire_type)) return false;
      continue;
    }
    std::string_view payload;
    if (!r.ReadBytes(&payload)) return false;
    const FieldKind k = Lookup(m, field);
    if (k.kind == Kind::kMessage &&
        NestsDeeperThan(k.msg, payload, depth + 1, max_depth)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool ParseOtlpMessage(std::string_view bytes,
                      google::protobuf::MessageLite* message, int depth) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return false;
  // Nearly all data nests less than protobuf's default limit of 100, which
  // the flat-array parse applies; it is faster than a parse through a
  // CodedInputStream, the only way to raise the limit. Only data that fails
  // it (deep or invalid) is parsed again.
  if (kMaxOtlpMessageDepth - depth >=
          google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit() &&
      message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return true;
  }
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  input.SetRecursionLimit(kMaxOtlpMessageDepth - depth);
  // ParseFromArray also requires the bytes to end where the message does
  // (no stray end-group tag).
  return message->ParseFromCodedStream(&input) && input.ConsumedEntireMessage();
}

bool MergeOtlpMessage(std::string_view bytes,
                      google::protobuf::MessageLite* message, int depth) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return false;
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  input.SetRecursionLimit(kMaxOtlpMessageDepth - depth);
  return message->MergeFromCodedStream(&input) && input.ConsumedEntireMessage();
}

absl::Status ParseOtlpRequest(std::string_view bytes,
                              google::protobuf::MessageLite* request) {
  ProtobufErrorCapture why;
  if (ParseOtlpMessage(bytes, request)) return absl::OkStatus();
  constexpr absl::string_view kWhat =
      "proto: cannot parse invalid wire-format data";
  if (NestsDeeperThan(Msg::kRequest, bytes, 0, kMaxOtlpMessageDepth)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": messages nested deeper than ",
                     kMaxOtlpMessageDepth, " levels"));
  }
  return absl::InvalidArgumentError(
      why.Explain(std::string_view(kWhat.data(), kWhat.size())));
}

}  // namespace andante::internal
