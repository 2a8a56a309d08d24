// The worked fixture of shared/reference/traceql.md §0, with the results
// the reference gives for each example query (§4-§5).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "andante/traceql.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::traceql {
namespace {

constexpr int64_t kB = 1699999980LL * 1000000000LL;
constexpr int64_t kMs = 1000000;

struct FixtureSpan {
  std::string label;
  uint64_t id, parent;
  int resource;  // 0 Rf, 1 Rp, 2 Rh, 3 Rb
  std::string name;
  SpanKind kind;
  SpanStatus status;
  std::string message;
  int64_t start, duration;
};

struct Fixture {
  std::vector<Trace> traces;
  std::vector<std::string> trace_labels;
  std::vector<std::vector<std::string>> span_labels;
};

void AddResource(Trace* t, int which) {
  uint32_t r = t->AddResource();
  switch (which) {
    case 0:
      t->AddAttribute("service.name", t->StringValue("frontend"));
      t->AddAttribute("deployment.environment", t->StringValue("prod"));
      break;
    case 1:
      t->AddAttribute("service.name", t->StringValue("payments"));
      break;
    case 2:
      t->AddAttribute("service.name", t->StringValue("frontend"));
      break;
    case 3:
      t->AddAttribute("service.name", t->StringValue("batch"));
      t->AddAttribute("deployment.environment", t->StringValue("staging"));
      break;
  }
  t->EndResource(r);
}

Fixture MakeFixture() {
  Fixture f;
  std::vector<std::vector<FixtureSpan>> traces = {
      {{"S1", 1, 0, 0, "GET /checkout", SpanKind::kServer, SpanStatus::kUnset,
        "", kB + 10000 * kMs, 300 * kMs},
       {"S2", 2, 1, 0, "POST /charge", SpanKind::kClient, SpanStatus::kUnset,
        "", kB + 10010 * kMs, 45 * kMs},
       {"S3", 3, 2, 1, "charge", SpanKind::kServer, SpanStatus::kError,
        "declined", kB + 10012 * kMs, 38 * kMs},
       {"S4", 4, 3, 1, "compute-risk", SpanKind::kInternal, SpanStatus::kUnset,
        "", kB + 10015 * kMs, 20 * kMs}},
      {{"R1", 11, 0, 2, "GET /health", SpanKind::kServer, SpanStatus::kOk, "",
        kB + 70000 * kMs, 2 * kMs}},
      {{"Q1", 21, 0, 3, "nightly-job", SpanKind::kInternal, SpanStatus::kUnset,
        "", kB + 75000 * kMs, 5000 * kMs},
       {"Q2", 22, 21, 3, "SELECT orders", SpanKind::kClient, SpanStatus::kError,
        "", kB + 76000 * kMs, 4000 * kMs}},
  };
  const char* trace_ids[] = {"0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                             "00000000000000000000000000000002",
                             "00000000000000000000000000000003"};
  for (size_t k = 0; k < traces.size(); ++k) {
    Trace t;
    t.trace_id = *TraceId::FromHex(trace_ids[k]);
    for (int r = 0; r < 4; ++r) AddResource(&t, r);
    std::vector<std::string> labels;
    for (const FixtureSpan& fs : traces[k]) {
      Span& s = t.AddSpan();
      s.span_id = fs.id;
      s.parent_span_id = fs.parent;
      s.resource = fs.resource;
      s.name = t.Intern(fs.name);
      s.kind = fs.kind;
      s.status = fs.status;
      s.status_message = t.Intern(fs.message);
      s.start_unix_nanos = fs.start;
      s.duration_nanos = fs.duration;
      if (fs.label == "S1") {
        t.AddAttribute("http.method", t.StringValue("GET"));
        t.AddAttribute("http.status_code", StoredValue::Int(200));
      } else if (fs.label == "S2") {
        t.AddAttribute("http.method", t.StringValue("POST"));
        t.AddAttribute("peer.service", t.StringValue("payments"));
      } else if (fs.label == "S3") {
        t.AddAttribute("amount.cents", StoredValue::Int(1299));
        t.AddAttribute("card.valid", StoredValue::Bool(false));
        t.AddAttribute("fx.rate", StoredValue::Float(1.25));
        t.AddEvent("card declined", 1 * kMs);
        t.AddAttribute("decline.code", t.StringValue("insufficient_funds"));
      } else if (fs.label == "R1") {
        t.AddAttribute("http.status_code", t.StringValue("200"));
        t.AddAttribute("http.method", t.StringValue("GET"));
      } else if (fs.label == "Q2") {
        t.AddAttribute("db.system", t.StringValue("postgresql"));
        t.AddAttribute("db.name", t.StringValue("orders"));
      }
      t.EndSpan();
      labels.push_back(fs.label);
    }
    t.Finish();
    f.traces.push_back(std::move(t));
    f.trace_labels.push_back(std::string(1, 'T').append(std::to_string(k + 1)));
    f.span_labels.push_back(std::move(labels));
  }
  return f;
}

using Result = std::map<std::string, std::set<std::string>>;

class FixtureTest : public ::testing::Test {
 protected:
  Result Run(const std::string& text) {
    absl::StatusOr<Query> q = Query::Parse(text);
    EXPECT_TRUE(q.ok()) << text << ": " << q.status();
    Result r;
    if (!q.ok()) return r;
    Matcher m(*q);
    std::vector<SpanSet> sets;
    for (size_t k = 0; k < f_.traces.size(); ++k) {
      absl::Status st = m.Evaluate(f_.traces[k], &sets);
      EXPECT_TRUE(st.ok()) << text << ": " << st;
      if (sets.empty()) continue;
      std::set<std::string>& spans = r[f_.trace_labels[k]];
      for (const SpanSet& s : sets) {
        for (uint32_t idx : s.spans) spans.insert(f_.span_labels[k][idx]);
      }
    }
    return r;
  }
  Fixture f_ = MakeFixture();
};

TEST_F(FixtureTest, Tier1Seeds) {
  EXPECT_EQ(
      Run(R"({resource.service.name="frontend" && name="GET /checkout" && traceDuration>=300ms})"),
      (Result{{"T1", {"S1"}}}));
  EXPECT_EQ(Run(R"({resource.service.name="frontend"})"),
            (Result{{"T1", {"S1", "S2"}}, {"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({name="charge" && status=error})"),
            (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run(R"({status=error})"), (Result{{"T1", {"S3"}}, {"T3", {"Q2"}}}));
  EXPECT_EQ(Run(R"({kind=server && duration>30ms})"),
            (Result{{"T1", {"S1", "S3"}}}));
  EXPECT_EQ(Run(R"({duration>=300ms})"),
            (Result{{"T1", {"S1"}}, {"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run(R"({traceDuration<10ms})"), (Result{{"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({resource.service.name=~"payments|batch"})"),
            (Result{{"T1", {"S3", "S4"}}, {"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run(R"({span.http.method="GET"})"),
            (Result{{"T1", {"S1"}}, {"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({.http.method="GET"})"),
            (Result{{"T1", {"S1"}}, {"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({span.http.status_code=200})"), (Result{{"T1", {"S1"}}}));
  EXPECT_EQ(Run(R"({span.http.status_code="200"})"), (Result{{"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({statusMessage="declined"})"), (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run(R"({rootServiceName="batch"})"),
            (Result{{"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run(R"({rootName="nightly-job"})"), (Result{{"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run("{}"), (Result{{"T1", {"S1", "S2", "S3", "S4"}},
                               {"T2", {"R1"}},
                               {"T3", {"Q1", "Q2"}}}));
}

TEST_F(FixtureTest, Tier2Filters) {
  EXPECT_EQ(Run(R"({ name = "charge" || name = "GET /health" })"),
            (Result{{"T1", {"S3"}}, {"T2", {"R1"}}}));
  EXPECT_EQ(Run("{ kind = client || kind = server && status = error }"),
            (Result{{"T1", {"S3"}}, {"T3", {"Q2"}}}));
  EXPECT_EQ(
      Run(R"({ !(status = error) && resource.service.name = "payments" })"),
      (Result{{"T1", {"S4"}}}));
  EXPECT_EQ(Run(R"({ span.http.method != "GET" })"), (Result{{"T1", {"S2"}}}));
  EXPECT_EQ(Run("{ span.amount.cents / 100 > 10 }"), (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run("{ span.amount.cents / 100 = 12 }"), (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run("{ span.fx.rate * 2 = 2.5 }"), (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run("{ duration > 10ms * 3 }"), Run("{ duration > 30ms }"));
  EXPECT_EQ(Run("{ span.card.valid = false }"), (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run("{ span.card.valid }"), Result{});
  EXPECT_EQ(Run(R"({ name =~ "GET.*" })"),
            (Result{{"T1", {"S1"}}, {"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({ name =~ "GET" })"), Result{});
  EXPECT_EQ(Run(R"({ name !~ "GET.*" })"),
            (Result{{"T1", {"S2", "S3", "S4"}}, {"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run(R"({ span.http.status_code >= "200" })"),
            (Result{{"T2", {"R1"}}}));
  EXPECT_EQ(Run("{ span.peer.service != nil }"), (Result{{"T1", {"S2"}}}));
  EXPECT_EQ(Run("{ span.http.method = nil && kind = server }"),
            (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run(R"({ event.decline.code = "insufficient_funds" })"),
            (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run(R"({ event:name = "card declined" })"),
            (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run(R"({ trace:rootService = "frontend" && span:kind = client })"),
            (Result{{"T1", {"S2"}}}));
  EXPECT_EQ(Run("{ span:childCount = 0 }"),
            (Result{{"T1", {"S4"}}, {"T2", {"R1"}}, {"T3", {"Q2"}}}));
  EXPECT_EQ(Run(R"({ trace:id = "a1b2c3d4e5f60718293a4b5c6d7e8f9" })"),
            (Result{{"T1", {"S1", "S2", "S3", "S4"}}}));
  EXPECT_EQ(Run(R"({ trace:id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9" })"),
            (Result{{"T1", {"S1", "S2", "S3", "S4"}}}));
}

TEST_F(FixtureTest, SpansetOperators) {
  EXPECT_EQ(
      Run(R"({ resource.service.name = "frontend" } && { status = error })"),
      (Result{{"T1", {"S1", "S2", "S3"}}}));
  EXPECT_EQ(
      Run(R"({ resource.deployment.environment = "prod" && resource.deployment.environment = "staging" })"),
      Result{});
  EXPECT_EQ(
      Run(R"({ resource.deployment.environment = "prod" } || { resource.deployment.environment = "staging" })"),
      (Result{{"T1", {"S1", "S2"}}, {"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run("({ } | count() > 3) && ({ status = error })"),
            (Result{{"T1", {"S1", "S2", "S3", "S4"}}}));
}

TEST_F(FixtureTest, StructuralOperators) {
  EXPECT_EQ(Run("{kind=client} > {kind=server}"), (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run(R"({name="charge"} < {})"), (Result{{"T1", {"S2"}}}));
  EXPECT_EQ(Run(R"({resource.service.name="frontend"} >> {status=error})"),
            (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run("{status=error} << {}"),
            (Result{{"T1", {"S1", "S2"}}, {"T3", {"Q1"}}}));
  EXPECT_EQ(Run("{} ~ {}"), Result{});
  EXPECT_EQ(Run("{kind=client} !> {kind=server}"),
            (Result{{"T1", {"S1"}}, {"T2", {"R1"}}}));
  EXPECT_EQ(Run(R"({} !< {resource.service.name="payments"})"),
            (Result{{"T1", {"S4"}}}));
  EXPECT_EQ(Run("{kind=server} !>> {}"),
            (Result{{"T1", {"S1"}}, {"T2", {"R1"}}, {"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run("{status=error} !<< {}"),
            (Result{{"T1", {"S3", "S4"}}, {"T2", {"R1"}}, {"T3", {"Q2"}}}));
  EXPECT_EQ(Run("{} !~ {}"), (Result{{"T1", {"S1", "S2", "S3", "S4"}},
                                     {"T2", {"R1"}},
                                     {"T3", {"Q1", "Q2"}}}));
  EXPECT_EQ(Run("{kind=client} &> {kind=server}"),
            (Result{{"T1", {"S2", "S3"}}}));
  EXPECT_EQ(Run(R"({name="GET /checkout"} &>> {status=error})"),
            (Result{{"T1", {"S1", "S3"}}}));
}

TEST_F(FixtureTest, Pipelines) {
  EXPECT_EQ(Run("{ } | count() > 3"),
            (Result{{"T1", {"S1", "S2", "S3", "S4"}}}));
  EXPECT_EQ(
      Run(R"({ resource.service.name="payments" } | avg(duration) > 25ms)"),
      (Result{{"T1", {"S3", "S4"}}}));
  EXPECT_EQ(Run("max(duration) > 3s | { status = error }"),
            (Result{{"T3", {"Q2"}}}));
  EXPECT_EQ(Run("{ span.amount.cents != nil } | sum(span.amount.cents) = 1299"),
            (Result{{"T1", {"S3"}}}));
  EXPECT_EQ(Run("count() > 1 | { status = error }"), Result{});
  EXPECT_EQ(Run("{ } | count() > 1 | { status = error }"),
            (Result{{"T1", {"S3"}}, {"T3", {"Q2"}}}));
  EXPECT_EQ(Run("{ } | count() > 3 | { kind = server }"),
            (Result{{"T1", {"S1", "S3"}}}));
  EXPECT_EQ(
      Run("{ status = error } | select(span.db.system, resource.service.name)"),
      (Result{{"T1", {"S3"}}, {"T3", {"Q2"}}}));
}

TEST_F(FixtureTest, ByProducesOneSpansetPerGroup) {
  absl::StatusOr<Query> q =
      Query::Parse("{ } | by(resource.service.name) | count() > 1");
  ASSERT_TRUE(q.ok()) << q.status();
  Matcher m(*q);
  std::vector<SpanSet> sets;
  ASSERT_TRUE(m.Evaluate(f_.traces[0], &sets).ok());
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_THAT(sets[0].spans, ::testing::ElementsAre(0, 1));
  EXPECT_THAT(sets[1].spans, ::testing::ElementsAre(2, 3));
  ASSERT_EQ(sets[0].attributes.size(), 2u);
  EXPECT_EQ(sets[0].attributes[0].name, "by(resource.service.name)");
  EXPECT_EQ(sets[0].attributes[0].value.s, "frontend");
  EXPECT_EQ(sets[0].attributes[1].name, "count()");
  EXPECT_EQ(sets[0].attributes[1].value.i, 2);
  ASSERT_TRUE(m.Evaluate(f_.traces[1], &sets).ok());
  EXPECT_TRUE(sets.empty());
  ASSERT_TRUE(m.Evaluate(f_.traces[2], &sets).ok());
  EXPECT_EQ(sets.size(), 1u);
}

TEST_F(FixtureTest, SpanAttributesReportTouchedValues) {
  absl::StatusOr<Query> q = Query::Parse(
      "{ status = error } | select(span.db.system, resource.service.name)");
  ASSERT_TRUE(q.ok());
  std::vector<NamedValue> attrs;
  q->SpanAttributes(f_.traces[2], 1, &attrs);  // Q2
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs[0].name, "status");
  EXPECT_EQ(ValueToString(attrs[0].value), "error");
  EXPECT_EQ(attrs[1].name, "db.system");
  EXPECT_EQ(attrs[1].value.s, "postgresql");
  EXPECT_EQ(attrs[2].name, "service.name");
  q->SpanAttributes(f_.traces[0], 2, &attrs);  // S3: no db.system
  EXPECT_EQ(attrs.size(), 2u);
}

TEST_F(FixtureTest, IntegerDivisionByZeroFailsTheQuery) {
  absl::StatusOr<Query> q = Query::Parse("{ span.amount.cents / 0 > 1 }");
  ASSERT_TRUE(q.ok());
  Matcher m(*q);
  std::vector<SpanSet> sets;
  EXPECT_FALSE(m.Evaluate(f_.traces[0], &sets).ok());
}

TEST_F(FixtureTest, MultipleSpansetsInStructuralOperatorFail) {
  absl::StatusOr<Query> q =
      Query::Parse("({ } | by(resource.service.name)) > { }");
  ASSERT_TRUE(q.ok()) << q.status();
  Matcher m(*q);
  std::vector<SpanSet> sets;
  absl::Status st = m.Evaluate(f_.traces[0], &sets);
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("coalesce"));
  q = Query::Parse("({ } | by(resource.service.name) | coalesce()) > { }");
  ASSERT_TRUE(q.ok()) << q.status();
  Matcher m2(*q);
  ASSERT_TRUE(m2.Evaluate(f_.traces[0], &sets).ok());
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_THAT(sets[0].spans, ::testing::ElementsAre(1, 2, 3));
}

TEST(GoDurationTest, FormatsLikeGo) {
  Value v;
  v.type = ValueType::kDuration;
  v.i = 38 * kMs;
  EXPECT_EQ(ValueToString(v), "38ms");
  v.i = 1500 * kMs;
  EXPECT_EQ(ValueToString(v), "1.5s");
  v.i = 120LL * 1000 * kMs;
  EXPECT_EQ(ValueToString(v), "2m0s");
  v.i = 250000;
  EXPECT_EQ(ValueToString(v), "250\xC2\xB5s");
}

}  // namespace
}  // namespace andante::traceql
