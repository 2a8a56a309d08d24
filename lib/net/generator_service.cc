#include "generator_service.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "yaml-cpp/yaml.h"

namespace andante::server {

absl::StatusOr<std::unique_ptr<GeneratorService>> GeneratorService::Start(
    const GeneratorConfig& config, Store* store) {
  std::unique_ptr<GeneratorService> g(new GeneratorService());
  g->config_ = config;
  g->store_ = store;
  GeneratorConfig& c = g->config_;
  if (!c.tenant_overrides_path.empty()) {
    try {
      YAML::Node root = YAML::LoadFile(c.tenant_overrides_path);
      if (absl::Status s = ParseGeneratorTenantOverrides(root, &c); !s.ok()) {
        return s;
      }
    } catch (const std::exception& e) {
      // Tempo keeps running without the file; so do we, loudly.
      ANDANTE_LOG(kWarn, "cannot read per-tenant overrides for the generator",
                  {{"path", c.tenant_overrides_path}, {"err", e.what()}});
    }
  }
  if (!c.processors_configured) {
    // Tempo generates nothing until overrides list processors; a
    // metrics_generator section alone means the user wants metrics.
    c.options.processors = {"span-metrics", "service-graphs"};
  }
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    c.options.registry.external_labels.emplace_back("__metrics_gen_instance",
                                                    host);
  }
  absl::StatusOr<std::unique_ptr<MetricsGenerator>> gen =
      MetricsGenerator::Create(c.options);
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
              {{"processors", absl::StrJoin(c.options.processors, ",")},
               {"collection_interval",
                absl::FormatDuration(c.options.collection_interval)},
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
  for (auto& w : writers_) w->Stop(config_.flush_deadline);
}

void GeneratorService::Loop() {
  const absl::Duration interval =
      std::max(config_.options.collection_interval, absl::Milliseconds(100));
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

void GeneratorService::HandleScrape(const HttpRequest& req,
                                    HttpResponse* resp) const {
  if (req.method != "GET" && req.method != "HEAD") {
    resp->SetText(405, "method not allowed");
    return;
  }
  resp->status = 200;
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp->body = generator_->ExpositionText();
}

}  // namespace andante::server
