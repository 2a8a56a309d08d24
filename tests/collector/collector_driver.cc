// A test collector in its own process, for
// tests/integration/collector.test.mjs: starts a Collector, prints its
// endpoints as one line
//   ENDPOINTS {"otlp_http": "...", "otlp_grpc": "..."}
// then reads commands from stdin until "done" (or EOF):
//   rich <trace-id-hex> <tag>   a richTrace (otlp.mjs) exported with service
//                               names frontend-<tag> / cart-<tag>
// and asserts with the collector's matchers that each trace arrived whole
// and as sent. Exits 0 when every assertion holds, 1 otherwise (GoogleTest's
// report, with the spans that did arrive, on stdout).
//
//   collector_driver [--timeout_ms=5000]
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "andante/testing/collector.h"
#include "andante/testing/matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::SizeIs;
using namespace ::andante::testing::matchers;  // NOLINT

int g_timeout_ms = 5000;

struct RichTrace {
  std::string trace_id;
  std::string tag;
};

TEST(CollectorDriver, TracesExportedByTheOpenTelemetryJsExportersArrive) {
  CollectorOptions options;
  options.timeout = absl::Milliseconds(g_timeout_ms);
  auto collector = Collector::Start(options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  Collector& c = **collector;
  std::printf("ENDPOINTS {\"otlp_http\": \"%s\", \"otlp_grpc\": \"%s\"}\n",
              c.otlp_http_endpoint().c_str(), c.otlp_grpc_endpoint().c_str());
  std::fflush(stdout);

  std::vector<RichTrace> traces;
  std::string line;
  while (std::getline(std::cin, line) && line != "done") {
    std::istringstream in(line);
    std::string command;
    RichTrace t;
    in >> command >> t.trace_id >> t.tag;
    ASSERT_EQ(command, "rich") << "unknown command: " << line;
    traces.push_back(t);
  }
  ASSERT_FALSE(traces.empty()) << "no trace announced on stdin";

  for (const RichTrace& t : traces) {
    SCOPED_TRACE("trace " + t.trace_id + " (" + t.tag + ")");
    Trace trace = c.WaitForTrace(t.trace_id, 7);
    EXPECT_THAT(trace, SizeIs(7));
    EXPECT_THAT(
        trace,
        Contains(AllOf(HasName("GET /checkout"), IsRoot(),
                       HasKind(SpanKind::kServer), IsError(),
                       HasStatusMessage("upstream timeout"),
                       HasService("frontend-" + t.tag),
                       HasResourceAttribute("deployment.environment", "it"),
                       HasAttribute("http.status_code", 500),
                       HasAttribute("http.method", "GET"),
                       HasAttribute("bool.false", false),
                       HasAttribute("int.negative", -42),
                       HasAttribute("double.pi", 3.141592653589793),
                       HasAttribute("unicode.value", "grüße – 日本語 ✓"),
                       HasEvent("exception", "exception.type", "TimeoutError"),
                       HasEvent("request.received"))));
    EXPECT_THAT(trace,
                Contains(AllOf(
                    HasName("cart.get"), HasParentNamed("GET /checkout"),
                    HasKind(SpanKind::kClient), HasStatus(SpanStatus::kOk))));
    EXPECT_THAT(trace, Contains(AllOf(HasName("SELECT cart"),
                                      HasParentNamed("Cart/Get"),
                                      HasService("cart-" + t.tag), IsError(),
                                      HasAttribute("db.rows", 12))));
    EXPECT_THAT(trace, Contains(AllOf(HasName("orders process"),
                                      HasKind(SpanKind::kConsumer),
                                      HasParentNamed("orders publish"))));
  }
  // TraceQL over everything: one erroring 500 root per trace.
  EXPECT_THAT(c.Search("{ span.http.status_code = 500 && status = error }"),
              SizeIs(traces.size()));
  EXPECT_THAT(c.Search("{ kind = consumer }"), SizeIs(traces.size()));
  EXPECT_EQ(c.span_count() % 7, 0u);
}

}  // namespace
}  // namespace andante::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--timeout_ms=")) {
      andante::testing::g_timeout_ms = std::atoi(arg.c_str() + 13);
    }
  }
  return RUN_ALL_TESTS() == 0 ? 0 : 1;
}
