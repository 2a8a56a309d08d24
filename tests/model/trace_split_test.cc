#include "model/trace_combiner.h"
#include "model/trace_split.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"

namespace andante::internal {
namespace {

using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ::opentelemetry::proto::trace::v1::ResourceSpans;
using ::opentelemetry::proto::trace::v1::ScopeSpans;
using ::opentelemetry::proto::trace::v1::Span;
using ::opentelemetry::proto::trace::v1::TracesData;

std::string Id(int n, size_t size) {
  std::string id(size, '\0');
  id[size - 1] = static_cast<char>(n);
  id[0] = static_cast<char>(0xa0);
  return id;
}

Span* AddSpan(ScopeSpans* ss, int trace, int span, uint64_t start, uint64_t end) {
  Span* s = ss->add_spans();
  s->set_trace_id(Id(trace, 16));
  s->set_span_id(Id(span, 8));
  s->set_name("op" + std::to_string(span));
  s->set_kind(Span::SPAN_KIND_SERVER);
  s->set_start_time_unix_nano(start);
  s->set_end_time_unix_nano(end);
  auto* attr = s->add_attributes();
  attr->set_key("http.method");
  attr->mutable_value()->set_string_value("GET");
  return s;
}

// Resources and scopes carry a schema URL and a version so the tests see
// that fragments keep them.
ResourceSpans* AddResource(ExportTraceServiceRequest* req, const std::string& service) {
  ResourceSpans* rs = testing::AddResourceSpans(req, service);
  rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  return rs;
}

ScopeSpans* AddScope(ResourceSpans* rs, const std::string& name) {
  ScopeSpans* ss = testing::AddScopeSpans(rs, name);
  ss->mutable_scope()->set_version("1.0");
  return ss;
}

// Two resources, three scopes, three traces interleaved.
ExportTraceServiceRequest MultiTraceRequest() {
  ExportTraceServiceRequest req;
  ResourceSpans* a = AddResource(&req, "frontend");
  ScopeSpans* a1 = AddScope(a, "http");
  AddSpan(a1, 1, 1, 100, 200);
  AddSpan(a1, 2, 2, 50, 300);
  AddSpan(a1, 1, 3, 90, 150);
  ScopeSpans* a2 = AddScope(a, "db");
  a2->set_schema_url("scope-schema");
  AddSpan(a2, 1, 4, 120, 400);
  ResourceSpans* b = AddResource(&req, "backend");
  b->set_schema_url("");
  ScopeSpans* b1 = AddScope(b, "grpc");
  AddSpan(b1, 3, 5, 10, 20);
  AddSpan(b1, 2, 6, 60, 310);
  AddSpan(b1, 1, 7, 130, 140);
  return req;
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

// `source` as a fragment stores it: without its trace_id.
Span Stored(const Span& source) {
  Span stored = source;
  stored.clear_trace_id();
  return stored;
}

TEST(SplitByTraceTest, EmptyRequestGivesNoFragments) {
  ExportTraceServiceRequest req;
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok()) << fragments.status();
  EXPECT_TRUE(fragments->empty());

  // Resources and scopes without spans produce nothing either.
  AddScope(AddResource(&req, "idle"), "nothing");
  fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());
  EXPECT_TRUE(fragments->empty());
}

TEST(SplitByTraceTest, SplitsByTraceInOrderOfFirstAppearance) {
  ExportTraceServiceRequest req = MultiTraceRequest();
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok()) << fragments.status();
  ASSERT_EQ(fragments->size(), 3u);
  EXPECT_EQ((*fragments)[0].id.bytes(), Id(1, 16));
  EXPECT_EQ((*fragments)[1].id.bytes(), Id(2, 16));
  EXPECT_EQ((*fragments)[2].id.bytes(), Id(3, 16));
  EXPECT_EQ((*fragments)[0].span_count, 4u);
  EXPECT_EQ((*fragments)[1].span_count, 2u);
  EXPECT_EQ((*fragments)[2].span_count, 1u);
  EXPECT_EQ((*fragments)[0].start_unix_nano, 90u);
  EXPECT_EQ((*fragments)[0].end_unix_nano, 400u);
  EXPECT_EQ((*fragments)[1].start_unix_nano, 50u);
  EXPECT_EQ((*fragments)[1].end_unix_nano, 310u);
  EXPECT_EQ((*fragments)[2].start_unix_nano, 10u);
  EXPECT_EQ((*fragments)[2].end_unix_nano, 20u);
}

TEST(SplitByTraceTest, FragmentsHoldExactlyTheirSpansUnderOriginalResourceAndScope) {
  ExportTraceServiceRequest req = MultiTraceRequest();
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());

  // Reference: the same regrouping done with the protobuf API.
  std::vector<TracesData> expected(3);
  for (const ResourceSpans& rs : req.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        const int t = static_cast<uint8_t>(span.trace_id()[15]) - 1;
        TracesData& td = expected[t];
        ResourceSpans* out_rs = nullptr;
        if (td.resource_spans_size() > 0 &&
            Same(td.resource_spans().rbegin()->resource(), rs.resource())) {
          out_rs = td.mutable_resource_spans(td.resource_spans_size() - 1);
        } else {
          out_rs = td.add_resource_spans();
          *out_rs->mutable_resource() = rs.resource();
          out_rs->set_schema_url(rs.schema_url());
        }
        ScopeSpans* out_ss = nullptr;
        if (out_rs->scope_spans_size() > 0 &&
            Same(out_rs->scope_spans().rbegin()->scope(), ss.scope())) {
          out_ss = out_rs->mutable_scope_spans(out_rs->scope_spans_size() - 1);
        } else {
          out_ss = out_rs->add_scope_spans();
          *out_ss->mutable_scope() = ss.scope();
          out_ss->set_schema_url(ss.schema_url());
        }
        Span* stored = out_ss->add_spans();
        *stored = span;
        stored->clear_trace_id();  // fragments are keyed by it
      }
    }
  }
  for (size_t t = 0; t < 3; ++t) {
    const TraceFragment& f = (*fragments)[t];
    // Byte-for-byte what protobuf itself would serialize.
    EXPECT_EQ(f.data, expected[t].SerializeAsString()) << "trace " << t;
    TracesData parsed;
    ASSERT_TRUE(parsed.ParseFromString(f.data));
    uint32_t spans = 0;
    for (const ResourceSpans& rs : parsed.resource_spans()) {
      for (const ScopeSpans& ss : rs.scope_spans()) {
        for (const Span& span : ss.spans()) {
          ++spans;
          EXPECT_TRUE(span.trace_id().empty());
        }
      }
    }
    EXPECT_EQ(spans, f.span_count);
    // Reading a fragment back through the combiner restores every trace ID.
    TraceCombiner combiner(f.id);
    ASSERT_TRUE(combiner.Add(f.data).ok());
    uint64_t combined = 0;
    TracesData restored = combiner.Finish(&combined);
    EXPECT_EQ(combined, f.span_count);
    for (const ResourceSpans& rs : restored.resource_spans()) {
      for (const ScopeSpans& ss : rs.scope_spans()) {
        for (const Span& span : ss.spans()) {
          EXPECT_EQ(span.trace_id(), f.id.bytes());
        }
      }
    }
  }

  // Trace 1 spans three source scopes over two resources.
  TracesData t1;
  ASSERT_TRUE(t1.ParseFromString((*fragments)[0].data));
  ASSERT_EQ(t1.resource_spans_size(), 2);
  EXPECT_TRUE(Same(t1.resource_spans(0).resource(), req.resource_spans(0).resource()));
  EXPECT_EQ(t1.resource_spans(0).schema_url(), req.resource_spans(0).schema_url());
  ASSERT_EQ(t1.resource_spans(0).scope_spans_size(), 2);
  EXPECT_EQ(t1.resource_spans(0).scope_spans(1).schema_url(), "scope-schema");
  ASSERT_EQ(t1.resource_spans(0).scope_spans(0).spans_size(), 2);
  EXPECT_TRUE(Same(t1.resource_spans(0).scope_spans(0).spans(1),
                   Stored(req.resource_spans(0).scope_spans(0).spans(2))));
  EXPECT_TRUE(Same(t1.resource_spans(1).scope_spans(0).spans(0),
                   Stored(req.resource_spans(1).scope_spans(0).spans(2))));
}

TEST(SplitByTraceTest, ConcatenatedFragmentsParseAsOneTracesData) {
  ExportTraceServiceRequest req = MultiTraceRequest();
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());
  std::string all;
  for (const TraceFragment& f : *fragments) all += f.data;
  TracesData parsed;
  ASSERT_TRUE(parsed.ParseFromString(all));
  int spans = 0;
  for (const auto& rs : parsed.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) spans += ss.spans_size();
  }
  EXPECT_EQ(spans, 7);
}

TEST(SplitByTraceTest, AbsentResourceAndScopeStayAbsent) {
  ExportTraceServiceRequest req;
  ResourceSpans* rs = req.add_resource_spans();
  AddSpan(rs->add_scope_spans(), 1, 1, 1, 2);
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());
  ASSERT_EQ(fragments->size(), 1u);
  TracesData expected;
  *expected.add_resource_spans() = *rs;
  expected.mutable_resource_spans(0)
      ->mutable_scope_spans(0)
      ->mutable_spans(0)
      ->clear_trace_id();
  EXPECT_EQ((*fragments)[0].data, expected.SerializeAsString());
  TracesData parsed;
  ASSERT_TRUE(parsed.ParseFromString((*fragments)[0].data));
  EXPECT_FALSE(parsed.resource_spans(0).has_resource());
  EXPECT_FALSE(parsed.resource_spans(0).scope_spans(0).has_scope());
}

TEST(SplitByTraceTest, AllZeroTraceIdIsAccepted) {
  ExportTraceServiceRequest req;
  Span* s = AddSpan(AddScope(AddResource(&req, "svc"), "lib"), 1, 1, 1, 2);
  s->set_trace_id(std::string(16, '\0'));
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok()) << fragments.status();
  ASSERT_EQ(fragments->size(), 1u);
  EXPECT_TRUE((*fragments)[0].id.IsZero());
}

TEST(SplitByTraceTest, BadTraceIdRejectsWholeRequest) {
  ExportTraceServiceRequest req = MultiTraceRequest();
  req.mutable_resource_spans(1)->mutable_scope_spans(0)->mutable_spans(1)->set_trace_id(
      std::string(8, 'x'));
  auto fragments = SplitByTrace(req);
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fragments.status().message(), "trace ids must be 128 bit, received 64 bits");

  req.mutable_resource_spans(1)->mutable_scope_spans(0)->mutable_spans(1)->clear_trace_id();
  fragments = SplitByTrace(req);
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.status().message(), "trace ids must be 128 bit, received 0 bits");
}

TEST(SplitByTraceTest, BadSpanIdRejectsWholeRequest) {
  ExportTraceServiceRequest req = MultiTraceRequest();
  Span* span = req.mutable_resource_spans(0)->mutable_scope_spans(1)->mutable_spans(0);

  span->set_span_id(std::string(8, '\0'));
  auto fragments = SplitByTrace(req);
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fragments.status().message(),
            "span ids must be 64 bit and not all zero, received 64 bits");

  span->set_span_id(std::string(16, '\1'));
  fragments = SplitByTrace(req);
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.status().message(),
            "span ids must be 64 bit and not all zero, received 128 bits");

  span->clear_span_id();
  fragments = SplitByTrace(req);
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.status().message(),
            "span ids must be 64 bit and not all zero, received 0 bits");
}

TEST(SplitByTraceTest, TraceIdIsCheckedBeforeSpanId) {
  ExportTraceServiceRequest req;
  Span* s = AddSpan(AddScope(AddResource(&req, "svc"), "lib"), 1, 1, 1, 2);
  s->set_trace_id("short");
  s->clear_span_id();
  auto fragments = SplitByTrace(req);
  ASSERT_FALSE(fragments.ok());
  EXPECT_EQ(fragments.status().message(), "trace ids must be 128 bit, received 40 bits");
}

TEST(SplitByTraceTest, UnknownSpanFieldsAreKept) {
  ExportTraceServiceRequest req;
  Span* s = AddSpan(AddScope(AddResource(&req, "svc"), "lib"), 1, 1, 1, 2);
  // Field 99, varint 7: a field from a future OTLP version.
  std::string bytes = s->SerializeAsString() + std::string("\x98\x06\x07", 3);
  ASSERT_TRUE(s->ParseFromString(bytes));
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());
  EXPECT_NE((*fragments)[0].data.find(std::string("\x98\x06\x07", 3)), std::string::npos);
}

TEST(SplitByTraceTest, ReadsLegacyInstrumentationLibrarySpans) {
  // ResourceSpans{1000: {1: {1 "lib"}, 2: span}} as an old exporter sends it.
  ScopeSpans legacy;
  legacy.mutable_scope()->set_name("old-lib");
  AddSpan(&legacy, 9, 1, 5, 6);
  std::string legacy_bytes = legacy.SerializeAsString();
  std::string rs_bytes;
  rs_bytes += "\xc2\x3e";  // field 1000, wire type 2
  rs_bytes += static_cast<char>(legacy_bytes.size());
  rs_bytes += legacy_bytes;
  ASSERT_LT(legacy_bytes.size(), 128u);
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.add_resource_spans()->ParseFromString(rs_bytes));
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok()) << fragments.status();
  ASSERT_EQ(fragments->size(), 1u);
  TracesData parsed;
  ASSERT_TRUE(parsed.ParseFromString((*fragments)[0].data));
  EXPECT_EQ(parsed.resource_spans(0).scope_spans(0).scope().name(), "old-lib");
  EXPECT_EQ(parsed.resource_spans(0).scope_spans(0).spans_size(), 1);
}

TEST(SplitByTraceTest, ManyTracesLargeSpans) {
  // Multi-byte length prefixes on every level.
  ExportTraceServiceRequest req;
  ScopeSpans* ss = AddScope(AddResource(&req, std::string(300, 's')), "lib");
  for (int i = 0; i < 2000; ++i) {
    Span* s = AddSpan(ss, i % 200, 1 + i % 250, i, i + 10);
    s->set_name(std::string(200 + i % 50, 'n'));
  }
  auto fragments = SplitByTrace(req);
  ASSERT_TRUE(fragments.ok());
  ASSERT_EQ(fragments->size(), 200u);
  for (const TraceFragment& f : *fragments) {
    TracesData parsed;
    ASSERT_TRUE(parsed.ParseFromString(f.data));
    EXPECT_EQ(parsed.resource_spans(0).scope_spans(0).spans_size(), 10);
    EXPECT_EQ(f.span_count, 10u);
  }
}

}  // namespace
}  // namespace andante::internal
