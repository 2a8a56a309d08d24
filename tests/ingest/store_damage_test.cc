// A damaged or incomplete block on disk never takes other data down and is
// never deleted while it may hold the only copy. Runs a Store over a real
// local backend and damages its files between restarts.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"
#include "util/strings.h"

namespace andante {
namespace {

using testing::MakeRequest;
namespace fs = std::filesystem;

class StoreDamageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = OpenLocalBackend(tmp_.path() + "/blocks");
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
  }

  std::unique_ptr<Store> OpenStore() {
    auto store = Store::Open(testing::TestStoreOptions(tmp_.path(), backend_));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Two flushed blocks (a_, b_) and live, unflushed traces (live_); then the
  // store is dropped. Returns the block holding a_.
  std::string WriteTwoBlocksAndLive() {
    auto store = OpenStore();
    EXPECT_TRUE(
        store->Push(kSingleTenant, MakeRequest(rng_, 200, 2, &a_)).ok());
    EXPECT_TRUE(store->Flush().ok());
    auto first = internal::ListTenantBlocks(*backend_, kSingleTenant);
    EXPECT_TRUE(first.ok());
    EXPECT_EQ(first->complete.size(), 1u);
    EXPECT_TRUE(
        store->Push(kSingleTenant, MakeRequest(rng_, 200, 2, &b_)).ok());
    EXPECT_TRUE(store->Flush().ok());
    EXPECT_TRUE(
        store->Push(kSingleTenant, MakeRequest(rng_, 20, 2, &live_)).ok());
    return first->complete[0].block_id;
  }

  std::string BlockFile(const std::string& block, std::string_view object) {
    return absl::StrCat(tmp_.path(), "/blocks/",
                        internal::ToAbsl(kSingleTenant), "/", block, "/",
                        internal::ToAbsl(object));
  }

  void FlipByte(const std::string& path, std::streamoff offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << path;
    f.seekg(offset);
    char c;
    f.get(c);
    f.seekp(offset);
    f.put(static_cast<char>(c ^ 0x40));
  }

  void ExpectFound(Store& store, const std::vector<TraceId>& ids,
                   uint64_t spans, const TraceLookupOptions& options = {}) {
    for (const TraceId& id : ids) {
      auto found = store.FindTraceById(kSingleTenant, id, options);
      ASSERT_TRUE(found.ok()) << found.status();
      EXPECT_EQ(found->span_count, spans) << id.ToHex();
    }
  }

  testing::TempDir tmp_{"andante-damage"};
  std::shared_ptr<Backend> backend_;
  std::mt19937_64 rng_{11};
  std::vector<TraceId> a_, b_, live_;
};

TEST_F(StoreDamageTest, FlippedBloomByteCostsNothing) {
  std::string block = WriteTwoBlocksAndLive();
  FlipByte(BlockFile(block, "bloom-0"), internal::kBloomHeaderSize + 1);
  auto store = OpenStore();
  ExpectFound(*store, a_, 2);  // read without its bloom
  ExpectFound(*store, b_, 2);
  ExpectFound(*store, live_, 2);
  std::vector<TraceId> unknown;
  MakeRequest(rng_, 20, 1, &unknown);
  ExpectFound(*store, unknown, 0);
  EXPECT_EQ(store->Stats().blocks_damaged, 1u);
}

TEST_F(StoreDamageTest, CorruptIndexCostsOnlyItsOwnBlock) {
  std::string block = WriteTwoBlocksAndLive();
  FlipByte(BlockFile(block, "index"), internal::kIndexHeaderSize + 30);
  auto store = OpenStore();
  ExpectFound(*store, a_, 0);
  ExpectFound(*store, b_, 2);
  ExpectFound(*store, live_, 2);
  std::vector<TraceId> unknown;
  MakeRequest(rng_, 20, 1, &unknown);
  ExpectFound(*store, unknown, 0);
  EXPECT_EQ(store->Stats().blocks_damaged, 1u);
  // New data still flushes and reads.
  std::vector<TraceId> more;
  ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 5, 3, &more)).ok());
  ASSERT_TRUE(store->Flush().ok());
  ExpectFound(*store, more, 3);
}

TEST_F(StoreDamageTest, TruncatedDataAndUnreadableMetaCostOnlyTheirBlocks) {
  std::string block = WriteTwoBlocksAndLive();
  fs::resize_file(BlockFile(block, "data"),
                  fs::file_size(BlockFile(block, "data")) / 2);
  auto listed = internal::ListTenantBlocks(*backend_, kSingleTenant);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->complete.size(), 2u);
  std::string other = listed->complete[0].block_id == block
                          ? listed->complete[1].block_id
                          : listed->complete[0].block_id;
  {
    std::ofstream meta(BlockFile(other, "meta.json"), std::ios::trunc);
    meta << "{\"format\": ";
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);  // one bad meta.json must not stop start-up
  ExpectFound(*store, live_, 2);
  ExpectFound(*store, b_, 0);
  uint64_t found = 0;
  for (const TraceId& id : a_) {
    auto got = store->FindTraceById(kSingleTenant, id);
    ASSERT_TRUE(got.ok()) << got.status();
    found += got->span_count > 0;
  }
  EXPECT_LT(found, a_.size());
  EXPECT_EQ(store->Stats().blocks_damaged, 2u);
  // The block with the bad meta.json is still there for an operator.
  EXPECT_TRUE(fs::exists(BlockFile(other, "data")));
}

TEST_F(StoreDamageTest, BlockWithoutMetaIsRecoveredWhenWhole) {
  // The WAL is dropped after the flush: the block is the only copy.
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    ASSERT_TRUE(
        store->Push(kSingleTenant, MakeRequest(rng_, 1000, 2, &ids)).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  auto listed = internal::ListTenantBlocks(*backend_, kSingleTenant);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->complete.size(), 1u);
  const internal::BlockMeta original = listed->complete[0];
  fs::remove(BlockFile(original.block_id, "meta.json"));

  auto store = OpenStore();
  ExpectFound(*store, ids, 2);
  listed = internal::ListTenantBlocks(*backend_, kSingleTenant);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->complete.size(), 1u);
  EXPECT_TRUE(listed->incomplete.empty());
  internal::BlockMeta recovered = listed->complete[0];
  // Rewritten as a new block; the original directory is gone.
  EXPECT_NE(recovered.block_id, original.block_id);
  EXPECT_FALSE(fs::exists(BlockFile(original.block_id, "data")));
  EXPECT_EQ(recovered.total_objects, original.total_objects);
  EXPECT_EQ(recovered.total_spans, original.total_spans);
  EXPECT_EQ(recovered.start_unix_nano, original.start_unix_nano);
  EXPECT_EQ(recovered.end_unix_nano, original.end_unix_nano);
  EXPECT_EQ(recovered.bloom_shards, original.bloom_shards);
  EXPECT_EQ(recovered.data_bytes, original.data_bytes);
  EXPECT_EQ(store->Stats().blocks_damaged, 0u);
}

TEST_F(StoreDamageTest, BlockWithOnlyItsDataIsRebuilt) {
  // A crash after the data object, before index and bloom: the data alone
  // is enough.
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    ASSERT_TRUE(
        store->Push(kSingleTenant, MakeRequest(rng_, 300, 2, &ids)).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  auto listed = internal::ListTenantBlocks(*backend_, kSingleTenant);
  ASSERT_TRUE(listed.ok());
  const std::string block = listed->complete[0].block_id;
  for (const auto& entry : fs::directory_iterator(BlockFile(block, ""))) {
    if (entry.path().filename() != "data") fs::remove(entry.path());
  }
  auto store = OpenStore();
  ExpectFound(*store, ids, 2);
  EXPECT_EQ(store->Stats().blocks_damaged, 0u);
  EXPECT_FALSE(fs::exists(BlockFile(block, "data")));
}

TEST_F(StoreDamageTest, BlockDirectoryWithoutDataIsDeleted) {
  const std::string block = "0b5e7a2c-1d3f-4e5a-9b7c-8d9e0f1a2b3c";
  ASSERT_TRUE(
      backend_->Write(absl::StrCat("single-tenant/", block, "/bloom-0"), "x")
          .ok());
  auto store = OpenStore();
  auto listed = internal::ListTenantBlocks(*backend_, kSingleTenant);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->incomplete.empty());
  EXPECT_EQ(store->Stats().blocks_damaged, 0u);
}

TEST_F(StoreDamageTest, BlockWithoutMetaAndDamagedDataIsKept) {
  std::vector<TraceId> ids;
  {
    auto store = OpenStore();
    ASSERT_TRUE(
        store->Push(kSingleTenant, MakeRequest(rng_, 100, 2, &ids)).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  auto listed = internal::ListTenantBlocks(*backend_, kSingleTenant);
  ASSERT_TRUE(listed.ok());
  const std::string block = listed->complete[0].block_id;
  fs::remove(BlockFile(block, "meta.json"));
  FlipByte(BlockFile(block, "data"), 10);
  auto store = OpenStore();
  EXPECT_TRUE(fs::exists(BlockFile(block, "data")));
  EXPECT_TRUE(fs::exists(BlockFile(block, "index")));
  EXPECT_FALSE(fs::exists(BlockFile(block, "meta.json")));
  EXPECT_EQ(store->Stats().blocks_damaged, 1u);
}

TEST_F(StoreDamageTest, StartAndEndFilterLiveAndWalData) {
  std::vector<TraceId> ids;
  auto store = OpenStore();
  ASSERT_TRUE(store->Push(kSingleTenant, MakeRequest(rng_, 3, 2, &ids)).ok());
  // MakeRequest's spans start at 1,700,000,000 s.
  TraceLookupOptions before{.start_unix_seconds = 1'600'000'000,
                            .end_unix_seconds = 1'650'000'000};
  TraceLookupOptions around{.start_unix_seconds = 1'699'999'000,
                            .end_unix_seconds = 1'700'001'000};
  TraceLookupOptions after{.start_unix_seconds = 1'800'000'000};
  ExpectFound(*store, ids, 0, before);
  ExpectFound(*store, ids, 0, after);
  ExpectFound(*store, ids, 2, around);
  ExpectFound(*store, ids, 2);
  // The same after a restart (WAL replay) and after a flush (block).
  store.reset();
  store = OpenStore();
  ExpectFound(*store, ids, 0, before);
  ExpectFound(*store, ids, 2, around);
  ASSERT_TRUE(store->Flush().ok());
  ExpectFound(*store, ids, 0, before);
  ExpectFound(*store, ids, 2, around);
}

}  // namespace
}  // namespace andante
