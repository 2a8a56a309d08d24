#include "udp_mode.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "http_client.h"
#include "jaeger_thrift_encode.h"
#include "proc_stats.h"
#include "sender.h"
#include "trace_factory.h"

namespace andante::loadgen {
namespace {

struct Batch {
  std::vector<std::string> datagrams;
  std::vector<int64_t> spans_per_datagram;
  int64_t spans = 0;
};

// Datagram slots per batch in the send cursor (more than any batch has).
constexpr size_t kMaxDatagrams = 1 << 16;

// Server-side counters read from /metrics.
struct ServerCounters {
  bool ok = false;
  double accepted = 0;     // tempo_receiver_accepted_spans for the transport
  double refused = 0;      // tempo_receiver_refused_spans
  double queue_full = 0;   // datagrams dropped by the server's queue
  double malformed = 0;
  double too_large = 0;
};

// Sum of the samples of `name` whose label set contains every `want` pair.
double SumSamples(const std::string& text, absl::string_view name,
                  const std::vector<std::string>& want) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (!absl::StartsWith(line, name)) continue;
    absl::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    bool match = true;
    for (const std::string& w : want) match = match && absl::StrContains(rest, w);
    if (!match) continue;
    size_t sp = line.rfind(' ');
    double v = 0;
    if (sp != absl::string_view::npos &&
        absl::SimpleAtod(line.substr(sp + 1), &v)) {
      sum += v;
    }
  }
  return sum;
}

ServerCounters ReadCounters(HttpClient& api, absl::string_view transport) {
  ServerCounters c;
  HttpClient::Response r =
      api.Request(boost::beast::http::verb::get, "/metrics", {});
  if (r.status != 200) return c;
  c.ok = true;
  std::string t = absl::StrCat("transport=\"", transport, "\"");
  const std::vector<std::string> jt = {"receiver=\"jaeger\"", t};
  c.accepted = SumSamples(r.body, "tempo_receiver_accepted_spans", jt);
  c.refused = SumSamples(r.body, "tempo_receiver_refused_spans", jt);
  auto dropped = [&](absl::string_view reason) {
    std::vector<std::string> w = jt;
    w.push_back(absl::StrCat("reason=\"", reason, "\""));
    return SumSamples(r.body, "andante_receiver_udp_datagrams_dropped_total",
                      w);
  };
  c.queue_full = dropped("queue_full");
  c.malformed = dropped("malformed");
  c.too_large = dropped("too_large");
  return c;
}

// The kernel's drop counter of the UDP socket bound to `port` (last column
// of /proc/net/udp and udp6): datagrams that arrived while the socket's
// receive buffer was full. -1 when not found.
int64_t KernelDrops(int port) {
  int64_t total = -1;
  for (const char* file : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local;
      fields >> sl >> local;
      size_t colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
      std::string last, f;
      while (fields >> f) last = f;
      int64_t drops = 0;
      if (absl::SimpleAtoi(last, &drops)) total = std::max<int64_t>(total, 0) + drops;
    }
  }
  return total;
}

int64_t ReadSysctl(const char* path) {
  std::ifstream in(path);
  int64_t v = -1;
  in >> v;
  return v;
}

}  // namespace

int RunUdpMode(const UdpModeOptions& o) {
  std::string host, port;
  if (!SplitHostPort(o.endpoint, &host, &port)) {
    std::fprintf(stderr, "--endpoint must be host:port\n");
    return 64;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* addr = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &addr); rc != 0) {
    std::fprintf(stderr, "resolve %s: %s\n", o.endpoint.c_str(), gai_strerror(rc));
    return 1;
  }
  int fd = socket(addr->ai_family, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, addr->ai_addr, addr->ai_addrlen) != 0) {
    std::fprintf(stderr, "udp socket to %s: %s\n", o.endpoint.c_str(),
                 std::strerror(errno));
    freeaddrinfo(addr);
    return 1;
  }
  freeaddrinfo(addr);
  const int port_number = std::stoi(port);

  // The pool: whole batches, each split into datagrams as a Jaeger client
  // would (one emitBatch per process, at most max_datagram_bytes each).
  TraceFactory factory(o.seed);
  std::vector<Batch> pool;
  int64_t pool_spans = 0, pool_datagrams = 0, pool_bytes = 0;
  for (int i = 0; i < o.pool; ++i) {
    ExportTraceServiceRequest request =
        factory.BuildBatch(o.batch_spans, absl::Now(), nullptr);
    absl::StatusOr<std::vector<std::string>> datagrams =
        EncodeJaegerAgentDatagrams(request, o.protocol, o.max_datagram_bytes);
    if (!datagrams.ok()) {
      std::fprintf(stderr, "encode: %s\n",
                   std::string(datagrams.status().message()).c_str());
      return 1;
    }
    Batch b;
    b.datagrams = std::move(*datagrams);
    b.spans = o.batch_spans;
    // Spans per datagram, spread by size (the encoder does not say).
    int64_t bytes = 0;
    for (const std::string& d : b.datagrams) bytes += static_cast<int64_t>(d.size());
    int64_t assigned = 0;
    for (size_t i = 0; i < b.datagrams.size(); ++i) {
      int64_t n = i + 1 == b.datagrams.size()
                      ? b.spans - assigned
                      : b.spans * static_cast<int64_t>(b.datagrams[i].size()) / bytes;
      b.spans_per_datagram.push_back(n);
      assigned += n;
    }
    pool_spans += b.spans;
    pool_datagrams += static_cast<int64_t>(b.datagrams.size());
    for (const std::string& d : b.datagrams) pool_bytes += static_cast<int64_t>(d.size());
    pool.push_back(std::move(b));
  }
  const std::string transport =
      o.protocol == internal::ThriftProtocol::kCompact ? "udp_thrift_compact"
                                                       : "udp_thrift_binary";
  std::printf("andante loadgen, Jaeger agent UDP mode — machine: %s\n",
              MachineNote().c_str());
  std::printf(
      "target %s (%s); %.1f spans and %.0f bytes per datagram; "
      "net.core.rmem_default %lld, rmem_max %lld\n",
      o.endpoint.c_str(), transport.c_str(),
      static_cast<double>(pool_spans) / static_cast<double>(pool_datagrams),
      static_cast<double>(pool_bytes) / static_cast<double>(pool_datagrams),
      static_cast<long long>(ReadSysctl("/proc/sys/net/core/rmem_default")),
      static_cast<long long>(ReadSysctl("/proc/sys/net/core/rmem_max")));

  HttpClient api([&] {
    std::string h, p;
    SplitHostPort(o.api, &h, &p);
    return h;
  }(), [&] {
    std::string h, p;
    SplitHostPort(o.api, &h, &p);
    return p;
  }(), absl::Seconds(10));

  std::printf(
      "\n| offered spans/s | sent spans/s | stored | lost | kernel drops "
      "(datagrams) | server queue drops | server CPU-s / M spans |\n"
      "|---|---|---|---|---|---|---|\n");
  int exit_code = 1;
  size_t next = 0;
  for (double rate : o.rates) {
    ServerCounters before = ReadCounters(api, transport);
    int64_t kernel_before = KernelDrops(port_number);
    ProcessSample cpu_before = SampleProcess(o.server_pid);
    int64_t sent_spans = 0, send_errors = 0;
    absl::Time start = absl::Now();
    absl::Time end = start + o.step_duration;
    for (absl::Time now = start; now < end; now = absl::Now()) {
      if (rate > 0) {
        absl::Time due =
            start + absl::Seconds(static_cast<double>(sent_spans) / rate);
        if (due > now) {
          absl::SleepFor(std::min(due - now, absl::Milliseconds(50)));
          continue;
        }
      }
      // One datagram at a time, paced by its share of the batch's spans,
      // the way a client's reporter flushes a full buffer.
      const Batch& b = pool[next / kMaxDatagrams % pool.size()];
      const std::string& d = b.datagrams[next % kMaxDatagrams];
      if (send(fd, d.data(), d.size(), 0) < 0) ++send_errors;
      sent_spans += b.spans_per_datagram[next % kMaxDatagrams];
      ++next;
      if (next % kMaxDatagrams >= b.datagrams.size()) {
        next += kMaxDatagrams - next % kMaxDatagrams;  // the next batch
      }
    }
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    // Let the server drain its queue: wait until the accepted count is
    // stable for a second (at most 30 s).
    ServerCounters after = ReadCounters(api, transport);
    for (int i = 0; i < 60; ++i) {
      absl::SleepFor(absl::Milliseconds(500));
      ServerCounters again = ReadCounters(api, transport);
      bool stable = again.accepted == after.accepted;
      after = again;
      if (stable && i >= 1) break;
    }
    ProcessSample cpu_after = SampleProcess(o.server_pid);
    int64_t kernel_after = KernelDrops(port_number);
    double stored = after.accepted - before.accepted;
    double lost = sent_spans > 0 ? 1.0 - stored / static_cast<double>(sent_spans) : 0;
    std::string cpu = "n/a";
    if (cpu_before.ok && cpu_after.ok && stored > 0) {
      cpu = absl::StrFormat("%.2f", (cpu_after.cpu_seconds - cpu_before.cpu_seconds) /
                                        (stored / 1e6));
    }
    std::printf("| %s | %.0f | %.0f | %.2f%% | %s | %.0f | %s |\n",
                rate > 0 ? absl::StrFormat("%.0f", rate).c_str() : "max",
                static_cast<double>(sent_spans) / seconds, stored, 100.0 * lost,
                kernel_before >= 0 && kernel_after >= 0
                    ? absl::StrCat(kernel_after - kernel_before).c_str()
                    : "n/a",
                after.queue_full - before.queue_full, cpu.c_str());
    if (send_errors > 0) {
      std::printf("  (%lld send errors on the client side)\n",
                  static_cast<long long>(send_errors));
    }
    if (after.malformed > before.malformed || after.too_large > before.too_large) {
      std::printf("  (server dropped %.0f malformed and %.0f oversized datagrams)\n",
                  after.malformed - before.malformed, after.too_large - before.too_large);
    }
    if (stored > 0) exit_code = 0;
    std::fflush(stdout);
  }
  close(fd);
  return exit_code;
}

}  // namespace andante::loadgen
