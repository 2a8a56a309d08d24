#include "block/tag_summary.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/strings.h"

namespace andante::internal {

namespace {

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("tag summary is corrupt: ", ToAbsl(what)));
}

// An encoded value (type byte + payload, as stored) into *out.
bool DecodeValue(std::string_view* in, TagSummaryValue* out) {
  if (in->empty()) return false;
  const uint8_t type = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  uint64_t u = 0;
  switch (type) {
    case kTagValueString: {
      std::string_view s;
      if (!GetLengthPrefixed(in, &s)) return false;
      out->s.assign(s.data(), s.size());
      break;
    }
    case kTagValueInt:
      if (!GetVarint64(in, &u)) return false;
      out->i = UnZigZag64(u);
      break;
    case kTagValueFloat:
      if (!GetFixed64(in, &u)) return false;
      std::memcpy(&out->f, &u, 8);
      break;
    case kTagValueBool:
      if (in->empty() || static_cast<uint8_t>((*in)[0]) > 1) return false;
      out->i = static_cast<uint8_t>((*in)[0]);
      in->remove_prefix(1);
      break;
    case kTagValueStatus:
    case kTagValueKind:
      if (!GetVarint64(in, &u) || u > 5) return false;
      out->i = static_cast<int64_t>(u);
      break;
    default:
      return false;
  }
  out->type = static_cast<TagSummaryValueType>(type);
  return true;
}

}  // namespace

absl::StatusOr<TagSummary> TagSummary::Decode(std::string_view object) {
  if (object.size() < 8) return Corrupt("truncated");
  const uint32_t stored_crc =
      UnmaskCrc(DecodeFixed32(object.data() + object.size() - 4));
  std::string_view covered = object.substr(0, object.size() - 4);
  if (Crc32c(covered) != stored_crc) return Corrupt("CRC mismatch");
  if (DecodeFixed32(covered.data()) != kTagSummaryMagic) {
    return Corrupt("bad magic");
  }
  std::string_view in = covered.substr(4);
  uint64_t raw_size;
  if (!GetVarint64(&in, &raw_size) || raw_size > kTagSummaryMaxRawBytes) {
    return Corrupt("bad size");
  }
  std::string body(raw_size, '\0');
  const size_t n = ZSTD_decompress(body.data(), body.size(), in.data(),
                                   in.size());
  if (ZSTD_isError(n) || n != raw_size) return Corrupt("zstd frame");
  TagSummary summary;
  std::string_view b = body;
  uint64_t count;
  if (!GetVarint64(&b, &count) || count > b.size() / 4) {
    return Corrupt("entry count");
  }
  int prev_scope = -1;
  std::string_view prev_name;
  for (uint64_t k = 0; k < count; ++k) {
    if (b.empty()) return Corrupt("truncated entry");
    const uint8_t scope = static_cast<uint8_t>(b[0]);
    b.remove_prefix(1);
    std::string_view name;
    if (scope >= kTagScopeCount || !GetLengthPrefixed(&b, &name) || b.empty()) {
      return Corrupt("entry");
    }
    if (scope < prev_scope || (scope == prev_scope && name <= prev_name)) {
      return Corrupt("entries out of order");
    }
    prev_scope = scope;
    prev_name = name;
    const uint8_t flags = static_cast<uint8_t>(b[0]);
    b.remove_prefix(1);
    uint64_t values;
    if (!GetVarint64(&b, &values) || values > b.size() / 2) {
      return Corrupt("value count");
    }
    Entry e;
    e.name.assign(name.data(), name.size());
    e.overflowed = (flags & kTagSummaryOverflowed) != 0;
    e.values.resize(values);
    for (TagSummaryValue& v : e.values) {
      if (!DecodeValue(&b, &v)) return Corrupt("value");
      summary.memory_bytes_ += sizeof(v) + v.s.size();
    }
    summary.memory_bytes_ += sizeof(e) + e.name.size();
    summary.scopes_[scope].push_back(std::move(e));
  }
  if (!b.empty()) return Corrupt("trailing bytes");
  return summary;
}

const TagSummary::Entry* TagSummary::Find(TagSummaryScope scope,
                                          std::string_view name) const {
  const std::vector<Entry>& v = scopes_[scope];
  auto it = std::lower_bound(
      v.begin(), v.end(), name,
      [](const Entry& e, std::string_view n) { return e.name < n; });
  if (it == v.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace andante::internal
