// Helpers shared by the compaction tests: stored traces with chosen spans,
// blocks written with the real BlockBuilder, and a reader's view of a
// tenant computed independently of the compactor (every live block scanned,
// fragments combined with TraceCombiner as the store's lookups do).
#ifndef ANDANTE_TESTS_COMPACTION_COMPACTION_TEST_UTIL_H_
#define ANDANTE_TESTS_COMPACTION_COMPACTION_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "block/block_builder.h"
#include "block/block_meta.h"
#include "block/block_reader.h"
#include "compaction/blocklist.h"
#include "gtest/gtest.h"
#include "model/trace_combiner.h"
#include "andante/otlp/trace/v1/trace.pb.h"

namespace andante::internal::testutil {

using andante::otlp::trace::v1::TracesData;

// A span as the tests identify it: (span id, kind).
using SpanKey = std::pair<uint64_t, int>;
// Trace -> its spans; a multiset so duplicates show.
using TraceSpans = std::map<TraceId, std::multiset<SpanKey>>;

inline TraceId Id(uint64_t n) { return TraceId::FromHighLow(n * 7919, n); }

inline std::string SpanIdBytes(uint64_t id) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(id >> (56 - 8 * i));
  return out;
}

// A stored trace fragment (no trace_id in spans, as the ingester stores it)
// under service `service`, one span per key, start times from `start`.
inline std::string Fragment(const std::vector<SpanKey>& spans,
                            const std::string& service = "svc",
                            uint64_t start = 1'700'000'000'000'000'000ull) {
  TracesData data;
  auto* rs = data.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("scope");
  uint64_t t = start;
  for (const SpanKey& k : spans) {
    auto* s = ss->add_spans();
    s->set_span_id(SpanIdBytes(k.first));
    s->set_kind(
        static_cast<andante::otlp::trace::v1::Span_SpanKind>(k.second));
    s->set_name("op");
    s->set_start_time_unix_nano(t);
    s->set_end_time_unix_nano(t + 1000);
    t += 10;
  }
  return data.SerializeAsString();
}

// Writes a block holding `traces` (ID -> data). Times: the spans' own.
inline BlockMeta WriteBlock(
    Backend& backend, const std::string& tenant,
    const std::map<TraceId, std::string>& traces,
    uint64_t start_unix_nano = 1'700'000'000'000'000'000ull,
    uint64_t end_unix_nano = 1'700'000'001'000'000'000ull,
    BlockOptions options = {}) {
  BlockBuilder builder(options, backend, tenant, NewBlockId(), traces.size());
  for (const auto& [id, data] : traces) {
    TracesData parsed;
    EXPECT_TRUE(parsed.ParseFromString(data));
    uint32_t spans = 0;
    for (const auto& rs : parsed.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) spans += ss.spans_size();
    }
    EXPECT_TRUE(
        builder.Add(id, data, start_unix_nano, end_unix_nano, spans).ok());
  }
  absl::StatusOr<BlockMeta> meta = builder.Finish();
  EXPECT_TRUE(meta.ok()) << meta.status();
  return *meta;
}

inline void AddSpans(std::string_view data, std::multiset<SpanKey>* out) {
  TracesData parsed;
  ASSERT_TRUE(
      parsed.ParseFromArray(data.data(), static_cast<int>(data.size())));
  for (const auto& rs : parsed.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) {
        uint64_t id = 0;
        for (char c : s.span_id()) id = id << 8 | static_cast<uint8_t>(c);
        out->insert({id, s.kind()});
      }
    }
  }
}

// Every span physically stored in `blocks`, per trace, duplicates kept.
// Also checks each block's IDs are strictly increasing.
inline TraceSpans ScanBlocks(std::shared_ptr<Backend> backend,
                             const std::vector<BlockMeta>& blocks) {
  TraceSpans out;
  for (const BlockMeta& m : blocks) {
    auto reader = BlockReader::Open(backend, m);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) continue;
    bool first = true;
    TraceId last;
    absl::Status s = (*reader)->ForEach(
        [&](const TraceId& id, std::string_view data) -> absl::Status {
          EXPECT_TRUE(first || last < id) << "block " << m.block_id;
          first = false;
          last = id;
          AddSpans(data, &out[id]);
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
  }
  return out;
}

// What a reader of the tenant's live blocks gets per trace: fragments from
// every live block combined and deduplicated by TraceCombiner.
inline TraceSpans ReaderView(std::shared_ptr<Backend> backend,
                             const std::vector<BlockMeta>& blocks) {
  std::map<TraceId, std::vector<std::string>> fragments;
  for (const BlockMeta& m : blocks) {
    auto reader = BlockReader::Open(backend, m);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) continue;
    EXPECT_TRUE((*reader)
                    ->ForEach([&](const TraceId& id, std::string_view data) {
                      fragments[id].emplace_back(data);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  TraceSpans out;
  for (const auto& [id, parts] : fragments) {
    TraceCombiner combiner;
    for (const std::string& p : parts) EXPECT_TRUE(combiner.Add(p).ok());
    uint64_t n = 0;
    AddSpans(combiner.Finish(&n).SerializeAsString(), &out[id]);
  }
  return out;
}

}  // namespace andante::internal::testutil

#endif  // ANDANTE_TESTS_COMPACTION_COMPACTION_TEST_UTIL_H_
