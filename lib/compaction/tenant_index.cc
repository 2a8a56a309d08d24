#include "compaction/tenant_index.h"

#include <zstd.h>

#include <exception>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "andante/tenant.h"
#include "block/block_format.h"
#include "compaction/compaction_format.h"
#include "nlohmann/json.hpp"
#include "util/crc32c.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using Json = nlohmann::json;

absl::Status Damaged(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("tenant index is damaged: ", ToAbsl(what)));
}

std::string Nanos(absl::Time t) { return absl::StrCat(absl::ToUnixNanos(t)); }

// zstd_frame(text) + trailer with `magic` (compaction_format.h).
std::string Frame(std::string_view text, uint32_t magic) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  // Compressing into a buffer of ZSTD_compressBound cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  uint32_t crc = MaskCrc(Crc32c(out));
  PutFixed32(&out, kSkippableFrameMagic);
  PutFixed32(&out, 8);
  PutFixed32(&out, crc);
  PutFixed32(&out, magic);
  return out;
}

// The text of a Frame with `magic`, checked; DATA_LOSS naming `what`.
absl::StatusOr<std::string> Unframe(std::string_view bytes, uint32_t magic,
                                    std::string_view what) {
  auto damaged = [&](std::string_view why) {
    return absl::DataLossError(
        absl::StrCat(ToAbsl(what), " is damaged: ", ToAbsl(why)));
  };
  if (bytes.size() < kTenantIndexTrailerSize) return damaged("too short");
  std::string_view frame =
      bytes.substr(0, bytes.size() - kTenantIndexTrailerSize);
  const char* trailer = bytes.data() + frame.size();
  if (DecodeFixed32(trailer) != kSkippableFrameMagic ||
      DecodeFixed32(trailer + 4) != 8 || DecodeFixed32(trailer + 12) != magic) {
    return damaged("bad trailer");
  }
  if (UnmaskCrc(DecodeFixed32(trailer + 8)) != Crc32c(frame)) {
    return damaged("checksum mismatch");
  }
  unsigned long long size =
      ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > kMaxTenantIndexBytes) {
    return damaged("bad zstd frame header");
  }
  std::string text(size, '\0');
  size_t got =
      ZSTD_decompress(text.data(), text.size(), frame.data(), frame.size());
  if (ZSTD_isError(got) || got != size) return damaged("zstd frame");
  return text;
}

// The "format" and "version" fields of a document of kind `format`.
absl::Status CheckFormat(const Json& j, std::string_view format,
                         uint32_t version_supported, std::string_view what) {
  if (j.value("format", "") != format) {
    return absl::DataLossError(absl::StrCat(ToAbsl(what), " is damaged: \"format\" is not ", ToAbsl(format)));
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned()) {
    return absl::DataLossError(
        absl::StrCat(ToAbsl(what), " is damaged: \"version\" missing"));
  }
  if (version->get<uint64_t>() != version_supported) {
    return absl::UnimplementedError(absl::StrCat(
        ToAbsl(what), " version ", version->dump(), " is not supported"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> GetTime(const Json& j, const char* field) {
  auto it = j.find(field);
  int64_t nanos;
  if (it == j.end() || !it->is_string() ||
      !absl::SimpleAtoi(it->get<std::string>(), &nanos)) {
    return Damaged(absl::StrCat("\"", field, "\" is not unix nanoseconds"));
  }
  return absl::FromUnixNanos(nanos);
}

absl::StatusOr<BlockMeta> MetaFrom(const Json& j) {
  return BlockMeta::FromJson(j.dump());
}

absl::StatusOr<TenantIndex> ParseIndex(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Damaged("not a JSON object");
  if (absl::Status s = CheckFormat(j, kTenantIndexFormatName,
                                  kTenantIndexVersion, "tenant index");
      !s.ok()) {
    return s;
  }
  TenantIndex index;
  auto tenant = j.find("tenantID");
  if (tenant == j.end() || !tenant->is_string()) {
    return Damaged("\"tenantID\" missing");
  }
  index.tenant = tenant->get<std::string>();
  auto created_by = j.find("createdBy");
  if (created_by != j.end() && created_by->is_string()) {
    index.created_by = created_by->get<std::string>();
  }
  absl::StatusOr<absl::Time> created = GetTime(j, "createdAt");
  if (!created.ok()) return created.status();
  index.created_at = *created;

  auto array = [&](const char* field) -> absl::StatusOr<const Json*> {
    auto it = j.find(field);
    if (it == j.end() || !it->is_array()) {
      return Damaged(absl::StrCat("\"", field, "\" missing or not an array"));
    }
    return &*it;
  };
  absl::StatusOr<const Json*> live = array("meta");
  if (!live.ok()) return live.status();
  for (const Json& m : **live) {
    absl::StatusOr<BlockMeta> meta = MetaFrom(m);
    if (!meta.ok()) return meta.status();
    index.blocks.live.push_back(*std::move(meta));
  }
  absl::StatusOr<const Json*> compacted = array("compacted");
  if (!compacted.ok()) return compacted.status();
  for (const Json& m : **compacted) {
    absl::StatusOr<BlockMeta> meta = MetaFrom(m);
    if (!meta.ok()) return meta.status();
    absl::StatusOr<absl::Time> at = GetTime(m, "compactedTimeUnixNano");
    if (!at.ok()) return at.status();
    index.blocks.compacted.push_back({*std::move(meta), *at});
  }
  absl::StatusOr<const Json*> incomplete = array("incomplete");
  if (!incomplete.ok()) return incomplete.status();
  for (const Json& b : **incomplete) {
    auto id = b.find("blockID");
    if (!b.is_object() || id == b.end() || !id->is_string() ||
        !IsValidBlockId(id->get<std::string>())) {
      return Damaged("an incomplete block has no valid \"blockID\"");
    }
    absl::StatusOr<absl::Time> seen = GetTime(b, "firstSeen");
    if (!seen.ok()) return seen.status();
    index.blocks.incomplete.push_back({id->get<std::string>(), *seen});
  }
  return index;
}

}  // namespace

std::string TenantIndexKey(std::string_view tenant) {
  return absl::StrCat(ToAbsl(tenant), "/", ToAbsl(kTenantIndexObjectName));
}

std::string EncodeTenantIndex(const TenantIndex& index) {
  nlohmann::ordered_json j;
  j["format"] = std::string(kTenantIndexFormatName);
  j["version"] = kTenantIndexVersion;
  j["tenantID"] = index.tenant;
  j["createdAt"] = Nanos(index.created_at);
  j["createdBy"] = index.created_by;
  auto meta_json = [](const BlockMeta& m) {
    return nlohmann::ordered_json::parse(m.ToJson(), nullptr, false);
  };
  j["meta"] = nlohmann::ordered_json::array();
  for (const BlockMeta& m : index.blocks.live)
    j["meta"].push_back(meta_json(m));
  j["compacted"] = nlohmann::ordered_json::array();
  for (const CompactedBlockMeta& c : index.blocks.compacted) {
    nlohmann::ordered_json m = meta_json(c.meta);
    m["compactedTimeUnixNano"] = Nanos(c.compacted_time);
    j["compacted"].push_back(std::move(m));
  }
  j["incomplete"] = nlohmann::ordered_json::array();
  for (const IncompleteBlock& b : index.blocks.incomplete) {
    j["incomplete"].push_back(
        {{"blockID", b.block_id}, {"firstSeen", Nanos(b.first_seen)}});
  }
  std::string text =
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  return Frame(text, kTenantIndexMagic);
}

absl::StatusOr<TenantIndex> DecodeTenantIndex(std::string_view bytes) {
  absl::StatusOr<std::string> text =
      Unframe(bytes, kTenantIndexMagic, "tenant index");
  if (!text.ok()) return text.status();
  try {
    return ParseIndex(*text);
  } catch (const std::exception& e) {
    return Damaged(e.what());
  }
}

absl::Status WriteTenantIndex(Backend& backend, const TenantIndex& index) {
  return backend.Write(TenantIndexKey(index.tenant), EncodeTenantIndex(index));
}

absl::StatusOr<TenantIndex> ReadTenantIndex(Backend& backend,
                                            std::string_view tenant) {
  absl::StatusOr<std::string> bytes = backend.Read(TenantIndexKey(tenant));
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<TenantIndex> index = DecodeTenantIndex(*bytes);
  if (index.ok() && index->tenant != tenant) {
    return Damaged(absl::StrCat("it names tenant \"", index->tenant, "\""));
  }
  return index;
}

std::string EncodeTenantList(const TenantList& list) {
  nlohmann::ordered_json j;
  j["format"] = std::string(kTenantListFormatName);
  j["version"] = kTenantListVersion;
  j["createdAt"] = Nanos(list.created_at);
  j["createdBy"] = list.created_by;
  j["tenants"] = list.tenants;
  return Frame(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               kTenantListMagic);
}

absl::StatusOr<TenantList> DecodeTenantList(std::string_view bytes) {
  absl::StatusOr<std::string> text =
      Unframe(bytes, kTenantListMagic, "tenant list");
  if (!text.ok()) return text.status();
  auto damaged = [](std::string_view why) {
    return absl::DataLossError(
        absl::StrCat("tenant list is damaged: ", ToAbsl(why)));
  };
  try {
    Json j = Json::parse(text->begin(), text->end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return damaged("not a JSON object");
    if (absl::Status s = CheckFormat(j, kTenantListFormatName,
                                     kTenantListVersion, "tenant list");
        !s.ok()) {
      return s;
    }
    TenantList list;
    absl::StatusOr<absl::Time> created = GetTime(j, "createdAt");
    if (!created.ok()) return created.status();
    list.created_at = *created;
    auto created_by = j.find("createdBy");
    if (created_by != j.end() && created_by->is_string()) {
      list.created_by = created_by->get<std::string>();
    }
    auto tenants = j.find("tenants");
    if (tenants == j.end() || !tenants->is_array()) {
      return damaged("\"tenants\" missing or not an array");
    }
    for (const Json& t : *tenants) {
      if (!t.is_string() || !ValidateTenantId(t.get<std::string>()).ok()) {
        return damaged("an entry of \"tenants\" is not a tenant ID");
      }
      list.tenants.push_back(t.get<std::string>());
    }
    return list;
  } catch (const std::exception& e) {
    return damaged(e.what());
  }
}

absl::Status WriteTenantList(Backend& backend, const TenantList& list) {
  return backend.Write(kTenantListObjectName, EncodeTenantList(list));
}

absl::StatusOr<TenantList> ReadTenantList(Backend& backend) {
  absl::StatusOr<std::string> bytes = backend.Read(kTenantListObjectName);
  if (!bytes.ok()) return bytes.status();
  return DecodeTenantList(*bytes);
}

}  // namespace andante::internal
