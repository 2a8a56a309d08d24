// Starting and stopping the test collector 100 times leaks no port, thread,
// file descriptor or (under ASan's leak checker) memory.
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "andante/testing/collector.h"
#include "andante/testing/matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "otlp_clients.h"

namespace andante::testing {
namespace {

using ::andante::collector_test::ExportOtlpGrpc;
using ::andante::collector_test::PostOtlpHttp;
using ::andante::collector_test::RandomHex;
using ::andante::collector_test::RequestBuilder;
using ::testing::SizeIs;

// Entries of /proc/self/<dir> (open fds, threads).
int CountEntries(const char* dir) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - (std::string(dir) == "/proc/self/fd" ? 1 : 0);  // opendir's own
}

// True if something accepts TCP connections on 127.0.0.1:`port`.
bool Listening(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// One life: start, receive a span over each protocol, find it, stop.
void OneLife(std::mt19937_64& rng, std::vector<int>* ports) {
  auto collector = Collector::Start();
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string trace = RandomHex(rng, 16);
  RequestBuilder http("lifecycle");
  http.Add(trace, RandomHex(rng, 8), "", "via-http");
  RequestBuilder grpc("lifecycle");
  grpc.Add(trace, RandomHex(rng, 8), "", "via-grpc");
  ASSERT_EQ(PostOtlpHttp((*collector)->otlp_http_endpoint(), http.request()),
            200);
  ASSERT_TRUE(
      ExportOtlpGrpc((*collector)->otlp_grpc_endpoint(), grpc.request()).ok());
  ASSERT_THAT((*collector)->WaitForTrace(trace, 2), SizeIs(2));
  ports->push_back((*collector)->otlp_http_port());
  ports->push_back((*collector)->otlp_grpc_port());
  ASSERT_TRUE((*collector)->Stop().ok());
}

TEST(CollectorLifecycle, StartStop100TimesLeaksNoPortsThreadsOrFds) {
  std::mt19937_64 rng(13);
  std::vector<int> ports;
  // A first life warms up what a process keeps once (gRPC's and curl's
  // global state); the baseline is taken after it.
  OneLife(rng, &ports);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  // gRPC winds down its global threads asynchronously after the last
  // server and channel go; give it a moment before each count.
  absl::SleepFor(absl::Milliseconds(200));
  const int fds_before = CountEntries("/proc/self/fd");
  const int threads_before = CountEntries("/proc/self/task");
  ASSERT_GT(fds_before, 0);
  ASSERT_GT(threads_before, 0);
  ports.clear();
  for (int i = 0; i < 100; ++i) {
    OneLife(rng, &ports);
    ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "life " << i;
  }
  absl::SleepFor(absl::Milliseconds(200));
  const int fds_after = CountEntries("/proc/self/fd");
  const int threads_after = CountEntries("/proc/self/task");
  // Nothing of a collector outlives it: the counts are back where they
  // were, give or take a thread gRPC may be retiring at that instant.
  EXPECT_EQ(fds_after, fds_before);
  EXPECT_LE(threads_after, threads_before + 1);
  int listening = 0;
  for (int port : ports) listening += Listening(port) ? 1 : 0;
  EXPECT_EQ(listening, 0) << "ports still accepting after Stop";
  EXPECT_EQ(ports.size(), 200u);
}

}  // namespace
}  // namespace andante::testing
