#include "block/page_index.h"

#include <string>
#include <vector>

#include "block/block_format.h"
#include "gtest/gtest.h"

namespace andante::internal {
namespace {

TraceId Id(uint64_t low) { return TraceId::FromHighLow(0, low); }

// Pages covering [10,19], [30,30], [40,59], each 100 bytes.
PageIndex ThreePages() {
  std::vector<PageEntry> pages;
  uint64_t offset = 0;
  for (auto [first, last] : {std::pair{10, 19}, {30, 30}, {40, 59}}) {
    PageEntry page;
    page.first_id = Id(first);
    page.last_id = Id(last);
    page.offset = offset;
    page.length = 100;
    page.raw_length = 400;
    page.trace_count = static_cast<uint32_t>(last - first + 1);
    page.crc = static_cast<uint32_t>(first * 7);
    offset += page.length;
    pages.push_back(page);
  }
  return PageIndex(std::move(pages));
}

TEST(PageIndexTest, FindPageEdges) {
  PageIndex index = ThreePages();
  EXPECT_EQ(index.FindPage(Id(0)), std::nullopt);  // before all
  EXPECT_EQ(index.FindPage(Id(9)), std::nullopt);
  EXPECT_EQ(index.FindPage(Id(10)), 0u);  // first of first
  EXPECT_EQ(index.FindPage(Id(15)), 0u);
  EXPECT_EQ(index.FindPage(Id(19)), 0u);            // last of first
  EXPECT_EQ(index.FindPage(Id(20)), std::nullopt);  // gap
  EXPECT_EQ(index.FindPage(Id(29)), std::nullopt);
  EXPECT_EQ(index.FindPage(Id(30)), 1u);  // single-trace page
  EXPECT_EQ(index.FindPage(Id(31)), std::nullopt);
  EXPECT_EQ(index.FindPage(Id(40)), 2u);
  EXPECT_EQ(index.FindPage(Id(59)), 2u);            // last of last
  EXPECT_EQ(index.FindPage(Id(60)), std::nullopt);  // after all
  EXPECT_EQ(index.FindPage(TraceId::FromHighLow(1, 0)), std::nullopt);
  EXPECT_EQ(index.data_bytes(), 300u);
}

TEST(PageIndexTest, SinglePageAndEmpty) {
  PageEntry page;
  page.first_id = Id(5);
  page.last_id = Id(5);
  page.length = 10;
  page.raw_length = 20;
  page.trace_count = 1;
  PageIndex one({page});
  EXPECT_EQ(one.FindPage(Id(5)), 0u);
  EXPECT_EQ(one.FindPage(Id(4)), std::nullopt);
  EXPECT_EQ(one.FindPage(Id(6)), std::nullopt);
  EXPECT_EQ(PageIndex().FindPage(Id(5)), std::nullopt);
}

TEST(PageIndexTest, HighByteOrderingIsBigEndian) {
  // IDs compare bytewise: a high half of 1 beats any low half.
  PageEntry page;
  page.first_id = TraceId::FromHighLow(0, UINT64_MAX);
  page.last_id = TraceId::FromHighLow(1, 0);
  page.length = 10;
  page.raw_length = 20;
  page.trace_count = 2;
  PageIndex index({page});
  EXPECT_EQ(index.FindPage(TraceId::FromHighLow(0, UINT64_MAX)), 0u);
  EXPECT_EQ(index.FindPage(TraceId::FromHighLow(1, 0)), 0u);
  EXPECT_EQ(index.FindPage(TraceId::FromHighLow(1, 1)), std::nullopt);
}

TEST(PageIndexTest, EncodeDecodeRoundTrip) {
  PageIndex index = ThreePages();
  std::string encoded = index.Encode();
  EXPECT_EQ(encoded.size(),
            kIndexHeaderSize + 3 * kIndexEntrySize + kIndexTrailerSize);
  absl::StatusOr<PageIndex> decoded = PageIndex::Decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->pages(), index.pages());
}

TEST(PageIndexTest, DecodeRejectsCorruptionAndTruncation) {
  std::string encoded = ThreePages().Encode();
  for (size_t i = 0; i < encoded.size(); ++i) {
    std::string bad = encoded;
    bad[i] ^= 0x01;
    EXPECT_TRUE(absl::IsDataLoss(PageIndex::Decode(bad).status())) << i;
  }
  for (size_t n : {size_t{0}, size_t{4}, size_t{11}, encoded.size() - 1}) {
    EXPECT_TRUE(
        absl::IsDataLoss(PageIndex::Decode(encoded.substr(0, n)).status()))
        << n;
  }
}

TEST(PageIndexTest, DecodeRejectsBrokenInvariants) {
  auto encode_with = [](auto mutate) {
    std::vector<PageEntry> pages = ThreePages().pages();
    mutate(pages);
    return PageIndex(pages).Encode();  // checksum valid, content not
  };
  // Overlapping ranges.
  EXPECT_TRUE(absl::IsDataLoss(PageIndex::Decode(encode_with([](auto& p) {
                                 p[1].first_id = Id(19);
                               })).status()));
  // first > last.
  EXPECT_TRUE(absl::IsDataLoss(PageIndex::Decode(encode_with([](auto& p) {
                                 p[0].first_id = Id(25);
                               })).status()));
  // Gap in the data object.
  EXPECT_TRUE(absl::IsDataLoss(PageIndex::Decode(encode_with([](auto& p) {
                                 p[2].offset += 1;
                               })).status()));
  // Absurd page size.
  EXPECT_TRUE(absl::IsDataLoss(PageIndex::Decode(encode_with([](auto& p) {
                                 p[2].raw_length = kMaxPageRawBytes + 1;
                               })).status()));
  // No pages at all.
  EXPECT_TRUE(
      absl::IsDataLoss(PageIndex::Decode(PageIndex().Encode()).status()));
}

}  // namespace
}  // namespace andante::internal
