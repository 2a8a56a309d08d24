// Block format v2: exact OTLP round trip (realistic and edge-case traces),
// the full scan, and damage (flipped bytes, truncation) -> DATA_LOSS.
#include <malloc.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "andante/backend.h"
#include "andante/options.h"
#include "bench/loadgen/trace_factory.h"
#include "block/block_builder.h"
#include "block/block_cache.h"
#include "block/block_format.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "block/v2_block_writer.h"
#include "block/v2_index.h"
#include "block/v2_recover.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "model/trace_split.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal {
namespace {

using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;

struct Stored {
  std::string data;
  uint64_t start = 0, end = 0;
  uint32_t spans = 0;
};

// Realistic traces from the load generator, split as the ingest path stores
// them (several fragments per trace concatenated).
std::map<TraceId, Stored> RealisticTraces(size_t batches, uint64_t seed) {
  loadgen::TraceFactory factory(seed);
  std::map<TraceId, Stored> out;
  for (size_t b = 0; b < batches; ++b) {
    auto batch = factory.BuildBatch(500, absl::Now(), nullptr);
    absl::StatusOr<std::vector<TraceFragment>> fragments = SplitByTrace(batch);
    EXPECT_TRUE(fragments.ok()) << fragments.status();
    if (!fragments.ok()) break;
    for (TraceFragment& f : *fragments) {
      Stored& s = out[f.id];
      s.data += f.data;
      s.start = s.start == 0 ? f.start_unix_nano
                             : std::min(s.start, f.start_unix_nano);
      s.end = std::max(s.end, f.end_unix_nano);
      s.spans += f.span_count;
    }
  }
  return out;
}

BlockMeta Build(Backend& backend, const std::map<TraceId, Stored>& traces,
                uint64_t page_size = 64 << 10, int zstd_level = 0) {
  BlockOptions options;
  options.version = 2;
  options.page_size_bytes = page_size;
  if (zstd_level != 0) options.zstd_level = zstd_level;
  BlockBuilder builder(options, backend, "t1", NewBlockId(), traces.size());
  for (const auto& [id, t] : traces) {
    absl::Status s = builder.Add(id, t.data, t.start, t.end, t.spans);
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::StatusOr<BlockMeta> meta = builder.Finish();
  EXPECT_TRUE(meta.ok()) << meta.status();
  return *meta;
}

void ExpectSameTrace(std::string_view want_bytes, std::string_view got_bytes,
                     const TraceId& id) {
  TracesData want, got;
  ASSERT_TRUE(want.ParseFromArray(want_bytes.data(), want_bytes.size()));
  ASSERT_TRUE(got.ParseFromArray(got_bytes.data(), got_bytes.size()));
  google::protobuf::util::MessageDifferencer diff;
  std::string report;
  diff.ReportDifferencesToString(&report);
  EXPECT_TRUE(diff.Compare(want, got)) << id.ToHex() << "\n" << report;
}

// Every trace of `traces` is found in `reader`'s block, byte for byte.
void ExpectEveryTraceFound(BlockReader& reader,
                           const std::map<TraceId, Stored>& traces) {
  for (const auto& [id, t] : traces) {
    absl::StatusOr<std::optional<std::string>> got = reader.Find(id);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value()) << id.ToHex();
    ExpectSameTrace(t.data, **got, id);
  }
}

// Pages with keyed span attributes (written now) and in the single-chunk
// layout (written before) alike.
class BlockV2LayoutTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { SetV2KeyedSpanAttributesForTesting(GetParam()); }
  void TearDown() override { SetV2KeyedSpanAttributesForTesting(true); }
};
INSTANTIATE_TEST_SUITE_P(Layouts, BlockV2LayoutTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Keyed" : "SingleChunk";
                         });

TEST_P(BlockV2LayoutTest, RealisticTracesRoundTripExactly) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::map<TraceId, Stored> traces = RealisticTraces(10, 7);
  BlockMeta meta = Build(*backend, traces);
  EXPECT_EQ(meta.format_version, kBlockFormatVersionV2);
  EXPECT_GT(meta.total_pages, 1u);
  // meta.json round trips and names the v2 format.
  absl::StatusOr<BlockMeta> parsed = BlockMeta::FromJson(meta.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, meta);
  EXPECT_NE(meta.ToJson().find("andante-v2"), std::string::npos);

  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(backend, meta);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectEveryTraceFound(**reader, traces);
  // Absent IDs: below, between and above the stored ones.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    TraceId id = TraceId::FromHighLow(rng(), rng());
    if (traces.contains(id)) continue;
    absl::StatusOr<std::optional<std::string>> got = (*reader)->Find(id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(got->has_value());
  }
  // The full scan yields every trace once, in ID order, equal to the input.
  auto it = traces.begin();
  absl::Status s = (*reader)->ForEach(
      [&](const TraceId& id, std::string_view data) -> absl::Status {
        EXPECT_TRUE(it != traces.end());
        if (it == traces.end()) return absl::InternalError("too many");
        EXPECT_EQ(id, it->first);
        ExpectSameTrace(it->second.data, data, id);
        ++it;
        return absl::OkStatus();
      });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(it == traces.end());

  // The data object alone (recovery of a block without its index) reads
  // the same traces.
  absl::StatusOr<std::string> data =
      backend->Read(BlockKey(meta.tenant, meta.block_id, kDataObjectName));
  ASSERT_TRUE(data.ok());
  ASSERT_TRUE(IsV2Data(*data));
  it = traces.begin();
  s = ForEachV2DataTrace(*data, [&](const TraceId& id, std::string_view bytes,
                                    uint64_t, uint64_t, uint32_t) {
    EXPECT_TRUE(it != traces.end());
    if (it == traces.end()) return absl::InternalError("too many");
    EXPECT_EQ(id, it->first);
    ExpectSameTrace(it->second.data, bytes, id);
    ++it;
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(it == traces.end());
}

// Every corner of the OTLP model the columns encode specially.
TracesData EdgeCaseTrace(const TraceId& id) {
  TracesData d;
  std::string tid(id.bytes());
  for (int r = 0; r < 2; ++r) {
    auto* rs = d.add_resource_spans();
    rs->set_schema_url(r == 0 ? "https://schema/1" : "");
    auto* res = rs->mutable_resource();
    auto* a = res->add_attributes();
    a->set_key("service.name");
    a->mutable_value()->set_string_value(r == 0 ? "svc-a" : "svc-b");
    res->set_dropped_attributes_count(r);
    auto* arr = res->add_attributes();
    arr->set_key("tags");
    arr->mutable_value()->mutable_array_value()->add_values()->set_string_value(
        "x");
    arr->mutable_value()->mutable_array_value()->add_values()->set_int_value(3);
    for (int s = 0; s < 2; ++s) {
      auto* ss = rs->add_scope_spans();
      ss->set_schema_url(s == 1 ? "scope-schema" : "");
      ss->mutable_scope()->set_name(absl::StrCat("lib", s));
      ss->mutable_scope()->set_version(s == 0 ? "1.2" : "");
      ss->mutable_scope()->set_dropped_attributes_count(2);
      auto* sa = ss->mutable_scope()->add_attributes();
      sa->set_key("scope.attr");
      sa->mutable_value()->set_bool_value(true);
      for (int k = 0; k < 3; ++k) {
        Span* sp = ss->add_spans();
        const int n = r * 6 + s * 3 + k;
        if (n % 4 != 3) sp->set_trace_id(tid);
        if (n == 5) sp->set_trace_id(std::string(16, 'z'));  // another trace
        sp->set_span_id(std::string(8, static_cast<char>('a' + n)));
        if (n == 7) sp->set_span_id("short");
        if (n == 8) sp->clear_span_id();
        if (n > 0) sp->set_parent_span_id(std::string(8, 'a'));   // span 0
        if (n == 9) sp->set_parent_span_id(std::string(8, 'Q'));  // unknown
        if (n == 10) sp->set_parent_span_id(std::string(8, 'k' + 1));  // later
        sp->set_name(n % 2 ? "GET /x" : "");
        sp->set_kind(static_cast<Span::SpanKind>(n % 7));
        sp->set_start_time_unix_nano(1'700'000'000'000'000'000ull +
                                     (n % 3) * 1000 - n);
        sp->set_end_time_unix_nano(
            n == 4 ? 5 : sp->start_time_unix_nano() + n * 12345);
        if (n % 3 == 0) {
          sp->mutable_status()->set_code(
              static_cast<andante::otlp::trace::v1::Status::StatusCode>(
                  n % 3));
        }
        if (n == 2) sp->mutable_status()->set_message("boom");
        if (n == 6) sp->mutable_status();  // present but empty
        sp->set_trace_state(n == 1 ? "k=v" : "");
        sp->set_flags(n == 2 ? 0x301 : 0);
        sp->set_dropped_attributes_count(n == 3 ? 4 : 0);
        auto* kv = sp->add_attributes();
        kv->set_key("http.status_code");
        kv->mutable_value()->set_int_value(n == 0 ? -7 : 200 + n);
        auto* f = sp->add_attributes();
        f->set_key("ratio");
        f->mutable_value()->set_double_value(n * 0.25 - 1);
        auto* e = sp->add_attributes();
        e->set_key("empty.string");
        e->mutable_value()->set_string_value("");
        if (n == 4) sp->add_attributes()->set_key("no.value");
        if (n == 3) {
          // A key repeated on one span, around another (OTLP allows it):
          // the stored order comes back.
          auto* again = sp->add_attributes();
          again->set_key("http.status_code");
          again->mutable_value()->set_string_value("twice");
          auto* z = sp->add_attributes();
          z->set_key("a.first.key");
          z->mutable_value()->set_bool_value(true);
        }
        if (n == 5) {
          auto* b = sp->add_attributes();
          b->set_key("bytes");
          b->mutable_value()->set_bytes_value(std::string("\0\1\2", 3));
          auto* l = sp->add_attributes();
          l->set_key("kv");
          auto* inner =
              l->mutable_value()->mutable_kvlist_value()->add_values();
          inner->set_key("inner");
          inner->mutable_value()->set_string_value("deep");
          auto* unset = sp->add_attributes();
          unset->set_key("unset");
          unset->mutable_value();
        }
        if (n % 2 == 0) {
          auto* ev = sp->add_events();
          ev->set_name("exception");
          ev->set_time_unix_nano(sp->start_time_unix_nano() + 5);
          auto* ea = ev->add_attributes();
          ea->set_key("exception.message");
          ea->mutable_value()->set_string_value("oops");
          sp->set_dropped_events_count(n == 4 ? 1 : 0);
        }
        if (n == 3) {
          auto* ln = sp->add_links();
          ln->set_trace_id(std::string(16, 'L'));
          ln->set_span_id(std::string(8, 'l'));
          ln->set_trace_state("a=b");
          sp->set_dropped_links_count(9);
        }
      }
    }
  }
  return d;
}

TEST_P(BlockV2LayoutTest, EdgeCasesRoundTripExactly) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::map<TraceId, Stored> traces;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 50; ++i) {
    TraceId id = TraceId::FromHighLow(rng(), rng());
    Stored& s = traces[id];
    s.data = EdgeCaseTrace(id).SerializeAsString();
    s.start = 1;
    s.end = 2;
    s.spans = 12;
  }
  BlockMeta meta = Build(*backend, traces, 4096);
  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(backend, meta);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectEveryTraceFound(**reader, traces);
}

// Chunks are compressed at a level per column by default and at the
// configured level otherwise: blocks of either read back the same traces.
TEST(BlockV2Test, ConfiguredZstdLevelsRoundTrip) {
  const std::map<TraceId, Stored> traces = RealisticTraces(4, 11);
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  const BlockMeta by_column = Build(*backend, traces);
  for (int level : {1, 9}) {
    SCOPED_TRACE(level);
    const BlockMeta meta = Build(*backend, traces, 64 << 10, level);
    // The configured level took effect: other frames than the default's.
    EXPECT_NE(meta.data_bytes, by_column.data_bytes);
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(backend, meta);
    ASSERT_TRUE(reader.ok()) << reader.status();
    ExpectEveryTraceFound(**reader, traces);
  }
}

TEST(BlockV2Test, RejectsDataThatIsNotOtlp) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  BlockOptions options;
  options.version = 2;
  BlockBuilder builder(options, *backend, "t1", NewBlockId(), 1);
  absl::Status s =
      builder.Add(TraceId::FromHighLow(1, 2), "\xff\xff\xff", 1, 2, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  options.version = 3;
  BlockBuilder bad(options, *backend, "t1", NewBlockId(), 1);
  EXPECT_EQ(bad.Add(TraceId::FromHighLow(1, 2), "", 1, 2, 1).code(),
            absl::StatusCode::kInvalidArgument);
}

// Flips bytes all over the data and index objects: every lookup either
// returns the right trace (a page the flip did not touch) or DATA_LOSS.
TEST_P(BlockV2LayoutTest, FlippedBytesAreDataLossNeverWrongData) {
  std::map<TraceId, Stored> traces = RealisticTraces(2, 5);
  for (const char* object : {"data", "index"}) {
    std::shared_ptr<Backend> clean = OpenMemoryBackend();
    BlockMeta meta = Build(*clean, traces, 16 << 10);
    const std::string key = BlockKey("t1", meta.block_id, object);
    absl::StatusOr<std::string> bytes = clean->Read(key);
    ASSERT_TRUE(bytes.ok());
    std::mt19937_64 rng(9);
    for (int trial = 0; trial < 40; ++trial) {
      std::shared_ptr<Backend> backend = OpenMemoryBackend();
      for (const char* o : {"data", "index", "meta.json", "bloom-0"}) {
        absl::StatusOr<std::string> b =
            clean->Read(BlockKey("t1", meta.block_id, o));
        ASSERT_TRUE(b.ok());
        ASSERT_TRUE(backend->Write(BlockKey("t1", meta.block_id, o), *b).ok());
      }
      std::string damaged = *bytes;
      damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
      ASSERT_TRUE(backend->Write(key, damaged).ok());
      absl::StatusOr<std::unique_ptr<BlockReader>> reader =
          BlockReader::Open(backend, meta);
      ASSERT_TRUE(reader.ok());
      int lost = 0;
      for (const auto& [id, t] : traces) {
        absl::StatusOr<std::optional<std::string>> got = (*reader)->Find(id);
        if (!got.ok()) {
          EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss)
              << got.status();
          ++lost;
          continue;
        }
        ASSERT_TRUE(got->has_value());
        ExpectSameTrace(t.data, **got, id);
      }
      EXPECT_GT(lost, 0) << object << " trial " << trial;
    }
  }
}

TEST_P(BlockV2LayoutTest, TruncatedObjectsAreDataLoss) {
  std::map<TraceId, Stored> traces = RealisticTraces(2, 6);
  for (const char* object : {"data", "index"}) {
    for (double keep : {0.0, 0.5, 0.99}) {
      std::shared_ptr<Backend> backend = OpenMemoryBackend();
      BlockMeta meta = Build(*backend, traces, 16 << 10);
      const std::string key = BlockKey("t1", meta.block_id, object);
      absl::StatusOr<std::string> bytes = backend->Read(key);
      ASSERT_TRUE(bytes.ok());
      ASSERT_TRUE(
          backend->Write(key, bytes->substr(0, bytes->size() * keep)).ok());
      absl::StatusOr<std::unique_ptr<BlockReader>> reader =
          BlockReader::Open(backend, meta);
      ASSERT_TRUE(reader.ok());
      // The last trace's page is past any truncation point.
      absl::StatusOr<std::optional<std::string>> got =
          (*reader)->Find(traces.rbegin()->first);
      EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss)
          << object << " " << keep;
      absl::Status scan = (*reader)->ForEach(
          [](const TraceId&, std::string_view) { return absl::OkStatus(); });
      EXPECT_EQ(scan.code(), absl::StatusCode::kDataLoss) << scan;
    }
  }
}

// The page table a reader keeps for lookups and scans holds exactly the
// full index's pages' places, counts and chunks; any damage to the index
// object fails it as it fails the full decode.
TEST_P(BlockV2LayoutTest, PageTableHoldsTheFullIndexPlacesAndChunks) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  BlockMeta meta = Build(*backend, RealisticTraces(4, 11), 16 << 10);
  absl::StatusOr<std::string> bytes =
      backend->Read(BlockKey("t1", meta.block_id, "index"));
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<V2Index> full = V2Index::Decode(*bytes);
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<V2PageTable> table = V2PageTable::Decode(*bytes);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->pages.size(), full->pages.size());
  ASSERT_GT(table->pages.size(), 4u);
  for (size_t n = 0; n < full->pages.size(); ++n) {
    const V2PageEntry& want = full->pages[n];
    const V2PageLocation& got = table->pages[n];
    EXPECT_EQ(got.first_id, want.first_id);
    EXPECT_EQ(got.last_id, want.last_id);
    EXPECT_EQ(got.offset, want.offset);
    EXPECT_EQ(got.length, want.length);
    EXPECT_EQ(got.trace_count, want.trace_count);
    EXPECT_EQ(got.span_count, want.span_count);
    EXPECT_EQ(got.keyed(), want.keyed);
    EXPECT_EQ(got.key_count(), want.key_chunks.size());
    ASSERT_EQ(got.chunk_count, want.chunk_count());
    for (size_t i = 0; i < want.chunk_count(); ++i) {
      EXPECT_EQ(table->chunk(n, i), want.chunk(i)) << n << " " << i;
    }
    EXPECT_EQ(table->FindPage(want.first_id), n);
    EXPECT_EQ(table->FindPage(want.last_id), n);
  }
  EXPECT_EQ(table->data_bytes(), meta.data_bytes);
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::string damaged = *bytes;
    damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    EXPECT_EQ(V2PageTable::Decode(damaged).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_FALSE(V2PageTable::Decode(bytes->substr(0, bytes->size() / 2)).ok());
}

// Bytes malloc has handed out and not had back (all arenas, mmapped chunks
// included); 0 under sanitizers, which replace malloc.
int64_t HeapInUse() {
  const struct mallinfo2 info = ::mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

// What a reader keeps after lookups, searches (LoadV2Index) and a full scan
// over many blocks stays within the block cache's bound plus the page
// tables. The readers kept every block's full decoded index (page blooms,
// key statistics) outside the bound for as long as the block was live:
// after a loadgen run's lookups that was ~230 MB (issue 14).
TEST(BlockV2MemoryTest, ReadersOverManyBlocksStayWithinTheCacheBound) {
  if (HeapInUse() == 0) GTEST_SKIP() << "mallinfo2 not served (sanitizer)";
  constexpr int kBlocks = 12;
  constexpr uint64_t kCacheBytes = 64 << 10;
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  std::vector<BlockMeta> metas;
  std::vector<TraceId> first;
  // Each full index's decoded size as malloc sees it, measured by holding
  // one decoded copy.
  int64_t full_bytes = 0;
  for (int b = 0; b < kBlocks; ++b) {
    std::map<TraceId, Stored> traces = RealisticTraces(8, 100 + b);
    metas.push_back(Build(*backend, traces));
    first.push_back(traces.begin()->first);
    absl::StatusOr<std::string> bytes =
        backend->Read(BlockKey("t1", metas.back().block_id, "index"));
    ASSERT_TRUE(bytes.ok());
    const int64_t before = HeapInUse();
    absl::StatusOr<V2Index> full = V2Index::Decode(*bytes);
    ASSERT_TRUE(full.ok());
    full_bytes += HeapInUse() - before;
  }
  ASSERT_GT(full_bytes, int64_t{8} * kCacheBytes)
      << "the blocks' indexes must dwarf the cache for this test to tell";

  auto cache = std::make_shared<BlockCache>(kCacheBytes);
  std::vector<std::unique_ptr<BlockReader>> readers;
  const int64_t before = HeapInUse();
  for (const BlockMeta& meta : metas) {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader =
        BlockReader::Open(backend, meta, nullptr, cache);
    ASSERT_TRUE(reader.ok());
    readers.push_back(*std::move(reader));
  }
  for (int b = 0; b < kBlocks; ++b) {
    absl::StatusOr<std::optional<std::string>> got = readers[b]->Find(first[b]);
    ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
    ASSERT_TRUE(readers[b]->LoadV2Index(nullptr).ok());
    ASSERT_TRUE(readers[b]
                    ->ForEach([](const TraceId&, std::string_view) {
                      return absl::OkStatus();
                    })
                    .ok());
  }
  const int64_t kept = HeapInUse() - before;
  EXPECT_LE(cache->bytes(), kCacheBytes);
  // The cache's bound plus the page tables (about a fifth of the full
  // indexes with these small 64 KiB pages, less with larger ones), plus the
  // readers' fixed state; the old readers kept all of full_bytes.
  EXPECT_LT(kept, static_cast<int64_t>(kCacheBytes) + full_bytes / 3 +
                      (64 << 10))
      << "full indexes " << full_bytes << " bytes";

  // Lookups and searches still work after their index was evicted.
  for (int b = 0; b < kBlocks; ++b) {
    absl::StatusOr<std::optional<std::string>> got = readers[b]->Find(first[b]);
    ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
    absl::StatusOr<std::shared_ptr<const V2Index>> index =
        readers[b]->LoadV2Index(nullptr);
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_EQ((*index)->pages.size(), metas[b].total_pages);
  }
}

// A compaction input reads its block with ForEach through a reader without
// a cache: it needs the page table, never the page blooms and key
// statistics, and held the full decoded index for the whole job (~1.8
// bytes per stored span; issue 14).
TEST(BlockV2MemoryTest, AFullScanKeepsOnlyThePageTable) {
  if (HeapInUse() == 0) GTEST_SKIP() << "mallinfo2 not served (sanitizer)";
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  BlockMeta meta = Build(*backend, RealisticTraces(8, 31));
  absl::StatusOr<std::string> bytes =
      backend->Read(BlockKey("t1", meta.block_id, "index"));
  ASSERT_TRUE(bytes.ok());
  int64_t full_bytes;
  {
    const int64_t before = HeapInUse();
    absl::StatusOr<V2Index> full = V2Index::Decode(*bytes);
    ASSERT_TRUE(full.ok());
    full_bytes = HeapInUse() - before;
  }
  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(backend, meta);
  ASSERT_TRUE(reader.ok());
  int64_t traces = 0;
  ASSERT_TRUE((*reader)
                  ->ForEach([&](const TraceId&, std::string_view) {
                    ++traces;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(static_cast<uint64_t>(traces), meta.total_objects);
  const int64_t before = HeapInUse();
  reader->reset();
  const int64_t freed = before - HeapInUse();
  EXPECT_LT(freed, full_bytes / 3) << "full index " << full_bytes;
}

// A block that is no longer read (its reader destroyed: compacted or
// deleted) leaves nothing in the shared cache; the cache never shrank
// before, so an idle server kept what past blocks had loaded.
TEST(BlockV2MemoryTest, CacheEntriesLeaveWithTheirReader) {
  std::shared_ptr<Backend> backend = OpenMemoryBackend();
  auto cache = std::make_shared<BlockCache>(64 << 20);
  std::map<TraceId, Stored> traces = RealisticTraces(2, 41);
  BlockMeta kept = Build(*backend, traces);
  std::map<TraceId, Stored> other = RealisticTraces(2, 42);
  BlockMeta dropped = Build(*backend, other);
  auto open = [&](const BlockMeta& meta) {
    absl::StatusOr<std::unique_ptr<BlockReader>> r =
        BlockReader::Open(backend, meta, nullptr, cache);
    EXPECT_TRUE(r.ok());
    return *std::move(r);
  };
  std::unique_ptr<BlockReader> a = open(kept), b = open(dropped);
  ASSERT_TRUE(a->LoadV2Index(nullptr).ok());
  ASSERT_TRUE(a->MayContain(traces.begin()->first).ok());
  const uint64_t kept_bytes = cache->bytes();
  ASSERT_GT(kept_bytes, 0u);
  ASSERT_TRUE(b->LoadV2Index(nullptr).ok());
  ASSERT_TRUE(b->MayContain(other.begin()->first).ok());
  ASSERT_GT(cache->bytes(), kept_bytes);
  b.reset();
  EXPECT_EQ(cache->bytes(), kept_bytes);
  a.reset();
  EXPECT_EQ(cache->bytes(), 0u);
}

}  // namespace
}  // namespace andante::internal
