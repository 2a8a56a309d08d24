// loadgen: drives a running Andante (or Tempo) server over OTLP and prints
// the figures of the project's performance targets.
//
//   phase 1  ingest   N workers push pre-built, re-IDed 1000-span batches
//                     for --duration; accepted spans/s, server CPU-seconds
//                     per million spans, server peak RSS, own CPU.
//   phase 2  lookup   POST /flush, wait for /ready (and for blocks on disk
//                     with --data_dir), then GET /api/traces/<id> for
//                     --lookups random sent traces; latency percentiles.
//   phase 3  disk     block bytes on disk per accepted span (--data_dir).
//
// See README.md in this directory and bench/run_loadgen.sh.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "http_client.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "proc_stats.h"
#include "request_template.h"
#include "sender.h"
#include "tempopb/tempo.pb.h"
#include "trace_factory.h"
#include "udp_mode.h"

ABSL_FLAG(std::string, protocol, "http",
          "grpc (OTLP TraceService/Export), http (OTLP POST "
          "application/x-protobuf), or the Jaeger agent's UDP protocols "
          "jaeger-compact (6831) / jaeger-binary (6832), see --udp_rates");
ABSL_FLAG(std::vector<std::string>, udp_rates,
          std::vector<std::string>({"20000", "50000", "100000", "0"}),
          "Jaeger UDP modes: offered spans/s of each step (0 = max), each "
          "step lasting --duration");
ABSL_FLAG(std::string, endpoint, "",
          "OTLP receiver host:port; default 127.0.0.1:4317 for grpc, "
          "127.0.0.1:4318 for http");
ABSL_FLAG(std::string, http_path, "/v1/traces", "OTLP/HTTP traces path");
ABSL_FLAG(std::string, api, "127.0.0.1:3200", "Tempo HTTP API host:port");
ABSL_FLAG(int, workers, 2, "concurrent senders, one connection each");
ABSL_FLAG(int, batch_spans, 1000, "spans per export request");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(30), "ingest phase length");
ABSL_FLAG(double, rate, 0,
          "cap on offered spans/s over all workers; 0 = as fast as accepted");
ABSL_FLAG(int, server_pid, 0,
          "server process to sample in /proc (CPU, RSS); 0 = none");
ABSL_FLAG(int, lookups, 200,
          "trace-by-ID lookups after the flush; 0 = the flush alone");
ABSL_FLAG(uint64_t, seed, 1, "seed for trace content and IDs");
ABSL_FLAG(int, service_groups, 1,
          "copies of the service catalogue (more distinct service names, "
          "hence more metrics-generator series)");
ABSL_FLAG(std::string, tenant, "",
          "tenant sent as X-Scope-OrgID / x-scope-orgid; empty = none");
ABSL_FLAG(int, tenants, 1,
          "spread requests round-robin over this many tenants, "
          "<tenant>-0 .. <tenant>-(N-1) (tenant defaults to \"t\"); 1 = "
          "--tenant only. Lookups use --tenant, so pair N > 1 with "
          "--lookups=0");
ABSL_FLAG(std::string, data_dir, "",
          "block storage directory (storage.trace.local.path) for bytes/span");
ABSL_FLAG(int, pool, 64, "distinct pre-built batches cycled by the workers");
ABSL_FLAG(absl::Duration, report_every, absl::Seconds(5),
          "progress line interval during ingest");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "per-request deadline");
ABSL_FLAG(bool, flush, true, "POST /flush before the lookups");
ABSL_FLAG(absl::Duration, slow_request, absl::Seconds(1),
          "export requests taking at least this long (accepted or refused) "
          "are counted and listed with their time into the run");
ABSL_FLAG(absl::Duration, idle_wait, absl::ZeroDuration(),
          "after the lookups, wait this long and print the server's RSS "
          "(memory returned after load, against its RSS before the run)");
ABSL_FLAG(absl::Duration, flush_wait, absl::Seconds(60),
          "with --data_dir: how long to wait for flushed blocks to settle");
ABSL_FLAG(bool, dry_run, false,
          "build the request pool, print its statistics, self-check the ID "
          "patching, and exit without sending anything");

namespace andante::loadgen {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

struct Options {
  std::string protocol;
  std::string endpoint;
  std::string http_path;
  std::string api;
  int workers;
  int batch_spans;
  absl::Duration duration;
  double rate;
  int server_pid;
  int lookups;
  uint64_t seed;
  int service_groups = 1;
  std::string tenant;
  int tenants = 1;
  std::string data_dir;
  int pool;
  absl::Duration report_every;
  absl::Duration timeout;
  bool flush;
  absl::Duration slow_request;
  absl::Duration idle_wait;
  absl::Duration flush_wait;
  bool dry_run;
};

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string Hex(const std::array<uint8_t, 16>& id) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : id) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string Thousands(double v) {
  std::string digits = absl::StrFormat("%.0f", v);
  std::string out;
  int n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (n > 0 && n % 3 == 0 && *it != '-') out += ',';
    out += *it;
    ++n;
  }
  return {out.rbegin(), out.rend()};
}

void Print(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// Request pool

struct Pool {
  std::vector<RequestTemplate> requests;
  int64_t base_ns = 0;  // the `now` the batches were built around
  BatchStats stats;
  int64_t bytes = 0;
};

bool BuildPool(const Options& o, Pool* pool) {
  const absl::Time start = absl::Now();
  TraceShape shape;
  shape.service_groups = std::max(1, o.service_groups);
  TraceFactory factory(o.seed, shape);
  pool->base_ns = absl::ToUnixNanos(start);
  for (int i = 0; i < o.pool; ++i) {
    ExportTraceServiceRequest request =
        factory.BuildBatch(o.batch_spans, start, &pool->stats);
    absl::StatusOr<RequestTemplate> t =
        RequestTemplate::Parse(request.SerializeAsString());
    if (!t.ok()) {
      Print(absl::StrCat("internal error: ", t.status().ToString()));
      return false;
    }
    pool->bytes += static_cast<int64_t>(t->bytes().size());
    pool->requests.push_back(*std::move(t));
  }
  const BatchStats& s = pool->stats;
  Print(absl::StrFormat(
      "pool: %d batches x %d spans in %d traces, built in %.2f s\n"
      "      payload %.1f B/span (serialized OTLP, %.1f KB/batch)\n"
      "      spans/trace %d..%d avg %.2f, services/trace avg %.2f, error "
      "spans %.2f%%",
      o.pool, o.batch_spans, s.traces,
      absl::ToDoubleSeconds(absl::Now() - start),
      static_cast<double>(pool->bytes) / s.spans,
      static_cast<double>(pool->bytes) / o.pool / 1024, s.min_spans_per_trace,
      s.max_spans_per_trace, static_cast<double>(s.spans) / s.traces,
      static_cast<double>(s.services) / s.traces,
      100.0 * s.error_spans / s.spans));
  return true;
}

// Instantiates a template, decodes the result and checks that the patching
// produced fresh, consistent traces. Also times the patching.
bool SelfCheck(const Pool& pool) {
  bool ok = true;
  auto fail = [&ok](const std::string& what) {
    Print("self-check FAILED: " + what);
    ok = false;
  };
  const RequestTemplate& t = pool.requests[0];
  ExportTraceServiceRequest original;
  original.ParseFromString(t.bytes());
  IdRng rng(42);
  std::string body;
  std::vector<SentTrace> sent;
  const int64_t shift = 123456789;
  t.Instantiate(rng, shift, &body, &sent);
  ExportTraceServiceRequest patched;
  if (!patched.ParseFromString(body)) fail("patched request does not decode");
  if (body.size() != t.bytes().size()) fail("patched size differs");

  std::set<std::string> old_ids;
  std::map<std::string, std::set<std::string>> span_ids;  // trace -> spans
  std::map<std::string, int> span_counts;
  int spans = 0;
  for (int r = 0; r < original.resource_spans_size(); ++r) {
    for (const auto& ss : original.resource_spans(r).scope_spans()) {
      for (const auto& span : ss.spans()) old_ids.insert(span.trace_id());
    }
  }
  for (int r = 0; r < patched.resource_spans_size(); ++r) {
    const auto& prs = patched.resource_spans(r);
    const auto& ors = original.resource_spans(r);
    for (int s = 0; s < prs.scope_spans_size(); ++s) {
      for (int i = 0; i < prs.scope_spans(s).spans_size(); ++i) {
        const auto& span = prs.scope_spans(s).spans(i);
        const auto& before = ors.scope_spans(s).spans(i);
        ++spans;
        if (old_ids.contains(span.trace_id())) fail("trace ID not replaced");
        if (span.span_id() == before.span_id()) fail("span ID not replaced");
        if (span.start_time_unix_nano() !=
                before.start_time_unix_nano() + shift ||
            span.end_time_unix_nano() != before.end_time_unix_nano() + shift) {
          fail("timestamps not shifted");
        }
        for (int e = 0; e < span.events_size(); ++e) {
          if (span.events(e).time_unix_nano() !=
              before.events(e).time_unix_nano() + shift) {
            fail("event time not shifted");
          }
        }
        span_ids[span.trace_id()].insert(span.span_id());
        ++span_counts[span.trace_id()];
      }
    }
  }
  int roots = 0;
  for (int r = 0; r < patched.resource_spans_size(); ++r) {
    for (const auto& ss : patched.resource_spans(r).scope_spans()) {
      for (const auto& span : ss.spans()) {
        if (span.parent_span_id().empty()) {
          ++roots;
        } else if (!span_ids[span.trace_id()].contains(span.parent_span_id())) {
          fail("parent span ID points outside its trace");
        }
      }
    }
  }
  // Show one trace as a tree so its shape can be eyeballed.
  {
    struct Row {
      std::string service;
      const andante::otlp::trace::v1::Span* span;
    };
    std::map<std::string, std::vector<Row>> children;  // parent -> spans
    const std::string first =
        original.resource_spans(0).scope_spans(0).spans(0).trace_id();
    for (const auto& rs : original.resource_spans()) {
      std::string service = rs.resource().attributes(0).value().string_value();
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          if (span.trace_id() == first) {
            children[span.parent_span_id()].push_back({service, &span});
          }
        }
      }
    }
    Print("example trace:");
    std::function<void(const std::string&, int)> dump =
        [&](const std::string& parent, int depth) {
          for (const Row& row : children[parent]) {
            const auto& span = *row.span;
            std::string attrs;
            for (const auto& kv : span.attributes()) {
              absl::StrAppend(&attrs, attrs.empty() ? "" : " ", kv.key(), "=",
                              kv.value().has_int_value()
                                  ? absl::StrCat(kv.value().int_value())
                                  : kv.value().string_value());
            }
            Print(absl::StrFormat(
                "  %*s%s [%s] %s %.1fms%s  %s", depth * 2, "", row.service,
                andante::otlp::trace::v1::Span::SpanKind_Name(
                    span.kind())
                    .substr(10),
                span.name(),
                (span.end_time_unix_nano() - span.start_time_unix_nano()) / 1e6,
                span.status().code() == 2 ? " ERROR" : "", attrs));
            dump(span.span_id(), depth + 1);
          }
        };
    dump("", 0);
  }
  if (spans != t.spans()) fail("span count changed");
  if (span_counts.size() != sent.size() ||
      roots != static_cast<int>(sent.size())) {
    fail("trace count / root count mismatch");
  }
  for (const SentTrace& s : sent) {
    std::string id(reinterpret_cast<const char*>(s.trace_id.data()), 16);
    if (span_counts[id] != static_cast<int>(s.spans)) {
      fail("recorded span count mismatch");
    }
  }

  const size_t traces = sent.size();
  const int kRounds = 2000;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kRounds; ++i) {
    pool.requests[i % pool.requests.size()].Instantiate(rng, i, &body, &sent);
  }
  const double us = absl::ToDoubleMicroseconds(absl::Now() - start) / kRounds;
  Print(absl::StrFormat(
      "self-check: %s (%d traces, %d spans; patching costs %.1f us per batch, "
      "%.0f ns/span)",
      ok ? "ok" : "FAILED", traces, spans, us, us * 1000 / t.spans()));
  return ok;
}

// ---------------------------------------------------------------------------
// Phase 1: ingest

// A uniform sample of the traces of successful sends (Algorithm R).
class Reservoir {
 public:
  explicit Reservoir(size_t capacity, uint64_t seed)
      : capacity_(capacity), rng_(seed) {}

  void Add(const std::vector<SentTrace>& traces) {
    absl::MutexLock lock(&mu_);
    for (const SentTrace& t : traces) {
      ++seen_;
      if (items_.size() < capacity_) {
        items_.push_back(t);
      } else {
        uint64_t j = rng_.Next() % seen_;
        if (j < capacity_) items_[j] = t;
      }
    }
  }

  // Up to n distinct traces, in random order.
  std::vector<SentTrace> Take(size_t n) {
    absl::MutexLock lock(&mu_);
    std::vector<SentTrace> out = items_;
    for (size_t i = 0; i < out.size() && i < n; ++i) {
      std::swap(out[i], out[i + rng_.Next() % (out.size() - i)]);
    }
    out.resize(std::min(n, out.size()));
    return out;
  }

  int64_t seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  const size_t capacity_;
  IdRng rng_ ABSL_GUARDED_BY(mu_);
  int64_t seen_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SentTrace> items_ ABSL_GUARDED_BY(mu_);
};

class IngestCounters {
 public:
  // A request at or above --slow_request: when it started (seconds into
  // the run), how long it took, and its outcome.
  struct SlowRequest {
    double at_s;
    double ms;
    std::string outcome;
  };

  IngestCounters(absl::Time start, absl::Duration slow)
      : start_(start), slow_ms_(Ms(slow)) {}

  void Record(const SendResult& r, int spans, int64_t bytes, absl::Time sent,
              double ms) {
    if (r.ok) {
      accepted_spans_.fetch_add(spans - r.rejected_spans,
                                std::memory_order_relaxed);
      bytes_.fetch_add(bytes, std::memory_order_relaxed);
    }
    absl::MutexLock lock(&mu_);
    if (r.ok) latencies_ms_.push_back(ms);
    if (ms >= slow_ms_) {
      slow_.push_back({absl::ToDoubleSeconds(sent - start_), ms,
                       r.ok ? std::string("ok") : r.outcome});
    }
    if (!r.ok || r.rejected_spans > 0) {
      std::string key =
          r.ok ? std::string("ok with rejected spans") : r.outcome;
      outcomes_[key] += r.ok ? r.rejected_spans : 1;
      if (!r.message.empty()) messages_[key] = r.message;
    }
    ++requests_;
  }

  int64_t accepted_spans() const {
    return accepted_spans_.load(std::memory_order_relaxed);
  }
  int64_t accepted_bytes() const {
    return bytes_.load(std::memory_order_relaxed);
  }

  // "none" or "http 503 x4 (last: ...), transport: ... x1".
  std::string Errors() {
    absl::MutexLock lock(&mu_);
    if (outcomes_.empty()) return "none";
    std::string out;
    for (const auto& [key, n] : outcomes_) {
      absl::StrAppend(&out, out.empty() ? "" : ", ", key, " x", n);
      auto it = messages_.find(key);
      if (it != messages_.end()) {
        absl::StrAppend(&out, " (last: \"", it->second.substr(0, 120), "\")");
      }
    }
    return out;
  }

  int64_t requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  std::vector<SlowRequest> slow() {
    absl::MutexLock lock(&mu_);
    return slow_;
  }
  double slow_ms() const { return slow_ms_; }

  std::vector<double> SortedLatencies() {
    absl::MutexLock lock(&mu_);
    std::vector<double> out = latencies_ms_;
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::atomic<int64_t> accepted_spans_{0};
  std::atomic<int64_t> bytes_{0};
  absl::Mutex mu_;
  int64_t requests_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> outcomes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> messages_ ABSL_GUARDED_BY(mu_);
  std::vector<double> latencies_ms_ ABSL_GUARDED_BY(mu_);
  const absl::Time start_;
  const double slow_ms_;
  std::vector<SlowRequest> slow_ ABSL_GUARDED_BY(mu_);
};

void RunWorker(int index, const Options& o, const Pool& pool,
               absl::Time deadline, const std::atomic<bool>& stop,
               IngestCounters* counters, Reservoir* reservoir) {
  SenderOptions so;
  so.endpoint = o.endpoint;
  so.http_path = o.http_path;
  so.tenant = o.tenant;
  so.timeout = o.timeout;
  std::unique_ptr<Sender> sender =
      o.protocol == "grpc" ? NewGrpcSender(so) : NewHttpSender(so);
  IdRng rng(o.seed * 0x9e3779b97f4a7c15ULL + index + 1);
  std::string body;
  std::vector<SentTrace> sent;
  size_t next = index * pool.requests.size() / o.workers;
  const double worker_rate = o.rate / o.workers;  // spans/s
  absl::Time next_send = absl::Now();
  while (!stop.load(std::memory_order_relaxed) && absl::Now() < deadline) {
    const RequestTemplate& t = pool.requests[next++ % pool.requests.size()];
    if (worker_rate > 0) {
      absl::Time now = absl::Now();
      if (next_send > now) {
        absl::SleepFor(std::min(next_send, deadline) - now);
        if (absl::Now() >= deadline) break;
      }
      // Catch up after a slow response, but by at most a second of burst.
      next_send = std::max(next_send, absl::Now() - absl::Seconds(1)) +
                  absl::Seconds(t.spans() / worker_rate);
    }
    t.Instantiate(rng, absl::ToUnixNanos(absl::Now()) - pool.base_ns, &body,
                  &sent);
    if (o.tenants > 1) {
      sender->SetTenant(absl::StrCat(o.tenant.empty() ? "t" : o.tenant, "-",
                                     (next + index) % o.tenants));
    }
    const absl::Time start = absl::Now();
    SendResult r = sender->Send(body);
    counters->Record(r, t.spans(), static_cast<int64_t>(body.size()), start,
                     Ms(absl::Now() - start));
    if (r.ok && r.rejected_spans == 0) {
      reservoir->Add(sent);
    } else if (!r.ok) {
      // Do not spin on a refusing or dead server.
      absl::SleepFor(std::min(absl::Milliseconds(50), deadline - absl::Now()));
    }
  }
}

struct IngestResult {
  int64_t accepted_spans = 0;
  double seconds = 0;
  double spans_per_second = 0;
  bool server_sampled = false;
  double server_cpu_seconds = 0;
  double cpu_per_million = 0;
  double peak_rss_mb = 0;
  double loadgen_cpu_seconds = 0;
};

IngestResult RunIngest(const Options& o, const Pool& pool,
                       Reservoir* reservoir) {
  Print(absl::StrFormat(
      "\n== phase 1: ingest — %s to %s, %d workers, %d-span batches, %s, "
      "rate %s ==",
      o.protocol, o.endpoint, o.workers, o.batch_spans,
      absl::FormatDuration(o.duration),
      o.rate > 0 ? Thousands(o.rate) + " spans/s" : "max"));
  std::atomic<bool> stop{false};
  const ProcessSample server0 = SampleProcess(o.server_pid);
  if (server0.ok) {
    Print(absl::StrFormat("server RSS before the run %.0f MB",
                          server0.rss_kb / 1024.0));
  }
  const double self0 = SelfCpuSeconds();
  const absl::Time start = absl::Now();
  IngestCounters counters(start, o.slow_request);
  const absl::Time deadline = start + o.duration;
  std::vector<std::thread> workers;
  for (int i = 0; i < o.workers; ++i) {
    workers.emplace_back(RunWorker, i, std::cref(o), std::cref(pool), deadline,
                         std::cref(stop), &counters, reservoir);
  }

  absl::Time last = start;
  int64_t last_spans = 0;
  ProcessSample last_server = server0;
  double last_self = self0;
  for (absl::Time next = start + o.report_every;; next += o.report_every) {
    const absl::Time wake = std::min(next, deadline);
    absl::SleepFor(wake - absl::Now());
    const absl::Time now = absl::Now();
    const double dt = absl::ToDoubleSeconds(now - last);
    const int64_t spans = counters.accepted_spans();
    const double self = SelfCpuSeconds();
    ProcessSample server = SampleProcess(o.server_pid);
    std::string server_part = "server: not sampled";
    if (o.server_pid > 0 && !server.ok) {
      server_part = "server: PROCESS GONE";
    } else if (server.ok && server0.ok) {
      const double cpu = server.cpu_seconds - last_server.cpu_seconds;
      server_part = absl::StrFormat(
          "server %.2f cores, %s CPU-s/M spans, RSS %.0f MB (peak %.0f MB)",
          cpu / dt,
          spans > last_spans
              ? absl::StrFormat("%.2f", cpu / (spans - last_spans) * 1e6)
              : std::string("-"),
          server.rss_kb / 1024.0, server.peak_rss_kb / 1024.0);
    }
    Print(absl::StrFormat(
        "[%5.1fs] %s spans/s (total %s) | %s | loadgen %.2f cores | errors: "
        "%s",
        absl::ToDoubleSeconds(now - start),
        Thousands((spans - last_spans) / dt), Thousands(spans), server_part,
        (self - last_self) / dt, counters.Errors()));
    last = now;
    last_spans = spans;
    last_server = server;
    last_self = self;
    if (now >= deadline) break;
  }
  stop.store(true);
  for (std::thread& t : workers) t.join();
  const absl::Time end = absl::Now();

  IngestResult result;
  result.accepted_spans = counters.accepted_spans();
  result.seconds = absl::ToDoubleSeconds(end - start);
  result.spans_per_second = result.accepted_spans / result.seconds;
  result.loadgen_cpu_seconds = SelfCpuSeconds() - self0;
  const ProcessSample server1 = SampleProcess(o.server_pid);
  if (server0.ok && server1.ok) {
    result.server_sampled = true;
    result.server_cpu_seconds = server1.cpu_seconds - server0.cpu_seconds;
    result.peak_rss_mb = server1.peak_rss_kb / 1024.0;
    if (result.accepted_spans > 0) {
      result.cpu_per_million =
          result.server_cpu_seconds / result.accepted_spans * 1e6;
    }
  }
  const std::vector<double> latencies = counters.SortedLatencies();
  Print(absl::StrFormat(
      "ingest: %s spans accepted in %.1f s = %s spans/s (%.1f MB/s payload), "
      "%d requests",
      Thousands(result.accepted_spans), result.seconds,
      Thousands(result.spans_per_second),
      counters.accepted_bytes() / result.seconds / 1e6, counters.requests()));
  Print(absl::StrFormat(
      "        export latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; errors: "
      "%s",
      Percentile(latencies, 0.5), Percentile(latencies, 0.99),
      latencies.empty() ? 0.0 : latencies.back(), counters.Errors()));
  const std::vector<IngestCounters::SlowRequest> slow = counters.slow();
  std::string slow_list;
  for (size_t i = 0; i < slow.size() && i < 20; ++i) {
    absl::StrAppendFormat(&slow_list, "%s%.0f ms at %.1f s (%s)",
                          i == 0 ? ": " : ", ", slow[i].ms, slow[i].at_s,
                          slow[i].outcome);
  }
  if (slow.size() > 20) absl::StrAppend(&slow_list, ", ...");
  Print(absl::StrFormat("        requests taking >= %.0f ms (any outcome): %d%s",
                        counters.slow_ms(), slow.size(), slow_list));
  if (result.server_sampled) {
    Print(absl::StrFormat(
        "        server CPU %.2f s (%.2f cores) = %.2f CPU-s per million "
        "spans; peak RSS (VmHWM) %.0f MB",
        result.server_cpu_seconds, result.server_cpu_seconds / result.seconds,
        result.cpu_per_million, result.peak_rss_mb));
  } else if (o.server_pid > 0) {
    Print("        SERVER PROCESS NOT SAMPLED (gone or unreadable)");
  }
  Print(absl::StrFormat(
      "        loadgen CPU %.2f s (%.2f cores, %.2f CPU-s per million spans)",
      result.loadgen_cpu_seconds, result.loadgen_cpu_seconds / result.seconds,
      result.accepted_spans > 0
          ? result.loadgen_cpu_seconds / result.accepted_spans * 1e6
          : 0.0));
  if (result.accepted_spans == 0) Print("NO SPANS WERE ACCEPTED");
  return result;
}

// ---------------------------------------------------------------------------
// Phase 2: lookups

struct LookupResult {
  bool ran = false;
  int found = 0;
  int incomplete = 0;
  int not_found = 0;
  int errors = 0;
  std::vector<double> sorted_ms;
};

LookupResult RunLookups(const Options& o, Reservoir* reservoir,
                        const DirUsage& disk_before) {
  LookupResult result;
  std::string host;
  std::string port;
  if (!SplitHostPort(o.api, &host, &port)) {
    Print("--api must be host:port");
    return result;
  }
  Print(absl::StrFormat(
      "\n== phase 2: trace by ID — %d lookups on %s ==", o.lookups, o.api));
  HttpClient api(host, port, o.timeout);
  HttpClient::Headers headers;
  if (!o.tenant.empty()) headers.emplace_back("X-Scope-OrgID", o.tenant);
  namespace http = boost::beast::http;

  if (o.flush) {
    const absl::Time start = absl::Now();
    HttpClient::Response r = api.Request(http::verb::post, "/flush", headers);
    Print(absl::StrFormat("POST /flush -> %s in %.1f ms%s",
                          r.status ? absl::StrCat(r.status) : r.error,
                          Ms(absl::Now() - start),
                          r.status == 204 ? "" : "  (EXPECTED 204)"));
    // Andante's /flush queues the blocks (as Tempo's); ?wait=true answers
    // once every span is in a complete block (Tempo ignores the parameter
    // and queues again).
    const absl::Time wait_start = absl::Now();
    r = api.Request(http::verb::post, "/flush?wait=true", headers);
    Print(absl::StrFormat(
        "POST /flush?wait=true -> %s in %.1f ms (%.1f ms after the /flush)",
        r.status ? absl::StrCat(r.status) : r.error,
        Ms(absl::Now() - wait_start), Ms(absl::Now() - start)));
  }
  {
    const absl::Time start = absl::Now();
    const absl::Time give_up = start + absl::Seconds(60);
    int status = 0;
    while (absl::Now() < give_up) {
      status = api.Request(http::verb::get, "/ready", headers).status;
      if (status == 200) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    Print(absl::StrFormat("GET /ready -> %d after %.1f ms%s", status,
                          Ms(absl::Now() - start),
                          status == 200 ? "" : "  (NOT READY, going on)"));
  }
  if (!o.data_dir.empty() && o.flush) {
    // A flush may write blocks in the background; wait until the block
    // directory stops changing so the lookups measure blocks, not memory.
    const absl::Time start = absl::Now();
    DirUsage last = ScanDir(o.data_dir);
    int stable = 0;
    while (absl::Now() - start < o.flush_wait) {
      absl::SleepFor(absl::Milliseconds(250));
      DirUsage now = ScanDir(o.data_dir);
      bool same = now.bytes == last.bytes && now.files == last.files;
      stable = same ? stable + 1 : 0;
      last = now;
      if (now.blocks > disk_before.blocks && stable >= 4) break;
    }
    Print(absl::StrFormat(
        "blocks on disk: %d (+%d) after %.1f s%s", last.blocks,
        last.blocks - disk_before.blocks,
        absl::ToDoubleSeconds(absl::Now() - start),
        last.blocks > disk_before.blocks ? "" : "  (NO NEW BLOCK APPEARED)"));
  }

  if (o.lookups == 0) return result;
  const std::vector<SentTrace> ids = reservoir->Take(o.lookups);
  if (ids.size() < static_cast<size_t>(o.lookups)) {
    Print(absl::StrFormat("only %d traces were sent; looking up those",
                          ids.size()));
  }
  HttpClient::Headers get_headers = headers;
  get_headers.emplace_back("Accept", "application/protobuf");
  int reported = 0;
  for (const SentTrace& id : ids) {
    const std::string hex = Hex(id.trace_id);
    const absl::Time start = absl::Now();
    HttpClient::Response r =
        api.Request(http::verb::get, "/api/traces/" + hex, get_headers);
    result.sorted_ms.push_back(Ms(absl::Now() - start));
    std::string problem;
    if (r.status == 200) {
      tempopb::Trace trace;
      if (!trace.ParseFromString(r.body)) {
        ++result.errors;
        problem = "200 with a body that is not a tempopb.Trace";
      } else {
        uint32_t spans = 0;
        for (const auto& rs : trace.resourcespans()) {
          for (const auto& ss : rs.scope_spans()) spans += ss.spans_size();
        }
        if (spans == id.spans) {
          ++result.found;
        } else {
          ++result.incomplete;
          problem = absl::StrFormat("found %d of %d spans", spans, id.spans);
        }
      }
    } else if (r.status == 404) {
      ++result.not_found;
      problem = "NOT FOUND";
    } else {
      ++result.errors;
      problem =
          r.status ? absl::StrCat("HTTP ", r.status, " ", r.body.substr(0, 120))
                   : r.error;
    }
    if (!problem.empty() && reported++ < 10) {
      Print(absl::StrCat("  lookup ", hex, ": ", problem));
    }
  }
  result.ran = true;
  std::sort(result.sorted_ms.begin(), result.sorted_ms.end());
  const auto& ms = result.sorted_ms;
  Print(absl::StrFormat(
      "lookups: %d found complete, %d incomplete, %d not found, %d errors",
      result.found, result.incomplete, result.not_found, result.errors));
  Print(absl::StrFormat(
      "latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
      Percentile(ms, 0.5), Percentile(ms, 0.9), Percentile(ms, 0.99),
      ms.empty() ? 0.0 : ms.back()));
  if (result.not_found > 0 || result.incomplete > 0 || result.errors > 0) {
    Print(absl::StrFormat(
        "!!! LOOKUP FAILURES: %d of %d acknowledged traces were not returned "
        "complete after the flush !!!",
        result.not_found + result.incomplete + result.errors, ids.size()));
  }
  return result;
}

// What the idle server still holds, from its /metrics: the compaction
// backlog (live blocks per tenant, cycles and blocks compacted so far), the
// block cache, the trace index and what waits to be built. The idle RSS
// depends on whether compaction has caught up (issue 14).
void PrintIdleGauges(const Options& o) {
  std::string host;
  std::string port;
  if (!SplitHostPort(o.api, &host, &port)) return;
  HttpClient api(host, port, o.timeout);
  HttpClient::Response r =
      api.Request(boost::beast::http::verb::get, "/metrics", {});
  if (r.status != 200) return;
  static constexpr absl::string_view kGauges[] = {
      "tempodb_blocklist_length",        "andante_compaction_cycles_total",
      "tempodb_compaction_blocks_total", "andante_block_cache_bytes",
      "andante_ingester_trace_index_bytes", "andante_pending_block_bytes",
      "tempo_ingester_live_traces",      "andante_wal_bytes_on_disk"};
  std::string line;
  for (absl::string_view l : absl::StrSplit(r.body, '\n')) {
    for (absl::string_view g : kGauges) {
      if (absl::StartsWith(l, g)) absl::StrAppend(&line, " ", l, ";");
    }
  }
  Print(absl::StrCat("server gauges when idle:", line));
}

// ---------------------------------------------------------------------------

int Main(const Options& o) {
  Print(absl::StrCat("andante loadgen — machine: ", MachineNote()));
  const std::string busy = BusyWarning();
  if (!busy.empty()) Print(busy);
  Pool pool;
  if (!BuildPool(o, &pool)) return 1;
  if (o.dry_run) return SelfCheck(pool) ? 0 : 1;

  const DirUsage disk_before =
      o.data_dir.empty() ? DirUsage{} : ScanDir(o.data_dir);
  Reservoir reservoir(std::max(10000, o.lookups * 20), o.seed + 7);
  const IngestResult ingest = RunIngest(o, pool, &reservoir);

  LookupResult lookups;
  // --lookups=0 still flushes (unless --flush=false): the idle RSS after a
  // run and a flush, without the indexes lookups load, is a figure of its
  // own (issue 14).
  if ((o.lookups > 0 || o.flush) && ingest.accepted_spans > 0) {
    const ProcessSample before = SampleProcess(o.server_pid);
    lookups = RunLookups(o, &reservoir, disk_before);
    const ProcessSample after = SampleProcess(o.server_pid);
    if (before.ok && after.ok) {
      Print(absl::StrFormat(
          "server CPU during flush and lookups %.2f s; peak RSS now %.0f MB",
          after.cpu_seconds - before.cpu_seconds, after.peak_rss_kb / 1024.0));
    } else if (o.server_pid > 0) {
      Print("SERVER PROCESS GONE after the lookups");
    }
  }
  if (o.idle_wait > absl::ZeroDuration() && o.server_pid > 0) {
    absl::SleepFor(o.idle_wait);
    if (const ProcessSample idle = SampleProcess(o.server_pid); idle.ok) {
      Print(absl::StrFormat(
          "server RSS idle %s after the run: %.0f MB (anonymous %.0f MB, "
          "file-backed %.0f MB)",
          absl::FormatDuration(o.idle_wait), idle.rss_kb / 1024.0,
          idle.rss_anon_kb / 1024.0, idle.rss_file_kb / 1024.0));
    }
    PrintIdleGauges(o);
  }
  // Peak RSS over the whole run: a flush may raise it after the ingest.
  IngestResult summary = ingest;
  if (const ProcessSample last = SampleProcess(o.server_pid);
      last.ok && ingest.server_sampled) {
    summary.peak_rss_mb =
        std::max(summary.peak_rss_mb, last.peak_rss_kb / 1024.0);
  }

  double bytes_per_span = -1;
  if (!o.data_dir.empty()) {
    const DirUsage after = ScanDir(o.data_dir);
    const int64_t bytes = after.bytes - disk_before.bytes;
    Print(absl::StrFormat("\n== phase 3: block bytes on disk — %s ==",
                          o.data_dir));
    const bool new_blocks = after.blocks > disk_before.blocks;
    if (ingest.accepted_spans > 0 && new_blocks) {
      bytes_per_span = static_cast<double>(bytes) / ingest.accepted_spans;
    }
    Print(absl::StrFormat(
        "%s bytes in %d new files, %d blocks (+%d) for %s spans = %s",
        Thousands(bytes), after.files - disk_before.files, after.blocks,
        after.blocks - disk_before.blocks, Thousands(ingest.accepted_spans),
        new_blocks ? absl::StrFormat("%.1f B/span", bytes_per_span)
                   : std::string("n/a: NO NEW BLOCK WAS WRITTEN")));
    if (after.compacted_blocks > 0) {
      Print(absl::StrFormat(
          "not counted: %s bytes in %d blocks marked compacted (their spans "
          "are in the blocks above; deleted after compacted_block_retention)",
          Thousands(after.compacted_bytes), after.compacted_blocks));
    }
    if (after.writing_bytes > 0) {
      Print(absl::StrFormat("not counted: %s bytes of objects being written",
                            Thousands(after.writing_bytes)));
    }
  }

  // The table, measured.
  const double payload = static_cast<double>(pool.bytes) / pool.stats.spans;
  Print("\n== summary ==");
  Print(absl::StrFormat(
      "load: OTLP/%s, %d workers, %d-span batches, %.0f B/span payload, %s, "
      "rate %s",
      o.protocol == "grpc" ? "gRPC" : "HTTP protobuf", o.workers, o.batch_spans,
      payload, absl::FormatDuration(o.duration),
      o.rate > 0 ? Thousands(o.rate) + " spans/s" : "max"));
  auto or_na = [](bool have, const std::string& s) {
    return have ? s : std::string("n/a");
  };
  const bool have_server = ingest.server_sampled;
  const auto& ms = lookups.sorted_ms;
  Print("| figure | measured | Andante target | Tempo 2.0.1 |");
  Print("|---|---|---|---|");
  Print(absl::StrFormat(
      "| ingest, generator on the same cores | %s spans/s%s | >= 250k "
      "spans/s | 72-85k spans/s |",
      Thousands(ingest.spans_per_second),
      o.rate > 0 ? " (capped by --rate)" : ""));
  Print(absl::StrFormat(
      "| server CPU per million spans | %s | <= 5 CPU-s | 25-27 CPU-s |",
      or_na(have_server && ingest.accepted_spans > 0,
            absl::StrFormat("%.2f CPU-s", ingest.cpu_per_million))));
  Print(absl::StrFormat(
      "| server peak RSS (VmHWM, whole run) | %s | <= 400 MB (150 s at 60k "
      "spans/s) | 2.9 GB |",
      or_na(have_server, absl::StrFormat("%.0f MB", summary.peak_rss_mb))));
  Print(absl::StrFormat(
      "| trace by ID after flush, %d IDs | %s | p99 <= 5 ms | p50 76-136 ms, "
      "p99 170-570 ms |",
      static_cast<int>(ms.size()),
      or_na(
          lookups.ran && !ms.empty(),
          absl::StrFormat("p50 %.2f ms, p99 %.2f ms%s", Percentile(ms, 0.5),
                          Percentile(ms, 0.99),
                          lookups.found == static_cast<int>(ms.size())
                              ? ""
                              : absl::StrFormat(" (%d NOT FOUND/INCOMPLETE)",
                                                ms.size() - lookups.found)))));
  Print(absl::StrFormat(
      "| block bytes on disk per span | %s | <= 50 B | 85 B |",
      or_na(bytes_per_span >= 0, absl::StrFormat("%.1f B", bytes_per_span))));
  if (!busy.empty()) Print(busy);
  Print(absl::StrFormat(
      "machine: %s; loadgen on the same machine used %.2f cores", MachineNote(),
      ingest.seconds > 0 ? ingest.loadgen_cpu_seconds / ingest.seconds : 0));

  if (ingest.accepted_spans == 0) return 1;
  if (lookups.ran && lookups.found != static_cast<int>(ms.size())) return 2;
  return 0;
}

}  // namespace
}  // namespace andante::loadgen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "drives an OTLP + Tempo API server and prints ingest and lookup "
      "figures; see bench/loadgen/README.md");
  absl::ParseCommandLine(argc, argv);
  andante::loadgen::Options o;
  o.protocol = absl::GetFlag(FLAGS_protocol);
  o.endpoint = absl::GetFlag(FLAGS_endpoint);
  o.http_path = absl::GetFlag(FLAGS_http_path);
  o.api = absl::GetFlag(FLAGS_api);
  o.workers = absl::GetFlag(FLAGS_workers);
  o.batch_spans = absl::GetFlag(FLAGS_batch_spans);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.rate = absl::GetFlag(FLAGS_rate);
  o.server_pid = absl::GetFlag(FLAGS_server_pid);
  o.lookups = absl::GetFlag(FLAGS_lookups);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.service_groups = absl::GetFlag(FLAGS_service_groups);
  o.tenant = absl::GetFlag(FLAGS_tenant);
  o.tenants = std::max(1, absl::GetFlag(FLAGS_tenants));
  o.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.pool = absl::GetFlag(FLAGS_pool);
  o.report_every = absl::GetFlag(FLAGS_report_every);
  o.timeout = absl::GetFlag(FLAGS_timeout);
  o.flush = absl::GetFlag(FLAGS_flush);
  o.idle_wait = absl::GetFlag(FLAGS_idle_wait);
  o.slow_request = absl::GetFlag(FLAGS_slow_request);
  o.flush_wait = absl::GetFlag(FLAGS_flush_wait);
  o.dry_run = absl::GetFlag(FLAGS_dry_run);

  if (o.protocol == "jaeger-compact" || o.protocol == "jaeger-binary") {
    andante::loadgen::UdpModeOptions u;
    bool compact = o.protocol == "jaeger-compact";
    u.protocol = compact ? andante::internal::ThriftProtocol::kCompact
                         : andante::internal::ThriftProtocol::kBinary;
    u.endpoint = !o.endpoint.empty() ? o.endpoint
                 : compact           ? "127.0.0.1:6831"
                                     : "127.0.0.1:6832";
    u.api = o.api;
    u.step_duration = o.duration;
    u.batch_spans = o.batch_spans;
    u.seed = o.seed;
    u.server_pid = o.server_pid;
    for (const std::string& r : absl::GetFlag(FLAGS_udp_rates)) {
      double v = 0;
      if (!absl::SimpleAtod(r, &v) || v < 0) {
        std::fprintf(stderr, "--udp_rates: \"%s\" is not a rate\n", r.c_str());
        return 64;
      }
      u.rates.push_back(v);
    }
    return andante::loadgen::RunUdpMode(u);
  }
  if (o.protocol != "grpc" && o.protocol != "http") {
    std::fprintf(stderr,
                 "--protocol must be grpc, http, jaeger-compact or "
                 "jaeger-binary\n");
    return 64;
  }
  if (o.endpoint.empty()) {
    o.endpoint = o.protocol == "grpc" ? "127.0.0.1:4317" : "127.0.0.1:4318";
  }
  std::string host;
  std::string port;
  if (!andante::loadgen::SplitHostPort(o.endpoint, &host, &port)) {
    std::fprintf(stderr, "--endpoint must be host:port\n");
    return 64;
  }
  if (o.workers < 1 || o.batch_spans < 1 || o.pool < 1 || o.lookups < 0 ||
      o.rate < 0 || o.duration <= absl::ZeroDuration() ||
      o.report_every <= absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "--workers, --batch_spans, --pool, --duration and "
                 "--report_every must be positive; --lookups and --rate "
                 "non-negative\n");
    return 64;
  }
  return andante::loadgen::Main(o);
}
