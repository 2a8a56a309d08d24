// OTLP TracesData -> traceql::Trace conversion.
#include <string>
#include <vector>

#include "andante/traceql.h"
#include "andante/traceql_otlp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::traceql {
namespace {

using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::TracesData;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

void Set(KeyValue* kv, const std::string& key, const std::string& value) {
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

TracesData MakeData() {
  TracesData data;
  const std::string trace_id =
      Bytes({0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  auto* rs = data.add_resource_spans();
  Set(rs->mutable_resource()->add_attributes(), "service.name", "frontend");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("io.lib.http");
  ss->mutable_scope()->set_version("1.2.0");
  Set(ss->mutable_scope()->add_attributes(), "lib.lang", "go");
  auto* root = ss->add_spans();
  root->set_trace_id(trace_id);
  root->set_span_id(Bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  root->set_name("GET /checkout");
  root->set_kind(andante::otlp::trace::v1::Span::SPAN_KIND_SERVER);
  root->set_start_time_unix_nano(1000);
  root->set_end_time_unix_nano(301000);
  auto* a = root->add_attributes();
  a->set_key("http.status_code");
  a->mutable_value()->set_int_value(200);
  a = root->add_attributes();
  a->set_key("ratio");
  a->mutable_value()->set_double_value(0.5);
  a = root->add_attributes();
  a->set_key("ok");
  a->mutable_value()->set_bool_value(true);
  a = root->add_attributes();
  a->set_key("list");
  a->mutable_value()->mutable_array_value()->add_values()->set_int_value(1);

  auto* rs2 = data.add_resource_spans();
  Set(rs2->mutable_resource()->add_attributes(), "service.name", "payments");
  auto* child = rs2->add_scope_spans()->add_spans();
  child->set_trace_id(trace_id);
  child->set_span_id(Bytes({0, 0, 0, 0, 0, 0, 0, 2}));
  child->set_parent_span_id(Bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  child->set_name("charge");
  child->mutable_status()->set_code(
      andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
  child->mutable_status()->set_message("declined");
  child->set_start_time_unix_nano(2000);
  child->set_end_time_unix_nano(42000);
  auto* ev = child->add_events();
  ev->set_name("card declined");
  ev->set_time_unix_nano(2500);
  Set(ev->add_attributes(), "decline.code", "insufficient_funds");
  auto* link = child->add_links();
  link->set_trace_id(trace_id);
  link->set_span_id(Bytes({0, 0, 0, 0, 0, 0, 0, 9}));
  Set(link->add_attributes(), "link.kind", "follows");
  return data;
}

std::vector<uint32_t> Match(const Trace& t, const std::string& text) {
  absl::StatusOr<Query> q = Query::Parse(text);
  EXPECT_TRUE(q.ok()) << q.status();
  Matcher m(*q);
  std::vector<SpanSet> sets;
  EXPECT_TRUE(m.Evaluate(t, &sets).ok());
  std::vector<uint32_t> out;
  for (const SpanSet& s : sets)
    out.insert(out.end(), s.spans.begin(), s.spans.end());
  return out;
}

TEST(OtlpTraceTest, ConvertsSpansResourcesScopesEventsAndLinks) {
  Trace t;
  ASSERT_TRUE(TraceFromOtlp(MakeData(), &t).ok());
  ASSERT_EQ(t.spans.size(), 2u);
  EXPECT_EQ(t.trace_id_hex, "102030405060708090a0b0c0d0e");
  EXPECT_EQ(t.root_span, 0);
  EXPECT_EQ(t.duration_nanos, 300000);
  EXPECT_EQ(t.spans[1].parent, 0);
  EXPECT_EQ(t.spans[0].child_count, 1u);
  EXPECT_EQ(t.str(t.spans[1].status_message), "declined");
  EXPECT_EQ(t.spans[1].status, SpanStatus::kError);
  EXPECT_EQ(t.spans[0].kind, SpanKind::kServer);
  EXPECT_EQ(t.spans[0].duration_nanos, 300000);

  EXPECT_THAT(Match(t, R"({ resource.service.name = "payments" })"),
              ::testing::ElementsAre(1));
  EXPECT_THAT(
      Match(t, "{ span.http.status_code = 200 && span.ratio < 1 && span.ok }"),
      ::testing::ElementsAre(0));
  EXPECT_THAT(Match(t, "{ span.list != nil && span.list = 1 }"),
              ::testing::ElementsAre(0));
  EXPECT_THAT(Match(t, "{ span.list = 2 }"), ::testing::IsEmpty());
  EXPECT_THAT(
      Match(
          t,
          R"({ instrumentation:name = "io.lib.http" && instrumentation.lib.lang = "go" })"),
      ::testing::ElementsAre(0));
  EXPECT_THAT(
      Match(
          t,
          R"({ event:name = "card declined" && event.decline.code = "insufficient_funds" && event:timeSinceStart = 500ns })"),
      ::testing::ElementsAre(1));
  EXPECT_THAT(
      Match(
          t,
          R"({ link:spanID = "0000000000000009" && link.link.kind = "follows" })"),
      ::testing::ElementsAre(1));
  EXPECT_THAT(Match(t, R"({ span:parentID = "0000000000000001" })"),
              ::testing::ElementsAre(1));
  EXPECT_THAT(
      Match(
          t,
          R"({ trace:rootService = "frontend" && rootName = "GET /checkout" })"),
      ::testing::ElementsAre(0, 1));
  EXPECT_THAT(Match(t, "{ kind = server } > { status = error }"),
              ::testing::ElementsAre(1));
}

TEST(OtlpTraceTest, FragmentsWithoutTraceIdsTakeTheGivenId) {
  TracesData data = MakeData();
  for (auto& rs : *data.mutable_resource_spans()) {
    for (auto& ss : *rs.mutable_scope_spans()) {
      for (auto& sp : *ss.mutable_spans()) sp.clear_trace_id();
    }
  }
  Trace t;
  TraceId id = *TraceId::FromHex("000000000000000000000000000000ff");
  ASSERT_TRUE(TraceFromOtlp(data, id, &t).ok());
  EXPECT_EQ(t.trace_id_hex, "ff");
  EXPECT_EQ(t.spans.size(), 2u);
}

TEST(OtlpTraceTest, RejectsBadIds) {
  TracesData data = MakeData();
  data.mutable_resource_spans(0)
      ->mutable_scope_spans(0)
      ->mutable_spans(0)
      ->set_span_id("abc");
  Trace t;
  EXPECT_EQ(TraceFromOtlp(data, &t).code(), absl::StatusCode::kInvalidArgument);
  data = MakeData();
  data.mutable_resource_spans(0)
      ->mutable_scope_spans(0)
      ->mutable_spans(0)
      ->set_trace_id("abc");
  EXPECT_EQ(TraceFromOtlp(data, &t).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace andante::traceql
