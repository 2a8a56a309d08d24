#include "block/page_index.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

TraceId ReadId(const char* p) {
  std::array<uint8_t, TraceId::kSize> bytes;
  std::memcpy(bytes.data(), p, TraceId::kSize);
  return TraceId(bytes);
}

}  // namespace

PageIndex::PageIndex(std::vector<PageEntry> pages) : pages_(std::move(pages)) {}

uint64_t PageIndex::data_bytes() const {
  return pages_.empty() ? 0 : pages_.back().offset + pages_.back().length;
}

std::string PageIndex::Encode() const {
  std::string out;
  out.reserve(kIndexHeaderSize + pages_.size() * kIndexEntrySize +
              kIndexTrailerSize);
  PutFixed32(&out, kIndexMagic);
  PutFixed32(&out, static_cast<uint32_t>(pages_.size()));
  for (const PageEntry& page : pages_) {
    out.append(page.first_id.bytes());
    out.append(page.last_id.bytes());
    PutFixed64(&out, page.offset);
    PutFixed32(&out, page.length);
    PutFixed32(&out, page.raw_length);
    PutFixed32(&out, page.trace_count);
    PutFixed32(&out, page.crc);
  }
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

absl::StatusOr<PageIndex> PageIndex::Decode(std::string_view encoded) {
  if (encoded.size() < kIndexHeaderSize + kIndexTrailerSize) {
    return absl::DataLossError(
        absl::StrCat("page index truncated: ", encoded.size(), " bytes"));
  }
  std::string_view body = encoded.substr(0, encoded.size() - kIndexTrailerSize);
  if (Crc32c(body) != UnmaskCrc(DecodeFixed32(encoded.data() + body.size()))) {
    return absl::DataLossError("page index checksum mismatch");
  }
  if (DecodeFixed32(body.data()) != kIndexMagic) {
    return absl::DataLossError("page index has a bad magic number");
  }
  uint64_t count = DecodeFixed32(body.data() + 4);
  if (count == 0 || body.size() != kIndexHeaderSize + count * kIndexEntrySize) {
    return absl::DataLossError(absl::StrCat(
        "page index claims ", count, " pages in ", encoded.size(), " bytes"));
  }
  std::vector<PageEntry> pages(count);
  const char* p = body.data() + kIndexHeaderSize;
  uint64_t next_offset = 0;
  for (uint64_t i = 0; i < count; ++i, p += kIndexEntrySize) {
    PageEntry& page = pages[i];
    page.first_id = ReadId(p);
    page.last_id = ReadId(p + 16);
    page.offset = DecodeFixed64(p + 32);
    page.length = DecodeFixed32(p + 40);
    page.raw_length = DecodeFixed32(p + 44);
    page.trace_count = DecodeFixed32(p + 48);
    page.crc = DecodeFixed32(p + 52);
    bool ordered = page.first_id <= page.last_id &&
                   (i == 0 || pages[i - 1].last_id < page.first_id);
    if (!ordered || page.trace_count == 0 || page.offset != next_offset ||
        page.length <= kPageTrailerSize || page.raw_length == 0 ||
        page.raw_length > kMaxPageRawBytes) {
      return absl::DataLossError(
          absl::StrCat("page index entry ", i, " is inconsistent"));
    }
    next_offset = page.offset + page.length;
  }
  return PageIndex(std::move(pages));
}

std::optional<size_t> PageIndex::FindPage(const TraceId& id) const {
  // The first page whose last ID is >= id is the only candidate.
  auto it = std::lower_bound(
      pages_.begin(), pages_.end(), id,
      [](const PageEntry& page, const TraceId& x) { return page.last_id < x; });
  if (it == pages_.end() || id < it->first_id) return std::nullopt;
  return static_cast<size_t>(it - pages_.begin());
}

}  // namespace andante::internal
