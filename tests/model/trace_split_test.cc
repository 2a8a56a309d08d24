#include "model/trace_combiner.h"
#include "model/trace_split.h"

#include "model/otlp_nesting.h"

#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/stubs/logging.h"

#include "gtest/gtest.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/proto_wire.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::trace::v1::ResourceSpans;
using ::andante::otlp::trace::v1::ScopeSpans;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;

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


// ---------------------------------------------------------------------------
// SplitSerializedByTrace: the same split on the wire bytes.

using ::andante::testing::Key;
using ::andante::testing::Len;
using ::andante::testing::Varint;

// A span with every kind of field OTLP has: nested AnyValues, events,
// links, status, flags, trace state, dropped counts.
void FillRichSpan(Span* s, int trace, int span) {
  s->set_trace_id(Id(trace, 16));
  s->set_span_id(Id(span, 8));
  s->set_parent_span_id(Id(span + 100, 8));
  s->set_trace_state("k=v");
  s->set_flags(0x301);
  s->set_name("GET /cart/{id}");
  s->set_kind(Span::SPAN_KIND_CLIENT);
  s->set_start_time_unix_nano(1000 + span);
  s->set_end_time_unix_nano(2000 + span * 3);
  s->set_dropped_attributes_count(1);
  s->set_dropped_events_count(2);
  s->set_dropped_links_count(3);
  auto* a = s->add_attributes();
  a->set_key("http.status_code");
  a->mutable_value()->set_int_value(200);
  a = s->add_attributes();
  a->set_key("ratio");
  a->mutable_value()->set_double_value(0.25);
  a = s->add_attributes();
  a->set_key("ok");
  a->mutable_value()->set_bool_value(true);
  a = s->add_attributes();
  a->set_key("blob");
  a->mutable_value()->set_bytes_value(std::string("\xff\x00\x80", 3));
  a = s->add_attributes();
  a->set_key("list");
  auto* arr = a->mutable_value()->mutable_array_value();
  arr->add_values()->set_string_value("h\xc3\xa9llo");  // UTF-8
  auto* kv = arr->add_values()->mutable_kvlist_value()->add_values();
  kv->set_key("inner");
  kv->mutable_value()->set_string_value("x");
  auto* ev = s->add_events();
  ev->set_time_unix_nano(1500);
  ev->set_name("exception");
  ev->add_attributes()->set_key("exception.type");
  auto* link = s->add_links();
  link->set_trace_id(Id(trace + 50, 16));
  link->set_span_id(Id(7, 8));
  link->set_trace_state("a=b");
  link->set_flags(1);
  s->mutable_status()->set_code(
      andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
  s->mutable_status()->set_message("boom");
}

ExportTraceServiceRequest RichRequest() {
  ExportTraceServiceRequest req = MultiTraceRequest();
  ResourceSpans* rs = AddResource(&req, "rich");
  rs->mutable_resource()->set_dropped_attributes_count(4);
  auto* entity = rs->mutable_resource()->add_entity_refs();
  entity->set_type("service");
  entity->add_id_keys("service.name");
  ScopeSpans* ss = AddScope(rs, "rich-scope");
  ss->mutable_scope()->add_attributes()->set_key("scope.attr");
  for (int i = 0; i < 6; ++i) FillRichSpan(ss->add_spans(), 1 + i % 4, 20 + i);
  return req;
}

// Fragments equal up to serialization: each fragment's bytes parse to the
// same TracesData.
void ExpectSameFragments(const std::vector<TraceFragment>& wire,
                         const std::vector<TraceFragment>& parsed) {
  ASSERT_EQ(wire.size(), parsed.size());
  for (size_t i = 0; i < wire.size(); ++i) {
    EXPECT_EQ(wire[i].id, parsed[i].id) << i;
    EXPECT_EQ(wire[i].start_unix_nano, parsed[i].start_unix_nano) << i;
    EXPECT_EQ(wire[i].end_unix_nano, parsed[i].end_unix_nano) << i;
    EXPECT_EQ(wire[i].span_count, parsed[i].span_count) << i;
    TracesData a, b;
    ASSERT_TRUE(ParseOtlpMessage(wire[i].data, &a)) << i;
    ASSERT_TRUE(ParseOtlpMessage(parsed[i].data, &b)) << i;
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << i;
  }
}

enum class Wire { kMustSplit, kMaySplit };

// The contract of SplitSerializedByTrace on `bytes`: it accepts nothing that
// protobuf rejects or SplitByTrace rejects, and what it accepts splits as
// SplitByTrace does. With kMustSplit it must also accept. Returns whether
// the wire split accepted.
bool CheckWireSplit(const std::string& bytes, Wire expect = Wire::kMaySplit) {
  std::vector<TraceFragment> wire;
  const bool accepted = SplitSerializedByTrace(bytes, &wire);
  ExportTraceServiceRequest req;
  if (!ParseOtlpMessage(bytes, &req)) {
    EXPECT_FALSE(accepted) << "accepted bytes protobuf rejects";
    return accepted;
  }
  auto parsed = SplitByTrace(req);
  if (!parsed.ok()) {
    EXPECT_FALSE(accepted) << "accepted a request SplitByTrace rejects: "
                           << parsed.status();
    return accepted;
  }
  if (expect == Wire::kMustSplit) {
    EXPECT_TRUE(accepted);
  }
  if (accepted) ExpectSameFragments(wire, *parsed);
  return accepted;
}

TEST(SplitSerializedByTraceTest, EmptyRequestsGiveNoFragments) {
  EXPECT_TRUE(CheckWireSplit("", Wire::kMustSplit));
  ExportTraceServiceRequest req;
  AddScope(AddResource(&req, "idle"), "nothing");
  req.add_resource_spans();
  EXPECT_TRUE(CheckWireSplit(req.SerializeAsString(), Wire::kMustSplit));
}

TEST(SplitSerializedByTraceTest, MatchesSplitByTraceOnRealisticRequests) {
  EXPECT_TRUE(CheckWireSplit(MultiTraceRequest().SerializeAsString(),
                             Wire::kMustSplit));
  EXPECT_TRUE(CheckWireSplit(RichRequest().SerializeAsString(),
                             Wire::kMustSplit));
  std::mt19937_64 rng(7);
  EXPECT_TRUE(CheckWireSplit(
      testing::MakeRequest(rng, 100, 10, nullptr).SerializeAsString(),
      Wire::kMustSplit));
}

TEST(SplitSerializedByTraceTest, ManyTracesLargeSpans) {
  ExportTraceServiceRequest req;
  ScopeSpans* ss = AddScope(AddResource(&req, std::string(300, 's')), "lib");
  for (int i = 0; i < 2000; ++i) {
    Span* s = AddSpan(ss, i % 200, 1 + i % 250, i, i + 10);
    s->set_name(std::string(200 + i % 50, 'n'));
  }
  EXPECT_TRUE(CheckWireSplit(req.SerializeAsString(), Wire::kMustSplit));
  std::vector<TraceFragment> wire;
  ASSERT_TRUE(SplitSerializedByTrace(req.SerializeAsString(), &wire));
  EXPECT_EQ(wire.size(), 200u);
}

TEST(SplitSerializedByTraceTest, SpansLoseOnlyTheirTraceId) {
  ExportTraceServiceRequest req;
  Span* span = AddSpan(AddScope(AddResource(&req, "svc"), "lib"), 1, 1, 5, 6);
  std::vector<TraceFragment> wire;
  ASSERT_TRUE(SplitSerializedByTrace(req.SerializeAsString(), &wire));
  ASSERT_EQ(wire.size(), 1u);
  TracesData parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire[0].data));
  EXPECT_TRUE(Same(parsed.resource_spans(0).scope_spans(0).spans(0),
                   Stored(*span)));
  EXPECT_TRUE(Same(parsed.resource_spans(0).resource(),
                   req.resource_spans(0).resource()));
}

TEST(SplitSerializedByTraceTest, AbsentAndEmptyResourceAndScope) {
  ExportTraceServiceRequest req;
  AddSpan(req.add_resource_spans()->add_scope_spans(), 1, 1, 1, 2);
  ResourceSpans* empty = req.add_resource_spans();
  empty->mutable_resource();  // present, zero bytes
  empty->add_scope_spans()->mutable_scope();
  AddSpan(empty->mutable_scope_spans(0), 1, 2, 1, 2);
  CheckWireSplit(req.SerializeAsString(), Wire::kMustSplit);
  std::vector<TraceFragment> wire;
  ASSERT_TRUE(SplitSerializedByTrace(req.SerializeAsString(), &wire));
  TracesData parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire[0].data));
  ASSERT_EQ(parsed.resource_spans_size(), 2);
  EXPECT_FALSE(parsed.resource_spans(0).has_resource());
  EXPECT_FALSE(parsed.resource_spans(0).scope_spans(0).has_scope());
  EXPECT_TRUE(parsed.resource_spans(1).has_resource());
  EXPECT_TRUE(parsed.resource_spans(1).scope_spans(0).has_scope());
}

TEST(SplitSerializedByTraceTest, UnknownFieldsAtEveryLevel) {
  ExportTraceServiceRequest req;
  Span* span = AddSpan(AddScope(AddResource(&req, "svc"), "lib"), 1, 1, 1, 2);
  // Field 99 of every wire type the walker reads (varint, fixed64,
  // length-delimited, fixed32), and a known field number with the wrong
  // wire type (an unknown field to protobuf).
  const std::string unknown = Key(99, 0) + Varint(300) + Key(98, 1) +
                              std::string(8, 'x') + Len(97, "future") +
                              Key(96, 5) + std::string(4, 'y');
  auto append = [&](google::protobuf::Message* m, const std::string& extra) {
    ASSERT_TRUE(m->ParseFromString(m->SerializeAsString() + extra));
  };
  append(span, unknown + Key(5, 0) + Varint(1));  // name as a varint
  append(req.mutable_resource_spans(0)->mutable_resource(), unknown);
  append(req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_scope(),
         unknown);
  append(span->mutable_attributes(0), unknown);
  append(span->mutable_attributes(0)->mutable_value(), unknown);
  append(req.mutable_resource_spans(0)->mutable_scope_spans(0), unknown);
  append(req.mutable_resource_spans(0), unknown + Key(1, 0) + Varint(5));
  std::string bytes = req.SerializeAsString() + unknown + Key(1, 5) + "abcd";
  EXPECT_TRUE(CheckWireSplit(bytes, Wire::kMustSplit));
  // Unknown fields of spans, resources and scopes are stored.
  std::vector<TraceFragment> wire;
  ASSERT_TRUE(SplitSerializedByTrace(bytes, &wire));
  EXPECT_NE(wire[0].data.find("future"), std::string::npos);
}

TEST(SplitSerializedByTraceTest, NonMinimalLengthsAndDuplicateScalars) {
  // A span whose name length takes two bytes (0x85 0x00 = 5), sent with
  // span_id and start time twice (the last wins, as in protobuf).
  std::string span = Len(1, Id(1, 16)) + Len(2, Id(9, 8)) + Key(5, 2) +
                     std::string("\x85\x00", 2) + "hello" + Key(7, 1) +
                     std::string(8, '\x01') + Len(2, Id(3, 8)) + Key(7, 1) +
                     std::string(8, '\x02') + Key(8, 1) + std::string(8, '\x09');
  std::string bytes = Len(1, Len(2, Len(2, span)));
  EXPECT_TRUE(CheckWireSplit(bytes, Wire::kMustSplit));
}

TEST(SplitSerializedByTraceTest, LegacyInstrumentationLibrarySpans) {
  ScopeSpans legacy;
  legacy.mutable_scope()->set_name("old-lib");
  AddSpan(&legacy, 9, 1, 5, 6);
  const std::string legacy_field = Len(1000, legacy.SerializeAsString());
  // Only the legacy field: read through it.
  EXPECT_TRUE(CheckWireSplit(Len(1, legacy_field), Wire::kMustSplit));
  std::vector<TraceFragment> wire;
  ASSERT_TRUE(SplitSerializedByTrace(Len(1, legacy_field), &wire));
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].id.bytes(), Id(9, 16));
  // Both fields: the legacy one is ignored, even when it is garbage.
  ScopeSpans current;
  AddSpan(&current, 4, 1, 5, 6);
  const std::string both =
      Len(1, legacy_field + Len(2, current.SerializeAsString()));
  EXPECT_TRUE(CheckWireSplit(both, Wire::kMustSplit));
  ASSERT_TRUE(SplitSerializedByTrace(both, &wire));
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].id.bytes(), Id(4, 16));
  const std::string garbage = Len(1000, "\xff\xff");
  EXPECT_TRUE(CheckWireSplit(
      Len(1, garbage + Len(2, current.SerializeAsString())), Wire::kMustSplit));
  // Only a garbage legacy field: SplitByTrace skips it; the wire split
  // leaves it to that path.
  CheckWireSplit(Len(1, garbage + legacy_field));
}

TEST(SplitSerializedByTraceTest, DeclinesBadIdsAtEveryPosition) {
  const ExportTraceServiceRequest good = RichRequest();
  int spans = 0;
  for (const auto& rs : good.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) spans += ss.spans_size();
  }
  const std::vector<std::pair<int, std::string>> bad = {
      {1, ""}, {1, std::string(15, 'a')}, {1, std::string(17, 'a')},
      {2, ""}, {2, std::string(8, '\0')}, {2, std::string(7, 'b')},
      {2, std::string(9, 'b')}};
  for (int target = 0; target < spans; ++target) {
    for (const auto& [field, value] : bad) {
      ExportTraceServiceRequest req = good;
      int n = 0;
      for (auto& rs : *req.mutable_resource_spans()) {
        for (auto& ss : *rs.mutable_scope_spans()) {
          for (auto& span : *ss.mutable_spans()) {
            if (n++ != target) continue;
            if (field == 1) span.set_trace_id(value);
            if (field == 2) span.set_span_id(value);
          }
        }
      }
      std::vector<TraceFragment> wire;
      EXPECT_FALSE(SplitSerializedByTrace(req.SerializeAsString(), &wire))
          << "span " << target << " field " << field;
      EXPECT_FALSE(SplitByTrace(req).ok());
    }
  }
}

TEST(SplitSerializedByTraceTest, TruncatedAtEveryByte) {
  const std::string bytes = RichRequest().SerializeAsString();
  int accepted = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    accepted += CheckWireSplit(bytes.substr(0, n));
  }
  // Cuts at a ResourceSpans boundary are valid requests with fewer spans.
  EXPECT_GT(accepted, 0);
}

TEST(SplitSerializedByTraceTest, DamagedAtEveryByte) {
  google::protobuf::LogSilencer quiet;  // damaged strings: UTF-8 complaints
  const std::string bytes = RichRequest().SerializeAsString();
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(value);
      SCOPED_TRACE(::testing::Message() << "byte " << i << " = " << int{value});
      CheckWireSplit(damaged);
      damaged[i] = static_cast<char>(bytes[i] ^ 0x08);  // flips wire types
      CheckWireSplit(damaged);
    }
  }
}

TEST(SplitSerializedByTraceTest, DeclinesInvalidUtf8InEveryStringField) {
  // Each path below is a string field of a known message; protobuf rejects
  // invalid UTF-8 in all of them, so must the walker.
  const std::string bad = "a\xc3(b";
  std::vector<std::function<void(ExportTraceServiceRequest&)>> corrupt = {
      [&](auto& r) { r.mutable_resource_spans(0)->set_schema_url(bad); },
      [&](auto& r) {
        r.mutable_resource_spans(0)->mutable_scope_spans(0)->set_schema_url(bad);
      },
      [&](auto& r) {
        r.mutable_resource_spans(0)->mutable_resource()->mutable_attributes(0)
            ->set_key(bad);
      },
      [&](auto& r) {
        r.mutable_resource_spans(0)->mutable_resource()->mutable_attributes(0)
            ->mutable_value()->set_string_value(bad);
      },
      [&](auto& r) {
        r.mutable_resource_spans(2)->mutable_resource()->mutable_entity_refs(0)
            ->add_description_keys(bad);
      },
      [&](auto& r) {
        r.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_scope()
            ->set_version(bad);
      },
      [&](auto& r) {
        r.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)
            ->set_name(bad);
      },
  };
  auto rich_span = [](ExportTraceServiceRequest& r) {
    return r.mutable_resource_spans(2)->mutable_scope_spans(0)->mutable_spans(0);
  };
  corrupt.push_back([&](auto& r) { rich_span(r)->set_trace_state(bad); });
  corrupt.push_back([&](auto& r) { rich_span(r)->mutable_events(0)->set_name(bad); });
  corrupt.push_back([&](auto& r) { rich_span(r)->mutable_links(0)->set_trace_state(bad); });
  corrupt.push_back([&](auto& r) { rich_span(r)->mutable_status()->set_message(bad); });
  corrupt.push_back([&](auto& r) {
    rich_span(r)->mutable_attributes(4)->mutable_value()->mutable_array_value()
        ->mutable_values(1)->mutable_kvlist_value()->mutable_values(0)
        ->mutable_value()->set_string_value(bad);
  });
  corrupt.push_back([&](auto& r) {
    rich_span(r)->mutable_events(0)->mutable_attributes(0)->set_key(bad);
  });
  for (size_t i = 0; i < corrupt.size(); ++i) {
    ExportTraceServiceRequest req = RichRequest();
    corrupt[i](req);
    std::string bytes;
    {
      google::protobuf::LogSilencer quiet;  // serializing logs the problem
      bytes = req.SerializeAsString();
    }
    std::vector<TraceFragment> wire;
    EXPECT_FALSE(SplitSerializedByTrace(bytes, &wire)) << i;
    google::protobuf::LogSilencer quiet;
    EXPECT_FALSE(ExportTraceServiceRequest().ParseFromString(bytes)) << i;
  }
  // In a bytes field or an unknown field, any bytes are fine.
  ExportTraceServiceRequest req = RichRequest();
  rich_span(req)->mutable_attributes(3)->mutable_value()->set_bytes_value(bad);
  EXPECT_TRUE(CheckWireSplit(req.SerializeAsString() + Len(50, bad),
                             Wire::kMustSplit));
}

// An attribute whose value nests `depth` ArrayValues.
std::string NestedRequest(int depth) {
  std::string value = Len(1, "leaf");  // AnyValue{string_value}
  for (int i = 0; i < depth; ++i) value = Len(5, Len(1, value));
  std::string span = Len(1, Id(1, 16)) + Len(2, Id(1, 8)) +
                     Len(9, Len(1, "k") + Len(2, value));
  return Len(1, Len(2, Len(2, span)));
}

TEST(SplitSerializedByTraceTest, DeepNesting) {
  // Request 0, ResourceSpans 1, ScopeSpans 2, Span 3, KeyValue 4, AnyValue 5,
  // then two levels per ArrayValue. Both the walker and every parse of OTLP
  // data (ParseOtlpMessage) stop past kMaxOtlpMessageDepth.
  constexpr int kDeepestArrays = (kMaxOtlpMessageDepth - 5) / 2;
  static_assert(kDeepestArrays >= kMinAnyValueNesting);
  for (int depth : {10, 29, 31, 32, 60, kMinAnyValueNesting, kDeepestArrays}) {
    SCOPED_TRACE(depth);
    EXPECT_TRUE(CheckWireSplit(NestedRequest(depth), Wire::kMustSplit));
  }
  for (int depth : {kDeepestArrays + 1, 1000, 20000}) {
    SCOPED_TRACE(depth);
    EXPECT_FALSE(CheckWireSplit(NestedRequest(depth)));
    ExportTraceServiceRequest req;
    EXPECT_FALSE(ParseOtlpMessage(NestedRequest(depth), &req));
  }
}

TEST(SplitSerializedByTraceTest, DeclinesShapesItLeavesToProtobuf) {
  ExportTraceServiceRequest req;
  AddSpan(AddScope(AddResource(&req, "svc"), "lib"), 1, 1, 1, 2);
  const std::string span = req.resource_spans(0).scope_spans(0).spans(0)
                               .SerializeAsString();
  const std::string resource =
      req.resource_spans(0).resource().SerializeAsString();
  const std::vector<std::string> cases = {
      // A span with two trace_id fields.
      Len(1, Len(2, Len(2, Len(1, Id(2, 16)) + span))),
      // A resource sent twice (protobuf merges the two).
      Len(1, Len(1, resource) + Len(1, resource) + Len(2, Len(2, span))),
      // A scope sent twice.
      Len(1, Len(2, Len(1, "") + Len(1, "") + Len(2, span))),
      // A group in the unknown fields of a span: start 20, varint, end 20.
      Len(1, Len(2, Len(2, span + Key(20, 3) + Key(1, 0) + Varint(1) +
                               Key(20, 4)))),
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<TraceFragment> wire;
    EXPECT_FALSE(SplitSerializedByTrace(cases[i], &wire)) << i;
    // protobuf accepts them all (the parsing path then takes over).
    EXPECT_TRUE(ExportTraceServiceRequest().ParseFromString(cases[i])) << i;
  }
}

TEST(SplitSerializedByTraceTest, RejectsWhatProtobufRejects) {
  const std::string span = Len(1, Id(1, 16)) + Len(2, Id(1, 8));
  const std::vector<std::string> cases = {
      std::string("\x0a\xff\xff\xff\xff\x0f\x12\x34", 8),  // length too big
      std::string("\x00", 1),                                // tag 0
      Len(1, Len(2, Len(2, span + std::string("\x00", 1)))),  // tag 0 nested
      Len(1, Len(2, Len(2, span + Key(3, 4)))),               // stray end-group
      Len(1, Len(2, Len(2, span + Key(3, 6)))),               // wire type 6
      Len(1, Len(2, Len(2, span + Key(3, 7)))),               // wire type 7
      Len(1, Len(2, Len(2, span + Key(12, 0) + std::string(10, '\x80') + "\x01"))),
      Len(1, Len(2, Len(2, span + Key(7, 1) + "1234"))),      // short fixed64
      Len(1, Len(2, Len(2, span + Key(16, 5) + "12"))),       // short fixed32
      std::string("\x0a\x05\x12\x03", 4),                     // past the end
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<TraceFragment> wire;
    EXPECT_FALSE(SplitSerializedByTrace(cases[i], &wire)) << i;
    EXPECT_FALSE(ExportTraceServiceRequest().ParseFromString(cases[i])) << i;
  }
}

}  // namespace
}  // namespace andante::internal
