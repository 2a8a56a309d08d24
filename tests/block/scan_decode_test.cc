// The scan's own decoders against the general ones: ParseTraceSpans (a
// page's trace table read for IDs and span ranges) against
// V2Page::ParseTraceTable, intact and damaged, and WordVarint against
// FastVarint and util/coding's GetVarint64.
#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "bench/loadgen/trace_factory.h"
#include "block/block_format.h"
#include "andante/traceql.h"
#include "block/scan/intrinsic_checks.h"
#include "block/scan/trace_spans.h"
#include "block/scan/varint.h"
#include "block/v2_page.h"
#include "gtest/gtest.h"
#include "model/trace_split.h"
#include "util/coding.h"

namespace andante::internal::scan {
namespace {

// A duration column holding `durations` (zigzag varints, as the writer
// stores end - start).
std::string DurationColumn(const std::vector<int64_t>& durations) {
  std::string column;
  for (int64_t d : durations) {
    PutVarint64(&column, (static_cast<uint64_t>(d) << 1) ^
                             static_cast<uint64_t>(d >> 63));
  }
  return column;
}

// The trace tables of pages of the load generator's traces, `per_page`
// traces each.
std::vector<std::string> TraceTables(size_t per_page) {
  loadgen::TraceFactory factory(7);
  std::vector<TraceFragment> fragments;
  for (int b = 0; b < 3; ++b) {
    auto batch = factory.BuildBatch(400, absl::Now(), nullptr);
    absl::StatusOr<std::vector<TraceFragment>> split = SplitByTrace(batch);
    EXPECT_TRUE(split.ok()) << split.status();
    if (!split.ok()) return {};
    for (TraceFragment& f : *split) fragments.push_back(std::move(f));
  }
  std::sort(fragments.begin(), fragments.end(),
            [](const TraceFragment& a, const TraceFragment& b) {
              return a.id < b.id;
            });
  std::vector<std::string> tables;
  V2PageEncoder enc;
  std::string scratch;
  for (size_t i = 0; i < fragments.size(); ++i) {
    // A trace split in several fragments is added once, whole.
    std::string data = fragments[i].data;
    while (i + 1 < fragments.size() && fragments[i + 1].id == fragments[i].id) {
      data += fragments[++i].data;
    }
    EXPECT_TRUE(enc.Add(fragments[i].id, data).ok());
    if (enc.trace_count() == per_page || i + 1 == fragments.size()) {
      tables.emplace_back(enc.ColumnBytes(kV2Traces, &scratch));
      enc.Clear();
    }
  }
  return tables;
}

// Both parsers over `table`: the same verdict, and the same traces when
// both accept it.
void ExpectAlike(const std::string& table, const std::string& what) {
  V2Page page;
  page.raw[kV2Traces] = table;
  const absl::Status want = page.ParseTraceTable();
  std::vector<V2Page::TraceRef> got;
  uint32_t spans = 0;
  const absl::Status s = ParseTraceSpans(table, &got, &spans);
  ASSERT_EQ(s.ok(), want.ok()) << what << ": " << s << " / " << want;
  if (!s.ok()) {
    EXPECT_TRUE(absl::IsDataLoss(s)) << what << ": " << s;
    return;
  }
  EXPECT_EQ(spans, page.span_count) << what;
  ASSERT_EQ(got.size(), page.traces.size()) << what;
  for (size_t t = 0; t < got.size(); ++t) {
    EXPECT_EQ(got[t].id, page.traces[t].id) << what << " trace " << t;
    EXPECT_EQ(got[t].span_begin, page.traces[t].span_begin) << what;
    EXPECT_EQ(got[t].span_end, page.traces[t].span_end) << what;
  }
}

TEST(ScanDecodeTest, TraceSpansAgreeWithTheTableParser) {
  const std::vector<std::string> tables = TraceTables(17);
  ASSERT_GT(tables.size(), 5u);
  for (size_t i = 0; i < tables.size(); ++i) {
    ExpectAlike(tables[i], "page " + std::to_string(i));
    std::vector<V2Page::TraceRef> got;
    uint32_t spans = 0;
    ASSERT_TRUE(ParseTraceSpans(tables[i], &got, &spans).ok());
    EXPECT_GT(spans, got.size());  // the load generator's traces have spans
  }
}

TEST(ScanDecodeTest, DamagedTablesAreRefusedAsTheTableParserRefusesThem) {
  const std::vector<std::string> tables = TraceTables(6);
  ASSERT_FALSE(tables.empty());
  const std::string& table = tables[0];
  // Every truncation, a trailing byte, and every byte changed three ways.
  for (size_t n = 0; n < table.size(); ++n) {
    ExpectAlike(table.substr(0, n), "prefix " + std::to_string(n));
  }
  ExpectAlike(table + '\0', "trailing byte");
  size_t refused = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      std::string bad = table;
      bad[i] = static_cast<char>(static_cast<uint8_t>(bad[i]) ^ x);
      ExpectAlike(bad, "byte " + std::to_string(i) + " ^ " +
                           std::to_string(x));
      std::vector<V2Page::TraceRef> got;
      uint32_t spans;
      refused += !ParseTraceSpans(bad, &got, &spans).ok();
    }
  }
  EXPECT_GT(refused, 0u);
  // Two traces swapped: IDs out of order.
  std::vector<V2Page::TraceRef> got;
  uint32_t spans;
  ASSERT_TRUE(ParseTraceSpans(table, &got, &spans).ok());
  ASSERT_GE(got.size(), 2u);
  std::string swapped = table;
  const size_t first = table.find(got[0].id.bytes());
  const size_t second = table.find(got[1].id.bytes());
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  swapped.replace(first, TraceId::kSize, got[1].id.bytes());
  swapped.replace(second, TraceId::kSize, got[0].id.bytes());
  ExpectAlike(swapped, "swapped");
  EXPECT_FALSE(ParseTraceSpans(swapped, &got, &spans).ok());
}

TEST(ScanDecodeTest, WordVarintReadsWhatTheByteDecodersRead) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::string column;
    std::vector<uint64_t> values;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      // Every length from 1 to 10 bytes.
      const int bits = static_cast<int>(rng() % 65);
      const uint64_t v = bits == 0 ? 0 : rng() >> (64 - bits);
      values.push_back(v);
      PutVarint64(&column, v);
    }
    const char* p = column.data();
    const char* const end = p + column.size();
    std::string_view in = column;
    for (int i = 0; i < n; ++i) {
      uint64_t got = 0, want = 0;
      ASSERT_TRUE(WordVarint(&p, end, &got));
      ASSERT_TRUE(GetVarint64(&in, &want));
      EXPECT_EQ(got, values[i]);
      EXPECT_EQ(want, values[i]);
      EXPECT_EQ(p, in.data());
    }
    uint64_t v;
    EXPECT_FALSE(WordVarint(&p, end, &v));  // nothing left
    // A column cut inside its last varint, or ending on an unterminated
    // run: refused as FastVarint refuses it.
    for (size_t cut = 1; cut <= column.size(); ++cut) {
      const std::string part = column.substr(0, cut) + "\x80\x80";
      const char* a = part.data();
      const char* b = part.data();
      const char* const e = part.data() + part.size();
      bool ok_a = true, ok_b = true;
      uint64_t va = 0, vb = 0;
      while (ok_a && a != e) ok_a = WordVarint(&a, e, &va);
      while (ok_b && b != e) ok_b = FastVarint(&b, e, &vb);
      EXPECT_EQ(ok_a, ok_b);
      EXPECT_FALSE(ok_a);
    }
  }
}

TEST(ScanDecodeTest, DurationChecksKeepExactlyTheSpansTheyHoldFor) {
  // Values around each bound, of every varint length, negative ones, and
  // enough of them that the word reads meet the column's end.
  std::vector<int64_t> durations = {0, 1, -1, 2, -2, 63, 64, 127, 128};
  for (int64_t bound : {int64_t{5}, int64_t{1000}, int64_t{1000000000},
                        int64_t{1} << 40, (int64_t{1} << 61) - 1,
                        int64_t{1} << 61, int64_t{1} << 62}) {
    for (int64_t d = -2; d <= 2; ++d) {
      durations.push_back(bound + d);
      durations.push_back(-bound + d);
    }
  }
  durations.push_back(std::numeric_limits<int64_t>::max());
  durations.push_back(std::numeric_limits<int64_t>::min());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300; ++i) {
    durations.push_back(static_cast<int64_t>(rng() >> (rng() % 64)));
  }
  for (size_t tail = 0; tail < 12; ++tail) {
    // Each order of the values once per tail length, so every value is met
    // near the end of the column too.
    std::vector<int64_t> column_values(durations.begin() + tail,
                                       durations.end());
    column_values.insert(column_values.end(), durations.begin(),
                         durations.begin() + tail);
    V2Page page;
    page.raw[kV2Durations] = DurationColumn(column_values);
    const uint32_t n = static_cast<uint32_t>(column_values.size());
    for (const char* op : {">", ">=", "<", "<=", "=", "!="}) {
      for (const char* literal :
           {"0ns", "5ns", "1000ns", "1s", "1099511627776ns",
            "2305843009213693951ns", "2305843009213693952ns",
            "4611686018427387904ns"}) {
        const std::string text =
            std::string("{ duration ") + op + " " + literal + " }";
        absl::StatusOr<traceql::Query> query = traceql::Query::Parse(text);
        ASSERT_TRUE(query.ok()) << text << ": " << query.status();
        ASSERT_EQ(query->span_conditions().size(), 1u) << text;
        const traceql::Condition& c = query->span_conditions()[0];
        ASSERT_TRUE(IsIntrinsicCheck(c)) << text;
        std::vector<uint8_t> candidate(n, 1);
        candidate[0] = 0;  // cleared spans stay cleared
        ASSERT_TRUE(MarkIntrinsic(c, page, n, &candidate)) << text;
        const int64_t l = c.literal.i;
        for (uint32_t i = 0; i < n; ++i) {
          const int64_t d = column_values[i];
          const std::string o = op;
          const bool holds = o == ">"    ? d > l
                             : o == ">=" ? d >= l
                             : o == "<"  ? d < l
                             : o == "<=" ? d <= l
                             : o == "="  ? d == l
                                         : d != l;
          EXPECT_EQ(candidate[i], i == 0 ? 0 : holds ? 1 : 0)
              << text << " duration " << d;
        }
      }
    }
  }
  // A column cut short is refused.
  V2Page page;
  page.raw[kV2Durations] = DurationColumn({1, 2, 3});
  absl::StatusOr<traceql::Query> query = traceql::Query::Parse("{ duration > 1ns }");
  ASSERT_TRUE(query.ok());
  std::vector<uint8_t> candidate(4, 1);
  EXPECT_FALSE(
      MarkIntrinsic(query->span_conditions()[0], page, 4, &candidate));
}

}  // namespace
}  // namespace andante::internal::scan
