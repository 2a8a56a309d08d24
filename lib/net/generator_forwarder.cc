#include "generator_forwarder.h"

#include <pthread.h>

#include <atomic>
#include <deque>
#include <thread>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "generator/http_client.h"
#include "metrics.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::net {
namespace {

// One POST to be: a tenant's pushes, concatenated.
struct Item {
  std::string tenant;
  std::string body;
  uint64_t pushes = 0;
  absl::Time first;  // when the first push was queued
};

// How many of the newest queued batches a push looks through for its
// tenant's.
constexpr size_t kJoinScan = 16;
// Sent batches' buffers kept for new batches, per endpoint: they keep their
// capacity, so a push's copy neither reallocates nor faults fresh pages in.
constexpr size_t kSpareBuffers = 4;

}  // namespace

struct GeneratorForwarder::Endpoint {
  std::string url;
  absl::Mutex mu;
  std::deque<Item> queue ABSL_GUARDED_BY(mu);
  uint64_t queued_pushes ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::string> spare ABSL_GUARDED_BY(mu);
  bool busy ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::thread thread;
};

struct GeneratorForwarder::Counters {
  std::atomic<uint64_t> sent{0}, failed{0}, dropped{0}, posts{0};
  Counter* pushes = nullptr;
  Counter* failures = nullptr;
  Counter* drops = nullptr;
  internal::LogThrottle drop_log{absl::Seconds(10)};
  internal::LogThrottle fail_log{absl::Seconds(10)};
};

absl::StatusOr<std::unique_ptr<GeneratorForwarder>> GeneratorForwarder::Start(
    GeneratorForwarderOptions options, MetricsRegistry* registry) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError(
        "metrics_generator_client.endpoints: no endpoint");
  }
  std::unique_ptr<GeneratorForwarder> f(new GeneratorForwarder());
  f->counters_ = std::make_unique<Counters>();
  if (registry != nullptr) {
    Counters& c = *f->counters_;
    c.pushes = registry
                   ->AddCounter("tempo_distributor_metrics_generator_pushes_total",
                                "POSTs to metrics generators (each one "
                                "tenant's queued pushes).")
                   ->WithLabels({});
    c.failures =
        registry
            ->AddCounter(
                "tempo_distributor_metrics_generator_pushes_failures_total",
                "POSTs to metrics generators that failed.")
            ->WithLabels({});
    c.drops = registry
                  ->AddCounter(
                      "andante_distributor_metrics_generator_dropped_total",
                      "Pushes not forwarded to metrics generators because "
                      "the queue was full.")
                  ->WithLabels({});
  }
  for (std::string& url : options.endpoints) {
    if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics_generator_client.endpoints: \"", url,
          "\" is not an http:// or https:// URL"));
    }
    while (!url.empty() && url.back() == '/') url.pop_back();
    auto e = std::make_unique<Endpoint>();
    e->url = url + options.path;
    f->endpoints_.push_back(std::move(e));
  }
  f->options_ = std::move(options);
  for (auto& e : f->endpoints_) {
    e->thread = std::thread([raw = f.get(), ep = e.get()] { raw->Run(ep); });
  }
  ANDANTE_LOG(kInfo, "forwarding spans to metrics generators",
              {{"endpoints", absl::StrJoin(f->options_.endpoints, ",")},
               {"queue_size", std::to_string(f->options_.queue_size)}});
  return f;
}

GeneratorForwarder::~GeneratorForwarder() {
  for (auto& e : endpoints_) {
    absl::MutexLock lock(&e->mu);
    e->stopping = true;
  }
  for (auto& e : endpoints_) {
    if (e->thread.joinable()) e->thread.join();
  }
}

void GeneratorForwarder::OnSpans(std::string_view tenant,
                                 std::string_view request) {
  Endpoint* e = endpoints_.size() == 1
                    ? endpoints_[0].get()
                    : endpoints_[absl::HashOf(tenant) % endpoints_.size()].get();
  {
    absl::MutexLock lock(&e->mu);
    if (!e->stopping && e->queued_pushes < options_.queue_size) {
      ++e->queued_pushes;
      // Join the tenant's newest waiting batch if it has room (never an
      // older one: a tenant's pushes stay in order).
      const size_t stop =
          e->queue.size() > kJoinScan ? e->queue.size() - kJoinScan : 0;
      for (size_t i = e->queue.size(); i-- > stop;) {
        Item& item = e->queue[i];
        if (item.tenant != tenant) continue;
        if (item.body.size() + request.size() <= options_.max_batch_bytes) {
          item.body.append(request.data(), request.size());
          ++item.pushes;
          return;
        }
        break;
      }
      Item& item = e->queue.emplace_back();
      item.tenant.assign(tenant.data(), tenant.size());
      if (!e->spare.empty()) {
        item.body = std::move(e->spare.back());
        e->spare.pop_back();
      }
      item.body.assign(request.data(), request.size());
      item.pushes = 1;
      item.first = absl::Now();
      return;
    }
  }
  Counters& c = *counters_;
  c.dropped.fetch_add(1, std::memory_order_relaxed);
  if (c.drops != nullptr) c.drops->Inc();
  if (uint64_t suppressed; c.drop_log.Allow(&suppressed)) {
    ANDANTE_LOG(kWarn, "metrics generator queue full, request dropped",
                {{"endpoint", e->url},
                 {"tenant", std::string(tenant)},
                 {"suppressed", std::to_string(suppressed)}});
  }
}

void GeneratorForwarder::Run(Endpoint* e) {
  pthread_setname_np(pthread_self(), "gen-forward");  // shows in top -H
  internal::HttpClient client;
  Counters& c = *counters_;
  Item item;
  for (;;) {
    {
      absl::MutexLock lock(&e->mu);
      if (item.body.capacity() > 0 && e->spare.size() < kSpareBuffers) {
        item.body.clear();
        e->spare.push_back(std::move(item.body));
      }
      e->busy = false;
      auto ready = [e]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu) {
        return e->stopping || !e->queue.empty();
      };
      e->mu.Await(absl::Condition(&ready));
      if (e->queue.empty()) return;  // stopping
      // Let the batch fill: until batch_wait after its first push, half
      // its byte limit, or the stop.
      auto filled = [this, e]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu) {
        return e->stopping ||
               e->queue.front().body.size() >= options_.max_batch_bytes / 2;
      };
      e->mu.AwaitWithDeadline(absl::Condition(&filled),
                              e->queue.front().first + options_.batch_wait);
      item = std::move(e->queue.front());
      e->queue.pop_front();
      e->queued_pushes -= item.pushes;
      e->busy = true;
    }
    absl::StatusOr<internal::HttpResult> r = client.Post(
        e->url,
        {{"Content-Type", "application/x-protobuf"},
         {"X-Scope-OrgID", item.tenant}},
        item.body, options_.timeout);
    c.posts.fetch_add(1, std::memory_order_relaxed);
    if (c.pushes != nullptr) c.pushes->Inc();
    if (r.ok() && r->status / 100 == 2) {
      c.sent.fetch_add(item.pushes, std::memory_order_relaxed);
      continue;
    }
    c.failed.fetch_add(item.pushes, std::memory_order_relaxed);
    if (c.failures != nullptr) c.failures->Inc();
    {
      // Stopping with the generator unreachable: drop what is left rather
      // than wait a timeout per request.
      absl::MutexLock lock(&e->mu);
      if (e->stopping && !e->queue.empty()) {
        const uint64_t n = e->queued_pushes;
        c.dropped.fetch_add(n, std::memory_order_relaxed);
        if (c.drops != nullptr) c.drops->Inc(static_cast<double>(n));
        e->queue.clear();
        e->queued_pushes = 0;
      }
    }
    if (uint64_t suppressed; c.fail_log.Allow(&suppressed)) {
      ANDANTE_LOG(
          kWarn, "forwarding to the metrics generator failed",
          {{"endpoint", e->url},
           {"tenant", item.tenant},
           {"err", r.ok() ? absl::StrCat("HTTP ", r->status, ": ", r->body)
                          : std::string(internal::ToStd(r.status().message()))},
           {"suppressed", std::to_string(suppressed)}});
    }
  }
}

GeneratorForwarderStats GeneratorForwarder::Stats() const {
  return {counters_->sent.load(), counters_->failed.load(),
          counters_->dropped.load(), counters_->posts.load()};
}

void GeneratorForwarder::WaitIdle() {
  for (auto& owned : endpoints_) {
    Endpoint* e = owned.get();
    absl::MutexLock lock(&e->mu);
    auto idle = [e]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu) {
      return e->queue.empty() && !e->busy;
    };
    e->mu.Await(absl::Condition(&idle));
  }
}

}  // namespace andante::net
