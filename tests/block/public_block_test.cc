// include/andante/block.h: writing a block and reading it back by trace ID,
// through the bloom filter and the page index, on the public API.
#include "andante/block.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

TraceId RandomId(std::mt19937_64& rng) {
  std::string bytes(16, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return *TraceId::FromBytes(bytes);
}

class PublicBlockTest : public ::testing::Test {
 protected:
  PublicBlockTest() : rng_(std::random_device{}()) {}

  // Random opaque traces (format 1 stores bytes as given), sorted by ID.
  std::map<TraceId, std::string> Traces(int n) {
    std::map<TraceId, std::string> traces;
    while (static_cast<int>(traces.size()) < n) {
      std::string data(1 + rng_() % 2000, '\0');
      for (char& c : data) c = static_cast<char>(rng_() % 7);  // compressible
      traces[RandomId(rng_)] = data;
    }
    return traces;
  }

  absl::StatusOr<BlockInfo> Write(const std::map<TraceId, std::string>& traces,
                                  const BlockOptions& options) {
    auto writer = BlockWriter::Create(options, backend_, "tenant-a");
    if (!writer.ok()) return writer.status();
    uint64_t t = 1'700'000'000'000'000'000ull;
    for (const auto& [id, data] : traces) {
      if (auto s = (*writer)->Add(id, data, t, t + 1000, 2); !s.ok()) return s;
      t += 1'000'000;
    }
    return (*writer)->Finish();
  }

  std::mt19937_64 rng_;
  std::shared_ptr<Backend> backend_ = OpenMemoryBackend();
};

TEST_F(PublicBlockTest, FindsEveryTraceAndNoOther) {
  const int n = 500 + static_cast<int>(rng_() % 1000);
  auto traces = Traces(n);
  BlockOptions options;
  options.page_size_bytes = 16 * 1024;  // many pages
  options.bloom_filter_false_positive = 0.01;
  auto info = Write(traces, options);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->total_traces, static_cast<uint64_t>(n));
  EXPECT_EQ(info->total_spans, 2u * n);
  EXPECT_EQ(info->min_id, traces.begin()->first);
  EXPECT_EQ(info->max_id, traces.rbegin()->first);
  EXPECT_EQ(info->tenant, "tenant-a");
  EXPECT_GT(info->total_pages, 1u);

  auto block = Block::Open(backend_, "tenant-a", info->block_id);
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ((*block)->info().block_id, info->block_id);
  EXPECT_EQ((*block)->info().total_traces, info->total_traces);
  for (const auto& [id, data] : traces) {
    auto may = (*block)->MayContain(id);
    ASSERT_TRUE(may.ok());
    EXPECT_TRUE(*may);  // a bloom filter has no false negatives
    uint64_t inspected = 0;
    auto found = (*block)->Find(id, &inspected);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ(**found, data);
    EXPECT_GT(inspected, 0u);
  }
  // Absent IDs: never found; the bloom filter lets through about its rate.
  int absent = 0, maybe = 0;
  while (absent < 2000) {
    TraceId id = RandomId(rng_);
    if (traces.count(id) > 0) continue;
    ++absent;
    auto found = (*block)->Find(id);
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value());
    auto may = (*block)->MayContain(id);
    ASSERT_TRUE(may.ok());
    maybe += *may ? 1 : 0;
  }
  EXPECT_LT(maybe, 2000 * 5 / 100) << "false-positive rate far above 1%";
  // Below min_id: no bloom read at all decides it.
  std::string zero(16, '\0');
  if (traces.begin()->first != *TraceId::FromBytes(zero)) {
    auto may = (*block)->MayContain(*TraceId::FromBytes(zero));
    ASSERT_TRUE(may.ok());
    EXPECT_FALSE(*may);
  }

  std::map<TraceId, std::string> seen;
  TraceId previous;
  bool first = true;
  ASSERT_TRUE((*block)->ForEach([&](const TraceId& id, std::string_view data) {
    EXPECT_TRUE(first || previous < id);
    first = false;
    previous = id;
    seen[id] = std::string(data);
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(seen, traces);

  auto listed = ListBlocks(*backend_, "tenant-a");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].block_id, info->block_id);
}

TEST_F(PublicBlockTest, UnknownOrIncompleteBlockIsNotFound) {
  EXPECT_EQ(Block::Open(backend_, "tenant-a",
                        "00000000-0000-4000-8000-000000000000")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  // A writer that never finished leaves no visible block.
  auto writer = BlockWriter::Create(BlockOptions(), backend_, "tenant-a");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Add(RandomId(rng_), "data", 1, 2, 1).ok());
  EXPECT_EQ(Block::Open(backend_, "tenant-a", (*writer)->block_id())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  auto listed = ListBlocks(*backend_, "tenant-a");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(PublicBlockTest, InvalidTenantIsRejected) {
  EXPECT_EQ(BlockWriter::Create(BlockOptions(), backend_, "a/b").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Block::Open(backend_, "", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PublicBlockTest, DamagedDataIsDataLoss) {
  auto traces = Traces(50);
  auto info = Write(traces, BlockOptions());
  ASSERT_TRUE(info.ok());
  const std::string key = "tenant-a/" + info->block_id + "/data";
  auto data = backend_->Read(key);
  ASSERT_TRUE(data.ok()) << data.status();
  std::string bad = *data;
  bad[bad.size() / 2] ^= 0x5a;
  ASSERT_TRUE(backend_->Write(key, bad).ok());
  auto block = Block::Open(backend_, "tenant-a", info->block_id);
  ASSERT_TRUE(block.ok());
  int data_loss = 0;
  for (const auto& [id, unused] : traces) {
    auto found = (*block)->Find(id);
    if (!found.ok()) {
      EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
      ++data_loss;
    }
  }
  EXPECT_GT(data_loss, 0);
}

}  // namespace
}  // namespace andante
