// A damaged block fails alone, fast, and says so: flipped bytes in a bloom
// shard, the index or a page, a forged index entry, a truncated data object.
#include <sys/resource.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "block/block_builder.h"
#include "block/block_format.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "block/page_index.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_backend.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

struct Trace {
  TraceId id;
  std::string data;
};

class BlockDamageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 200; ++i) {
      Trace t{TraceId::FromHighLow(rng(), rng()), ""};
      while (t.data.size() < 300) t.data += static_cast<char>('a' + rng() % 26);
      traces_.push_back(std::move(t));
    }
    std::sort(traces_.begin(), traces_.end(),
              [](const Trace& a, const Trace& b) { return a.id < b.id; });
    BlockOptions options;
    options.page_size_bytes = 4096;  // about 15 pages
    BlockBuilder builder(options, *memory_, "t", NewBlockId(), traces_.size());
    for (const Trace& t : traces_) {
      ASSERT_TRUE(builder.Add(t.id, t.data, 1, 2, 1).ok());
    }
    absl::StatusOr<BlockMeta> meta = builder.Finish();
    ASSERT_TRUE(meta.ok()) << meta.status();
    meta_ = *meta;
    ASSERT_GT(meta_.total_pages, 4u);
  }

  std::string Key(std::string_view object) {
    return BlockKey(meta_.tenant, meta_.block_id, object);
  }
  void FlipByte(std::string_view object, size_t offset) {
    absl::StatusOr<std::string> bytes = memory_->Read(Key(object));
    ASSERT_TRUE(bytes.ok());
    ASSERT_LT(offset, bytes->size());
    (*bytes)[offset] ^= 0x40;
    ASSERT_TRUE(memory_->Write(Key(object), *bytes).ok());
  }
  std::unique_ptr<BlockReader> Open() {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(counting_, meta_, &damaged_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    return std::move(*reader);
  }
  PageIndex ReadIndex() {
    absl::StatusOr<std::string> bytes = memory_->Read(Key(kIndexObjectName));
    EXPECT_TRUE(bytes.ok());
    absl::StatusOr<PageIndex> index = PageIndex::Decode(*bytes);
    EXPECT_TRUE(index.ok());
    return *index;
  }

  std::shared_ptr<Backend> memory_ = OpenMemoryBackend();
  // Counts reads (no faults injected).
  std::shared_ptr<andante::testing::FaultBackend> counting_ =
      std::make_shared<andante::testing::FaultBackend>(memory_);
  std::vector<Trace> traces_;
  BlockMeta meta_;
  std::atomic<uint64_t> damaged_{0};
};

TEST_F(BlockDamageTest, FlippedBloomByteIsReadAroundAndCountedOnce) {
  FlipByte(absl::StrCat(ToAbsl(kBloomObjectPrefix), 0), kBloomHeaderSize + 3);
  std::unique_ptr<BlockReader> reader = Open();
  for (const Trace& t : traces_) {
    absl::StatusOr<std::optional<std::string>> found = reader->Find(t.id);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_TRUE(found->has_value()) << t.id.ToHex();
    EXPECT_EQ(**found, t.data);
  }
  absl::StatusOr<std::optional<std::string>> unknown =
      reader->Find(TraceId::FromHighLow(traces_[5].id.high(), 1));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(damaged_.load(), 1u);
  EXPECT_TRUE(reader->damage().ok());
}

TEST_F(BlockDamageTest, CorruptIndexDamagesTheBlockOnceAndFailsFast) {
  FlipByte(kIndexObjectName, kIndexHeaderSize + 20);
  std::unique_ptr<BlockReader> reader = Open();
  absl::StatusOr<std::optional<std::string>> found =
      reader->Find(traces_[100].id);
  ASSERT_TRUE(absl::IsDataLoss(found.status())) << found.status();
  EXPECT_TRUE(absl::StrContains(found.status().message(), meta_.block_id));
  EXPECT_TRUE(absl::IsDataLoss(reader->damage()));
  const uint64_t reads = counting_->counts().reads;
  for (const Trace& t : traces_) {
    EXPECT_TRUE(absl::IsDataLoss(reader->Find(t.id).status()));
  }
  EXPECT_EQ(counting_->counts().reads, reads)
      << "a damaged block is read again";
  EXPECT_EQ(damaged_.load(), 1u);
}

TEST_F(BlockDamageTest, ForgedPageRawLengthIsRefusedBeforeAllocating) {
  // A valid index (checksum and all) whose first page claims 1 GiB
  // uncompressed: the page checksum does not cover that field.
  std::vector<PageEntry> pages = ReadIndex().pages();
  pages[0].raw_length = kMaxPageRawBytes;
  ASSERT_TRUE(
      memory_->Write(Key(kIndexObjectName), PageIndex(pages).Encode()).ok());
  std::unique_ptr<BlockReader> reader = Open();
  struct rusage before, after;
  ::getrusage(RUSAGE_SELF, &before);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::optional<std::string>> found =
        reader->Find(traces_[0].id);
    EXPECT_TRUE(absl::IsDataLoss(found.status())) << found.status();
  }
  ::getrusage(RUSAGE_SELF, &after);
  // ru_maxrss is in KiB; zeroing 1 GiB would add about 1,048,576.
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024);
  // Other pages still answer.
  absl::StatusOr<std::optional<std::string>> other =
      reader->Find(traces_.back().id);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->has_value());
  EXPECT_EQ(damaged_.load(), 1u);
}

TEST_F(BlockDamageTest, TruncatedDataIsRememberedAndNeverReadAgain) {
  absl::StatusOr<std::string> data = memory_->Read(Key(kDataObjectName));
  ASSERT_TRUE(data.ok());
  ASSERT_TRUE(
      memory_->Write(Key(kDataObjectName), data->substr(0, data->size() / 2))
          .ok());
  std::unique_ptr<BlockReader> reader = Open();
  absl::StatusOr<std::optional<std::string>> last =
      reader->Find(traces_.back().id);
  ASSERT_TRUE(absl::IsDataLoss(last.status())) << last.status();
  const uint64_t reads = counting_->counts().reads;
  for (int round = 0; round < 50; ++round) {
    for (const Trace& t : traces_) {
      ASSERT_TRUE(absl::IsDataLoss(reader->Find(t.id).status()));
    }
  }
  EXPECT_EQ(counting_->counts().reads, reads);
  EXPECT_EQ(damaged_.load(), 1u);
  EXPECT_TRUE(absl::IsDataLoss(reader->ForEach(
      [](const TraceId&, std::string_view) { return absl::OkStatus(); })));
}

TEST_F(BlockDamageTest, CorruptPageFailsOnlyItsOwnTraces) {
  PageIndex index = ReadIndex();
  const PageEntry& page = index.pages()[2];
  FlipByte(kDataObjectName, page.offset + page.length / 2);
  std::unique_ptr<BlockReader> reader = Open();
  int lost = 0;
  for (const Trace& t : traces_) {
    absl::StatusOr<std::optional<std::string>> found = reader->Find(t.id);
    bool in_page = !(t.id < page.first_id) && !(page.last_id < t.id);
    if (in_page) {
      EXPECT_TRUE(absl::IsDataLoss(found.status())) << found.status();
      ++lost;
    } else {
      ASSERT_TRUE(found.ok()) << found.status();
      EXPECT_TRUE(found->has_value());
    }
  }
  EXPECT_EQ(lost, static_cast<int>(page.trace_count));
  EXPECT_EQ(damaged_.load(), 1u);
  EXPECT_TRUE(reader->damage().ok());
}

TEST_F(BlockDamageTest, MissingDataObjectDamagesTheBlock) {
  ASSERT_TRUE(memory_->Delete(Key(kDataObjectName)).ok());
  std::unique_ptr<BlockReader> reader = Open();
  EXPECT_TRUE(absl::IsDataLoss(reader->Find(traces_[3].id).status()));
  EXPECT_TRUE(absl::IsDataLoss(reader->damage()));
  EXPECT_EQ(damaged_.load(), 1u);
}

}  // namespace
}  // namespace andante::internal
