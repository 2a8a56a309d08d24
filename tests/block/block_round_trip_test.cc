// End-to-end tests of block format v1: BlockBuilder -> Backend ->
// BlockReader / ListTenantBlocks / DeleteBlock.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "block/block_builder.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "gtest/gtest.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

using Names = std::vector<std::string>;

// Forwards to a real backend and counts calls per object name (the last key
// segment, with "bloom-<n>" folded to "bloom"). Can hold back writes of
// meta.json to observe a block mid-flush.
class CountingBackend : public Backend {
 public:
  explicit CountingBackend(std::shared_ptr<Backend> base)
      : base_(std::move(base)) {}

  absl::StatusOr<std::string> Read(std::string_view key) override {
    Count("Read", key);
    return base_->Read(key);
  }
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    Count("ReadRange", key);
    return base_->ReadRange(key, offset, length);
  }
  absl::Status Write(std::string_view key, std::string_view data) override {
    Count("Write", key);
    {
      absl::MutexLock lock(&mu_);
      writes_.emplace_back(key);
      if (hold_meta_ && absl::EndsWith(internal::ToAbsl(key), "/meta.json")) {
        held_.emplace_back(key, data);
        return absl::OkStatus();
      }
    }
    return base_->Write(key, data);
  }
  absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) override {
    Count("List", prefix);
    return base_->List(prefix);
  }
  absl::Status Delete(std::string_view key) override {
    Count("Delete", key);
    {
      absl::MutexLock lock(&mu_);
      deletes_.emplace_back(key);
    }
    return base_->Delete(key);
  }

  // Calls of `op` on objects named `object` since the last Reset.
  int Calls(const std::string& op, const std::string& object) {
    absl::MutexLock lock(&mu_);
    auto it = counts_.find(op + " " + object);
    return it == counts_.end() ? 0 : it->second;
  }
  int TotalReads() {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (auto& [k, v] : counts_) {
      if (absl::StartsWith(k, "Read")) n += v;
    }
    return n;
  }
  void Reset() {
    absl::MutexLock lock(&mu_);
    counts_.clear();
    writes_.clear();
    deletes_.clear();
  }
  void HoldMeta(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_meta_ = hold;
  }
  absl::Status ReleaseHeld() {
    std::vector<std::pair<std::string, std::string>> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
    }
    for (auto& [k, v] : held) {
      if (absl::Status s = base_->Write(k, v); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  std::vector<std::string> writes() {
    absl::MutexLock lock(&mu_);
    return writes_;
  }
  std::vector<std::string> deletes() {
    absl::MutexLock lock(&mu_);
    return deletes_;
  }

 private:
  void Count(const std::string& op, std::string_view key) {
    std::string object(key.substr(key.rfind('/') + 1));
    if (absl::StartsWith(object, "bloom-")) object = "bloom";
    absl::MutexLock lock(&mu_);
    ++counts_[op + " " + object];
  }

  std::shared_ptr<Backend> base_;
  absl::Mutex mu_;
  std::map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> writes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> deletes_ ABSL_GUARDED_BY(mu_);
  bool hold_meta_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<std::string, std::string>> held_ ABSL_GUARDED_BY(mu_);
};

struct Trace {
  TraceId id;
  std::string data;
  uint64_t start, end;
  uint32_t spans;
};

// `n` traces with random IDs in ascending order and varied, partly
// compressible payloads (one per 1000 is larger than a page).
std::vector<Trace> MakeTraces(size_t n, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  absl::flat_hash_set<TraceId> seen;
  std::vector<Trace> traces;
  traces.reserve(n);
  while (traces.size() < n) {
    TraceId id = TraceId::FromHighLow(rng(), rng());
    if (!seen.insert(id).second) continue;
    Trace t;
    t.id = id;
    size_t len = (traces.size() % 1000 == 999) ? 40'000 : 20 + rng() % 400;
    t.data = absl::StrCat("trace-", id.ToHex(), "-service-", rng() % 20, ":");
    while (t.data.size() < len) t.data += static_cast<char>('a' + rng() % 26);
    t.data.resize(len);
    t.start = 1'700'000'000'000'000'000ull + rng() % 1'000'000'000'000ull;
    t.end = t.start + rng() % 10'000'000'000ull;
    t.spans = 1 + rng() % 30;
    traces.push_back(std::move(t));
  }
  std::sort(traces.begin(), traces.end(),
            [](const Trace& a, const Trace& b) { return a.id < b.id; });
  return traces;
}

absl::StatusOr<BlockMeta> Build(const std::vector<Trace>& traces,
                                Backend& backend, const BlockOptions& options,
                                const std::string& tenant = "single-tenant",
                                std::string block_id = NewBlockId()) {
  BlockBuilder builder(options, backend, tenant, std::move(block_id),
                       traces.size());
  for (const Trace& t : traces) {
    absl::Status s = builder.Add(t.id, t.data, t.start, t.end, t.spans);
    if (!s.ok()) return s;
  }
  return builder.Finish();
}

BlockOptions SmallPages() {
  BlockOptions options;
  options.page_size_bytes = 16 * 1024;  // keeps 10^5 lookups fast
  // The shard counts and sizes below are worked out for this rate (10^5
  // traces at 1%: two 100 KiB shards), not for the default.
  options.bloom_filter_false_positive = 0.01;
  return options;
}

// Shared by the tests: 10^5 traces in one block in memory.
class BlockRoundTripTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    traces_ = new std::vector<Trace>(MakeTraces(100'000));
  }
  static void TearDownTestSuite() {
    delete traces_;
    traces_ = nullptr;
  }

  void SetUp() override {
    counting_ = std::make_shared<CountingBackend>(memory_);
    absl::StatusOr<BlockMeta> meta = Build(*traces_, *counting_, SmallPages());
    ASSERT_TRUE(meta.ok()) << meta.status();
    meta_ = *meta;
    counting_->Reset();
  }

  std::unique_ptr<BlockReader> OpenReader() {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(counting_, meta_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    return reader.ok() ? *std::move(reader) : nullptr;
  }

  static std::vector<Trace>* traces_;
  std::shared_ptr<Backend> memory_ = OpenMemoryBackend();
  std::shared_ptr<CountingBackend> counting_;
  BlockMeta meta_;
};
std::vector<Trace>* BlockRoundTripTest::traces_ = nullptr;

TEST_F(BlockRoundTripTest, MetaDescribesTheBlock) {
  const std::vector<Trace>& traces = *traces_;
  EXPECT_EQ(meta_.total_objects, traces.size());
  EXPECT_EQ(meta_.min_id, traces.front().id);
  EXPECT_EQ(meta_.max_id, traces.back().id);
  uint64_t spans = 0, start = UINT64_MAX, end = 0;
  for (const Trace& t : traces) {
    spans += t.spans;
    start = std::min(start, t.start);
    end = std::max(end, t.end);
  }
  EXPECT_EQ(meta_.total_spans, spans);
  EXPECT_EQ(meta_.start_unix_nano, start);
  EXPECT_EQ(meta_.end_unix_nano, end);
  EXPECT_EQ(meta_.format_version, kBlockFormatVersion);
  EXPECT_GT(meta_.total_pages, 100u);
  EXPECT_EQ(meta_.bloom_shards, 2u);  // 10^5 keys at 1% in 100 KiB shards

  std::string prefix = absl::StrCat("single-tenant/", meta_.block_id, "/");
  EXPECT_EQ(memory_->Read(prefix + "data")->size(), meta_.data_bytes);
  EXPECT_EQ(memory_->Read(prefix + "index")->size(), meta_.index_bytes);
  EXPECT_EQ(memory_->Read(prefix + "bloom-0")->size() +
                memory_->Read(prefix + "bloom-1")->size(),
            meta_.bloom_bytes);
  EXPECT_EQ(*memory_->List(prefix),
            Names({"bloom-0", "bloom-1", "data", "index", "meta.json"}));
  absl::StatusOr<BlockMeta> stored =
      BlockMeta::FromJson(*memory_->Read(prefix + "meta.json"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, meta_);
}

TEST_F(BlockRoundTripTest, EveryTraceFoundWithExactBytes) {
  std::unique_ptr<BlockReader> reader = OpenReader();
  for (const Trace& t : *traces_) {
    absl::StatusOr<std::optional<std::string>> got = reader->Find(t.id);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value()) << t.id.ToHex();
    ASSERT_EQ(**got, t.data) << t.id.ToHex();
  }
  // One ranged read per lookup, the index once, each bloom shard once.
  EXPECT_EQ(counting_->Calls("ReadRange", "data"),
            static_cast<int>(traces_->size()));
  EXPECT_EQ(counting_->Calls("Read", "index"), 1);
  EXPECT_EQ(counting_->Calls("Read", "bloom"), 2);
  EXPECT_EQ(counting_->Calls("Read", "data"), 0);
}

TEST_F(BlockRoundTripTest, AbsentTracesNotFound) {
  std::unique_ptr<BlockReader> reader = OpenReader();
  absl::flat_hash_set<TraceId> present;
  for (const Trace& t : *traces_) present.insert(t.id);
  std::mt19937_64 rng(99);
  int page_reads_before = 0;
  for (int i = 0; i < 10'000; ++i) {
    TraceId id;
    if (i % 2 == 0) {
      id = TraceId::FromHighLow(rng(), rng());  // random
    } else {
      // Neighbour of a present ID: inside a page's range.
      const Trace& t = (*traces_)[rng() % traces_->size()];
      id = TraceId::FromHighLow(t.id.high(), t.id.low() + 1);
    }
    if (present.contains(id)) continue;
    absl::StatusOr<std::optional<std::string>> got = reader->Find(id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(got->has_value()) << id.ToHex();
  }
  page_reads_before = counting_->Calls("ReadRange", "data");
  // The bloom filter spares almost all page reads (1% target).
  EXPECT_LT(page_reads_before, 200);
}

TEST_F(BlockRoundTripTest, LookupReadsOnePageAndCachesBloomAndIndex) {
  std::unique_ptr<BlockReader> reader = OpenReader();
  EXPECT_EQ(counting_->TotalReads(), 0);  // Open reads nothing

  const Trace& t = (*traces_)[12345];
  uint64_t inspected = 0;
  ASSERT_EQ(**reader->Find(t.id, &inspected), t.data);
  EXPECT_EQ(counting_->Calls("Read", "bloom"), 1);
  EXPECT_EQ(counting_->Calls("Read", "index"), 1);
  EXPECT_EQ(counting_->Calls("ReadRange", "data"), 1);
  EXPECT_EQ(counting_->TotalReads(), 3);
  EXPECT_GT(inspected, meta_.index_bytes + meta_.bloom_bytes / 2);

  // Warm: exactly one ranged read of the data object, nothing else.
  for (int i = 0; i < 100; ++i) {
    counting_->Reset();
    const Trace& u = (*traces_)[i * 997];
    uint64_t bytes = 0;
    absl::StatusOr<std::optional<std::string>> got = reader->Find(u.id, &bytes);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(counting_->Calls("ReadRange", "data"), 1);
    // The other shard may be loaded once; the index never again.
    EXPECT_EQ(counting_->Calls("Read", "index"), 0);
    EXPECT_LE(counting_->TotalReads(), 2);
    EXPECT_LT(bytes, 64u * 1024 + meta_.bloom_bytes);  // a page, not a block
  }
  counting_->Reset();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(reader->Find((*traces_)[i].id).ok());
  EXPECT_EQ(counting_->TotalReads(), 100);
  EXPECT_EQ(counting_->Calls("ReadRange", "data"), 100);

  // Outside [min, max]: no reads at all.
  counting_->Reset();
  uint64_t none = 0;
  EXPECT_FALSE(reader->Find(TraceId(), &none)->has_value());
  EXPECT_EQ(counting_->TotalReads(), 0);
  EXPECT_EQ(none, 0u);
}

TEST_F(BlockRoundTripTest, ForEachVisitsAllInOrder) {
  std::unique_ptr<BlockReader> reader = OpenReader();
  size_t i = 0;
  absl::Status s =
      reader->ForEach([&](const TraceId& id, std::string_view data) {
        if (i >= traces_->size()) return absl::InternalError("too many");
        EXPECT_EQ(id, (*traces_)[i].id);
        EXPECT_EQ(data, (*traces_)[i].data);
        ++i;
        return absl::OkStatus();
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(i, traces_->size());
  // Batched: far fewer reads than pages.
  EXPECT_LT(counting_->Calls("ReadRange", "data"),
            static_cast<int>(meta_.total_pages) / 10);

  // fn's error stops the scan and comes back.
  int calls = 0;
  s = reader->ForEach([&](const TraceId&, std::string_view) {
    return ++calls == 10 ? absl::CancelledError("stop") : absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(calls, 10);
}

TEST_F(BlockRoundTripTest, CorruptedPageIsDataLoss) {
  std::string data_key = BlockKey("single-tenant", meta_.block_id, "data");
  std::string data = *memory_->Read(data_key);
  // Flip one bit in the middle of the data object.
  size_t victim = data.size() / 2;
  data[victim] ^= 0x04;
  ASSERT_TRUE(memory_->Write(data_key, data).ok());

  std::unique_ptr<BlockReader> reader = OpenReader();
  int data_loss = 0, found = 0;
  for (const Trace& t : *traces_) {
    absl::StatusOr<std::optional<std::string>> got = reader->Find(t.id);
    if (absl::IsDataLoss(got.status())) {
      ++data_loss;
    } else {
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(**got, t.data);
      ++found;
    }
  }
  // Exactly the traces of one page are lost; the rest are intact.
  EXPECT_GT(data_loss, 0);
  EXPECT_LT(data_loss, 1000);
  EXPECT_EQ(found + data_loss, static_cast<int>(traces_->size()));

  absl::Status s = reader->ForEach(
      [](const TraceId&, std::string_view) { return absl::OkStatus(); });
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

TEST_F(BlockRoundTripTest, CorruptedIndexOrBloomIsDataLoss) {
  std::string index_key = BlockKey("single-tenant", meta_.block_id, "index");
  std::string index = *memory_->Read(index_key);
  index[20] ^= 1;
  ASSERT_TRUE(memory_->Write(index_key, index).ok());
  EXPECT_TRUE(absl::IsDataLoss(OpenReader()->Find((*traces_)[5].id).status()));

  for (int shard = 0; shard < 2; ++shard) {
    std::string key = BlockKey("single-tenant", meta_.block_id,
                               absl::StrCat("bloom-", shard));
    std::string bloom = *memory_->Read(key);
    bloom[100] ^= 1;
    ASSERT_TRUE(memory_->Write(key, bloom).ok());
  }
  EXPECT_TRUE(absl::IsDataLoss(OpenReader()->Find((*traces_)[5].id).status()));
}

TEST_F(BlockRoundTripTest, ConcurrentLookupsOnColdReader) {
  std::unique_ptr<BlockReader> reader = OpenReader();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (size_t i = w; i < traces_->size(); i += 40) {
        absl::StatusOr<std::optional<std::string>> got =
            reader->Find((*traces_)[i].id);
        if (!got.ok() || !got->has_value() || **got != (*traces_)[i].data) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  // Racing first loads may read the index a few times, never per lookup.
  EXPECT_LE(counting_->Calls("Read", "index"), 4);
}

TEST(BlockBuilderTest, WritesMetaLastAndListsOnlyCompleteBlocks) {
  auto counting = std::make_shared<CountingBackend>(OpenMemoryBackend());
  std::vector<Trace> traces = MakeTraces(2000, 7);
  std::string id = NewBlockId();

  counting->HoldMeta(true);
  absl::StatusOr<BlockMeta> meta =
      Build(traces, *counting, BlockOptions(), "tenant-a", id);
  ASSERT_TRUE(meta.ok()) << meta.status();
  std::vector<std::string> writes = counting->writes();
  ASSERT_FALSE(writes.empty());
  EXPECT_EQ(writes.back(), BlockKey("tenant-a", id, "meta.json"));
  EXPECT_EQ(writes.front(), BlockKey("tenant-a", id, "data"));

  // Everything but meta.json is there: the block is incomplete.
  absl::StatusOr<TenantBlocks> blocks = ListTenantBlocks(*counting, "tenant-a");
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  EXPECT_TRUE((blocks->complete).empty());
  EXPECT_EQ(blocks->incomplete, Names({id}));

  ASSERT_TRUE(counting->ReleaseHeld().ok());
  blocks = ListTenantBlocks(*counting, "tenant-a");
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->complete.size(), 1u);
  EXPECT_EQ(blocks->complete[0], *meta);
  EXPECT_TRUE((blocks->incomplete).empty());
  EXPECT_EQ(*ListTenants(*counting), Names({"tenant-a"}));
}

TEST(BlockListTest, ListsPerTenantAndIgnoresForeignNames) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::vector<Trace> traces = MakeTraces(100, 3);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<BlockMeta> meta =
        Build(traces, *backend, BlockOptions(), "a");
    ASSERT_TRUE(meta.ok()) << meta.status();
    ids.push_back(meta->block_id);
  }
  ASSERT_TRUE(Build(traces, *backend, BlockOptions(), "b").ok());
  ASSERT_TRUE(backend->Write("a/not-a-block/x", "x").ok());
  ASSERT_TRUE(backend->Write("stray file with spaces", "x").ok());
  std::string broken = NewBlockId();
  ASSERT_TRUE(backend->Write(BlockKey("a", broken, "meta.json"), "{oops").ok());
  std::string partial = NewBlockId();
  ASSERT_TRUE(backend->Write(BlockKey("a", partial, "data"), "x").ok());

  absl::StatusOr<TenantBlocks> blocks = ListTenantBlocks(*backend, "a");
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  std::vector<std::string> listed;
  for (const BlockMeta& m : blocks->complete) listed.push_back(m.block_id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(listed, ids);  // sorted, broken meta skipped
  EXPECT_EQ(blocks->incomplete, Names({partial}));
  EXPECT_EQ(*ListTenants(*backend), Names({"a", "b"}));
  EXPECT_TRUE((ListTenantBlocks(*backend, "nobody")->complete).empty());
  EXPECT_FALSE(ListTenantBlocks(*backend, "../etc").ok());
}

TEST(BlockListTest, DeleteBlockRemovesMetaFirstAndLeavesNoDirectories) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() /
                  absl::StrCat("andante-block-delete-", ::getpid());
  fs::remove_all(root);
  absl::StatusOr<std::unique_ptr<Backend>> local = OpenLocalBackend(root);
  ASSERT_TRUE(local.ok()) << local.status();
  auto counting = std::make_shared<CountingBackend>(*std::move(local));

  std::vector<Trace> traces = MakeTraces(500, 5);
  absl::StatusOr<BlockMeta> keep =
      Build(traces, *counting, BlockOptions(), "t");
  absl::StatusOr<BlockMeta> doomed =
      Build(traces, *counting, BlockOptions(), "t");
  ASSERT_TRUE(keep.ok() && doomed.ok());

  counting->Reset();
  ASSERT_TRUE(DeleteBlock(*counting, "t", doomed->block_id).ok());
  std::vector<std::string> deletes = counting->deletes();
  ASSERT_FALSE(deletes.empty());
  EXPECT_EQ(deletes.front(), BlockKey("t", doomed->block_id, "meta.json"));
  ASSERT_GE(deletes.size(), 2u);
  EXPECT_EQ(deletes[1], BlockKey("t", doomed->block_id, "index"));
  EXPECT_EQ(deletes.size(), 2u + doomed->bloom_shards + 1);
  EXPECT_FALSE(fs::exists(root / "t" / doomed->block_id));
  absl::StatusOr<TenantBlocks> blocks = ListTenantBlocks(*counting, "t");
  ASSERT_EQ(blocks->complete.size(), 1u);
  EXPECT_EQ(blocks->complete[0].block_id, keep->block_id);
  EXPECT_TRUE((blocks->incomplete).empty());

  // Absent blocks delete fine; the last block takes the tenant dir with it.
  EXPECT_TRUE(DeleteBlock(*counting, "t", doomed->block_id).ok());
  ASSERT_TRUE(DeleteBlock(*counting, "t", keep->block_id).ok());
  EXPECT_FALSE(fs::exists(root / "t"));
  EXPECT_TRUE((*ListTenants(*counting)).empty());
  EXPECT_FALSE(DeleteBlock(*counting, "t", "").ok());
  EXPECT_FALSE(DeleteBlock(*counting, "t", "../x").ok());
  fs::remove_all(root);
}

TEST(BlockBuilderTest, RejectsMisuse) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  TraceId a = TraceId::FromHighLow(0, 1), b = TraceId::FromHighLow(0, 2);
  {
    BlockBuilder builder(BlockOptions(), *backend, "t", NewBlockId(), 2);
    EXPECT_TRUE(absl::IsFailedPrecondition(builder.Finish().status()));
  }
  {
    BlockBuilder builder(BlockOptions(), *backend, "t", NewBlockId(), 2);
    ASSERT_TRUE(builder.Add(b, "x", 1, 2, 1).ok());
    EXPECT_TRUE(absl::IsInvalidArgument(builder.Add(a, "x", 1, 2, 1)));
    EXPECT_TRUE(absl::IsInvalidArgument(builder.Add(b, "x", 1, 2, 1)));
    ASSERT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(
        builder.Add(TraceId::FromHighLow(0, 9), "x", 1, 2, 1)));
    EXPECT_TRUE(absl::IsFailedPrecondition(builder.Finish().status()));
  }
  {
    BlockBuilder builder(BlockOptions(), *backend, "../t", NewBlockId(), 2);
    EXPECT_TRUE(absl::IsInvalidArgument(builder.Add(a, "x", 1, 2, 1)));
  }
  {
    BlockBuilder builder(BlockOptions(), *backend, "t", "my-block", 2);
    EXPECT_TRUE(absl::IsInvalidArgument(builder.Add(a, "x", 1, 2, 1)));
  }
  {
    BlockOptions options;
    options.bloom_filter_false_positive = 0;
    BlockBuilder builder(options, *backend, "t", NewBlockId(), 2);
    EXPECT_TRUE(absl::IsInvalidArgument(builder.Add(a, "x", 1, 2, 1)));
  }
}

TEST(BlockBuilderTest, EstimatedSizeTracksActualSize) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::vector<Trace> traces = MakeTraces(20'000, 11);
  // Small pages, so the first page is cut well within the first 2000 traces
  // whatever the default page size is.
  BlockOptions options;
  options.page_size_bytes = 64 * 1024;
  BlockBuilder builder(options, *backend, "t", NewBlockId(), traces.size());
  EXPECT_LT(builder.EstimatedSize(), 1024u);
  uint64_t previous = 0;
  for (size_t i = 0; i < traces.size(); ++i) {
    const Trace& t = traces[i];
    ASSERT_TRUE(builder.Add(t.id, t.data, t.start, t.end, t.spans).ok());
    // Until the first page is cut the open page counts uncompressed; after
    // that the estimate only grows (give or take a page's rounding).
    if (i > 2000) {
      EXPECT_GE(builder.EstimatedSize() + 4096, previous);
    }
    previous = builder.EstimatedSize();
  }
  uint64_t estimate = builder.EstimatedSize();
  absl::StatusOr<BlockMeta> meta = builder.Finish();
  ASSERT_TRUE(meta.ok());
  uint64_t actual = meta->data_bytes + meta->index_bytes + meta->bloom_bytes;
  EXPECT_NEAR(static_cast<double>(estimate), static_cast<double>(actual),
              0.1 * static_cast<double>(actual));
}

TEST(BlockBuilderTest, EdgeShapedBlocks) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  // One trace; a trace far larger than a page; Jaeger-style 64-bit IDs;
  // empty payloads; page size 0 (one trace per page).
  BlockOptions tiny;
  tiny.page_size_bytes = 0;
  for (const BlockOptions& options : {BlockOptions(), tiny}) {
    std::vector<Trace> traces;
    for (uint64_t i = 1; i <= 50; ++i) {
      std::string data = i == 7   ? std::string(3 << 20, 'z')
                         : i == 8 ? std::string()
                                  : absl::StrCat("payload ", i);
      traces.push_back({TraceId::FromHighLow(0, i * 1000), data, i, i + 1, 1});
    }
    for (size_t n : {size_t{1}, traces.size()}) {
      std::vector<Trace> subset(traces.begin(), traces.begin() + n);
      absl::StatusOr<BlockMeta> meta = Build(subset, *backend, options);
      ASSERT_TRUE(meta.ok()) << meta.status();
      if (options.page_size_bytes == 0) {
        EXPECT_EQ(meta->total_pages, n);
      }
      auto reader = *BlockReader::Open(backend, *meta);
      for (const Trace& t : subset) {
        absl::StatusOr<std::optional<std::string>> got = reader->Find(t.id);
        ASSERT_TRUE(got.ok() && got->has_value()) << t.id.ToHex();
        EXPECT_EQ(**got, t.data);
        EXPECT_FALSE(
            reader->Find(TraceId::FromHighLow(0, t.id.low() + 1))->has_value());
      }
    }
  }
}

TEST(BlockReaderTest, OpenRejectsUnusableMeta) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  BlockMeta meta;
  meta.block_id = NewBlockId();
  meta.tenant = "t";
  EXPECT_TRUE(
      absl::IsInvalidArgument(BlockReader::Open(backend, meta).status()));
  meta.total_objects = meta.total_pages = meta.bloom_shards = 1;
  meta.format_version = 2;
  EXPECT_TRUE(
      absl::IsInvalidArgument(BlockReader::Open(backend, meta).status()));
  meta.format_version = 1;
  // Every page holds at least a trailer and one byte of frame.
  EXPECT_TRUE(
      absl::IsInvalidArgument(BlockReader::Open(backend, meta).status()));
  meta.data_bytes = kPageTrailerSize + 1;
  EXPECT_TRUE(BlockReader::Open(backend, meta).ok());
  EXPECT_FALSE(BlockReader::Open(nullptr, meta).ok());
}

}  // namespace
}  // namespace andante::internal
