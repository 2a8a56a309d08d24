// The TraceQL golden dataset (tests/golden/traceql/dataset.json, written by
// generate.py, a separate Python computation) read and converted to OTLP, for
// the tests that check the engine (tests/traceql/golden_test.cc) and search
// through the Store (tests/query/golden_store_test.cc) against generate.py's
// expectations.
#ifndef ANDANTE_TESTS_TESTING_GOLDEN_DATASET_H_
#define ANDANTE_TESTS_TESTING_GOLDEN_DATASET_H_

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "andante/otlp/trace/v1/trace.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace andante::testing {

// TRACEQL_GOLDEN_DIR (set by meson), else the source-relative path.
inline std::string GoldenDir() {
  const char* dir = std::getenv("TRACEQL_GOLDEN_DIR");
  return dir ? dir : "tests/golden/traceql";
}

// One JSON file of the golden directory; a missing file fails the test.
inline nlohmann::json ReadGoldenJson(const std::string& name) {
  std::ifstream in(GoldenDir() + "/" + name);
  EXPECT_TRUE(in.good()) << "cannot open " << GoldenDir() << "/" << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

namespace golden_internal {

// Hex as the bytes it spells ("" for "").
inline std::string HexBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// A dataset value, ["s"|"i"|"f"|"b"|"a", value], as an OTLP AnyValue.
inline void SetValue(const nlohmann::json& typed,
                     otlp::common::v1::AnyValue* out) {
  const std::string& type = typed[0].get_ref<const std::string&>();
  if (type == "s") {
    out->set_string_value(typed[1].get<std::string>());
  } else if (type == "i") {
    out->set_int_value(typed[1].get<int64_t>());
  } else if (type == "f") {
    out->set_double_value(typed[1].get<double>());
  } else if (type == "a") {
    out->mutable_array_value();  // an empty array is still an array
    for (const nlohmann::json& e : typed[1]) {
      SetValue(e, out->mutable_array_value()->add_values());
    }
  } else {
    out->set_bool_value(typed[1].get<bool>());
  }
}

template <typename Repeated>
void SetAttributes(const nlohmann::json& attrs, Repeated* out) {
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    otlp::common::v1::KeyValue* kv = out->Add();
    kv->set_key(it.key());
    SetValue(it.value(), kv->mutable_value());
  }
}

}  // namespace golden_internal

// The dataset's traces as OTLP, one TracesData per trace, in dataset order.
// Each span gets a ResourceSpans (and ScopeSpans) of its own, so it keeps its
// own scope (or none) and its position in the trace.
inline std::vector<otlp::trace::v1::TracesData> GoldenTracesAsOtlp(
    const nlohmann::json& dataset) {
  using golden_internal::HexBytes;
  using golden_internal::SetAttributes;
  std::vector<otlp::trace::v1::TracesData> out;
  for (const nlohmann::json& td : dataset["traces"]) {
    otlp::trace::v1::TracesData data;
    const std::string trace_id = HexBytes(td["trace_id"].get<std::string>());
    for (const nlohmann::json& sd : td["spans"]) {
      auto* rs = data.add_resource_spans();
      SetAttributes(td["resources"][sd["resource"].get<size_t>()]["attrs"],
                    rs->mutable_resource()->mutable_attributes());
      auto* ss = rs->add_scope_spans();
      if (!sd["scope"].is_null()) {
        ss->mutable_scope()->set_name(sd["scope"]["name"].get<std::string>());
        ss->mutable_scope()->set_version(
            sd["scope"]["version"].get<std::string>());
        SetAttributes(sd["scope"]["attrs"],
                      ss->mutable_scope()->mutable_attributes());
      }
      auto* s = ss->add_spans();
      s->set_trace_id(trace_id);
      s->set_span_id(HexBytes(sd["id"].get<std::string>()));
      s->set_parent_span_id(HexBytes(sd["parent_id"].get<std::string>()));
      s->set_name(sd["name"].get<std::string>());
      s->set_kind(static_cast<otlp::trace::v1::Span::SpanKind>(
          sd["kind"].get<int>()));
      s->mutable_status()->set_code(
          static_cast<otlp::trace::v1::Status::StatusCode>(
              sd["status"].get<int>()));
      s->mutable_status()->set_message(sd["status_message"].get<std::string>());
      const uint64_t start = sd["start"].get<uint64_t>();
      s->set_start_time_unix_nano(start);
      s->set_end_time_unix_nano(start + sd["duration"].get<uint64_t>());
      SetAttributes(sd["attrs"], s->mutable_attributes());
      for (const nlohmann::json& ev : sd["events"]) {
        auto* e = s->add_events();
        e->set_name(ev["name"].get<std::string>());
        e->set_time_unix_nano(start + ev["time"].get<uint64_t>());
        SetAttributes(ev["attrs"], e->mutable_attributes());
      }
      for (const nlohmann::json& ln : sd["links"]) {
        auto* l = s->add_links();
        l->set_trace_id(HexBytes(ln["trace_id"].get<std::string>()));
        l->set_span_id(HexBytes(ln["span_id"].get<std::string>()));
        SetAttributes(ln["attrs"], l->mutable_attributes());
      }
    }
    out.push_back(std::move(data));
  }
  return out;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_GOLDEN_DATASET_H_
