// Golden TraceQL test: runs every query of tests/golden/traceql/expected.json
// over tests/golden/traceql/dataset.json and compares, per trace, the exact
// set of spansets (span positions) with the expectations computed by
// generate.py's Python predicates.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "andante/traceql.h"
#include "andante/traceql_otlp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace andante::traceql {
namespace {

using json = nlohmann::json;
using SpanSets = std::vector<std::vector<uint32_t>>;
using Result = std::map<std::string, SpanSets>;

std::string GoldenDir() {
  const char* dir = std::getenv("TRACEQL_GOLDEN_DIR");
  return dir ? dir : "tests/golden/traceql";
}

json ReadJson(const std::string& name) {
  std::ifstream in(GoldenDir() + "/" + name);
  EXPECT_TRUE(in.good()) << "cannot open " << GoldenDir() << "/" << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

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
    traces_ = new std::vector<Trace>(LoadTraces(ReadJson("dataset.json")));
    expected_ = new json(ReadJson("expected.json"));
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

// The dataset as OTLP: one ResourceSpans (and ScopeSpans) per span, in
// dataset order, so span positions stay the same after conversion.
std::vector<Trace> LoadTracesViaOtlp(const json& dataset) {
  using ::andante::otlp::common::v1::KeyValue;
  // One typed value of the dataset as an OTLP AnyValue.
  std::function<void(const json&,
                     ::andante::otlp::common::v1::AnyValue*)>
      set_value =
          [&set_value](const json& typed,
                       ::andante::otlp::common::v1::AnyValue* out) {
            const std::string& type = typed[0].get_ref<const std::string&>();
            if (type == "s") {
              out->set_string_value(typed[1].get<std::string>());
            } else if (type == "i") {
              out->set_int_value(typed[1].get<int64_t>());
            } else if (type == "f") {
              out->set_double_value(typed[1].get<double>());
            } else if (type == "a") {
              auto* array = out->mutable_array_value();
              for (const json& e : typed[1]) set_value(e, array->add_values());
            } else {
              out->set_bool_value(typed[1].get<bool>());
            }
          };
  auto set_attrs = [&set_value](
                       const json& attrs,
                       google::protobuf::RepeatedPtrField<KeyValue>* out) {
    for (auto it = attrs.begin(); it != attrs.end(); ++it) {
      KeyValue* kv = out->Add();
      kv->set_key(it.key());
      set_value(it.value(), kv->mutable_value());
    }
  };
  auto id_bytes = [](const std::string& hex) {
    std::string out;
    for (size_t k = 0; k + 1 < hex.size(); k += 2) {
      out.push_back(
          static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16)));
    }
    return out;
  };
  std::vector<Trace> traces;
  for (const json& td : dataset["traces"]) {
    andante::otlp::trace::v1::TracesData data;
    const std::string trace_id = id_bytes(td["trace_id"].get<std::string>());
    for (const json& sd : td["spans"]) {
      auto* rs = data.add_resource_spans();
      set_attrs(td["resources"][sd["resource"].get<size_t>()]["attrs"],
                rs->mutable_resource()->mutable_attributes());
      auto* ss = rs->add_scope_spans();
      if (!sd["scope"].is_null()) {
        ss->mutable_scope()->set_name(sd["scope"]["name"].get<std::string>());
        ss->mutable_scope()->set_version(
            sd["scope"]["version"].get<std::string>());
        set_attrs(sd["scope"]["attrs"],
                  ss->mutable_scope()->mutable_attributes());
      }
      auto* sp = ss->add_spans();
      sp->set_trace_id(trace_id);
      sp->set_span_id(id_bytes(sd["id"].get<std::string>()));
      sp->set_parent_span_id(id_bytes(sd["parent_id"].get<std::string>()));
      sp->set_name(sd["name"].get<std::string>());
      sp->set_kind(static_cast<andante::otlp::trace::v1::Span::SpanKind>(
          sd["kind"].get<int>()));
      sp->mutable_status()->set_code(
          static_cast<andante::otlp::trace::v1::Status::StatusCode>(
              sd["status"].get<int>()));
      sp->mutable_status()->set_message(
          sd["status_message"].get<std::string>());
      const uint64_t start = sd["start"].get<uint64_t>();
      sp->set_start_time_unix_nano(start);
      sp->set_end_time_unix_nano(start + sd["duration"].get<uint64_t>());
      set_attrs(sd["attrs"], sp->mutable_attributes());
      for (const json& ev : sd["events"]) {
        auto* e = sp->add_events();
        e->set_name(ev["name"].get<std::string>());
        e->set_time_unix_nano(start + ev["time"].get<uint64_t>());
        set_attrs(ev["attrs"], e->mutable_attributes());
      }
      for (const json& ln : sd["links"]) {
        auto* l = sp->add_links();
        l->set_trace_id(id_bytes(ln["trace_id"].get<std::string>()));
        l->set_span_id(id_bytes(ln["span_id"].get<std::string>()));
        set_attrs(ln["attrs"], l->mutable_attributes());
      }
    }
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
  std::vector<Trace> traces = LoadTracesViaOtlp(ReadJson("dataset.json"));
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
