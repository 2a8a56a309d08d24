#include "generator_service.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/crc32c.h"
#include "util/log.h"

namespace andante::net {

absl::StatusOr<std::unique_ptr<GeneratorService>> GeneratorService::Start(
    GeneratorServiceOptions options, Store* store) {
  std::unique_ptr<GeneratorService> g(new GeneratorService());
  g->options_ = std::move(options);
  g->store_ = store;
  GeneratorServiceOptions& c = g->options_;
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    c.generator.registry.external_labels.emplace_back("__metrics_gen_instance",
                                                    host);
  }
  absl::StatusOr<std::unique_ptr<MetricsGenerator>> gen =
      MetricsGenerator::Create(c.generator);
  if (!gen.ok()) return gen.status();
  g->generator_ = std::move(*gen);
  for (internal::RemoteWriteOptions rw : c.remote_write) {
    if (!c.storage_path.empty()) {
      // One queue per endpoint, named by its URL so a reordered config
      // still finds its queue.
      rw.queue_dir =
          absl::StrCat(c.storage_path, "/remote-write-",
                       absl::Hex(internal::Crc32c(rw.url), absl::kZeroPad8));
    }
    g->writers_.push_back(std::make_unique<internal::RemoteWriter>(rw));
  }
  store->AddSpanTap(g->generator_.get());
  g->thread_ = std::thread([raw = g.get()] { raw->Loop(); });
  std::vector<std::string> urls;
  for (const auto& rw : c.remote_write) urls.push_back(rw.url);
  ANDANTE_LOG(kInfo, "metrics generator started",
              {{"processors", absl::StrJoin(c.generator.processors, ",")},
               {"collection_interval",
                absl::FormatDuration(c.generator.collection_interval)},
               {"remote_write", absl::StrJoin(urls, ",")}});
  return g;
}

GeneratorService::~GeneratorService() { Stop(); }

void GeneratorService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  store_->RemoveSpanTap(generator_.get());
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  CollectOnce(absl::Now());
  for (auto& w : writers_) w->Stop(options_.flush_deadline);
}

void GeneratorService::Loop() {
  const absl::Duration interval =
      std::max(options_.generator.collection_interval, absl::Milliseconds(100));
  const absl::Duration expiry = absl::Seconds(2);
  absl::Time next_collect = absl::Now() + interval;
  absl::Time next_expire = absl::Now() + expiry;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time wake = std::min(next_collect, next_expire);
      auto stop = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithDeadline(absl::Condition(&stop), wake)) return;
    }
    const absl::Time now = absl::Now();
    if (now >= next_expire) {
      generator_->ExpireEdges(now);
      next_expire = now + expiry;
    }
    if (now >= next_collect) {
      CollectOnce(now);
      next_collect += interval;
      if (next_collect < now) next_collect = now + interval;
    }
  }
}

void GeneratorService::CollectOnce(absl::Time now) {
  for (const MetricsGenerator::TenantSamples& t : generator_->Collect(now)) {
    for (auto& w : writers_) w->Enqueue(t.tenant, t.samples);
  }
}

HttpResponse GeneratorService::HandleScrape(const HttpRequest& req) const {
  HttpResponse resp;
  if (req.method != "GET" && req.method != "HEAD") {
    resp.SetText(405, "method not allowed");
    return resp;
  }
  resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp.body = generator_->ExpositionText();
  return resp;
}

}  // namespace andante::net
