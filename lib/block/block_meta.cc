#include "block/block_meta.h"

#include <algorithm>
#include <exception>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "util/strings.h"

namespace andante::internal {
namespace {

using Json = nlohmann::json;

// RFC 3339 in UTC with a "Z" suffix, as Tempo writes its block times.
std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("malformed block meta.json: ", ToAbsl(what)));
}

// Field readers: each fails with a message naming the field. They use only
// non-throwing nlohmann accessors; FromJson still catches, as the boundary.
absl::StatusOr<std::string> GetString(const Json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    return Malformed(absl::StrCat("\"", field, "\" missing or not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<uint64_t> GetUint(const Json& j, const char* field,
                                 uint64_t max = UINT64_MAX) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_unsigned() || it->get<uint64_t>() > max) {
    return Malformed(absl::StrCat(
        "\"", field, "\" missing or not an unsigned integer <= ", max));
  }
  return it->get<uint64_t>();
}

// Unix nanoseconds are strings: JSON numbers lose precision past 2^53 in
// most readers, and nanosecond timestamps are past 2^60.
absl::StatusOr<uint64_t> GetNanos(const Json& j, const char* field) {
  absl::StatusOr<std::string> text = GetString(j, field);
  if (!text.ok()) return text.status();
  uint64_t v;
  if (!absl::SimpleAtoi(*text, &v)) {
    return Malformed(absl::StrCat("\"", field, "\" is not unix nanoseconds: \"",
                                  *text, "\""));
  }
  return v;
}

absl::StatusOr<TraceId> GetId(const Json& j, const char* field) {
  absl::StatusOr<std::string> text = GetString(j, field);
  if (!text.ok()) return text.status();
  absl::StatusOr<TraceId> id = TraceId::FromHex(*text);
  if (!id.ok()) {
    return Malformed(absl::StrCat("\"", field, "\": ", id.status().message()));
  }
  return *id;
}

absl::StatusOr<BlockMeta> ParseMeta(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed("not valid JSON");
  if (!j.is_object()) return Malformed("not a JSON object");

  absl::StatusOr<std::string> format = GetString(j, "format");
  if (!format.ok()) return format.status();
  if (*format != kBlockFormatName && *format != kBlockFormatNameV2) {
    return absl::UnimplementedError(absl::StrCat(
        "block format \"", *format, "\" is not supported (this build reads \"",
        ToAbsl(kBlockFormatName), "\" and \"", ToAbsl(kBlockFormatNameV2),
        "\")"));
  }
  const uint32_t expected = *format == kBlockFormatName ? kBlockFormatVersion
                                                        : kBlockFormatVersionV2;
  auto version = j.find("formatVersion");
  if (version == j.end() || !version->is_number_integer()) {
    return Malformed("\"formatVersion\" missing or not an integer");
  }
  if (!version->is_number_unsigned() ||
      version->get<uint64_t>() != expected) {
    return absl::UnimplementedError(
        absl::StrCat("block formatVersion ", version->dump(),
                     " is not supported (this build reads version ",
                     expected, " of format \"", *format, "\")"));
  }

  BlockMeta meta;
  meta.format_version = expected;
#define ANDANTE_ASSIGN(lhs, expr)           \
  do {                                      \
    auto value = (expr);                    \
    if (!value.ok()) return value.status(); \
    lhs = *std::move(value);                \
  } while (0)
  ANDANTE_ASSIGN(meta.block_id, GetString(j, "blockID"));
  ANDANTE_ASSIGN(meta.tenant, GetString(j, "tenantID"));
  ANDANTE_ASSIGN(meta.start_unix_nano, GetNanos(j, "startTime"));
  ANDANTE_ASSIGN(meta.end_unix_nano, GetNanos(j, "endTime"));
  ANDANTE_ASSIGN(meta.min_id, GetId(j, "minID"));
  ANDANTE_ASSIGN(meta.max_id, GetId(j, "maxID"));
  ANDANTE_ASSIGN(meta.total_objects, GetUint(j, "totalObjects"));
  ANDANTE_ASSIGN(meta.total_spans, GetUint(j, "totalSpans"));
  ANDANTE_ASSIGN(meta.data_bytes, GetUint(j, "size"));
  ANDANTE_ASSIGN(meta.index_bytes, GetUint(j, "indexBytes"));
  ANDANTE_ASSIGN(meta.bloom_bytes, GetUint(j, "bloomBytes"));
  ANDANTE_ASSIGN(meta.total_pages, GetUint(j, "totalPages", UINT32_MAX));
  ANDANTE_ASSIGN(meta.bloom_shards, GetUint(j, "bloomShards", UINT32_MAX));
  std::string encoding, created;
  ANDANTE_ASSIGN(encoding, GetString(j, "encoding"));
  ANDANTE_ASSIGN(created, GetString(j, "createdAt"));
#undef ANDANTE_ASSIGN

  if (!IsValidBlockId(meta.block_id)) {
    return Malformed(
        absl::StrCat("\"blockID\" is not a UUID: \"", meta.block_id, "\""));
  }
  if (meta.tenant.empty()) return Malformed("\"tenantID\" is empty");
  if (encoding != kBlockEncoding) {
    return absl::UnimplementedError(
        absl::StrCat("block encoding \"", encoding, "\" is not supported"));
  }
  absl::Time created_at;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, created, &created_at, &error)) {
    return Malformed(absl::StrCat("\"createdAt\": ", error));
  }
  meta.created_unix_seconds = absl::ToUnixSeconds(created_at);
  if (j.contains("compactionLevel")) {
    auto level = GetUint(j, "compactionLevel", UINT32_MAX);
    if (!level.ok()) return level.status();
    meta.compaction_level = static_cast<uint32_t>(*level);
  }
  if (meta.min_id > meta.max_id) return Malformed("minID > maxID");
  // A page holds at least one trace, and a shard at least 64 bits sized at
  // >= 9 bits per trace, so neither outnumbers the traces.
  if (meta.total_objects == 0 || meta.total_pages == 0 ||
      meta.bloom_shards == 0 || meta.total_pages > meta.total_objects ||
      meta.bloom_shards > meta.total_objects) {
    return Malformed(absl::StrCat("inconsistent counts: ", meta.total_objects,
                                  " traces, ", meta.total_pages, " pages, ",
                                  meta.bloom_shards, " bloom shards"));
  }
  return meta;
}

}  // namespace

std::string BlockMeta::ToJson() const {
  // nlohmann's ordered_json keeps the fields in this order, which makes the
  // file easier to read; dump() only throws on invalid UTF-8, which the
  // validated tenant and UUID cannot contain (the handler replaces anyway).
  nlohmann::ordered_json j;
  j["format"] = std::string(format_version == kBlockFormatVersionV2
                                ? kBlockFormatNameV2
                                : kBlockFormatName);
  j["formatVersion"] = format_version;
  j["blockID"] = block_id;
  j["tenantID"] = tenant;
  j["startTime"] = absl::StrCat(start_unix_nano);
  j["endTime"] = absl::StrCat(end_unix_nano);
  j["startTimeRFC3339"] = Rfc3339(absl::FromUnixNanos(
      static_cast<int64_t>(std::min<uint64_t>(start_unix_nano, INT64_MAX))));
  j["endTimeRFC3339"] = Rfc3339(absl::FromUnixNanos(
      static_cast<int64_t>(std::min<uint64_t>(end_unix_nano, INT64_MAX))));
  j["minID"] = min_id.ToHex();
  j["maxID"] = max_id.ToHex();
  j["totalObjects"] = total_objects;
  j["totalSpans"] = total_spans;
  j["size"] = data_bytes;
  j["indexBytes"] = index_bytes;
  j["bloomShards"] = bloom_shards;
  j["bloomBytes"] = bloom_bytes;
  j["totalPages"] = total_pages;
  j["encoding"] = std::string(kBlockEncoding);
  j["createdAt"] = Rfc3339(absl::FromUnixSeconds(created_unix_seconds));
  j["compactionLevel"] = compaction_level;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

absl::StatusOr<BlockMeta> BlockMeta::FromJson(std::string_view json) {
  try {
    return ParseMeta(json);
  } catch (const std::exception& e) {
    return Malformed(e.what());
  }
}

std::string NewBlockId() {
  // absl::BitGen is seeded from the OS and is not thread-safe: one per thread.
  thread_local absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen);
  uint64_t lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & ~0xf000ull) | 0x4000ull;              // version 4
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);  // variant 10xx
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffull);
}

bool IsValidBlockId(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string BlockKey(std::string_view tenant, std::string_view block_id,
                     std::string_view object) {
  return absl::StrCat(ToAbsl(tenant), "/", ToAbsl(block_id), "/",
                      ToAbsl(object));
}

}  // namespace andante::internal
