// GeneratorForwarder (lib/net): the ingest side of a metrics generator
// running in another process. Forwarded requests reach a real
// metrics-generator instance (the generator-only store and the OTLP/HTTP
// receiver of lib/net, feeding a MetricsGenerator) with their tenant; a full
// queue drops and a failing generator is counted, neither blocking OnSpans.
#include "generator_forwarder.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "andante/metrics_generator.h"
#include "generator_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "receiver_set.h"
#include "tests/generator/fixture.h"

namespace andante::net {
namespace {

std::string Request(int64_t base_seconds) {
  return testing::Fixture(base_seconds).SerializeAsString();
}

// A TCP port that accepts connections (the kernel does, into the backlog)
// and never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { close(fd_); }
  // Accepts one connection and reads until the request has arrived.
  int AcceptOne() {
    const int c = accept(fd_, nullptr, nullptr);
    char buf[4096];
    (void)read(c, buf, sizeof(buf));
    return c;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(GeneratorForwarderTest, RequestsReachTheGeneratorInstanceWithTheirTenant) {
  // The generator process's side: no trace storage, OTLP/HTTP receiver.
  MetricsGeneratorOptions go;
  go.processors = {"span-metrics"};
  go.inject_tenant_id_as = "tenant";
  absl::StatusOr<std::unique_ptr<MetricsGenerator>> gen =
      MetricsGenerator::Create(go);
  ASSERT_TRUE(gen.ok()) << gen.status();
  std::unique_ptr<Store> store = OpenGeneratorOnlyStore();
  store->AddSpanTap(gen->get());
  ReceiverSetOptions ro;
  ro.request.multitenancy_enabled = true;
  ro.otlp_http_endpoint = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<ReceiverSet>> receivers =
      ReceiverSet::Start(store.get(), ro);
  ASSERT_TRUE(receivers.ok()) << receivers.status();

  GeneratorForwarderOptions fo;
  fo.endpoints = {
      absl::StrCat("http://127.0.0.1:", (*receivers)->ports().otlp_http, "/")};
  fo.batch_wait = absl::Seconds(2);  // the three pushes below queue together
  absl::StatusOr<std::unique_ptr<GeneratorForwarder>> f =
      GeneratorForwarder::Start(fo, nullptr);
  ASSERT_TRUE(f.ok()) << f.status();
  // The fixture's spans start 10 s after the base and must be within the
  // 30 s ingestion slack of now.
  const std::string request = Request(absl::ToUnixSeconds(absl::Now()) - 20);
  (*f)->OnSpans("acme", request);
  (*f)->OnSpans("acme", request);
  (*f)->OnSpans("other", request);
  (*f)->WaitIdle();
  const GeneratorForwarderStats s = (*f)->Stats();
  EXPECT_EQ(s.sent, 3u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.dropped, 0u);
  // acme's two pushes travelled in one POST, concatenated; the generator
  // counted both.
  EXPECT_EQ(s.posts, 2u);
  // The fixture has one `charge` span per request.
  const std::string text = (*gen)->ExpositionText();
  int acme = 0, other = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, "traces_spanmetrics_calls_total{") ||
        !absl::StrContains(line, "span_name=\"charge\"")) {
      continue;
    }
    if (absl::StrContains(line, "tenant=\"acme\"")) {
      EXPECT_TRUE(absl::EndsWith(line, " 2")) << line;
      ++acme;
    }
    if (absl::StrContains(line, "tenant=\"other\"")) {
      EXPECT_TRUE(absl::EndsWith(line, " 1")) << line;
      ++other;
    }
  }
  EXPECT_EQ(acme, 1) << text.substr(0, 2000);
  EXPECT_EQ(other, 1) << text.substr(0, 2000);
  (*receivers)->Stop(absl::Seconds(1));
  store->RemoveSpanTap(gen->get());
}

TEST(GeneratorForwarderTest, AFullQueueDropsAndAHungGeneratorFails) {
  SilentListener listener;
  GeneratorForwarderOptions fo;
  fo.endpoints = {absl::StrCat("http://127.0.0.1:", listener.port())};
  fo.queue_size = 1;
  fo.timeout = absl::Milliseconds(500);
  fo.batch_wait = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<GeneratorForwarder>> f =
      GeneratorForwarder::Start(fo, nullptr);
  ASSERT_TRUE(f.ok()) << f.status();
  const std::string request = Request(0);
  (*f)->OnSpans("t", request);
  const int conn = listener.AcceptOne();  // the worker is now in its POST
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < 4; ++i) (*f)->OnSpans("t", request);  // 1 queued
  // OnSpans never waits for the network (the POST takes 500 ms).
  EXPECT_LT(absl::Now() - t0, absl::Milliseconds(250));
  EXPECT_EQ((*f)->Stats().dropped, 3u);
  (*f)->WaitIdle();
  close(conn);
  const GeneratorForwarderStats s = (*f)->Stats();
  EXPECT_EQ(s.sent, 0u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.dropped, 3u);
  EXPECT_EQ(s.posts, 2u);
}

TEST(GeneratorForwarderTest, RejectsConfigsWithoutUsableEndpoints) {
  EXPECT_EQ(GeneratorForwarder::Start({}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  GeneratorForwarderOptions fo;
  fo.endpoints = {"127.0.0.1:4318"};
  EXPECT_EQ(GeneratorForwarder::Start(fo, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace andante::net
