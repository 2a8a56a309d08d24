// An in-process trace collector for unit tests of instrumented code.
//
// Collector::Start opens an in-memory Andante store and starts OTLP/gRPC
// and OTLP/HTTP receivers (optionally Zipkin and Jaeger) on ephemeral
// loopback ports inside the test process. The test points its exporter at
// the endpoints, runs the code under test and asserts on what arrived — by
// trace ID or by TraceQL — with gMock matchers (andante/testing/matchers.h).
// No WAL directory, no container, no polling loop or JSON parsing in the
// test.
//
//   #include "andante/testing/collector.h"
//   #include "andante/testing/matchers.h"
//
//   using andante::testing::Collector;
//   using namespace andante::testing::matchers;
//
//   TEST(Payments, DeclinedCardIsAnErrorSpan) {
//     auto collector = Collector::Start();
//     ASSERT_TRUE(collector.ok()) << collector.status();
//     PaymentService service(/*otlp_http=*/(*collector)->otlp_http_endpoint());
//     service.Charge("4000-0000-0000-0002");
//     service.FlushTelemetry();
//
//     EXPECT_THAT((*collector)->Search("{ span.http.status_code = 402 }"),
//                 ElementsAre(AllOf(HasName("charge"), IsError(),
//                                   HasAttribute("payment.retry", false),
//                                   HasEvent("exception"))));
//   }
//
// Waiting: spans travel through a real socket, so they may still be in
// flight when the assertion runs. Search and WaitForTrace poll the store
// until what they look for is there and no push is in progress (and none
// arrived within `settle`), or until their timeout; then they answer with
// what there is. An assertion that expects nothing to match therefore waits
// the whole timeout: pass a short one (or absl::ZeroDuration()).
//
// Threading: all methods are thread-safe. Several collectors may run in one
// process; each has its own ports and store. Reset() empties the store
// between tests while the receivers keep listening on the same ports.
//
// Lifetimes: the Collector owns everything it starts; destroying it stops
// the receivers, closes the store and removes its scratch directory.
// SpanLists it returned stay valid (they own their spans) but print only
// their own spans once the collector is gone.
#ifndef ANDANTE_TESTING_COLLECTOR_H_
#define ANDANTE_TESTING_COLLECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/testing/span.h"

namespace andante {
class Store;
}  // namespace andante

namespace andante::testing {

struct CollectorOptions {
  // Address the receivers bind; ports are always chosen by the kernel.
  std::string host = "127.0.0.1";
  // OTLP receivers (on by default).
  bool otlp_grpc = true;
  bool otlp_http = true;
  // Zipkin v1/v2 JSON and proto on POST /api/v2/spans and /api/v1/spans.
  bool zipkin = false;
  // Jaeger: gRPC CollectorService and Thrift over HTTP (POST /api/traces).
  bool jaeger = false;
  // Default timeout of Search, WaitForTrace and WaitForSpanCount.
  absl::Duration timeout = absl::Seconds(5);
  // How long the collector must have been quiet (no push in progress or
  // just finished) before a wait answers, to catch an exporter's next batch.
  absl::Duration settle = absl::Milliseconds(5);
};

class Collector {
 public:
  // Opens the in-memory store and starts the receivers; they are listening
  // when Start returns. UNAVAILABLE if a receiver cannot bind.
  static absl::StatusOr<std::unique_ptr<Collector>> Start(
      CollectorOptions options = {});

  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Where to point exporters. OTLP/HTTP: the full URL of the traces route
  // ("http://127.0.0.1:41234/v1/traces"), as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  // takes it. OTLP/gRPC: "127.0.0.1:41235" (prefix "http://" for SDKs that
  // want a URL). Empty when the receiver is not enabled.
  std::string otlp_http_endpoint() const;
  std::string otlp_grpc_endpoint() const;
  // "http://127.0.0.1:PORT/api/v2/spans".
  std::string zipkin_endpoint() const;
  // "http://127.0.0.1:PORT/api/traces" (Thrift over HTTP).
  std::string jaeger_thrift_http_endpoint() const;
  // "127.0.0.1:PORT".
  std::string jaeger_grpc_endpoint() const;

  // Bound ports; 0 when the receiver is not enabled.
  int otlp_http_port() const;
  int otlp_grpc_port() const;
  int zipkin_port() const;
  int jaeger_thrift_http_port() const;
  int jaeger_grpc_port() const;

  // The spans of the trace with `trace_id_hex` (32 hex digits), in
  // start-time order, once at least `min_spans` of them arrived and the
  // collector is quiet, or whatever arrived by `timeout`. An invalid ID
  // gives an empty list with an INVALID_ARGUMENT status().
  Trace WaitForTrace(std::string_view trace_id_hex, size_t min_spans = 1);
  Trace WaitForTrace(std::string_view trace_id_hex, size_t min_spans,
                     absl::Duration timeout);

  // The spans matching TraceQL `traceql` (the spans of each matching
  // spanset; `{ }` is every span), in start-time order, once there is at
  // least one and the collector is quiet, or whatever matches by `timeout`.
  // Invalid TraceQL gives an empty list with an INVALID_ARGUMENT status()
  // and, inside a GoogleTest test, a non-fatal failure naming the problem.
  SpanList Search(std::string_view traceql);
  SpanList Search(std::string_view traceql, absl::Duration timeout);

  // Every span received (since the last Reset), in start-time order.
  SpanList AllSpans() const;

  // Waits until at least `count` spans were received (since the last
  // Reset) and the collector is quiet. False on timeout.
  bool WaitForSpanCount(uint64_t count);
  bool WaitForSpanCount(uint64_t count, absl::Duration timeout);

  // Spans accepted since the last Reset.
  uint64_t span_count() const;

  // Forgets every span: the store is replaced by an empty one while the
  // receivers keep their ports. A push racing with Reset lands in either.
  void Reset();

  // Every span received, rendered by FormatSpanTree.
  std::string ReceivedTree() const;

  // The current underlying store (valid until the next Reset or Stop), for
  // tests that want Store::Search or FindTraceById directly. The receivers
  // push through a forwarder that Reset points at a new store.
  Store* store();

  // Stops the receivers (in-flight requests finish, briefly), closes the
  // store and removes the scratch directory. Idempotent; the destructor
  // calls it.
  absl::Status Stop();

  struct State;  // internal

 private:
  explicit Collector(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTING_COLLECTOR_H_
