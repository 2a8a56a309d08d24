#include "generator_forwarder.h"

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

struct Item {
  std::string tenant;
  std::string body;
};

}  // namespace

struct GeneratorForwarder::Endpoint {
  std::string url;
  absl::Mutex mu;
  std::deque<Item> queue ABSL_GUARDED_BY(mu);
  bool busy ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::thread thread;
};

struct GeneratorForwarder::Counters {
  std::atomic<uint64_t> sent{0}, failed{0}, dropped{0};
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
                                "Requests forwarded to metrics generators.")
                   ->WithLabels({});
    c.failures =
        registry
            ->AddCounter(
                "tempo_distributor_metrics_generator_pushes_failures_total",
                "Requests forwarded to metrics generators that failed.")
            ->WithLabels({});
    c.drops = registry
                  ->AddCounter(
                      "andante_distributor_metrics_generator_dropped_total",
                      "Requests not forwarded to metrics generators because "
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
    if (!e->stopping && e->queue.size() < options_.queue_size) {
      e->queue.push_back({std::string(tenant), std::string(request)});
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
  internal::HttpClient client;
  Counters& c = *counters_;
  for (;;) {
    Item item;
    {
      absl::MutexLock lock(&e->mu);
      e->busy = false;
      auto ready = [e]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu) {
        return e->stopping || !e->queue.empty();
      };
      e->mu.Await(absl::Condition(&ready));
      if (e->queue.empty()) return;  // stopping
      item = std::move(e->queue.front());
      e->queue.pop_front();
      e->busy = true;
    }
    absl::StatusOr<internal::HttpResult> r = client.Post(
        e->url,
        {{"Content-Type", "application/x-protobuf"},
         {"X-Scope-OrgID", item.tenant}},
        item.body, options_.timeout);
    if (c.pushes != nullptr) c.pushes->Inc();
    if (r.ok() && r->status / 100 == 2) {
      c.sent.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    c.failed.fetch_add(1, std::memory_order_relaxed);
    if (c.failures != nullptr) c.failures->Inc();
    {
      // Stopping with the generator unreachable: drop what is left rather
      // than wait a timeout per request.
      absl::MutexLock lock(&e->mu);
      if (e->stopping && !e->queue.empty()) {
        c.dropped.fetch_add(e->queue.size(), std::memory_order_relaxed);
        if (c.drops != nullptr) c.drops->Inc(static_cast<double>(e->queue.size()));
        e->queue.clear();
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
          counters_->dropped.load()};
}

void GeneratorForwarder::WaitIdle() {
  for (auto& e : endpoints_) {
    absl::MutexLock lock(&e->mu);
    auto idle = [ep = e.get()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ep->mu) {
      return ep->queue.empty() && !ep->busy;
    };
    e->mu.Await(absl::Condition(&idle));
  }
}

}  // namespace andante::net
