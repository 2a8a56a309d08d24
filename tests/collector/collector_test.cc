// The test collector's own tests: real OTLP/HTTP, OTLP/gRPC and Zipkin
// clients over loopback sockets, the waits, Reset, two collectors at once,
// and what a failing assertion prints.
#include "andante/testing/collector.h"

#include <atomic>
#include <random>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "andante/testing/matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "otlp_clients.h"

namespace andante::testing {
namespace {

using ::andante::collector_test::ExportOtlpGrpc;
using ::andante::collector_test::PostBody;
using ::andante::collector_test::PostOtlpHttp;
using ::andante::collector_test::RandomHex;
using ::andante::collector_test::RequestBuilder;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using namespace ::andante::testing::matchers;  // NOLINT

namespace otlp_trace = ::andante::otlp::trace::v1;

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto collector = Collector::Start();
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = std::move(*collector);
  }

  // A checkout trace: root "checkout" (server), child "charge" (client,
  // error, http.status_code=500, an exception event), child "reserve".
  RequestBuilder CheckoutTrace(const std::string& trace_id) {
    RequestBuilder b("shop");
    otlp_trace::Span* root = b.Add(trace_id, root_id_, "", "checkout", 0, 50);
    root->set_kind(otlp_trace::Span::SPAN_KIND_SERVER);
    RequestBuilder::SetString(root, "http.method", "POST");
    otlp_trace::Span* charge =
        b.Add(trace_id, charge_id_, root_id_, "charge", 5, 20);
    charge->set_kind(otlp_trace::Span::SPAN_KIND_CLIENT);
    charge->mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_ERROR);
    charge->mutable_status()->set_message("card declined");
    RequestBuilder::SetInt(charge, "http.status_code", 500);
    otlp_trace::Span::Event* event = charge->add_events();
    event->set_name("exception");
    event->set_time_unix_nano(charge->start_time_unix_nano() + 1000);
    auto* attr = event->add_attributes();
    attr->set_key("exception.message");
    attr->mutable_value()->set_string_value("declined");
    otlp_trace::Span* reserve =
        b.Add(trace_id, reserve_id_, root_id_, "reserve", 30, 10);
    RequestBuilder::SetInt(reserve, "http.status_code", 200);
    return b;
  }

  std::mt19937_64 rng_{std::random_device{}()};
  const std::string root_id_ = RandomHex(rng_, 8);
  const std::string charge_id_ = RandomHex(rng_, 8);
  const std::string reserve_id_ = RandomHex(rng_, 8);
  std::unique_ptr<Collector> collector_;
};

TEST_F(CollectorTest, ListensOnEphemeralLoopbackPorts) {
  EXPECT_GT(collector_->otlp_http_port(), 0);
  EXPECT_GT(collector_->otlp_grpc_port(), 0);
  EXPECT_NE(collector_->otlp_http_port(), collector_->otlp_grpc_port());
  EXPECT_EQ(collector_->otlp_http_endpoint(),
            "http://127.0.0.1:" + std::to_string(collector_->otlp_http_port()) +
                "/v1/traces");
  EXPECT_EQ(collector_->otlp_grpc_endpoint(),
            "127.0.0.1:" + std::to_string(collector_->otlp_grpc_port()));
  // Zipkin and Jaeger are off unless asked for.
  EXPECT_EQ(collector_->zipkin_port(), 0);
  EXPECT_EQ(collector_->zipkin_endpoint(), "");
  EXPECT_EQ(collector_->jaeger_grpc_endpoint(), "");
  EXPECT_EQ(collector_->span_count(), 0u);
}

TEST_F(CollectorTest, OtlpHttpTraceIsFoundByIdWithItsTree) {
  const std::string trace_id = RandomHex(rng_, 16);
  std::string error;
  ASSERT_EQ(PostOtlpHttp(collector_->otlp_http_endpoint(),
                         CheckoutTrace(trace_id).request(), &error),
            200)
      << error;
  Trace trace = collector_->WaitForTrace(trace_id, 3);
  ASSERT_TRUE(trace.status().ok()) << trace.status();
  ASSERT_THAT(trace, SizeIs(3));
  const Span& root = trace.Named("checkout");
  EXPECT_THAT(
      trace,
      ElementsAre(
          AllOf(HasName("checkout"), IsRoot(), HasKind(SpanKind::kServer),
                HasAttribute("http.method", "POST"), HasService("shop")),
          AllOf(HasName("charge"), IsChildOf(root), HasParentNamed("checkout"),
                HasKind(SpanKind::kClient), IsError(),
                HasStatusMessage("card declined"),
                HasAttribute("http.status_code", 500), HasEvent("exception"),
                HasEvent("exception", "exception.message", "declined")),
          AllOf(HasName("reserve"), IsChildOf(root), Not(IsError()),
                HasAttribute("http.status_code", 200))));
  EXPECT_EQ(trace[1].trace_id, trace_id);
  EXPECT_EQ(trace[1].span_id, charge_id_);
  EXPECT_EQ(trace[1].duration_nanos(), 20 * 1000000);
  EXPECT_EQ(collector_->span_count(), 3u);
}

TEST_F(CollectorTest, OtlpGrpcSpansAreSearchableByTraceQL) {
  const std::string trace_id = RandomHex(rng_, 16);
  grpc::Status sent = ExportOtlpGrpc(collector_->otlp_grpc_endpoint(),
                                     CheckoutTrace(trace_id).request());
  ASSERT_TRUE(sent.ok()) << sent.error_message();
  SpanList errors = collector_->Search("{ span.http.status_code = 500 }");
  EXPECT_TRUE(errors.status().ok()) << errors.status();
  EXPECT_THAT(errors, ElementsAre(AllOf(HasName("charge"), IsError())));
  EXPECT_THAT(collector_->Search("{ span.http.status_code >= 200 }"),
              SizeIs(2));
  EXPECT_THAT(collector_->Search("{ kind = server && name = \"checkout\" }"),
              ElementsAre(HasName(StartsWith("check"))));
  EXPECT_THAT(collector_->Search("{ }"), SizeIs(3));
  EXPECT_THAT(collector_->Search("{ span.http.status_code = 404 }",
                                 absl::Milliseconds(20)),
              IsEmpty());
}

TEST_F(CollectorTest, SearchWaitsForSpansStillInFlight) {
  const std::string trace_id = RandomHex(rng_, 16);
  const std::string endpoint = collector_->otlp_http_endpoint();
  RequestBuilder trace = CheckoutTrace(trace_id);
  std::atomic<long> status{0};
  const absl::Time start = absl::Now();
  std::thread late([&] {
    absl::SleepFor(absl::Milliseconds(200));
    status = PostOtlpHttp(endpoint, trace.request());
  });
  SpanList found = collector_->Search("{ name = \"charge\" }");
  const absl::Duration waited = absl::Now() - start;
  late.join();
  EXPECT_EQ(status.load(), 200);
  EXPECT_THAT(found, ElementsAre(HasName("charge")));
  EXPECT_GE(waited, absl::Milliseconds(200));
  EXPECT_LT(waited, absl::Seconds(5));
}

TEST_F(CollectorTest, WaitForTraceWaitsForTheSpansAskedFor) {
  const std::string trace_id = RandomHex(rng_, 16);
  const std::string endpoint = collector_->otlp_http_endpoint();
  RequestBuilder first("shop");
  first.Add(trace_id, root_id_, "", "checkout");
  RequestBuilder second("shop");
  second.Add(trace_id, charge_id_, root_id_, "charge");
  ASSERT_EQ(PostOtlpHttp(endpoint, first.request()), 200);
  std::thread late([&] {
    absl::SleepFor(absl::Milliseconds(100));
    PostOtlpHttp(endpoint, second.request());
  });
  Trace trace = collector_->WaitForTrace(trace_id, 2);
  late.join();
  EXPECT_THAT(trace, ElementsAre(HasName("checkout"), HasName("charge")));
  // A trace that never arrives: empty after the timeout.
  EXPECT_THAT(
      collector_->WaitForTrace(RandomHex(rng_, 16), 1, absl::Milliseconds(20)),
      IsEmpty());
  Trace bad = collector_->WaitForTrace("not-hex", 1, absl::ZeroDuration());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
}

TEST_F(CollectorTest, ResetForgetsSpansAndKeepsThePorts) {
  const int port = collector_->otlp_http_port();
  const std::string first = RandomHex(rng_, 16);
  ASSERT_EQ(PostOtlpHttp(collector_->otlp_http_endpoint(),
                         CheckoutTrace(first).request()),
            200);
  ASSERT_TRUE(collector_->WaitForSpanCount(3));
  collector_->Reset();
  EXPECT_EQ(collector_->span_count(), 0u);
  EXPECT_THAT(collector_->AllSpans(), IsEmpty());
  EXPECT_THAT(collector_->WaitForTrace(first, 1, absl::Milliseconds(10)),
              IsEmpty());
  EXPECT_EQ(collector_->otlp_http_port(), port);
  // The same ports keep receiving, into the new store.
  const std::string second = RandomHex(rng_, 16);
  ASSERT_EQ(PostOtlpHttp(collector_->otlp_http_endpoint(),
                         CheckoutTrace(second).request()),
            200);
  ASSERT_TRUE(ExportOtlpGrpc(collector_->otlp_grpc_endpoint(),
                             CheckoutTrace(second).request())
                  .ok());
  EXPECT_THAT(collector_->WaitForTrace(second, 3), SizeIs(3));
  EXPECT_THAT(collector_->AllSpans(), SizeIs(3));  // duplicates combined
}

TEST(CollectorTwoInstances, EachHasItsOwnPortsAndSpans) {
  auto a = Collector::Start();
  auto b = Collector::Start();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE((*a)->otlp_http_port(), (*b)->otlp_http_port());
  EXPECT_NE((*a)->otlp_grpc_port(), (*b)->otlp_grpc_port());
  std::mt19937_64 rng(7);
  const std::string ta = RandomHex(rng, 16), tb = RandomHex(rng, 16);
  RequestBuilder ra("service-a");
  ra.Add(ta, RandomHex(rng, 8), "", "in-a");
  RequestBuilder rb("service-b");
  rb.Add(tb, RandomHex(rng, 8), "", "in-b");
  ASSERT_EQ(PostOtlpHttp((*a)->otlp_http_endpoint(), ra.request()), 200);
  ASSERT_TRUE(ExportOtlpGrpc((*b)->otlp_grpc_endpoint(), rb.request()).ok());
  EXPECT_THAT((*a)->Search("{ }"), ElementsAre(HasName("in-a")));
  EXPECT_THAT((*b)->Search("{ }"), ElementsAre(HasName("in-b")));
  EXPECT_THAT((*a)->WaitForTrace(tb, 1, absl::Milliseconds(10)), IsEmpty());
  EXPECT_TRUE((*a)->Stop().ok());
  // Stopping one leaves the other serving.
  RequestBuilder more("service-b");
  more.Add(tb, RandomHex(rng, 8), "", "more-b");
  EXPECT_EQ(PostOtlpHttp((*b)->otlp_http_endpoint(), more.request()), 200);
  EXPECT_THAT((*b)->WaitForTrace(tb, 2), SizeIs(2));
}

TEST(CollectorZipkin, ZipkinJsonSpansArriveWhenEnabled) {
  CollectorOptions options;
  options.zipkin = true;
  options.jaeger = true;
  auto collector = Collector::Start(options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  EXPECT_GT((*collector)->jaeger_grpc_port(), 0);
  EXPECT_GT((*collector)->jaeger_thrift_http_port(), 0);
  const std::string body = R"([{
    "traceId": "5b8efff798038103d269b633813fc60c",
    "id": "eee19b7ec3c1b174", "name": "get /users", "kind": "SERVER",
    "timestamp": 1700000000000000, "duration": 2500,
    "localEndpoint": {"serviceName": "users"},
    "tags": {"http.method": "GET"}}])";
  EXPECT_EQ(PostBody((*collector)->zipkin_endpoint(), "application/json", body),
            202);
  EXPECT_THAT((*collector)->WaitForTrace("5b8efff798038103d269b633813fc60c"),
              ElementsAre(AllOf(HasName("get /users"),
                                HasKind(SpanKind::kServer), HasService("users"),
                                HasAttribute("http.method", "GET"))));
}

TEST_F(CollectorTest, InvalidTraceQLIsAFailureNamingTheProblem) {
  ::testing::TestPartResultArray failures;
  SpanList result;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &failures);
    result = collector_->Search("{ span.http.status_code = }");
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_TRUE(failures.GetTestPartResult(0).nonfatally_failed());
  EXPECT_THAT(failures.GetTestPartResult(0).message(),
              HasSubstr("invalid TraceQL { span.http.status_code = }"));
  EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  EXPECT_THAT(result, IsEmpty());
}

// The failure message of a SizeIs that does not hold: the matching spans,
// then what did arrive as a tree per trace, children indented under their
// parent, with attributes and events.
TEST_F(CollectorTest, FailingAssertionPrintsReceivedSpansAsATree) {
  const std::string trace_id = RandomHex(rng_, 16);
  ASSERT_EQ(PostOtlpHttp(collector_->otlp_http_endpoint(),
                         CheckoutTrace(trace_id).request()),
            200);
  ASSERT_TRUE(collector_->WaitForSpanCount(3));
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &failures);
    EXPECT_THAT(collector_->Search("{ span.http.status_code = 500 }"),
                SizeIs(2));
  }
  ASSERT_EQ(failures.size(), 1);
  const std::string message = failures.GetTestPartResult(0).message();
  EXPECT_THAT(message, HasSubstr("Expected: size is equal to 2"));
  EXPECT_THAT(message,
              HasSubstr("1 span from search { span.http.status_code = 500 }"));
  const std::string tree =
      "Spans the collector received:\n"
      "trace " +
      trace_id +
      " (3 spans, service \"shop\")\n"
      "  \"checkout\" server unset 50.00ms span=" +
      root_id_ +
      " {http.method=\"POST\"}\n"
      "    \"charge\" client error(\"card declined\") 20.00ms span=" +
      charge_id_ +
      " {http.status_code=500}\n"
      "        event \"exception\" {exception.message=\"declined\"}\n"
      "    \"reserve\" unspecified unset 10.00ms span=" +
      reserve_id_ + " {http.status_code=200}\n";
  EXPECT_THAT(message, HasSubstr(tree)) << message;
}

TEST(CollectorMatchers, ExplainWhatTheSpanHadInstead) {
  Span span;
  span.name = "charge";
  span.span_id = "00000000000000aa";
  span.trace_id = "000000000000000000000000000000bb";
  span.parent_span_id = "00000000000000cc";
  span.parent_name = "checkout";
  span.attributes["http.status_code"] = 200;
  auto explain = [](const ::testing::Matcher<const Span&>& m, const Span& s) {
    ::testing::StringMatchResultListener listener;
    const bool matched = m.MatchAndExplain(s, &listener);
    return std::make_pair(matched, listener.str());
  };
  EXPECT_EQ(explain(HasAttribute("http.status_code", 500), span),
            std::make_pair(
                false, std::string("whose attribute http.status_code is 200")));
  EXPECT_EQ(
      explain(HasAttribute("http.route"), span),
      std::make_pair(false, std::string("which has no attribute http.route")));
  // Typed: the integer 200 is not the string "200" nor the double 200.0.
  EXPECT_FALSE(explain(HasAttribute("http.status_code", "200"), span).first);
  EXPECT_FALSE(explain(HasAttribute("http.status_code", 200.0), span).first);
  EXPECT_TRUE(explain(HasAttribute("http.status_code", 200), span).first);
  EXPECT_EQ(::testing::DescribeMatcher<const Span&>(
                HasAttribute("http.status_code", 500)),
            "has attribute http.status_code that is equal to 500");
  Span other_parent;
  other_parent.trace_id = span.trace_id;
  other_parent.span_id = "00000000000000dd";
  other_parent.name = "other";
  EXPECT_EQ(
      explain(IsChildOf(other_parent), span),
      std::make_pair(false, std::string("whose parent is span "
                                        "00000000000000cc \"checkout\"")));
  EXPECT_FALSE(explain(IsRoot(), span).first);
  EXPECT_FALSE(explain(HasEvent("exception"), span).first);
}

}  // namespace
}  // namespace andante::testing
