// Testing the checkout's instrumentation with the in-process collector:
// the spans travel through a real OTLP/HTTP export into the collector, and
// the test asserts on them with TraceQL and gMock matchers.
#include "checkout.h"

#include <memory>

#include "andante/testing/collector.h"
#include "andante/testing/matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::andante::testing::Collector;
using ::andante::testing::SpanKind;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::SizeIs;
using namespace ::andante::testing::matchers;  // NOLINT

class CheckoutTest : public ::testing::Test {
 protected:
  // One collector for all tests of the suite; Reset between tests.
  static void SetUpTestSuite() {
    auto started = Collector::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    collector_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete collector_;
    collector_ = nullptr;
  }
  void SetUp() override { collector_->Reset(); }

  static Collector* collector_;
  checkout::Tracer tracer_{"shop", collector_->otlp_http_endpoint()};
};

Collector* CheckoutTest::collector_ = nullptr;

TEST_F(CheckoutTest, DeclinedCardIsAnErrorSpanWithTheException) {
  auto declines = [](const std::string&, int64_t) { return 402; };
  EXPECT_FALSE(checkout::Checkout(tracer_, declines, "4000-0002", 1999));
  ASSERT_TRUE(tracer_.ForceFlush());

  EXPECT_THAT(
      collector_->Search("{ span.http.status_code = 402 }"),
      ElementsAre(AllOf(
          HasName("charge"), HasKind(SpanKind::kClient), IsError(),
          HasStatusMessage("card declined"), HasAttribute("charge.attempt", 1),
          HasEvent("exception", "exception.type", "PaymentDeclined"),
          HasParentNamed("checkout"), HasService("shop"))));
  EXPECT_THAT(collector_->Search("{ name = \"checkout\" && status = error }"),
              ElementsAre(HasAttribute("order.cents", 1999)));
}

TEST_F(CheckoutTest, RetryLoopEmitsOneSpanPerAttempt) {
  int calls = 0;
  auto flaky = [&calls](const std::string&, int64_t) {
    return ++calls < 3 ? 503 : 200;
  };
  EXPECT_TRUE(checkout::Checkout(tracer_, flaky, "4242-4242", 500));
  ASSERT_TRUE(tracer_.ForceFlush());

  andante::testing::SpanList charges =
      collector_->Search("{ name = \"charge\" }");
  EXPECT_THAT(charges, ElementsAre(HasAttribute("http.status_code", 503),
                                   HasAttribute("http.status_code", 503),
                                   HasAttribute("http.status_code", 200)));
  EXPECT_THAT(charges, Each(Not(IsError())));
}

TEST_F(CheckoutTest, EveryAttemptIsAChildOfTheCheckout) {
  auto unavailable = [](const std::string&, int64_t) { return 503; };
  EXPECT_FALSE(checkout::Checkout(tracer_, unavailable, "4242-4242", 500, 4));
  ASSERT_TRUE(tracer_.ForceFlush());

  andante::testing::SpanList roots =
      collector_->Search("{ name = \"checkout\" }");
  ASSERT_THAT(roots, SizeIs(1));
  andante::testing::Trace trace =
      collector_->WaitForTrace(roots[0].trace_id, 5);
  const andante::testing::Span& root = trace.Named("checkout");
  EXPECT_THAT(root, AllOf(IsRoot(), IsError(),
                          HasStatusMessage("payment gateway unavailable")));
  EXPECT_THAT(collector_->Search("{ name = \"charge\" }"),
              AllOf(SizeIs(4), Each(IsChildOf(root))));
}

}  // namespace
