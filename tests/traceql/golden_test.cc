// Golden TraceQL test: runs every query of tests/golden/traceql/expected.json
// over tests/golden/traceql/dataset.json and compares, per trace, the exact
// set of spansets (span positions) with the expectations computed by
// generate.py's Python predicates.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "andante/traceql.h"
#include "andante/traceql_otlp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/golden_dataset.h"

namespace andante::traceql {
namespace {

using json = nlohmann::json;
using SpanSets = std::vector<std::vector<uint32_t>>;
using Result = std::map<std::string, SpanSets>;

uint64_t ParseHex64(const std::string& hex) {
  return hex.empty() ? 0 : std::stoull(hex, nullptr, 16);
}

StoredValue ToStored(Trace* t, const json& typed) {
  const std::string& type = typed[0].get_ref<const std::string&>();
  if (type == "s") return t->StringValue(typed[1].get<std::string>());
  if (type == "i") return StoredValue::Int(typed[1].get<int64_t>());
  if (type == "f") return StoredValue::Float(typed[1].get<double>());
  if (type == "a") {
    std::vector<StoredValue> elements;
    for (const json& e : typed[1]) elements.push_back(ToStored(t, e));
    return t->ArrayValue(elements);
  }
  return StoredValue::Bool(typed[1].get<bool>());
}

void AddAttributes(Trace* t, const json& attrs) {
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    t->AddAttribute(it.key(), ToStored(t, it.value()));
  }
}

std::vector<Trace> LoadTraces(const json& dataset) {
  std::vector<Trace> traces;
  for (const json& td : dataset["traces"]) {
    Trace t;
    t.trace_id = *TraceId::FromHex(td["trace_id"].get<std::string>());
    std::vector<uint32_t> resources;
    for (const json& rd : td["resources"]) {
      uint32_t r = t.AddResource();
      AddAttributes(&t, rd["attrs"]);
      t.EndResource(r);
      resources.push_back(r);
    }
    // One scope per span that has one (the dataset's scopes are per span).
    std::vector<uint32_t> scopes;
    for (const json& sd : td["spans"]) {
      if (sd["scope"].is_null()) {
        scopes.push_back(Trace::kNoScope);
        continue;
      }
      uint32_t s = t.AddScope(sd["scope"]["name"].get<std::string>(),
                              sd["scope"]["version"].get<std::string>());
      AddAttributes(&t, sd["scope"]["attrs"]);
      t.EndScope(s);
      scopes.push_back(s);
    }
    size_t k = 0;
    for (const json& sd : td["spans"]) {
      Span& s = t.AddSpan();
      s.span_id = ParseHex64(sd["id"].get<std::string>());
      s.parent_span_id = ParseHex64(sd["parent_id"].get<std::string>());
      s.name = t.Intern(sd["name"].get<std::string>());
      s.kind = static_cast<SpanKind>(sd["kind"].get<int>());
      s.status = static_cast<SpanStatus>(sd["status"].get<int>());
      s.status_message = t.Intern(sd["status_message"].get<std::string>());
      s.start_unix_nanos = sd["start"].get<int64_t>();
      s.duration_nanos = sd["duration"].get<int64_t>();
      s.resource = resources[sd["resource"].get<size_t>()];
      s.scope = scopes[k++];
      AddAttributes(&t, sd["attrs"]);
      for (const json& ev : sd["events"]) {
        t.AddEvent(ev["name"].get<std::string>(), ev["time"].get<int64_t>());
        AddAttributes(&t, ev["attrs"]);
      }
      for (const json& ln : sd["links"]) {
        t.AddLink(ln["trace_id"].get<std::string>(),
                  ln["span_id"].get<std::string>());
        AddAttributes(&t, ln["attrs"]);
      }
      t.EndSpan();
    }
    t.Finish();
    traces.push_back(std::move(t));
  }
  return traces;
}

std::string Describe(const Result& r) {
  std::string out;
  int shown = 0;
  for (const auto& [id, sets] : r) {
    if (++shown > 6) {
      out += " ...";
      break;
    }
    out += " " + id + ":[";
    for (const auto& s : sets) {
      out += "[";
      for (uint32_t i : s) out += std::to_string(i) + ",";
      out += "]";
    }
    out += "]";
  }
  return out.empty() ? " (none)" : out;
}

class GoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    traces_ = new std::vector<Trace>(LoadTraces(::andante::testing::ReadGoldenJson("dataset.json")));
    expected_ = new json(::andante::testing::ReadGoldenJson("expected.json"));
  }
  static void TearDownTestSuite() {
    delete traces_;
    delete expected_;
  }
  static std::vector<Trace>* traces_;
  static json* expected_;
};

std::vector<Trace>* GoldenTest::traces_ = nullptr;
json* GoldenTest::expected_ = nullptr;

// Runs every golden query over `traces`; returns the number of queries whose
// results differ (each reported as a test failure).
int RunGoldenQueries(const json& expected, const std::vector<Trace>& traces,
                     const std::string& path) {
  const json& queries = expected["queries"];
  int failures = 0;
  for (const json& q : queries) {
    const std::string text = q["query"].get<std::string>();
    Result want;
    for (auto it = q["traces"].begin(); it != q["traces"].end(); ++it) {
      want[it.key()] = it.value().get<SpanSets>();
    }
    absl::StatusOr<Query> query = Query::Parse(text);
    if (!query.ok()) {
      ADD_FAILURE() << text << ": " << query.status();
      ++failures;
      continue;
    }
    Matcher matcher(*query);
    Result got;
    std::vector<SpanSet> sets;
    for (const Trace& t : traces) {
      absl::Status st = matcher.Evaluate(t, &sets);
      if (!st.ok()) {
        ADD_FAILURE() << text << ": " << st;
        ++failures;
        break;
      }
      if (sets.empty()) continue;
      SpanSets& out = got[t.trace_id.ToHex()];
      for (const SpanSet& s : sets) out.push_back(s.spans);
      std::sort(out.begin(), out.end());
    }
    if (got != want) {
      ++failures;
      Result missing, extra;
      for (const auto& [id, s] : want) {
        auto it = got.find(id);
        if (it == got.end() || it->second != s) missing[id] = s;
      }
      for (const auto& [id, s] : got) {
        auto it = want.find(id);
        if (it == want.end() || it->second != s) extra[id] = s;
      }
      ADD_FAILURE() << "[" << path << "] query " << text
                    << "\n  expected but not produced:" << Describe(missing)
                    << "\n  produced but not expected:" << Describe(extra);
    }
  }
  return failures;
}

// The dataset through the OTLP converter (tests/testing/golden_dataset.h
// keeps span positions: one ResourceSpans per span, in dataset order).
std::vector<Trace> LoadTracesViaOtlp(const json& dataset) {
  std::vector<Trace> traces;
  for (const auto& data : ::andante::testing::GoldenTracesAsOtlp(dataset)) {
    Trace t;
    absl::Status st = TraceFromOtlp(data, &t);
    EXPECT_TRUE(st.ok()) << st;
    traces.push_back(std::move(t));
  }
  return traces;
}

TEST_F(GoldenTest, EveryQueryMatchesThePythonExpectation) {
  ASSERT_EQ(traces_->size(), 300u);
  ASSERT_GE((*expected_)["queries"].size(), 100u);
  EXPECT_EQ(RunGoldenQueries(*expected_, *traces_, "direct"), 0);
}

TEST_F(GoldenTest, SameResultsThroughTheOtlpConverter) {
  std::vector<Trace> traces = LoadTracesViaOtlp(::andante::testing::ReadGoldenJson("dataset.json"));
  ASSERT_EQ(traces.size(), 300u);
  EXPECT_EQ(RunGoldenQueries(*expected_, traces, "otlp"), 0);
}

TEST_F(GoldenTest, QueriesWithoutMatchesAreFew) {
  // Guards against a dataset where most queries trivially match nothing.
  int empty = 0;
  for (const json& q : (*expected_)["queries"]) {
    if (q["traces"].empty()) ++empty;
  }
  EXPECT_LE(empty, 5);
}

}  // namespace
}  // namespace andante::traceql
