#include "model/trace_combiner.h"

#include <string>

#include "gtest/gtest.h"
#include "model/trace_split.h"
#include "tests/testing/otlp_builders.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;
using testing::AddResourceSpans;
using testing::AddScopeSpans;

const std::string kTraceId(16, '\x11');

std::string SpanIdOf(int n) {
  std::string id(8, '\0');
  id[7] = static_cast<char>(n);
  return id;
}

Span* AddSpan(ScopeSpans* ss, int id, Span::SpanKind kind = Span::SPAN_KIND_SERVER) {
  Span* s = ss->add_spans();
  s->set_trace_id(kTraceId);
  s->set_span_id(SpanIdOf(id));
  s->set_kind(kind);
  s->set_name("span" + std::to_string(id));
  return s;
}

std::vector<std::string> SpanNames(const TracesData& td) {
  std::vector<std::string> names;
  for (const auto& rs : td.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) names.push_back(s.name());
    }
  }
  return names;
}

TEST(TraceCombinerTest, EmptyCombinerGivesEmptyTrace) {
  TraceCombiner combiner;
  uint64_t count = 7;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(td.resource_spans_size(), 0);
  EXPECT_TRUE(combiner.Add("").ok());  // zero fragments is a valid TracesData
}

TEST(TraceCombinerTest, MergesConcatenatedFragmentsWithIdenticalResources) {
  TracesData a, b;
  AddSpan(AddScopeSpans(AddResourceSpans(&a, "frontend"), "http"), 1);
  AddSpan(AddScopeSpans(AddResourceSpans(&a, "backend"), "grpc"), 2);
  AddSpan(AddScopeSpans(AddResourceSpans(&b, "frontend"), "http"), 3);
  AddSpan(AddScopeSpans(AddResourceSpans(&b, "frontend"), "db"), 4);
  AddSpan(AddScopeSpans(AddResourceSpans(&b, "backend"), "grpc"), 5);

  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(a.SerializeAsString() + b.SerializeAsString()).ok());
  uint64_t count = 0;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 5u);
  ASSERT_EQ(td.resource_spans_size(), 2);
  EXPECT_EQ(td.resource_spans(0).resource().attributes(0).value().string_value(),
            "frontend");
  ASSERT_EQ(td.resource_spans(0).scope_spans_size(), 2);
  EXPECT_EQ(td.resource_spans(0).scope_spans(0).scope().name(), "http");
  EXPECT_EQ(td.resource_spans(0).scope_spans(0).spans_size(), 2);
  EXPECT_EQ(td.resource_spans(0).scope_spans(1).scope().name(), "db");
  EXPECT_EQ(td.resource_spans(1).scope_spans(0).spans_size(), 2);
  EXPECT_EQ(SpanNames(td),
            (std::vector<std::string>{"span1", "span3", "span4", "span2", "span5"}));
}

TEST(TraceCombinerTest, DifferentSchemaUrlKeepsResourcesApart) {
  TracesData a;
  AddSpan(AddScopeSpans(AddResourceSpans(&a, "svc"), "lib"), 1);
  ResourceSpans* other = AddResourceSpans(&a, "svc");
  other->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  AddSpan(AddScopeSpans(other, "lib"), 2);
  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(a.SerializeAsString()).ok());
  uint64_t count = 0;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(td.resource_spans_size(), 2);
  EXPECT_EQ(td.resource_spans(1).schema_url(), "https://opentelemetry.io/schemas/1.21.0");
}

TEST(TraceCombinerTest, DropsDuplicateSpansBySpanIdAndKind) {
  TracesData a;
  ScopeSpans* ss = AddScopeSpans(AddResourceSpans(&a, "svc"), "lib");
  AddSpan(ss, 1, Span::SPAN_KIND_SERVER);
  AddSpan(ss, 2, Span::SPAN_KIND_CLIENT);
  // A Zipkin shared span: same ID, other kind, kept.
  AddSpan(ss, 1, Span::SPAN_KIND_CLIENT)->set_name("shared");
  std::string bytes = a.SerializeAsString();

  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(bytes).ok());
  ASSERT_TRUE(combiner.Add(bytes).ok());  // the same fragment twice
  ASSERT_TRUE(combiner.Add(bytes + bytes).ok());
  uint64_t count = 0;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(SpanNames(td), (std::vector<std::string>{"span1", "span2", "shared"}));
  ASSERT_EQ(td.resource_spans_size(), 1);
  EXPECT_EQ(td.resource_spans(0).scope_spans_size(), 1);
}

TEST(TraceCombinerTest, FirstSeenCopyOfADuplicateWins) {
  TracesData a, b;
  AddSpan(AddScopeSpans(AddResourceSpans(&a, "svc"), "lib"), 1)->set_name("first");
  AddSpan(AddScopeSpans(AddResourceSpans(&b, "other"), "lib"), 1)->set_name("second");
  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(a.SerializeAsString()).ok());
  ASSERT_TRUE(combiner.Add(b.SerializeAsString()).ok());
  uint64_t count = 0;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(SpanNames(td), std::vector<std::string>{"first"});
  // The resource that only brought a duplicate is not emitted empty.
  EXPECT_EQ(td.resource_spans_size(), 1);
}

TEST(TraceCombinerTest, GarbageIsDataLossAndLeavesTraceUnchanged) {
  TracesData a;
  AddSpan(AddScopeSpans(AddResourceSpans(&a, "svc"), "lib"), 1);
  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(a.SerializeAsString()).ok());
  absl::Status s = combiner.Add("\xff\xff\xff\xff garbage");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  // A truncated fragment is garbage too.
  std::string bytes = a.SerializeAsString();
  s = combiner.Add(std::string_view(bytes).substr(0, bytes.size() - 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  uint64_t count = 0;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 1u);
}

TEST(TraceCombinerTest, FinishResetsForReuse) {
  TracesData a;
  AddSpan(AddScopeSpans(AddResourceSpans(&a, "svc"), "lib"), 1);
  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(a.SerializeAsString()).ok());
  uint64_t count = 0;
  combiner.Finish(&count);
  ASSERT_TRUE(combiner.Add(a.SerializeAsString()).ok());
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 1u);  // not deduplicated against the previous trace
  EXPECT_EQ(td.resource_spans_size(), 1);
}

TEST(TraceCombinerTest, RecombinesSplitFragments) {
  ExportTraceServiceRequest req;
  ResourceSpans* rs = req.add_resource_spans();
  rs->mutable_resource()->add_attributes()->set_key("service.name");
  ScopeSpans* ss = AddScopeSpans(rs, "lib");
  for (int i = 1; i <= 6; ++i) AddSpan(ss, i);
  auto first = SplitByTrace(req);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  // A retry of the same request plus a later request with two new spans.
  ExportTraceServiceRequest later;
  ResourceSpans* rs2 = later.add_resource_spans();
  *rs2->mutable_resource() = rs->resource();
  ScopeSpans* ss2 = AddScopeSpans(rs2, "lib");
  AddSpan(ss2, 7);
  AddSpan(ss2, 3);
  auto second = SplitByTrace(later);
  ASSERT_TRUE(second.ok());

  std::string stored = (*first)[0].data + (*first)[0].data + (*second)[0].data;
  TraceCombiner combiner;
  ASSERT_TRUE(combiner.Add(stored).ok());
  uint64_t count = 0;
  TracesData td = combiner.Finish(&count);
  EXPECT_EQ(count, 7u);
  ASSERT_EQ(td.resource_spans_size(), 1);
  ASSERT_EQ(td.resource_spans(0).scope_spans_size(), 1);
  EXPECT_EQ(SpanNames(td), (std::vector<std::string>{"span1", "span2", "span3", "span4",
                                                      "span5", "span6", "span7"}));
}

}  // namespace
}  // namespace andante::internal
